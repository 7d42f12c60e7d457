import { sql } from 'kysely';
import type { DbOrTx } from '../db/connect.ts';
import { OPEN_STATUSES } from '../db/repositories/review-items.ts';

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

const DAY = 86_400_000;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

async function weekFigures(db: DbOrTx, from: Date, to: Date): Promise<WeekFigures> {
  const runs = await db
    .selectFrom('runs')
    .select(['started_at', 'stats'])
    .where('dry_run', '=', false)
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .execute();
  const days = new Map<string, { day: string; found: number; autoFixed: number; escalated: number }>();
  for (let t = from.getTime(); t < to.getTime(); t += DAY) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.set(day, { day, found: 0, autoFixed: 0, escalated: 0 });
  }
  let found = 0;
  for (const run of runs) {
    const stats = run.stats as { discrepancies?: { total?: number }; autoFixed?: number; escalated?: number };
    const bucket = days.get(new Date(run.started_at).toISOString().slice(0, 10));
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
    days: [...days.values()],
  };
}

/** The week that ends at `end` (exclusive) and the week before it. */
export async function digestFigures(db: DbOrTx, end: Date): Promise<Digest> {
  const start = new Date(end.getTime() - 7 * DAY);
  const [week, previous] = await Promise.all([weekFigures(db, start, end), weekFigures(db, new Date(start.getTime() - 7 * DAY), start)]);
  const depth = await db.selectFrom('review_items').select(sql<string>`count(*)`.as('n')).where('status', 'in', OPEN_STATUSES).executeTakeFirst();
  return { week, previous, queueDepth: Number(depth?.n ?? 0) };
}
