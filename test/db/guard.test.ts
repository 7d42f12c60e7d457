import { describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../../src/db/connect.ts';
import { heldKey, type GuardRequest, type HeldWrites } from '../../src/domain/store.ts';
import { storeFor } from '../../src/main.ts';
import { TEST_DATABASE_URL, useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

/** One pass's fixes of `count` deals, numbered from `first`. */
const request = (first: number, count: number, overrides: Partial<GuardRequest> = {}): GuardRequest => ({
  check: 'payment-status', runId: null, origin: `event:stripe:evt_${first}`, allOrNothing: false, limit: 12, windowMs: 3_600_000, window: '1h',
  recordsRead: 100, now: new Date(), read: new Set(), undetermined: new Set(), handedOver: new Set(), explain: (n) => `${n} held`,
  orders: Array.from({ length: count }, (_, i) => ({
    write: { system: 'hubspot', object: 'deals', id: String(first + i), field: 'dealstage', from: 'closedwon', to: 'closedlost', financial: false },
    fingerprint: `fp-${first + i}`, rule: 'source_of_truth', reason: 'cancelled_but_still_active', category: 'cancelled_but_still_active',
  })),
  ...overrides,
});
const guardItems = () => database.db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').execute();

describe('the guard’s budget', () => {
  it('admits what is left of the window and holds the rest in one item, when passes come one after another', async () => {
    const store = storeFor(database);
    const first = await store.guardAutoFixes(request(0, 10));
    const second = await store.guardAutoFixes(request(10, 5));
    expect(first.admitted).toHaveLength(10);
    expect(second).toMatchObject({ admitted: [0, 1], held: 3, opened: 1 });
    const [item] = await guardItems();
    expect((item?.suggestion as { held: HeldWrites }).held.orders.map((o) => o.write.id)).toEqual(['12', '13', '14']);
  });

  it('holds every fix of a cycle whose fixes exceed what is left, and writes none', async () => {
    const store = storeFor(database);
    await store.guardAutoFixes(request(0, 10));
    const cycle = await store.guardAutoFixes(request(100, 5, { allOrNothing: true, origin: 'run:7', runId: null }));
    expect(cycle).toMatchObject({ admitted: [], held: 5 });
  });

  it('leaves the database alone for a pass with no fix while no guard item is open', async () => {
    const outcome = await storeFor(database).guardAutoFixes(request(0, 0));
    expect(outcome).toMatchObject({ admitted: [], held: 0, opened: 0 });
    expect(await database.db.selectFrom('guard_checks').selectAll().execute()).toEqual([]);
  });

  it('counts only what is inside the window', async () => {
    const store = storeFor(database);
    await store.guardAutoFixes(request(0, 12, { now: new Date(Date.now() - 2 * 3_600_000) }));
    expect((await store.guardAutoFixes(request(20, 12))).admitted).toHaveLength(12);
  });
});

describe('writes held while a person decides the guard item', () => {
  it('are not dropped with it: they wait in the check’s next guard item', async () => {
    const store = storeFor(database);
    await store.guardAutoFixes(request(0, 12));
    await store.guardAutoFixes(request(100, 2));
    const [item] = await guardItems();
    if (!item) throw new Error('no guard item');
    const claimed = await store.claimItem(item.id, 'U0OPSLEAD', ['open']);
    const taken = (claimed?.suggestion as { held: HeldWrites }).held.orders.map((o) => heldKey(o.write));
    // A webhook's fix is held while the release runs.
    expect((await store.guardAutoFixes(request(200, 1))).held).toBe(1);
    await store.settleItem(item.id, claimed?.claimed_at as Date, { status: 'approved', by: 'U0OPSLEAD', decision: { action: 'release' } });
    expect(await store.carryOverHeld(item.id, taken)).toBe(1);
    const open = (await guardItems()).filter((i) => i.status === 'open');
    expect(open).toHaveLength(1);
    expect((open[0]?.suggestion as { held: HeldWrites }).held.orders.map((o) => o.write.id)).toEqual(['200']);
  });
});

describe.runIf(TEST_DATABASE_URL)('the guard’s budget shared by replicas on real Postgres', () => {
  it('never admits more than the limit when four replicas spend it at once', async () => {
    const replicas: OpenDatabase[] = await Promise.all(Array.from({ length: 4 }, () => database.replica()));
    try {
      const outcomes = await Promise.all(replicas.flatMap((replica, r) =>
        Array.from({ length: 5 }, (_, n) => storeFor(replica).guardAutoFixes(request(1_000 * r + 10 * n, 2)))));
      const admitted = outcomes.reduce((sum, o) => sum + o.admitted.length, 0);
      const held = outcomes.reduce((sum, o) => sum + o.held, 0);
      expect(admitted).toBe(12);
      expect(held).toBe(40 - 12);
      const items = await guardItems();
      expect(items).toHaveLength(1);
      expect((items[0]?.suggestion as { held: HeldWrites }).held.orders).toHaveLength(28);
      const spent = await database.db.selectFrom('guard_spend').select('id').execute();
      expect(spent).toHaveLength(12);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
