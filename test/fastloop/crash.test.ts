/**
 * `recon serve` killed (SIGKILL) after storing a webhook event and while processing it: restarted,
 * it takes the event back and finishes it, and the CRM is written once.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { changeStripeSubscription, type StripeEvent } from '../../src/sandbox/state.ts';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { answers, servePort, START_WITHIN_MS, STOP_WITHIN_MS, startRecon, type ReconChild } from '../support/child.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY } from '../support/world.ts';

const SECRET = 'whsec_test_fast_loop_crash';
/** From a stored event to its CRM write (the fast loop holds a batch up to 5 s while webhooks pour in). */
const PROCESSED_WITHIN_MS = 60_000;

describe('recon serve killed while processing a webhook event', () => {
  const scenario = generateScenario({ customers: 60, seed: 5, now: Date.now() });
  let sandbox: RunningSandbox;
  let dbDir: string | null = null;
  let keyDir: string;
  let pgDatabase: TestDatabase | null = null;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let child: ReconChild | null = null;

  beforeAll(async () => {
    sandbox = await startSandbox(scenario.state, { rateLimits: false });
    keyDir = await mkdtemp(join(tmpdir(), 'recon-fastloop-crash-key-'));
    let database: Record<string, string>;
    if (TEST_DATABASE_URL) {
      pgDatabase = await openTestDatabase();
      database = { DATABASE_URL: pgDatabase.url ?? '' };
    } else {
      dbDir = await mkdtemp(join(tmpdir(), 'recon-fastloop-crash-'));
      database = { RECON_DB_DIR: dbDir };
    }
    env = {
      ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
      PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', PORT: '0', RECON_CONFIG: EXAMPLE_POLICY,
      STRIPE_SECRET_KEY: 'sk_test_fastloop_crash', STRIPE_API_URL: sandbox.stripeUrl, STRIPE_WEBHOOK_SECRET: SECRET,
      HUBSPOT_ACCESS_TOKEN: 'pat-test-fastloop-crash', HUBSPOT_API_URL: sandbox.hubspotUrl, HUBSPOT_APP_ID: String(scenario.state.hubspot.appId),
      ...database,
    };
  });

  afterAll(async () => {
    await child?.stop('SIGKILL');
    await sandbox.close();
    // The lock file sits beside the directory: a child killed at the wrong moment leaves it behind.
    if (dbDir) await Promise.all([rm(dbDir, { recursive: true, force: true }), rm(`${dbDir}.lock`, { force: true })]);
    await rm(keyDir, { recursive: true, force: true });
    await pgDatabase?.close();
  });

  /** Starts `recon serve` on a port of the kernel's choice and resolves once /healthz answers; fails with what serve printed if it does not. */
  async function serve(): Promise<ReconChild> {
    const started = startRecon(['serve'], env);
    child = started;
    port = await servePort(started);
    await started.waitUntil('GET /healthz to answer 200', () => answers(`http://127.0.0.1:${port}/healthz`), START_WITHIN_MS);
    return started;
  }

  async function inspect<T>(fn: (db: OpenDatabase) => Promise<T>): Promise<T> {
    const db = TEST_DATABASE_URL ? (pgDatabase as TestDatabase) : await openDatabase({ embeddedDir: dbDir ?? undefined });
    try {
      await migrate(db);
      return await fn(db);
    } finally {
      if (!TEST_DATABASE_URL) await db.close();
    }
  }

  it('takes the event back after a restart and writes the CRM once', async () => {
    const { stripe, hubspot } = scenario.state;
    const subscription = [...stripe.subscriptions.values()].find((s) => {
      const deal = hubspot.deals.get(stripe.customers.get(String(s.customer))?.metadata.crm_id ?? '');
      return s.status === 'active' && deal?.properties.dealstage === 'closedwon' && (deal.properties.amount === null || Number(deal.properties.amount) < 10_000)
        && !scenario.injected.some((i) => i.sourceId === s.customer || i.targetId === deal.id);
    })!;
    const dealId = stripe.customers.get(String(subscription.customer))?.metadata.crm_id as string;
    const first = await serve();

    // Killed as the CRM write goes out: the event was stored and claimed, its processing not finished.
    sandbox.faults.set({
      beforeWrite: () => {
        child?.process.kill('SIGKILL');
      },
    });
    changeStripeSubscription(scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    const body = JSON.stringify([...stripe.events.values()].at(-1) as StripeEvent);
    const t = Math.floor(Date.now() / 1000);
    const answer = await fetch(`http://127.0.0.1:${port}/webhooks/stripe`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}` },
    });
    expect(answer.status).toBe(200);
    expect((await first.waitForExit(PROCESSED_WITHIN_MS)).signal, first.stderr()).toBe('SIGKILL');
    sandbox.faults.set({});
    expect(await inspect((d) => d.db.selectFrom('inbox').select('status').execute())).toEqual([{ status: 'processing' }]);

    const second = await serve();
    // The embedded database is the running process's alone: its metrics say when the event is done.
    await second.waitUntil('the event to be processed (recon_fastloop_events_processed_total in /metrics)', async () => {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      return /^recon_fastloop_events_processed_total\{provider="stripe"/m.test(metrics);
    }, PROCESSED_WITHIN_MS);
    expect((await second.stop('SIGTERM', STOP_WITHIN_MS)).code, second.stderr()).toBe(0);
    expect(await inspect((d) => d.db.selectFrom('inbox').select('status').execute())).toEqual([{ status: 'done' }]);
    expect(hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedlost');
    expect(scenario.state.writes.filter((w) => w.id === dealId)).toHaveLength(1);
  }, 2 * START_WITHIN_MS + 2 * PROCESSED_WITHIN_MS + STOP_WITHIN_MS + 30_000);
});
