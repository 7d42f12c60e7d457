import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Env } from '../config/env.ts';
import { ConfigError } from '../config/errors.ts';
import { errorMessage, ReconError } from '../domain/errors.ts';
import { closeServer, createRouteServer, listen, type Route } from '../http/routes.ts';
import type { InFlight } from '../jobs/in-flight.ts';
import type { Logger } from '../log.ts';
import { registerActions } from './actions/index.ts';
import type { SlackContext } from './context.ts';
import { registerCommands } from './commands/index.ts';
import { registerEvents } from './events/index.ts';
import { SLACK_RETRIES, webClientPort, type SlackPort } from './port.ts';
import { ReconReceiver, type ReconReceiverOptions } from './receiver.ts';
import { registerViews } from './views/index.ts';

export interface SlackAppOptions {
  env: Env;
  logger: Logger;
  /** Extra HTTP routes (health, metrics, webhooks): beside /slack/events in HTTP mode, on PORT in Socket Mode. */
  routes?: readonly Route[];
  /** Pace messages to Slack's one per second per channel. Default true; off against a sandbox without limits. */
  pacePerChannel?: boolean;
  /** The HTTP receiver's limits and clock, for tests. */
  receiver?: Pick<ReconReceiverOptions, 'ackTimeoutMs' | 'bodyLimitBytes' | 'now'>;
}

/** The bot as Slack knows it, from `auth.test`: Bolt needs its ids to ignore the app's own events. */
export interface BotIdentity {
  userId: string;
  botId: string;
  teamId: string;
}

export interface SlackApp {
  app: App;
  port: SlackPort;
  bot: BotIdentity;
  mode: 'http' | 'socket';
  /**
   * Listens on `port`: in HTTP mode Slack's requests and the routes; in Socket Mode it connects to
   * Slack and serves the routes there. Resolves with the HTTP server.
   */
  start(port: number): Promise<Server>;
  stop(): Promise<void>;
}

/**
 * One Bolt app. HTTP mode (`POST /slack/events` through Recon's own receiver, verified with
 * SLACK_SIGNING_SECRET) or Socket Mode (SLACK_APP_TOKEN). The bot's ids come from `auth.test`,
 * once, here: a token Slack refuses stops the start with one line. Answers right after `ack()`.
 */
export async function createSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const { env } = options;
  const token = env.SLACK_BOT_TOKEN;
  if (!token) throw new ConfigError('SLACK_BOT_TOKEN is not set: recon serve needs the bot token (xoxb-...) of the app created from manifest.yml');
  if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    throw new ConfigError('set SLACK_SIGNING_SECRET (HTTP mode, POST /slack/events) or SLACK_APP_TOKEN (Socket Mode)');
  }
  const log = options.logger.child({ component: 'slack' });
  const bot = await botIdentity(token, env.SLACK_API_URL, log);
  const socketMode = !env.SLACK_SIGNING_SECRET && Boolean(env.SLACK_APP_TOKEN);
  const routes = options.routes ?? [];
  const receiver = socketMode
    ? undefined
    : new ReconReceiver({ signingSecret: env.SLACK_SIGNING_SECRET as string, logger: options.logger, routes, ...options.receiver });
  const app = new App({
    token,
    ...(receiver ? { receiver } : { socketMode: true, appToken: env.SLACK_APP_TOKEN }),
    tokenVerificationEnabled: false,
    botId: bot.botId,
    botUserId: bot.userId,
    processBeforeResponse: false,
    // Retries (429s, 5xx) end within five minutes, inside a posting lease (posting.ts).
    clientOptions: { retryConfig: SLACK_RETRIES, ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}) },
    logger: slackLogger(log),
  });
  app.error(async (error) => {
    log.error({ err: error }, 'a Slack listener failed');
  });
  const port = webClientPort(app.client, { pacePerChannel: options.pacePerChannel ?? true, logger: log });
  if (receiver) {
    return { app, port, bot, mode: 'http', start: (at) => app.start(at) as Promise<Server>, stop: () => app.stop() as Promise<void> };
  }
  // Socket Mode takes Slack's requests over the socket; the routes still need an HTTP port.
  const routeServer = createRouteServer(routes, { logger: log });
  return {
    app, port, bot, mode: 'socket',
    async start(at) {
      await listen(routeServer, at);
      try {
        await app.start();
      } catch (error) {
        await closeServer(routeServer);
        throw error;
      }
      return routeServer;
    },
    async stop() {
      await Promise.all([app.stop() as Promise<void>, closeServer(routeServer)]);
    },
  };
}

/** Errors of `auth.test` that mean the token itself is wrong, not that Slack could not be reached. */
const REFUSED_TOKEN = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type', 'no_permission', 'org_login_required', 'ekm_access_denied']);

/** `auth.test` for the bot token: its user and bot ids, or a coded error that says what to fix. */
export async function botIdentity(token: string, slackApiUrl: string | undefined, log: Logger): Promise<BotIdentity> {
  // A few quick retries: a start should fail within seconds, not after the five minutes posting allows.
  const client = new WebClient(token, {
    retryConfig: { retries: 2, minTimeout: 500, maxTimeout: 2_000 }, timeout: 10_000, logger: slackLogger(log), ...(slackApiUrl ? { slackApiUrl } : {}),
  });
  let who: Awaited<ReturnType<WebClient['auth']['test']>>;
  try {
    who = await client.auth.test();
  } catch (error) {
    const slackError = (error as { code?: string; data?: { error?: string } }).code === 'slack_webapi_platform_error' ? (error as { data?: { error?: string } }).data?.error : undefined;
    if (slackError !== undefined && REFUSED_TOKEN.has(slackError)) {
      throw new ConfigError(`Slack refused SLACK_BOT_TOKEN (auth.test: ${slackError}): set the bot token (xoxb-...) of the app installed from manifest.yml`, { code: 'slack.token_refused' });
    }
    throw new ReconError('slack.unreachable', `could not check SLACK_BOT_TOKEN with Slack (auth.test at ${slackApiUrl ?? 'https://slack.com/api/'}): ${slackError ?? errorMessage(error)}`, {
      hint: 'check the network, or SLACK_API_URL if it is set', cause: error,
    });
  }
  if (!who.user_id || !who.bot_id) {
    throw new ConfigError('SLACK_BOT_TOKEN is not a bot token (auth.test names no bot): set the xoxb-... token of the app installed from manifest.yml', { code: 'slack.not_a_bot_token' });
  }
  return { userId: who.user_id, botId: who.bot_id, teamId: who.team_id ?? '' };
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
