import type { DbOrTx } from '../connect.ts';
import type { DecisionLogEntry } from '../schema.ts';

/** The newest decision attempts (refused ones included), newest first; of one item with `itemId`. */
export async function latestDecisions(db: DbOrTx, filter: { since?: Date | undefined; itemId?: string | undefined; limit: number }): Promise<DecisionLogEntry[]> {
  let query = db.selectFrom('decision_log').selectAll();
  if (filter.since) query = query.where('at', '>=', filter.since);
  if (filter.itemId) query = query.where('review_item_id', '=', filter.itemId);
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
