import { describe, expect, it } from 'vitest';
import { budgetLedger, throttlesLastHour } from '../../src/db/repositories/budget.ts';
import { createSharedRateLimiter, type BudgetLedger, type BudgetObserver } from '../../src/util/shared-limiter.ts';
import { TEST_DATABASE_URL, useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();
const take = (ledger: BudgetLedger, cap: number, options: { key?: string; replica?: string; windowMs?: number; rolling?: boolean; paceMs?: number; burst?: number } = {}) =>
  ledger.take({ key: options.key ?? 'hubspot:abc:general', replica: options.replica ?? 'r1', cap, windowMs: options.windowMs ?? 60_000, rolling: options.rolling ?? true, paceMs: options.paceMs ?? 0, burst: options.burst ?? 0 });

describe('the shared vendor budget in the database', () => {
  it('admits requests up to the cap of the window, then says how long until a slot frees', async () => {
    const ledger = budgetLedger(database.db);
    for (let i = 0; i < 3; i++) expect((await take(ledger, 3)).waitMs).toBe(0);
    const refused = await take(ledger, 3);
    expect(refused.waitMs).toBeGreaterThan(59_000);
    expect(refused.inWindow).toBe(3);
  });

  it('lets a person take the slots a cycle must leave free', async () => {
    const ledger = budgetLedger(database.db);
    // A limit of 5 with a reserve of 1: background callers stop at 4, a person gets the fifth.
    for (let i = 0; i < 4; i++) expect((await take(ledger, 4)).waitMs).toBe(0);
    expect((await take(ledger, 4)).waitMs).toBeGreaterThan(0);
    expect((await take(ledger, 5)).waitMs).toBe(0);
  });

  it('paces background requests across replicas after their burst', async () => {
    const ledger = budgetLedger(database.db);
    const paced = { paceMs: 10_000, burst: 2 };
    expect((await take(ledger, 10, { ...paced, replica: 'r1' })).waitMs).toBe(0);
    expect((await take(ledger, 10, { ...paced, replica: 'r2' })).waitMs).toBe(0);
    // The burst is spent fleet-wide: the third waits for the pace though the window has room.
    expect((await take(ledger, 10, { ...paced, replica: 'r3' })).waitMs).toBeGreaterThan(9_000);
    // A person is not paced.
    expect((await take(ledger, 10, { replica: 'r3' })).waitMs).toBe(0);
  });

  it('books as used what the vendor counts beyond the ledger (other apps on the same account)', async () => {
    const ledger = budgetLedger(database.db);
    expect((await take(ledger, 5)).waitMs).toBe(0);
    await ledger.observe({ key: 'hubspot:abc:general', used: 4, windowMs: 60_000, rolling: true });
    expect((await take(ledger, 5)).waitMs).toBe(0);
    expect((await take(ledger, 5)).waitMs).toBeGreaterThan(0);
  });

  it('counts a slot from when its response arrived, not from when it was admitted', async () => {
    const ledger = budgetLedger(database.db);
    const first = await take(ledger, 1, { windowMs: 400 });
    expect(first.waitMs).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await ledger.settle({ key: 'hubspot:abc:general', admittedAt: first.admittedAt });
    // 450 ms after the admission, but only 200 after the response: the window is still full.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await take(ledger, 1, { windowMs: 400 })).waitMs).toBeGreaterThan(0);
  });

  it('keeps each budget apart', async () => {
    const ledger = budgetLedger(database.db);
    expect((await take(ledger, 1, { key: 'stripe:k1:account' })).waitMs).toBe(0);
    expect((await take(ledger, 1, { key: 'stripe:k2:account' })).waitMs).toBe(0);
    expect((await take(ledger, 1, { key: 'stripe:k1:account' })).waitMs).toBeGreaterThan(0);
  });

  it('counts a long window (a daily limit) in fixed windows', async () => {
    const ledger = budgetLedger(database.db);
    const day = 86_400_000;
    expect(await take(ledger, 2, { key: 'gohighlevel:x:daily', windowMs: day, rolling: false })).toMatchObject({ waitMs: 0, inWindow: 1 });
    expect(await take(ledger, 2, { key: 'gohighlevel:x:daily', windowMs: day, rolling: false })).toMatchObject({ waitMs: 0, inWindow: 2 });
    expect((await take(ledger, 2, { key: 'gohighlevel:x:daily', windowMs: day, rolling: false })).waitMs).toBeGreaterThan(0);
  });

  it('makes every replica wait after a 429 one of them saw', async () => {
    const ledger = budgetLedger(database.db);
    await ledger.pause('hubspot:abc:general', 30_000);
    const answer = await take(ledger, 100, { replica: 'r2' });
    expect(answer.waitMs).toBeGreaterThan(29_000);
  });

  it('counts the replicas that asked in the last half minute', async () => {
    const ledger = budgetLedger(database.db);
    await take(ledger, 100, { replica: 'r1' });
    await take(ledger, 100, { replica: 'r2' });
    expect((await take(ledger, 100, { replica: 'r3' })).replicas).toBe(3);
  });

  it('reports the 429s of the last hour per budget', async () => {
    const ledger = budgetLedger(database.db);
    await ledger.throttled('hubspot:abc:general', 'r1');
    await ledger.throttled('hubspot:abc:general', 'r2');
    await ledger.throttled('stripe:k1:account', 'r1');
    expect(await throttlesLastHour(database.db)).toEqual({ 'hubspot:abc:general': 2, 'stripe:k1:account': 1 });
  });
});

describe('a rate limiter sharing its budget through the database', () => {
  const events: string[] = [];
  const observer: BudgetObserver = {
    sent: (_key, priority) => events.push(`sent ${priority}`),
    waited: () => undefined,
    throttled: () => events.push('throttled'),
    share: () => undefined,
    fallback: (_key, on) => events.push(on ? 'fallback on' : 'fallback off'),
  };

  it('holds two replicas together to one limit', async () => {
    const ledger = budgetLedger(database.db);
    const limit = { requests: 4, perMs: 60_000, interactiveReserve: 0, backgroundBurst: Infinity };
    const a = createSharedRateLimiter({ key: 'hubspot:t:general', limit, ledger, replica: 'a' });
    const b = createSharedRateLimiter({ key: 'hubspot:t:general', limit, ledger, replica: 'b' });
    for (const limiter of [a, b, a, b]) (await limiter.take())();
    // Each replica alone has room for more; together they have used the budget.
    const fifth = await Promise.race([a.take().then(() => 'sent'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))]);
    expect(fifth).toBe('waiting');
  });

  it('falls back to its share of the limit when the budget does not answer, and says so', async () => {
    events.length = 0;
    const ledger = budgetLedger(database.db);
    let away = false;
    const flaky: BudgetLedger = { ...ledger, take: (request) => (away ? new Promise(() => undefined) : ledger.take(request)) };
    const limit = { requests: 4, perMs: 60_000, interactiveReserve: 0, backgroundBurst: Infinity };
    // Two replicas were seen: alone, this one keeps to 4 ÷ 2 = 2.
    await take(ledger, 100, { key: 'other', replica: 'someone-else' });
    const limiter = createSharedRateLimiter({ key: 'hubspot:f:general', limit, ledger: flaky, replica: 'me', observer, timeoutMs: 50 });
    (await limiter.take())();
    away = true;
    (await limiter.take())();
    (await limiter.take())();
    const third = await Promise.race([limiter.take().then(() => 'sent'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))]);
    expect(third).toBe('waiting');
    expect(events.filter((e) => e.startsWith('fallback'))).toEqual(['fallback on']);
  });
});

describe.runIf(TEST_DATABASE_URL)('the shared budget on real Postgres', () => {
  it('admits exactly the limit when four replicas ask at once', async () => {
    const replicas = await Promise.all(Array.from({ length: 4 }, () => database.replica()));
    try {
      const answers = await Promise.all(replicas.flatMap((replica, r) =>
        Array.from({ length: 25 }, () => take(budgetLedger(replica.db), 40, { key: 'stripe:race:account', replica: `r${r}` }))));
      expect(answers.filter((a) => a.waitMs === 0)).toHaveLength(40);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
