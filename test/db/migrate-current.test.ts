import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../src/db/migrate.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.ts';

describe(`migrating a database that is already current on ${TEST_DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`, () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recon-migrate-current-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    database = await openTestDatabase({ migrationsDir: dir });
  });
  afterAll(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs no script and applies nothing, so a read-only command writes nothing', async () => {
    const scripts: string[] = [];
    const watched = { ...database, runScript: async (script: string) => void scripts.push(script) };
    expect(await migrate(watched, dir)).toEqual({ applied: [] });
    expect(scripts).toEqual([]);
  });

  it('still refuses a migration edited after it was applied', async () => {
    const [first] = await readMigrations(dir);
    await appendFile(join(dir, first?.name ?? ''), '\n-- edited\n');
    await expect(migrate(database, dir)).rejects.toThrow(`migration ${first?.name} changed after it was applied`);
  });
});
