import { describe, expect, it } from 'vitest';
import { claimEvents, completeEvent, insertEvents } from '../../src/db/repositories/inbox.ts';
import type { InboxEvent } from '../../src/domain/events.ts';
import { TEST_DATABASE_URL, useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

const event = (n: number): InboxEvent => ({
  provider: 'stripe', eventId: `evt_replica_${n}`, type: 'customer.subscription.updated', objectType: 'subscription', objectId: `sub_${n}`,
  customerId: `cus_${n}`, occurredAt: Date.now(), payload: { id: `evt_replica_${n}` },
});

describe.runIf(TEST_DATABASE_URL)('the inbox shared by replicas on real Postgres', () => {
  it('gives each event to exactly one of four workers claiming at once', async () => {
    await insertEvents(database.db, Array.from({ length: 600 }, (_, n) => event(n)));
    const replicas = await Promise.all(Array.from({ length: 4 }, () => database.replica()));
    try {
      const claimedBy = new Map<string, string[]>();
      await Promise.all(replicas.map(async (replica, r) => {
        const worker = `host:${1000 + r}:test`;
        for (;;) {
          const batch = await claimEvents(replica.db, worker, 25, 60_000);
          if (batch.length === 0) return;
          for (const stored of batch) {
            claimedBy.set(stored.eventId, [...(claimedBy.get(stored.eventId) ?? []), worker]);
            await completeEvent(replica.db, stored.id, worker, 'written', null);
          }
        }
      }));
      expect(claimedBy.size).toBe(600);
      expect([...claimedBy.values()].filter((workers) => workers.length > 1)).toEqual([]);
      // The work was shared, not taken by one.
      expect(new Set([...claimedBy.values()].flat()).size).toBeGreaterThan(1);
      const left = await database.db.selectFrom('inbox').select('status').where('status', '!=', 'done').execute();
      expect(left).toEqual([]);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
