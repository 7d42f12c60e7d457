/**
 * Once per test run: an embedded database, migrated, saved as a snapshot that each test file's
 * database starts from. Creating a PGlite cluster costs one to two seconds; loading its files, a
 * few hundred milliseconds, and the suite opens one per file. And dist/ brought up to date, for
 * the tests that run `recon` as a child process.
 */
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';

export const SNAPSHOT_VARIABLE = 'RECON_TEST_PGLITE_SNAPSHOT';

export default async function setup(): Promise<() => Promise<void>> {
  // Tests that start `recon` in a child process run dist/: rebuild it when a source changed since
  // (bin/recon.js would otherwise run the sources through tsx, correct but slow to start).
  const build = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`scripts/build.js --if-stale failed with exit code ${build.status}`);
  if (process.env.TEST_DATABASE_URL) return async () => {};
  const database = await openDatabase({ embeddedDir: 'memory://' });
  await migrate(database);
  const snapshot = await database.snapshot?.();
  await database.close();
  if (!snapshot) return async () => {};
  const path = join(tmpdir(), `recon-test-snapshot-${process.pid}.tar`);
  await writeFile(path, Buffer.from(await snapshot.arrayBuffer()));
  process.env[SNAPSHOT_VARIABLE] = path;
  return async () => {
    await rm(path, { force: true });
  };
}
