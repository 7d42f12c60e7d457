import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql } from 'kysely';
import { openDatabase } from '../../db/connect.ts';
import { channelDirectory, renewChannels } from '../../fastloop/channels.ts';
import { coalescedInserts } from '../../db/repositories/inbox.ts';
import { enabledProviders, WEBHOOK_PATHS, webhookSecrets } from '../../fastloop/ingest.ts';
import { webhookRoutes } from '../../fastloop/routes.ts';
import { startFastLoop } from '../../fastloop/runtime.ts';
import { processEvent, subjectKey } from '../../reconcile/event.ts';
import { createMetrics } from '../../metrics.ts';
import { postDigest } from '../../digest/post.ts';
import { cachedDescriptions, createDecisions } from '../../decisions/service.ts';
import { runCycle, type CycleOptions } from '../../reconcile/cycle.ts';
import { cachedHealth } from '../../reconcile/health.ts';
import { closeServer, createRouteServer, listen, sendAnswer, type Route } from '../../http/routes.ts';
import { InFlight } from '../../jobs/in-flight.ts';
import { startSchedules } from '../../jobs/schedules.ts';
import { createAlertWatcher } from '../../jobs/alerts.ts';
import { DEFAULT_RETENTION, prune, type Retention } from '../../db/repositories/retention.ts';
import type { Policy } from '../../config/policy.ts';
import { buildConnectors, openMigratedDatabase, sharedBudgets, storeFor } from '../../main.ts';
import { createSlackApp, registerListeners } from '../../slack/app.ts';
import { postEscalations } from '../../slack/posting.ts';
import { buildStatus } from '../../slack/status-input.ts';
import { loadConfiguredPolicy, type CommandContext } from '../context.ts';
import { readOnlyApi, readOnlyRoutes, type ReadOnlyApi } from '../read-api.ts';
import { databaseReports } from '../reports.ts';
import { newServeToken, publishServeFile } from '../serve-file.ts';

/** How long a stopping process waits for decisions and cycles under way (orchestrators allow ~30 s). */
const DRAIN_MS = 25_000;
/** Connections kept for storing webhooks, on Postgres. */
const INGEST_CONNECTIONS = 4;
/** A change younger than this may still be on its way through the fast loop: a cycle does not count it as missed. */
export const FAST_LOOP_DELAY_MS = 5 * 60_000;
/** How often `recon serve` looks at the push channels' expiry. */
const CHANNEL_RENEW_EVERY_MS = 6 * 3_600_000;

/**
 * The long-running process: the Slack app, the schedules, `GET /healthz` and `GET /metrics` on
 * PORT. Stops cleanly on SIGINT or SIGTERM.
 */
