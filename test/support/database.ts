/**
 * A migrated database of its own for a test file or the simulation: an embedded in-memory PGlite,
 * or a schema of its own on TEST_DATABASE_URL. Free of vitest, so scripts can open one too.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type OpenDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { SNAPSHOT_VARIABLE } from './global-setup.ts';

/** Set to run the storage tests on a real Postgres instead of the embedded one. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export interface TestDatabase extends OpenDatabase {
  /** The connection string of this file's schema on Postgres; undefined on the embedded database. */
  url: string | undefined;
  /** Empties every table, keeping the schema: cheaper than a new database per test. */
  reset(): Promise<void>;
  /** Opens another independent connection pool on the same data (a second replica). Postgres only. */
  replica(): Promise<OpenDatabase>;
}

const TABLES = ['forget_log', 'alerts', 'guard_spend', 'guard_checks', 'inbox', 'push_channels', 'inbox_dropped', 'fastloop_cursors', 'decision_log', 'schedule_slots', 'suppressions', 'review_items', 'changes', 'write_intents', 'discrepancies', 'runs', 'links', 'entities'];

/**
 * A migrated database for one test file: an embedded in-memory PGlite, or, when TEST_DATABASE_URL
 * is set, a schema of its own on that Postgres so files can run in parallel.
 */
export async function openTestDatabase(options: { migrationsDir?: string } = {}): Promise<TestDatabase> {
  let url: string | undefined;
  let dropSchema = async () => {};
  if (TEST_DATABASE_URL) {
    const schema = `recon_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const parsed = new URL(TEST_DATABASE_URL);
    parsed.searchParams.set('options', `-c search_path=${schema}`);
    url = parsed.toString();
    dropSchema = async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    };
  }
  // The run's migrated snapshot (test/support/global-setup.ts), unless the test brings its own migrations.
  const snapshotPath = !url && !options.migrationsDir ? process.env[SNAPSHOT_VARIABLE] : undefined;
  const snapshot = snapshotPath ? new Blob([await readFile(snapshotPath)]) : undefined;
  const database = await openDatabase({ url, embeddedDir: 'memory://', snapshot });
  await migrate(database, options.migrationsDir);
  return {
    ...database,
    url,
    async reset() {
      await sql.raw(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`).execute(database.db);
    },
    async replica() {
      if (!url) throw new Error('replicas need a real Postgres: set TEST_DATABASE_URL');
      return openDatabase({ url });
    },
    async close() {
      await database.close();
      await dropSchema();
    },
  };
}

/**
 * The test file's database: opened before its tests, emptied before each (before the file's own
 * beforeEach hooks, registered after this call), closed after them.
 */
