import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { packageRoot } from '../util/package-root.ts';
import type { OpenDatabase } from './connect.ts';

export const MIGRATIONS_DIR = join(packageRoot(import.meta.url), 'migrations');

export interface MigrationFile {
  name: string;
  script: string;
  checksum: string;
}

/** The `.sql` files of a folder, in name order (`0001_core.sql`, `0002_...`). */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(join(dir, name), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

/**
 * Whether every file is recorded as applied with its checksum: what nearly every start finds, in
 * two reads and without the lock or a write, so a read-only command changes nothing. Anything else
 * (a new database, a new file, a changed one) takes the full path below.
 */
async function isCurrent(database: OpenDatabase, files: readonly MigrationFile[]): Promise<boolean> {
  const table = await sql<{ present: boolean }>`SELECT to_regclass('recon_migrations') IS NOT NULL AS present`.execute(database.db);
  if (!table.rows[0]?.present) return false;
  const recorded = await sql<{ name: string; checksum: string }>`SELECT name, checksum FROM recon_migrations`.execute(database.db);
  const checksums = new Map(recorded.rows.map((row) => [row.name, row.checksum]));
  return files.every((file) => checksums.get(file.name) === file.checksum);
}

const LOCK_ID = 7_265_301; // any constant: serialises migrators of several replicas

/**
 * Applies the migrations not yet recorded, in order, each with its record in one transaction.
 * Refuses to run when an applied migration's file changed since: migrations are forward-only.
 */
export async function migrate(database: OpenDatabase, dir = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const files = await readMigrations(dir);
  if (await isCurrent(database, files)) return { applied: [] };
  // CREATE TABLE IF NOT EXISTS races between sessions on Postgres: take the lock first.
  await database.runScript(`
    BEGIN;
    SELECT pg_advisory_xact_lock(${LOCK_ID});
    CREATE TABLE IF NOT EXISTS recon_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    );
    COMMIT;`);
  const applied: string[] = [];
  for (const file of files) {
    const done = await sql<{ checksum: string }>`SELECT checksum FROM recon_migrations WHERE name = ${file.name}`.execute(database.db);
    const row = done.rows[0];
    if (row) {
      if (row.checksum !== file.checksum) {
        throw new Error(`migration ${file.name} changed after it was applied; add a new migration instead of editing it`);
      }
      continue;
    }
    const escaped = file.checksum.replace(/'/g, "''");
    // The lock and the re-check make a second replica that raced us skip the file instead of failing.
    const ran = await database.runScript(`
      BEGIN;
      SELECT pg_advisory_xact_lock(${LOCK_ID});
      DO $recon$ BEGIN
        IF EXISTS (SELECT 1 FROM recon_migrations WHERE name = '${file.name}') THEN
          RAISE EXCEPTION 'recon-migration-already-applied';
        END IF;
      END $recon$;
      ${file.script}
      ;
      INSERT INTO recon_migrations (name, checksum) VALUES ('${file.name}', '${escaped}');
      COMMIT;`).then(
      () => true,
      (error: Error) => {
        if (/recon-migration-already-applied/.test(error.message)) return false;
        throw new Error(`migration ${file.name} failed: ${error.message}`);
      },
    );
    if (ran) applied.push(file.name);
  }
  return { applied };
}
