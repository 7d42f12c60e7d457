/**
 * Time to consistency: for each write a loop applied, from the change of the record it copies from
 * to the write that made the target agree. Percentiles are nearest-rank (`percentile_disc`), as the
 * digest's time to resolution.
 */
import { sql } from 'kysely';
import type { DbOrTx } from '../connect.ts';

export type Loop = 'fast' | 'slow';

export interface ConsistencyFigure {
  /** Applied writes measured. */
  writes: number;
  p50Seconds: number;
  p95Seconds: number;
}

export type ConsistencyByLoop = Record<Loop, ConsistencyFigure | null>;

const LOOP_OF_ACTOR: Record<string, Loop> = { 'fast-loop': 'fast', auto: 'slow' };

/** Per loop, over the writes applied in `[from, to)`: how many, and the p50 and p95 in seconds. */
export async function timeToConsistency(db: DbOrTx, from: Date, to: Date): Promise<ConsistencyByLoop> {
  const seconds = sql<number>`greatest(0, extract(epoch from (at - source_changed_at)))`;
  const rows = await db
    .selectFrom('changes')
    .select([
      'actor',
      sql<string>`count(*)`.as('n'),
      sql<string>`percentile_disc(0.5) within group (order by ${seconds})`.as('p50'),
      sql<string>`percentile_disc(0.95) within group (order by ${seconds})`.as('p95'),
    ])
    .where('outcome', '=', 'applied')
    .where('source_changed_at', 'is not', null)
    .where('actor', 'in', Object.keys(LOOP_OF_ACTOR))
    .where('at', '>=', from)
    .where('at', '<', to)
    .groupBy('actor')
    .execute();
  const figures: ConsistencyByLoop = { fast: null, slow: null };
  for (const row of rows) {
    const loop = LOOP_OF_ACTOR[row.actor];
    if (loop) figures[loop] = { writes: Number(row.n), p50Seconds: Number(row.p50), p95Seconds: Number(row.p95) };
  }
  return figures;
}
