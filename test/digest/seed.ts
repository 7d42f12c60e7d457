/**
 * A seeded fortnight for the digest tests: the week reported is Monday 2026-11-16 to Sunday
 * 2026-11-22 (UTC), posted on Monday 2026-11-23 at 09:00; the week before is 2026-11-09 to 15.
 * Every row has a known time, and the comments say what each figure must count.
 */
import type { TestDatabase } from '../support/db.ts';

export const POSTED_AT = new Date('2026-11-23T09:00:00Z');
export const WEEK_START = new Date('2026-11-16T00:00:00Z');
export const WEEK_END = new Date('2026-11-23T00:00:00Z');
export const PREVIOUS_START = new Date('2026-11-09T00:00:00Z');

const at = (iso: string) => new Date(`${iso}Z`);
const hoursAfter = (date: Date, hours: number) => new Date(date.getTime() + hours * 3_600_000);

/** What the seeded week must read as. */
export const EXPECTED = {
  week: {
    cycles: 3, // c1, c2, c3 (c3's second run is after the week: the cycle is on the day its first run began); the dry run is no cycle
    cyclesPerDay: [1, 0, 1, 0, 0, 0, 1],
    found: 4, // fp-1 and fp-2 on Monday (seen again on Wednesday), fp-3 on Wednesday, fp-4 on Sunday; fp-old was found the week before, fp-ancient in October
    foundPerDay: [2, 0, 1, 0, 0, 0, 1],
    autoFixed: 2, // fp-1 by source_of_truth, fp-3 by merge in two writes; noop, failed, fast-loop and a person's writes are not auto-fixes
    autoFixedPerDay: [1, 0, 1, 0, 0, 0, 0],
    autoFixedByRule: { source_of_truth: 1, merge: 1 },
    escalated: 3, // items cycles opened; the one the fast loop opened is in the fast loop's figures
    escalatedPerDay: [1, 0, 1, 0, 0, 0, 1],
    escalatedByCategory: { paid_but_not_marked: 2, mapping_gap: 1 },
    timeToResolution: { p50: 10, p90: 168, max: 168, closed: 2 }, // the superseded item is not a resolution
    queueAtEnd: 3,
    caughtForFastLoop: 3, // 2 + 1; a run without the figure adds 0; c3's run after the week is not in it
    events: 13, // Stripe 8 (3 written to HubSpot, 2 agreed, 1 escalated, 1 dead, 1 waiting), HubSpot 5 (4 echoes, 1 agreed)
    dead: 1,
    dropped: 5,
  },
  previous: { cycles: 1, found: 1, autoFixed: 1, escalated: 1, queueAtEnd: 2, caughtForFastLoop: 0, events: 2, dead: 0, dropped: 2 },
  deadLettersNow: 2,
};

