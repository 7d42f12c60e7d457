import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.ts';

const MIGRATIONS = join(import.meta.dirname, '../../migrations');

/** A database as a release with only the first migrations left it. */
async function databaseAt(names: string[]): Promise<{ database: TestDatabase; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'recon-migrations-'));
  for (const name of names) await copyFile(join(MIGRATIONS, name), join(dir, name));
  const database = await openTestDatabase({ migrationsDir: dir });
  return { database, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

describe(`upgrading a database on ${TEST_DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`, () => {
  let database: TestDatabase;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ database, cleanup } = await databaseAt(['0001_core.sql', '0002_slack.sql']));
  });
  afterAll(async () => {
    await database.close();
    await cleanup();
  });

  it('supersedes failed items whose fingerprint was opened again, keeping one item per fingerprint', async () => {
    const row = (fingerprint: string, status: string) => ({
      fingerprint, check_name: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', reason: 'high_value',
      presentation: 'message' as const, entity_key: 'e', status: status as 'open', decided_by: status === 'deciding' ? 'U1' : null,
    });
    const inserted = await database.db
      .insertInto('review_items')
      .values([row('a', 'failed'), row('a', 'open'), row('b', 'failed'), row('c', 'failed'), row('c', 'failed'), row('d', 'deciding'), row('e', 'failed'), row('e', 'ignored')])
      .returning(['id', 'fingerprint'])
      .execute();
    expect(inserted).toHaveLength(8);

    expect((await migrate(database, MIGRATIONS)).applied).toEqual((await readMigrations(MIGRATIONS)).map((m) => m.name).slice(2));

    const after = await database.db.selectFrom('review_items').select(['fingerprint', 'status', 'claimed_at']).orderBy('id').execute();
    expect(after.map((r) => [r.fingerprint, r.status])).toEqual([
      ['a', 'superseded'], ['a', 'open'], ['b', 'failed'], ['c', 'superseded'], ['c', 'failed'], ['d', 'deciding'],
      // A failed item whose fingerprint a newer item took on (here ignored) is not brought back.
      ['e', 'superseded'], ['e', 'ignored'],
    ]);
    expect(after[5]?.claimed_at).not.toBeNull();
    await expect(database.db.insertInto('review_items').values(row('b', 'open')).execute()).rejects.toThrow(/review_items_one_open|unique/i);
  });
});
