import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { RUN_WITHIN_MS, startRecon, type ReconChild } from '../support/child.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY } from '../support/world.ts';

/**
 * The process is killed (SIGKILL) while HubSpot applies its first batch of fixes, after the
 * writes left but before their outcome was logged. A rerun must settle those writes from the
 * sandbox's real state and write nothing twice.
 */
describe('a cycle killed in the middle of applying', () => {
  const scenario = generateScenario({ customers: 400, seed: 11, now: Date.now(), driftRate: 0.02 });
  let sandbox: RunningSandbox;
  let dbDir: string | null = null;
  let keyDir: string | null = null;
  let pgDatabase: TestDatabase | null = null;
  let childEnv: NodeJS.ProcessEnv;
  let child: ReconChild | null = null;

  beforeAll(async () => {
    sandbox = await startSandbox(scenario.state, { rateLimits: false });
    let database: { DATABASE_URL?: string; RECON_DB_DIR?: string };
    if (TEST_DATABASE_URL) {
      pgDatabase = await openTestDatabase();
      database = { DATABASE_URL: pgDatabase.url ?? '' };
    } else {
      dbDir = await mkdtemp(join(tmpdir(), 'recon-crash-'));
      database = { RECON_DB_DIR: dbDir };
    }
    keyDir = await mkdtemp(join(tmpdir(), 'recon-crash-key-'));
    childEnv = {
      ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'silent',
      RECON_CONFIG: EXAMPLE_POLICY,
      STRIPE_SECRET_KEY: 'sk_test_recon_crash',
      STRIPE_API_URL: sandbox.stripeUrl,
      HUBSPOT_ACCESS_TOKEN: 'pat-test-crash',
      HUBSPOT_API_URL: sandbox.hubspotUrl,
      HUBSPOT_APP_ID: String(scenario.state.hubspot.appId),
      ...database,
    };
  });

  afterAll(async () => {
    await child?.stop('SIGKILL');
    await sandbox.close();
    // The lock file sits beside the directory: a child killed at the wrong moment leaves it behind.
    if (dbDir) await Promise.all([rm(dbDir, { recursive: true, force: true }), rm(`${dbDir}.lock`, { force: true })]);
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
    await pgDatabase?.close();
  });

  /** One `recon run` to its end (or its kill); a run that outlasts its bound fails with what it printed. */
  const run = () => {
    child = startRecon(['run', '--json'], childEnv);
    return child.waitForExit(RUN_WITHIN_MS);
  };

  async function inspect(fn: (db: OpenDatabase) => Promise<void>) {
    const db = TEST_DATABASE_URL ? (pgDatabase as TestDatabase) : await openDatabase({ embeddedDir: dbDir ?? undefined });
    try {
      await migrate(db);
      await fn(db);
    } finally {
      if (!TEST_DATABASE_URL) await db.close();
    }
  }

  it('settles the interrupted writes on rerun, writing each record once and logging each write once', async () => {
    let killed = false;
    sandbox.faults.set({
      beforeWrite: () => {
        if (!killed && child) {
          killed = true;
          child.process.kill('SIGKILL');
        }
      },
    });
    const first = await run();
    expect(first.signal, child?.stderr()).toBe('SIGKILL');
    const landed = scenario.state.writes.length;
    expect(landed).toBeGreaterThan(0);

    await inspect(async ({ db }) => {
      expect(await db.selectFrom('changes').selectAll().where('outcome', '=', 'applied').execute()).toEqual([]);
      expect((await db.selectFrom('write_intents').selectAll().where('settled_at', 'is', null).execute()).length).toBe(landed);
    });

    sandbox.faults.set({});
    const second = await run();
    expect(second.code, child?.stderr()).toBe(0);

    const safe = scenario.injected.filter((i) => i.expected === 'auto_fix').map((i) => i.targetId).sort();
    const writtenIds = scenario.state.writes.map((w) => w.id);
    expect([...writtenIds].sort()).toEqual(safe);
    expect(new Set(writtenIds).size).toBe(writtenIds.length);

    await inspect(async ({ db }) => {
      const applied = await db.selectFrom('changes').selectAll().where('outcome', '=', 'applied').execute();
      expect(applied.map((c) => c.external_id).sort()).toEqual([...writtenIds].sort());
      for (const change of applied) {
        const deal = scenario.state.hubspot.deals.get(change.external_id);
        expect(deal?.properties.dealstage).toBe(change.after);
      }
      expect(await db.selectFrom('write_intents').selectAll().where('settled_at', 'is', null).execute()).toEqual([]);
    });
  }, 2 * RUN_WITHIN_MS + 30_000);
});
