import { App, LogLevel, type CustomRoute } from '@slack/bolt';
import type { Env } from '../config/env.ts';
import { ConfigError } from '../config/errors.ts';
import type { InFlight } from '../jobs/in-flight.ts';
import type { Logger } from '../log.ts';
import { registerActions } from './actions/index.ts';
import type { SlackContext } from './context.ts';
import { registerCommands } from './commands/index.ts';
import { registerEvents } from './events/index.ts';
import { SLACK_RETRIES, webClientPort, type SlackPort } from './port.ts';
import { registerViews } from './views/index.ts';

export interface SlackAppOptions {
  env: Env;
  logger: Logger;
  /** Extra HTTP routes (health, metrics, webhooks): on the events server in HTTP mode, on PORT in Socket Mode. */
  routes?: CustomRoute[];
  /** Pace messages to Slack's one per second per channel. Default true; off against a sandbox without limits. */
  pacePerChannel?: boolean;
}

/**
 * One Bolt app. HTTP mode (`POST /slack/events`, verified with SLACK_SIGNING_SECRET) or Socket Mode
 * (SLACK_APP_TOKEN). No Web API call at boot: the bot's ids come from the environment or are left
 * out, so tests and the sandbox need no network. Answers right after `ack()`.
 */
export function createSlackApp(options: SlackAppOptions): { app: App; port: SlackPort } {
  const { env } = options;
  const token = env.SLACK_BOT_TOKEN;
  if (!token) throw new ConfigError('SLACK_BOT_TOKEN is not set: recon serve needs the bot token (xoxb-...) of the app created from manifest.yml');
  if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    throw new ConfigError('set SLACK_SIGNING_SECRET (HTTP mode, POST /slack/events) or SLACK_APP_TOKEN (Socket Mode)');
  }
  const log = options.logger.child({ component: 'slack' });
  const socketMode = !env.SLACK_SIGNING_SECRET && Boolean(env.SLACK_APP_TOKEN);
  const app = new App({
    token,
    ...(socketMode
      ? { socketMode: true, appToken: env.SLACK_APP_TOKEN, customRoutes: options.routes ?? [], installerOptions: { port: env.PORT } }
      : { signingSecret: env.SLACK_SIGNING_SECRET as string, customRoutes: options.routes ?? [] }),
    tokenVerificationEnabled: false,
    botId: 'B0RECON',
    botUserId: 'U0RECON',
    processBeforeResponse: false,
    // Retries (429s, 5xx) end within five minutes, inside a posting lease (posting.ts).
    clientOptions: { retryConfig: SLACK_RETRIES, ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}) },
    logger: slackLogger(log),
  });
  app.error(async (error) => {
    log.error({ err: error }, 'a Slack listener failed');
  });
  return { app, port: webClientPort(app.client, { pacePerChannel: options.pacePerChannel ?? true, logger: log }) };
}

/**
 * Slack's SDK logger interface over pino: the SDK's own lines (retries after a 429, say) go to
 * the log on stderr with everything else, never to stdout where `--json` output goes.
 */
export function slackLogger(log: Logger) {
  return {
    debug: (...m: unknown[]) => log.debug(m.join(' ')),
    info: (...m: unknown[]) => log.info(m.join(' ')),
    warn: (...m: unknown[]) => log.warn(m.join(' ')),
    error: (...m: unknown[]) => log.error(m.join(' ')),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/**
 * Registers every listener; each folder's index registers its own. With `inFlight`, each request's
 * listeners (which go on after their ack) are tracked, so a stopping process can finish them.
 */
export function registerListeners(app: App, ctx: SlackContext, inFlight?: InFlight): void {
  if (inFlight) app.use(({ next }) => inFlight.run(next));
  registerActions(app, ctx);
  registerViews(app, ctx);
  registerCommands(app, ctx);
  registerEvents(app, ctx);
}
