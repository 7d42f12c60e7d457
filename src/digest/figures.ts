import { sql } from 'kysely';
import type { DbOrTx } from '../db/connect.ts';
import { OPEN_STATUSES } from '../db/repositories/review-items.ts';
import { addDays, localDay, startOfDay } from './calendar.ts';

/** One week's figures; `null` where the part that would measure it is not built yet. */
export interface WeekFigures {
  from: Date;
  to: Date;
  /** Fast-loop webhook events by source and direction: the fast loop does not exist yet. */
  fastLoopEvents: Record<string, number> | null;
  cycles: number;
  discrepanciesFound: number;
  autoResolvedByRule: Record<string, number>;
  escalatedByCategory: Record<string, number>;
  /** Hours from an item opening to its closing, over the items closed in the week. */
  timeToResolution: { p50: number | null; p90: number | null; max: number | null; closed: number };
  /** Discrepancies the slow loop found that a webhook should have fixed: needs the fast loop. */
  caughtForFastLoop: number | null;
  /** Per day: found, auto-fixed, escalated, for the chart. */
  days: { day: string; found: number; autoFixed: number; escalated: number }[];
}

export interface Digest {
  week: WeekFigures;
  previous: WeekFigures;
  queueDepth: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** One week's figures, `days` being its calendar days in the policy's time zone. */
async function weekFigures(db: DbOrTx, days: string[], timeZone: string): Promise<WeekFigures> {
  const from = startOfDay(days[0] as string, timeZone);
  const to = startOfDay(addDays(days.at(-1) as string, 1), timeZone);
  const runs = await db
    .selectFrom('runs')
    .select(['started_at', 'stats'])
    .where('dry_run', '=', false)
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .execute();
  const buckets = new Map(days.map((day) => [day, { day, found: 0, autoFixed: 0, escalated: 0 }]));
  let found = 0;
  for (const run of runs) {
    const stats = run.stats as { discrepancies?: { total?: number }; autoFixed?: number; escalated?: number };
    const bucket = buckets.get(localDay(run.started_at, timeZone));
    found += stats.discrepancies?.total ?? 0;
    if (bucket) {
      bucket.found += stats.discrepancies?.total ?? 0;
      bucket.autoFixed += stats.autoFixed ?? 0;
      bucket.escalated += stats.escalated ?? 0;
    }
  }
  const byRule = await db
    .selectFrom('changes')
    .select(['rule', sql<string>`count(*)`.as('n')])
    .where('actor', '=', 'auto')
    .where('outcome', '=', 'applied')
    .where('at', '>=', from)
    .where('at', '<', to)
    .groupBy('rule')
    .execute();
  const byCategory = await db
    .selectFrom('review_items')
    .select(['category', sql<string>`count(*)`.as('n')])
    .where('opened_at', '>=', from)
    .where('opened_at', '<', to)
    .groupBy('category')
    .execute();
  const closed = await db
    .selectFrom('review_items')
    .select(['opened_at', 'closed_at'])
    .where('closed_at', '>=', from)
    .where('closed_at', '<', to)
    .where('status', '!=', 'superseded') // taken over by a newer item, not resolved
    .execute();
  const hours = closed
    .map((i) => (new Date(i.closed_at as Date).getTime() - new Date(i.opened_at).getTime()) / 3_600_000)
    .sort((a, b) => a - b);
  return {
    from,
    to,
    fastLoopEvents: null,
    cycles: runs.length,
    discrepanciesFound: found,
    autoResolvedByRule: Object.fromEntries(byRule.map((r) => [r.rule ?? 'unknown', Number(r.n)])),
    escalatedByCategory: Object.fromEntries(byCategory.map((r) => [r.category, Number(r.n)])),
    timeToResolution: { p50: percentile(hours, 50), p90: percentile(hours, 90), max: hours.at(-1) ?? null, closed: hours.length },
    caughtForFastLoop: null,
    days: [...buckets.values()],
  };
}

/**
 * The last seven whole calendar days before `now` in `timeZone` (today, still under way, waits for
 * next week's digest), and the seven days before them. Day boundaries follow daylight saving.
 */
export async function digestFigures(db: DbOrTx, now: Date, timeZone = 'UTC'): Promise<Digest> {
  const today = localDay(now, timeZone);
  const week = Array.from({ length: 7 }, (_, i) => addDays(today, i - 7));
  const before = Array.from({ length: 7 }, (_, i) => addDays(today, i - 14));
  const [current, previous] = await Promise.all([weekFigures(db, week, timeZone), weekFigures(db, before, timeZone)]);
  const depth = await db.selectFrom('review_items').select(sql<string>`count(*)`.as('n')).where('status', 'in', OPEN_STATUSES).executeTakeFirst();
  return { week: current, previous, queueDepth: Number(depth?.n ?? 0) };
}