export async function serveCommand(ctx: CommandContext): Promise<number> {
  const { env, logger } = ctx;
  const policy = await loadConfiguredPolicy(env);
  // On Postgres, every replica takes its vendor requests from one budget per credential (people first, fleet-wide).
  const budgets = sharedBudgets(env, logger);
  const connectors = buildConnectors(env, policy, logger, budgets.limiters);
  // For `recon status`, `queue`, `log` and `show` while this process holds the embedded database.
  const readToken = newServeToken();
  let readApi: ReadOnlyApi | null = null;
  let inserts: ReturnType<typeof coalescedInserts> | null = null;
  // The bot token is checked with Slack (auth.test) before the database opens: a refused token stops here.
  const slackApp = env.SLACK_BOT_TOKEN ? await createSlackApp({ env, logger, routes: routes() }) : null;
  const database = await openMigratedDatabase(env, logger);
  // On Postgres, webhooks are stored through connections of their own: a 200 never waits for a
  // connection the fast loop or a cycle holds. The embedded database is one connection anyway.
  const ingest = database.kind === 'postgres' ? await openDatabase({ url: env.DATABASE_URL, poolSize: INGEST_CONNECTIONS }) : database;
  readApi = readOnlyApi(databaseReports(database.db, database.describe), readToken);
  budgets.recordThrottlesIn(database);
  const metrics = createMetrics({ db: database.db, connectors });
  budgets.observe(metrics.budgets);
  const webhooks = webhookSecrets(env, Object.keys(connectors));
  for (const problem of webhooks.problems) logger.warn(problem);
  const webhookSystems = enabledProviders(webhooks.secrets);
  const fastLoopCoverage = { systems: webhookSystems, since: Date.now(), delayMs: FAST_LOOP_DELAY_MS };
  const channels = channelDirectory(database.db);

  const store = storeFor(database);
  // One cache of what each system has, for the cycles' policy check and the decisions' Override check.
  const describe = cachedDescriptions(connectors);
  const decisions = createDecisions({
    store, connectors, policy, logger, describe,
    directory: { membersOf: (group) => (slackApp ? slackApp.port.membersOf(group) : Promise.resolve([])) },
  });
  const vocabularies = () => decisions.vocabularies();
  // Read now, so the first Override modal opens within its three-second trigger.
  void vocabularies();
  const health = cachedHealth(connectors);
  // Decisions go on after their ack and cycles take minutes: a stopping process finishes them first.
  const inFlight = new InFlight();
  const runAndPost = (options: CycleOptions) => inFlight.run(() => cycleAndPost(options));
  // Recon's own health, posted once per change of state to the alert channel (the review channel by default).
  const alerts = createAlertWatcher({
    store, slack: slackApp?.port ?? null, channel: policy.slack?.alertChannel ?? policy.slack?.reviewChannel ?? null,
    thresholds: { failingCycles: policy.alerts?.failingCycles, deadLetters: policy.alerts?.deadLetters, missedShare: policy.alerts?.missedShare, throttledPerHour: policy.alerts?.throttledPerHour },
    webhooksOn: webhookSystems, logger: logger.child({ part: 'alerts' }),
  });
  const watch = (judge: () => Promise<unknown>) => judge().catch((error: unknown) => logger.error({ err: error }, 'could not judge Recon\'s health for alerts'));
  const cycleAndPost = async (options: CycleOptions) => {
    const result = await runCycle({ store, connectors, policy, logger, describe, fastLoop: fastLoopCoverage }, options).catch(async (error: unknown) => {
      if (!options.dryRun) await watch(() => alerts.cycleStopped(error));
      throw error;
    });
    if (!options.dryRun) await watch(() => alerts.cycleFinished(result.checks));
    metrics.cycleFinished(result);
    if (!options.dryRun) await post(result.checks.map((c) => ({ name: c.check, found: c.discrepancies.total, autoFixed: c.autoFixed, escalated: c.escalated })));
    return result;
  };
  const post = async (checks: Parameters<typeof postEscalations>[1]) => {
    if (!slackApp || !policy.slack) return;
    await postEscalations({ db: database.db, slack: slackApp.port, channel: policy.slack.reviewChannel, vocabularies: await vocabularies(), logger }, checks);
  };
  // The fast loop: stored webhook events processed one way by the same rules, missed Stripe events replayed.
  const fastLoop = startFastLoop({
    db: database.db,
    connectors,
    logger: logger.child({ loop: 'fast' }),
    process: (event) => processEvent({ store, connectors, policy, logger, describe, fastLoop: fastLoopCoverage }, event),
    subjectKey,
    replaySystems: webhookSystems.filter((system) => connectors[system]?.replay),
    postEscalations: () => inFlight.run(() => post([])),
    onProcessed: (event, result, error) => metrics.eventProcessed(event, result, error),
  });
  // Google Calendar's channel, once `recon calendar watch` opened it, renewed before it expires (one replica at a time).
  const channelToken = webhooks.secrets.google_calendar?.channelToken;
  const renewal = channelToken && env.RECON_PUBLIC_URL
    ? (() => {
        const address = `${env.RECON_PUBLIC_URL.replace(/\/$/, '')}${WEBHOOK_PATHS.google_calendar}`;
        const renew = () => inFlight.run(() => store.withLock('recon:push-channels', () => renewChannels({ db: database.db, connectors, address, token: channelToken, logger, onlyOpen: true })))
          .catch((error: unknown) => logger.error({ err: error }, 'the Google Calendar channel could not be renewed; tried again in six hours (recon calendar watch renews it now)'));
        void renew();
        const timer = setInterval(() => void renew(), CHANNEL_RENEW_EVERY_MS);
        timer.unref();
        return timer;
      })()
    : null;
  const status = () => buildStatus({ database, policy, health, webhooksOn: webhookSystems });
  // Between cycles: dead letters and guard holds are noticed within a minute.
  const looking = setInterval(() => void inFlight.run(() => watch(() => alerts.look())), policy.alerts?.every ?? 60_000);
  looking.unref();

  let stopServer: () => Promise<void>;
  let port: number;
  if (slackApp) {
    registerListeners(slackApp.app, { database, policy, logger, slack: slackApp.port, decide: (request) => decisions.decide(request), vocabularies, runCycle: runAndPost, status }, inFlight);
    port = portOf(await slackApp.start(env.PORT), env.PORT);
    stopServer = () => slackApp.stop();
    logger.info({ port, mode: slackApp.mode, botUserId: slackApp.bot.userId, webhooks: webhookSystems }, 'recon serve: Slack app listening');
  } else {
    const server = await listen(createRouteServer(routes(), { logger }), env.PORT);
    port = portOf(server, env.PORT);
    stopServer = () => closeServer(server);
    logger.warn({ port, webhooks: webhookSystems }, 'recon serve: SLACK_BOT_TOKEN is not set; serving health, metrics and webhooks, with no Slack app');
  }
  // The embedded database is this process's alone: the read-only commands find it through this file.
  const unpublish = database.kind === 'pglite' ? await publishServeFile(env.RECON_DB_DIR, { port, token: readToken }) : async () => {};

  const schedules = startSchedules(policy, database.db, {
    reconcile: () => runAndPost({}),
    full: () => runAndPost({ full: true }),
    digest: slackApp && policy.slack
      ? () => inFlight.run(() => postDigest({ db: database.db, slack: slackApp.port, channel: policy.slack?.digestChannel as string, logger, timeZone: policy.schedule?.timezone, fastLoop: { systems: webhookSystems } }))
      : undefined,
    prune: () => inFlight.run(async () => {
      const pruned = await prune(database.db, retentionOf(policy), new Date());
      logger.info({ pruned }, 'pruned history past the retention period');
    }),
  }, logger);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ inFlight: inFlight.size }, 'recon serve: stopping; finishing decisions and cycles under way');
  await schedules.stop();
  await stopServer();
  await fastLoop.stop();
  if (renewal) clearInterval(renewal);
  clearInterval(looking);
  await unpublish();
  const unfinished = await inFlight.drain(DRAIN_MS);
  if (unfinished) logger.warn({ unfinished }, 'recon serve: stopped with work unfinished; the next cycle settles its writes');
  if (ingest !== database) await ingest.close();
  await budgets.close();
  await database.close();
  return 0;

  function routes(): Route[] {
    return [
      {
        path: '/healthz',
        method: 'GET',
        handler: (_req: IncomingMessage, res: ServerResponse) => {
          sql`SELECT 1`.execute(database.db).then(
            () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, database: database.describe })),
            (error: Error) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: error.message })),
          );
        },
      },
      {
        path: '/metrics',
        method: 'GET',
        handler: (_req: IncomingMessage, res: ServerResponse) => {
          metrics.render().then(
            (text) => sendAnswer(res, 200, text, { 'content-type': metrics.registry.contentType }),
            (error: Error) => sendAnswer(res, 503, `metrics unavailable: ${error.message}\n`),
          );
        },
      },
      ...readOnlyRoutes((request) => (readApi ? readApi(request) : Promise.resolve({ status: 503, body: { error: 'starting' } }))),
      ...webhookRoutes({
        get db() {
          return ingest.db;
        },
        policy,
        get secrets() {
          return webhooks.secrets;
        },
        logger: logger.child({ loop: 'fast' }),
        openChannels: (asked) => channels(asked),
        observe: (provider, type, outcome) => metrics.webhookReceived(provider, type, outcome),
        stored: () => fastLoop.notify(),
        // Requests that arrive together are stored by one insert and one commit.
        insert: (events) => (inserts ??= coalescedInserts(ingest.db))(events),
      }),
    ];
  }
}

/** The port a server listens on (PORT=0 picks one). */
function portOf(server: { address(): unknown }, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null && 'port' in address ? Number((address as { port: number }).port) : fallback;
}

/** The policy's retention, with the defaults (history at least as long as payloads). */
export function retentionOf(policy: Policy): Retention {
  const days = policy.retention?.days ?? DEFAULT_RETENTION.days;
  return { days, historyDays: policy.retention?.historyDays ?? Math.max(DEFAULT_RETENTION.historyDays, days) };
}
