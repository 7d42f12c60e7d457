/**
 * Slack interaction scenarios. This process holds what `recon serve` holds: the Bolt app in HTTP
 * mode on loopback, the decisions, and (second scenario) a cycle, all on one thread with the
 * embedded database (or a real Postgres with BENCH_DATABASE_URL). The sandbox's Slack, Stripe and
 * HubSpot run in a second process; the person clicking in a third (bench/clicks.ts), which times
 * each click to its HTTP answer (the ack) as Slack would.
 *
 * Usage: tsx bench/slack-ack.ts [clicks] [customers]
 * - without `customers`: 1,000 signed Approve clicks, 10 at a time, on a quiet server (a 2,000-customer world).
 * - with `customers` (say 100000): the clicks arrive at a person's pace (5 a second, 10 at most in
 *   flight) while a full cycle of that world runs in this process at the vendors' documented rate
 *   limits, held there by Recon's own limiters. Reports the ack of the clicks sent while the cycle
 *   ran, and for every decision that called a vendor the time from its handler to its first vendor
 *   call: people go ahead of the cycle in the limiter.
 *
 * The world is linked first by a cycle with the limits lifted (so the scenario takes minutes, not
 * a quarter of an hour); the sandbox's own limits are off for the same reason.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { loadEnv } from '../src/config/env.ts';
import { loadPolicy } from '../src/config/load-policy.ts';
import { createHubSpotConnector } from '../src/connectors/hubspot/adapter.ts';
import { createStripeConnector } from '../src/connectors/stripe/adapter.ts';
import { cachedDescriptions, createDecisions } from '../src/decisions/service.ts';
import { runCycle, type CycleResult } from '../src/reconcile/cycle.ts';
import { cachedHealth } from '../src/reconcile/health.ts';
import { createLogger } from '../src/log.ts';
import { buildConnectors, openMigratedDatabase, storeFor } from '../src/main.ts';
import { createSlackApp, registerListeners } from '../src/slack/app.ts';
import { ACTIONS } from '../src/slack/ids.ts';
import { buildStatus } from '../src/slack/status-input.ts';
import { benchDatabase, percentile, sleep, startSandbox } from './support.ts';

const CLICKS = Number(process.argv[2] ?? 1000);
const CYCLE_CUSTOMERS = Number(process.argv[3] ?? 0);
const SECRET = 'bench-signing-secret';
const CLICKS_PER_SECOND = 5;

const sandbox = await startSandbox(
  ['--customers', String(CYCLE_CUSTOMERS || 2000), '--seed', '9', '--drift-rate', CYCLE_CUSTOMERS ? '0.0005' : '0.01', '--no-rate-limits'],
  { ...process.env, NODE_OPTIONS: '--max-old-space-size=6144' },
);
const bench = await benchDatabase('slack');
const logger = createLogger('error');

// Every decision runs inside this context; its first request to HubSpot records how long it waited.
const decisionContext = new AsyncLocalStorage<{ startedAt: number; called: boolean }>();
const decisionStartMs: number[] = [];
const vendorFetch = globalThis.fetch;
globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
  const decision = decisionContext.getStore();
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (decision && !decision.called && new URL(url).pathname.startsWith('/crm/')) {
    decision.called = true;
    decisionStartMs.push(performance.now() - decision.startedAt);
  }
  return vendorFetch(input, init);
}) as typeof fetch;

try {
  const env = loadEnv({
    ...sandbox.env, ...bench.env, PORT: '0', SLACK_SIGNING_SECRET: SECRET,
  });
  const policy = await loadPolicy('examples/recon.config.hubspot.yml');
  const database = await openMigratedDatabase(env, logger);
  const store = storeFor(database);
  // The world linked and its review items raised, with the rate limits lifted.
  const unlimited = {
    ...buildConnectors(env, policy, logger),
    stripe: createStripeConnector({ secretKey: 'sk_test_bench', apiUrl: sandbox.env.STRIPE_API_URL, crmSystem: 'hubspot', rateLimit: { requests: 1e6, perMs: 1000 }, endpointRateLimit: null, logger }),
    hubspot: createHubSpotConnector({ accessToken: 'pat-bench', apiUrl: sandbox.env.HUBSPOT_API_URL, rateLimit: { requests: 1e6, perMs: 10_000 }, searchRateLimit: { requests: 1e6, perMs: 1000 }, logger }),
  };
  process.stderr.write('  linking the world (limits lifted)...\n');
  await runCycle({ store, connectors: unlimited, policy, logger }, { full: true });
  const items = (await database.db.selectFrom('review_items').select('id').where('presentation', '=', 'message').where('status', '=', 'open').execute()).map((i) => String(i.id));
  if (!items.length) throw new Error('the first cycle raised no review items to click on');

  // From here on, as `recon serve` runs: one set of connectors at the documented limits, shared by cycles and decisions.
  const connectors = buildConnectors(env, policy, logger);
  const describe = cachedDescriptions(connectors);
  const slackApp = await createSlackApp({ env, logger });
  const { app, port } = slackApp;
  const decisions = createDecisions({ store, connectors, policy, logger, directory: { membersOf: (g) => port.membersOf(g) } });
  const health = cachedHealth(connectors);
  registerListeners(app, {
    database, policy, logger, slack: port, vocabularies: () => decisions.vocabularies(),
    decide: (request) => decisionContext.run({ startedAt: performance.now(), called: false }, () => decisions.decide(request)),
    runCycle: (o) => runCycle({ store, connectors, policy, logger, describe }, o), status: () => buildStatus({ database, policy, health }),
  });
  const server = await slackApp.start(0);
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/slack/events`;

  let cycle: Promise<{ result: CycleResult; startedAt: number; endedAt: number }> | null = null;
  if (CYCLE_CUSTOMERS) {
    process.stderr.write(`  a full cycle of ${CYCLE_CUSTOMERS.toLocaleString('en-US')} customers at the documented limits, ${CLICKS} clicks at ${CLICKS_PER_SECOND} a second beside it...\n`);
    const startedAt = Date.now();
    cycle = runCycle({ store, connectors, policy, logger, describe }, { full: true }).then((result) => ({ result, startedAt, endedAt: Date.now() }));
    // The cycle under way, its first pages in: the limiter is full.
    await sleep(5_000);
  }
  const clicked = await new Promise<{ sentAt: number[]; ackMs: number[]; statuses: Record<string, number> }>((resolve, reject) => {
    const options = { url, secret: SECRET, items, clicks: CLICKS, concurrency: 10, approve: ACTIONS.approve, ...(CYCLE_CUSTOMERS ? { perSecond: CLICKS_PER_SECOND } : {}) };
    execFile(process.execPath, ['--import', 'tsx', 'bench/clicks.ts', JSON.stringify(options)], { maxBuffer: 1 << 26 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string));
    });
  });
  // Each click ends in one decision_log row (decided, refused or already decided): wait for them all.
  const drainStarted = performance.now();
  for (;;) {
    const logged = await database.db.selectFrom('decision_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
    if (Number(logged?.n ?? 0) >= CLICKS || performance.now() - drainStarted > 300_000) break;
    await sleep(200);
  }
  const decisionsDrainedAfterMs = Math.round(performance.now() - drainStarted);
  const ran = cycle ? await cycle : null;
  await slackApp.stop();
  await database.close();

  // With a cycle: the clicks sent while it ran. Without: every click.
  const during = clicked.ackMs.filter((_, n) => !ran || ((clicked.sentAt[n] as number) >= ran.startedAt && (clicked.sentAt[n] as number) <= ran.endedAt)).sort((a, b) => a - b);
  decisionStartMs.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({
    scenario: CYCLE_CUSTOMERS ? 'slack-ack-during-cycle' : 'slack-ack', database: bench.name, clicks: CLICKS, items: items.length,
    measuredClicks: during.length, p50Ms: percentile(during, 50), p99Ms: percentile(during, 99), maxMs: percentile(during, 100),
    non200: Object.entries(clicked.statuses).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0), statuses: clicked.statuses,
    decisionStart: { decisions: decisionStartMs.length, p50Ms: percentile(decisionStartMs, 50), p99Ms: percentile(decisionStartMs, 99), maxMs: percentile(decisionStartMs, 100) },
    decisionsDrainedAfterMs,
    ...(ran ? {
      cycle: {
        customers: CYCLE_CUSTOMERS, seconds: +((ran.endedAt - ran.startedAt) / 1000).toFixed(1), apiCalls: ran.result.apiCalls,
        failed: ran.result.checks.reduce((n, c) => n + c.failed + (c.status === 'failed' ? 1 : 0), 0),
      },
    } : {}),
  })}\n`);
} finally {
  sandbox.process.kill('SIGTERM');
  await bench.remove();
}
