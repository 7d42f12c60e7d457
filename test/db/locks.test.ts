import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../../src/db/connect.ts';
import { withAdvisoryLock } from '../../src/db/locks.ts';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.ts';

/** Holds `name` on `database` until `release` is called; resolves once it is held (or refused). */
function hold(database: OpenDatabase, name: string): { held: Promise<boolean>; release: () => void } {
  let release = () => {};
  let held!: (got: boolean) => void;
  const heldPromise = new Promise<boolean>((resolve) => (held = resolve));
  const done = new Promise<void>((resolve) => (release = resolve));
  void withAdvisoryLock(database, name, async () => {
    held(true);
    await done;
  }).then((result) => {
    if (!result) held(false);
  });
  return { held: heldPromise, release: () => release() };
}

describe.skipIf(!TEST_DATABASE_URL)('advisory locks on one Postgres database', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  beforeAll(async () => {
    [first, second] = await Promise.all([openTestDatabase(), openTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close()]);
  });

  it('are taken in two schemas at once: each installation has its own', async () => {
    const a = hold(first, 'recon:check:payment-status');
    const b = hold(second, 'recon:check:payment-status');
    expect(await Promise.all([a.held, b.held])).toEqual([true, true]);
    a.release();
    b.release();
  });

  it('exclude a replica on the same schema', async () => {
    const replica = await first.replica();
    const a = hold(first, 'recon:check:booking-stage');
    expect(await a.held).toBe(true);
    expect(await withAdvisoryLock(replica, 'recon:check:booking-stage', async () => 'ran')).toBeNull();
    a.release();
    await replica.close();
  });
});
