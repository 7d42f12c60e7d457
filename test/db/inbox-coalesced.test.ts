import { describe, expect, it, vi } from 'vitest';
import { coalescedInserts } from '../../src/db/repositories/inbox.ts';
import type { InboxEvent } from '../../src/domain/events.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

const event = (id: string): InboxEvent => ({
  provider: 'stripe', eventId: id, type: 'customer.subscription.updated', objectType: 'subscription', objectId: `sub_${id}`,
  occurredAt: Date.now(), payload: { id },
});

const storedCount = async () => Number((await database.db.selectFrom('inbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('webhook events stored together', () => {
  it('writes the requests that arrive while an insert is under way in one statement', async () => {
    const insert = coalescedInserts(database.db);
    const executed = vi.spyOn(database.db, 'insertInto');
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => insert([event(`evt_together_${i}`)])));
      expect(answers.map((a) => a.stored)).toEqual(Array(20).fill(1));
      // The first goes alone; the nineteen that queued behind it go in one more.
      expect(executed).toHaveBeenCalledTimes(2);
      expect(await storedCount()).toBe(20);
    } finally {
      executed.mockRestore();
    }
  });

  it('stores an event two requests carry at once for the first and calls it a duplicate for the other', async () => {
    const insert = coalescedInserts(database.db);
    const [first, second, third] = await Promise.all([insert([event('evt_a')]), insert([event('evt_b')]), insert([event('evt_b')])]);
    expect([first?.stored, second?.stored, third?.stored]).toEqual([1, 1, 0]);
    expect(third).toMatchObject({ duplicates: 1 });
    expect(await storedCount()).toBe(2);
  });

  it('calls an event already in the inbox a duplicate', async () => {
    const insert = coalescedInserts(database.db);
    await insert([event('evt_once')]);
    expect(await insert([event('evt_once')])).toMatchObject({ stored: 0, duplicates: 1 });
  });

  it('fails every request an insert carried when it fails, and stores none of them', async () => {
    const insert = coalescedInserts(database.db);
    const broken = { ...event('evt_broken'), type: null as unknown as string };
    const answers = await Promise.allSettled([insert([event('evt_x')]), insert([event('evt_y')]), insert([broken])]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await storedCount()).toBe(1);
  });
});
