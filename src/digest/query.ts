import { sql } from 'kysely';
import type { DbOrTx } from '../db/connect.ts';
import { heldOf, openGuardItems } from '../db/repositories/guard.ts';
import { timeToConsistency } from '../db/repositories/consistency.ts';
import { OPEN_STATUSES } from '../db/repositories/review-items.ts';
import { digestWindow, shapeDigest, type Digest, type DigestRows, type DigestWindow, type FastLoopSetting } from './figures.ts';

const slot = (column: string) => sql<Date>`date_bin('15 minutes', ${sql.ref(column)}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
const count = <T extends { n: unknown }>(rows: T[]) => rows.map((r) => ({ ...r, n: Number(r.n) }));

/**
 * Every figure of two weeks, read in one place so the digest's text and its chart cannot count
 * differently. Counts come per quarter hour (UTC), so that calendar days in the policy's time zone
 * are made in code (figures.ts) rather than by the database's time zone data.
 */
export async function readDigestRows(db: DbOrTx, window: DigestWindow): Promise<DigestRows> {
  const { from, middle, to } = window;
  const openAt = (at: Date) =>
    db
      .selectFrom('review_items')
      .select(sql<string>`count(*)`.as('n'))
      .where('opened_at', '<', at)
      .where((eb) => eb.or([eb('closed_at', '>=', at), eb.and([eb('closed_at', 'is', null), eb('status', 'in', OPEN_STATUSES)])]))
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0));

  const [consistencyBefore, consistencyWeek] = await Promise.all([timeToConsistency(db, from, middle), timeToConsistency(db, middle, to)]);
  const [cycles, found, autoFixed, escalated, closed, missed, inbox, dropped, openBefore, openAfter, dead, guards] = await Promise.all([
    db
      .selectFrom((eb) =>
        eb.selectFrom('runs').select(['cycle_id', sql<Date>`min(started_at)`.as('first')]).where('dry_run', '=', false).groupBy('cycle_id').as('c'),
      )
      .select([slot('c.first').as('slot'), sql<string>`count(*)`.as('n')])
      .where('c.first', '>=', from)
      .where('c.first', '<', to)
      .groupBy('slot')
      .execute(),
    // First seen ever: a disagreement still there next run (or next week) is not found again.
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('discrepancies as d')
          .innerJoin('runs as r', 'r.id', 'd.run_id')
          .select(['d.fingerprint', sql<Date>`min(r.started_at)`.as('first')])
          .where('r.dry_run', '=', false)
          .where('r.started_at', '>=', from)
          .where('r.started_at', '<', to)
          .groupBy('d.fingerprint')
          .as('f'),
      )
      .select([slot('f.first').as('slot'), sql<string>`count(*)`.as('n')])
      .where(({ not, exists, selectFrom }) =>
        not(exists(
          selectFrom('discrepancies as e')
            .innerJoin('runs as q', 'q.id', 'e.run_id')
            .select(sql`1`.as('one'))
            .whereRef('e.fingerprint', '=', 'f.fingerprint')
            .where('q.dry_run', '=', false)
            .where('q.started_at', '<', from),
        )),
      )
      .groupBy('slot')
      .execute(),
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('changes')
          .select([sql<string>`coalesce(rule, 'unknown')`.as('rule'), sql<Date>`min(at)`.as('first')])
          .where('actor', '=', 'auto')
          .where('outcome', '=', 'applied')
          .where('at', '>=', from)
          .where('at', '<', to)
          .groupBy([sql`coalesce(rule, 'unknown')`, 'origin', sql`coalesce(fingerprint, idempotency_key)`])
          .as('x'),
      )
      .select(['x.rule', slot('x.first').as('slot'), sql<string>`count(*)`.as('n')])
      .groupBy(['x.rule', 'slot'])
      .execute(),
    db
      .selectFrom('review_items')
      .select(['category', slot('opened_at').as('slot'), sql<string>`count(*)`.as('n')])
      .where('opened_run_id', 'is not', null)
      .where('opened_at', '>=', from)
      .where('opened_at', '<', to)
      .groupBy(['category', 'slot'])
      .execute(),
    db
      .selectFrom('review_items')
      .select(['opened_at', 'closed_at'])
      .where('closed_at', '>=', from)
      .where('closed_at', '<', to)
      .where('status', 'not in', ['superseded', 'obsolete'])
      .execute(),
    db
      .selectFrom('runs')
      .select([slot('started_at').as('slot'), sql<string>`sum(coalesce((stats->>'missedByFastLoop')::bigint, 0))`.as('n')])
      .where('dry_run', '=', false)
      .where('started_at', '>=', from)
      .where('started_at', '<', to)
      .groupBy('slot')
      .execute(),
    db
      .selectFrom('inbox')
      .select([
        sql<boolean>`received_at >= ${middle}`.as('this_week'),
        'provider', 'status', 'outcome', 'wrote_to', sql<string>`count(*)`.as('n'),
      ])
      .where('received_at', '>=', from)
      .where('received_at', '<', to)
      .groupBy(['this_week', 'provider', 'status', 'outcome', 'wrote_to'])
      .execute(),
    db
      .selectFrom('inbox_dropped')
      .select([sql<string>`day::text`.as('day'), 'provider', sql<string>`sum(count)`.as('n')])
      .where('day', '>=', window.firstDay)
      .where('day', '<=', window.lastDay)
      .groupBy([sql`day`, 'provider'])
      .execute(),
    openAt(middle),
    openAt(to),
    db.selectFrom('inbox').select(sql<string>`count(*)`.as('n')).where('status', '=', 'dead').executeTakeFirst(),
    openGuardItems(db),
  ]);

  return {
    cycles: count(cycles).map((r) => ({ slot: new Date(r.slot), n: r.n })),
    found: count(found).map((r) => ({ slot: new Date(r.slot), n: r.n })),
    autoFixed: count(autoFixed).map((r) => ({ slot: new Date(r.slot), rule: r.rule, n: r.n })),
    escalated: count(escalated).map((r) => ({ slot: new Date(r.slot), category: r.category, n: r.n })),
    closed: closed.map((r) => ({ openedAt: new Date(r.opened_at), closedAt: new Date(r.closed_at as Date) })),
    missed: count(missed).map((r) => ({ slot: new Date(r.slot), n: r.n })),
    inbox: count(inbox).map((r) => ({ thisWeek: r.this_week === true || String(r.this_week) === 'true', provider: r.provider, status: r.status, outcome: r.outcome, wroteTo: r.wrote_to, n: r.n })),
    dropped: count(dropped).map((r) => ({ day: r.day, provider: r.provider, n: r.n })),
    queue: { previous: openBefore, week: openAfter },
    deadNow: Number(dead?.n ?? 0),
    heldNow: guards.map((g) => ({ check: g.check_name, itemId: g.id, writes: heldOf(g)?.orders.length ?? 0 })),
    consistency: { previous: consistencyBefore, week: consistencyWeek },
  };
}

/**
 * The digest of the last seven whole days before `now` in `timeZone` (today, still under way, waits
 * for next week's), against the seven before them. Day boundaries follow daylight saving.
 */
export async function digestFigures(db: DbOrTx, now: Date, timeZone = 'UTC', fastLoop: FastLoopSetting | null = null): Promise<Digest> {
  const window = digestWindow(now, timeZone);
  return shapeDigest(await readDigestRows(db, window), window, fastLoop);
}
