/**
 * Slack interaction scenario: `recon serve`'s Bolt app in HTTP mode on loopback, 1,000 correctly
 * signed Approve clicks (10 at a time) on real review items, against the sandbox's Slack, Stripe and
 * HubSpot. Prints p50/p99 time to the HTTP answer (the ack), in ms.
 *
 * The sandbox runs in a process of its own (`recon sandbox`), as Slack, Stripe and HubSpot are
 * elsewhere in production: this process holds only what `recon serve` holds.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '../src/config/env.ts';
import { loadPolicy } from '../src/config/load-policy.ts';
import { createDecisions } from '../src/decisions/service.ts';
import { runCycle } from '../src/reconcile/cycle.ts';
import { cachedHealth } from '../src/reconcile/health.ts';
import { createLogger } from '../src/log.ts';
import { buildConnectors, openMigratedDatabase, storeFor } from '../src/main.ts';
import { createSlackApp, registerListeners } from '../src/slack/app.ts';
import { ACTIONS } from '../src/slack/ids.ts';
import { buildStatus } from '../src/slack/status-input.ts';

const CLICKS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = 10;
const SECRET = 'bench-signing-secret';

const sandboxProcess = spawn(process.execPath, ['bin/recon.js', 'sandbox', '--customers', '2000', '--seed', '9', '--drift-rate', '0.01', '--no-rate-limits'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
// However this process ends, the sandbox ends with it.
process.once('exit', () => sandboxProcess.kill('SIGTERM'));
const sandbox = await new Promise<{ stripeUrl: string; hubspotUrl: string; slackUrl: string }>((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`the sandbox did not start within 60 s:\n${out}`)), 60_000);
  sandboxProcess.once('exit', (code) => reject(new Error(`the sandbox exited with ${code}:\n${out}`)));
  sandboxProcess.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const url = (name: string) => new RegExp(`${name}=(\\S+)`).exec(out)?.[1];
    const [stripeUrl, hubspotUrl, slackUrl] = [url('STRIPE_API_URL'), url('HUBSPOT_API_URL'), url('SLACK_API_URL')];
    if (stripeUrl && hubspotUrl && slackUrl) {
      clearTimeout(timer);
      resolve({ stripeUrl, hubspotUrl, slackUrl });
    }
  });
});
const dir = await mkdtemp(join(tmpdir(), 'recon-ack-'));
const logger = createLogger('error');
// BENCH_DATABASE_URL: measure on a real Postgres (a schema of its own, dropped at the end), as
// several replicas would run; by default, the embedded database in this process.
const pgUrl = process.env.BENCH_DATABASE_URL || undefined;
const schema = `recon_bench_${process.pid}`;
const admin = async (statement: string) => {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
};
let databaseUrl: string | undefined;
if (pgUrl) {
  await admin(`CREATE SCHEMA ${schema}`);
  const parsed = new URL(pgUrl);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  databaseUrl = parsed.toString();
}
const env = loadEnv({
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { RECON_DB_DIR: join(dir, 'db') }), PORT: '0', STRIPE_SECRET_KEY: 'sk_test_bench', STRIPE_API_URL: sandbox.stripeUrl,
  HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_API_URL: sandbox.hubspotUrl, SLACK_BOT_TOKEN: 'xoxb-test-bench',
  SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: sandbox.slackUrl,
});
const policy = await loadPolicy('examples/recon.config.hubspot.yml');
const database = await openMigratedDatabase(env, logger);
const connectors = buildConnectors(env, policy, logger);
const store = storeFor(database);
await runCycle({ store, connectors, policy, logger }, { full: true });
const items = await database.db.selectFrom('review_items').select('id').where('presentation', '=', 'message').execute();
const slackApp = await createSlackApp({ env, logger });
const { app, port } = slackApp;
const decisions = createDecisions({ store, connectors, policy, logger, directory: { membersOf: (g) => port.membersOf(g) } });
const vocabularies = () => decisions.vocabularies();
const health = cachedHealth(connectors);
registerListeners(app, {
  database, policy, logger, slack: port, vocabularies, decide: (request) => decisions.decide(request),
  runCycle: (o) => runCycle({ store, connectors, policy, logger }, o), status: () => buildStatus({ database, policy, health }),
});
const server = await slackApp.start(0);
const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/slack/events`;

function signedClick(n: number): { body: string; headers: Record<string, string> } {
  const item = items[n % items.length]?.id ?? '0';
  const payload = {
    type: 'block_actions', user: { id: n % 2 ? 'U0OPSLEAD' : 'U0STRANGER', username: 'ops', team_id: 'T0RECON' }, team: { id: 'T0RECON', domain: 'recon' },
    api_app_id: 'A0RECON', token: 'legacy', trigger_id: `${n}.1.abc`, channel: { id: 'C0REVIEW', name: 'review' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0REVIEW', is_ephemeral: false },
    message: { type: 'message', ts: '1700000000.000100', text: 'escalation' }, response_url: 'https://hooks.slack.com/actions/T/1/x',
    actions: [{ type: 'button', action_id: ACTIONS.approve, block_id: 'actions', value: item, action_ts: '1700000000.1' }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } };
}

const timings: number[] = [];
let failures = 0;
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < CLICKS) {
      const { body, headers } = signedClick(next++);
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', body, headers });
      await response.arrayBuffer();
      timings.push(performance.now() - started);
      if (response.status !== 200) failures++;
    }
  }),
);
// Each click ends in one decision_log row (decided, refused or already decided): wait for them all.
const drainStarted = performance.now();
for (;;) {
  const logged = await database.db.selectFrom('decision_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  if (Number(logged?.n ?? 0) >= CLICKS || performance.now() - drainStarted > 120_000) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const drainedMs = Math.round(performance.now() - drainStarted);
await slackApp.stop();
await database.close();
sandboxProcess.kill('SIGTERM');
if (pgUrl) await admin(`DROP SCHEMA ${schema} CASCADE`);
await rm(dir, { recursive: true, force: true });
timings.sort((a, b) => a - b);
const at = (p: number) => +(timings[Math.min(timings.length - 1, Math.ceil((p / 100) * timings.length) - 1)] as number).toFixed(1);
process.stdout.write(`${JSON.stringify({ scenario: 'slack-ack', database: pgUrl ? 'postgres' : 'embedded', clicks: CLICKS, concurrency: CONCURRENCY, p50Ms: at(50), p99Ms: at(99), maxMs: at(100), non200: failures, decisionsDrainedAfterMs: drainedMs })}\n`);
