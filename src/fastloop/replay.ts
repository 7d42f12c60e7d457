/**
 * Nothing missed: webhooks get lost while an endpoint is down. On start and on a schedule, the
 * events a system keeps (Stripe's Events API, 30 days) newer than the last one seen are stored in
 * the inbox like any webhook; the duplicates of those that did arrive are answered by the unique key.
 */
import type { Db } from '../db/connect.ts';
import { insertEvents, loadCursor, saveCursor } from '../db/repositories/inbox.ts';
import type { ConnectorsBySystem } from '../domain/ports.ts';
import type { Logger } from '../log.ts';

export async function replayMissedEvents(deps: { db: Db; connectors: ConnectorsBySystem; logger: Logger; systems?: readonly string[] }): Promise<Record<string, { stored: number; duplicates: number }>> {
  const out: Record<string, { stored: number; duplicates: number }> = {};
  for (const [system, connector] of Object.entries(deps.connectors)) {
    if (!connector?.replay || (deps.systems && !deps.systems.includes(system))) continue;
    const tally = { stored: 0, duplicates: 0 };
    let cursor = await loadCursor(deps.db, system);
    for await (const page of connector.replay(cursor)) {
      const result = await insertEvents(deps.db, page.events);
      tally.stored += result.stored;
      tally.duplicates += result.duplicates;
      cursor = page.cursor;
      await saveCursor(deps.db, system, cursor);
    }
    out[system] = tally;
    if (tally.stored > 0) deps.logger.warn({ system, ...tally }, 'replayed events the webhooks had not delivered');
  }
  return out;
}