/** Seeds the fortnight; returns nothing, the tests read the database back. */
export async function seedFortnight(database: TestDatabase): Promise<void> {
  const db = database.db;
  const run = async (cycle: string, check: string, startedAt: Date, stats: Record<string, unknown>, dryRun = false) =>
    (await db
      .insertInto('runs')
      .values({ cycle_id: cycle, check_name: check, mode: 'full', dry_run: dryRun, status: 'succeeded', started_at: startedAt, cursors: '{}', stats: JSON.stringify(stats) })
      .returning('id')
      .executeTakeFirstOrThrow()).id;

  const p0 = await run('p0', 'payment-status', at('2026-10-01T06:00:00'), { discrepancies: { total: 1 } });
  const p1 = await run('p1', 'payment-status', at('2026-11-10T06:00:00'), { discrepancies: { total: 1 }, autoFixed: 1, escalated: 1 });
  await run('p1', 'booking-stage', at('2026-11-10T06:01:00'), { discrepancies: { total: 0 }, missedByFastLoop: 0 });
  const a1 = await run('c1', 'payment-status', at('2026-11-16T06:00:00'), { discrepancies: { total: 3 }, autoFixed: 1, escalated: 2, missedByFastLoop: 2 });
  await run('c1', 'booking-stage', at('2026-11-16T06:01:00'), { discrepancies: { total: 0 }, missedByFastLoop: 1 });
  const dry = await run('dry', 'payment-status', at('2026-11-17T08:00:00'), { discrepancies: { total: 9 }, missedByFastLoop: 50 }, true);
  const b1 = await run('c2', 'payment-status', at('2026-11-18T12:00:00'), { discrepancies: { total: 3 }, autoFixed: 1, escalated: 2, missedByFastLoop: 0 });
  await run('c2', 'booking-stage', at('2026-11-18T12:01:00'), { discrepancies: { total: 0 } });
  const c3 = await run('c3', 'payment-status', at('2026-11-22T23:50:00'), { discrepancies: { total: 3 }, escalated: 3 });
  await run('c3', 'booking-stage', at('2026-11-23T00:05:00'), { discrepancies: { total: 0 }, missedByFastLoop: 7 });

  const discrepancy = (runId: string, fingerprint: string, category = 'paid_but_not_marked') => ({
    run_id: runId, check_name: 'payment-status', fingerprint, kind: 'value_mismatch', category, entity_key: `e-${fingerprint}`, resolution: 'escalate' as const,
  });
  await db
    .insertInto('discrepancies')
    .values([
      discrepancy(p0, 'fp-ancient'),
      discrepancy(p1, 'fp-old'),
      discrepancy(a1, 'fp-ancient'), discrepancy(a1, 'fp-old'), discrepancy(a1, 'fp-1'), discrepancy(a1, 'fp-2'),
      discrepancy(dry, 'fp-dry'),
      discrepancy(b1, 'fp-1'), discrepancy(b1, 'fp-2'), discrepancy(b1, 'fp-3', 'mapping_gap'),
      discrepancy(c3, 'fp-1'), discrepancy(c3, 'fp-2'), discrepancy(c3, 'fp-4'),
    ])
    .execute();

  let key = 0;
  const change = (when: Date, actor: string, origin: string, fingerprint: string, rule: string, outcome: 'applied' | 'noop' | 'stale' | 'failed', system = 'hubspot') => ({
    at: when, actor, origin, fingerprint, rule, outcome, system, object: 'deals', external_id: `d-${fingerprint}`, field: 'dealstage', idempotency_key: `k${++key}`,
  });
  await db
    .insertInto('changes')
    .values([
      change(at('2026-11-10T06:02:00'), 'auto', `run:${p1}`, 'fp-old', 'source_of_truth', 'applied'),
      change(at('2026-11-16T06:02:00'), 'auto', `run:${a1}`, 'fp-1', 'source_of_truth', 'applied'),
      change(at('2026-11-16T06:02:00'), 'auto', `run:${a1}`, 'fp-2', 'source_of_truth', 'noop'),
      change(at('2026-11-18T12:01:00'), 'auto', `run:${b1}`, 'fp-3', 'merge', 'applied', 'hubspot'),
      change(at('2026-11-18T12:01:01'), 'auto', `run:${b1}`, 'fp-3', 'merge', 'applied', 'stripe'),
      change(at('2026-11-19T10:00:00'), 'auto', `run:${b1}`, 'fp-9', 'source_of_truth', 'failed'),
      change(at('2026-11-19T10:00:00'), 'fast-loop', 'event:stripe:evt_1', 'fp-8', 'source_of_truth', 'applied'),
      change(at('2026-11-20T10:00:00'), 'U111', 'decision:1', 'fp-7', 'source_of_truth', 'applied'),
    ])
    .execute();

  const item = (fingerprint: string, category: string, openedAt: Date, openedRunId: string | null) => ({
    fingerprint, check_name: 'payment-status', kind: 'value_mismatch', category, reason: 'high_value', presentation: 'message' as const,
    entity_key: `e-${fingerprint}`, status: 'open' as const, opened_at: openedAt, opened_run_id: openedRunId,
  });
  const previousOpened = at('2026-11-10T06:05:00');
  const gapOpened = at('2026-11-18T12:02:00');
  await db
    .insertInto('review_items')
    .values([
      { ...item('fp-old', 'paid_but_not_marked', previousOpened, p1), status: 'approved', closed_at: hoursAfter(previousOpened, 168) },
      { ...item('fp-s', 'paid_but_not_marked', at('2026-11-12T06:00:00'), null), status: 'superseded', closed_at: at('2026-11-17T06:00:00') },
      item('fp-2', 'paid_but_not_marked', at('2026-11-16T06:03:00'), a1),
      { ...item('fp-3', 'mapping_gap', gapOpened, b1), status: 'ignored', closed_at: hoursAfter(gapOpened, 10) },
      item('fp-8', 'paid_but_not_marked', at('2026-11-19T10:00:00'), null),
      item('fp-4', 'paid_but_not_marked', at('2026-11-22T23:55:00'), c3),
    ])
    .execute();

  let event = 0;
  const inbox = (provider: string, receivedAt: Date, status: 'pending' | 'processing' | 'done' | 'dead', outcome: string | null = null, wroteTo: string | null = null) => ({
    provider, event_id: `evt_${++event}`, type: 'customer.subscription.updated', received_at: receivedAt, payload: '{}', status, outcome, wrote_to: wroteTo,
  });
  const monday = at('2026-11-16T10:00:00');
  await db
    .insertInto('inbox')
    .values([
      inbox('stripe', at('2026-10-20T10:00:00'), 'dead'),
      inbox('stripe', at('2026-11-11T10:00:00'), 'done', 'agreed'),
      inbox('stripe', at('2026-11-12T10:00:00'), 'done', 'agreed'),
      ...[0, 1, 2].map(() => inbox('stripe', monday, 'done', 'written', 'hubspot')),
      inbox('stripe', monday, 'done', 'agreed'),
      inbox('stripe', monday, 'done', 'agreed'),
      inbox('stripe', monday, 'done', 'escalated'),
      inbox('stripe', monday, 'dead'),
      inbox('stripe', at('2026-11-22T23:59:00'), 'pending'),
      ...[0, 1, 2, 3].map(() => inbox('hubspot', monday, 'done', 'echo')),
      inbox('hubspot', monday, 'done', 'agreed'),
    ])
    .execute();
  await db
    .insertInto('inbox_dropped')
    .values([
      { day: '2026-11-10', provider: 'stripe', type: 'charge.succeeded', count: 2 },
      { day: '2026-11-17', provider: 'stripe', type: 'charge.succeeded', count: 5 },
    ])
    .execute();
}
