import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.ts';
import type { OpenDatabase } from '../../src/db/connect.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import { storeFor } from '../../src/main.ts';
import { silentLogger } from '../../src/log.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

// Advisory locks only contend between sessions of a real Postgres; PGlite is one session.
describe.runIf(TEST_DATABASE_URL)('two replicas on one Postgres', () => {
  let database: TestDatabase;
  let replica: OpenDatabase;
  let world: World;

  beforeAll(async () => {
    database = await openTestDatabase();
    replica = await database.replica();
    world = await startWorld(database, { customers: 200, seed: 3 }, { rateLimits: false, faults: { latencyMs: 20 } });
  });
  afterAll(async () => {
    await world.close();
    await replica.close();
    await database.close();
  });

  it('run the same check once at a time and write each fix once', async () => {
    const deps = { connectors: world.connectors, policy: world.policy, logger: silentLogger };
    const [a, b] = await Promise.all([
      runCycle({ ...deps, store: storeFor(database) }, { checks: ['payment-status'], full: true }),
      runCycle({ ...deps, store: storeFor(replica) }, { checks: ['payment-status'], full: true }),
    ]);
    const statuses = [a.checks[0]?.status, b.checks[0]?.status].sort();
    expect(statuses).toEqual(['skipped', 'succeeded']);
    const writes = world.scenario.state.writes.map((w) => w.id);
    expect(new Set(writes).size).toBe(writes.length);
    expect(writes.length).toBe(world.scenario.injected.filter((i) => i.check === 'payment-status' && i.expected === 'auto_fix').length);
  });
});

describe.runIf(TEST_DATABASE_URL)('replicas starting at once', () => {
  it('migrate a fresh schema once between them, without errors', async () => {
    const database = await openTestDatabase();
    try {
      // Every table of this schema, whatever the migrations have added since this test was written.
      const { rows } = await sql<{ tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`.execute(database.db);
      await sql.raw(`DROP TABLE IF EXISTS ${rows.map((r) => `"${r.tablename}"`).join(', ')} CASCADE`).execute(database.db);
      // And every function the migrations made in it (a trigger's, the vendor budget's).
      const functions = await sql<{ signature: string }>`
        SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema()`.execute(database.db);
      for (const { signature } of functions.rows) await sql.raw(`DROP FUNCTION IF EXISTS ${signature} CASCADE`).execute(database.db);
      const replicas = await Promise.all([database.replica(), database.replica(), database.replica()]);
      try {
        const results = await Promise.all(replicas.map((r) => migrate(r)));
        expect(results.flatMap((r) => r.applied).sort()).toEqual((await readMigrations()).map((m) => m.name));
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
    } finally {
      await database.close();
    }
  });
});
