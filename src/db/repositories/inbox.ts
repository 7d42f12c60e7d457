import { sql } from 'kysely';
import type { InboxEvent, StoredEvent } from '../../domain/events.ts';
import type { DbOrTx } from '../connect.ts';
import { jsonValue } from './discrepancies.ts';

export interface InsertedEvents {
  stored: number;
  duplicates: number;
  /** The event ids this call stored (not those already in the inbox). */
  storedIds: Set<string>;
}

/** Stores events; a duplicate (same provider and event id) is left alone. Returns how many were new. */
export async function insertEvents(db: DbOrTx, events: InboxEvent[]): Promise<InsertedEvents> {
  if (events.length === 0) return { stored: 0, duplicates: 0, storedIds: new Set() };
  const rows = await db
    .insertInto('inbox')
    .values(events.map((e) => ({
      provider: e.provider, event_id: e.eventId, type: e.type, object_type: e.objectType, object_id: e.objectId,
      occurred_at: e.occurredAt === null ? null : new Date(e.occurredAt), payload: jsonValue(e.payload),
    })))
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .execute();
  return { stored: rows.length, duplicates: events.length - rows.length, storedIds: new Set(rows.map((r) => r.event_id)) };
}

/**
 * {@link insertEvents} for many callers at once (the webhook endpoints, one call per request):
 * the calls that arrive while an insert is under way are written together by the next one, one
 * statement and one commit for them all, at most `maxEvents` events each. A call resolves once its
 * events are committed, with its own figures: an event id sent by two calls that were written
 * together is stored for the first and a duplicate for the other. A failed insert fails every call
 * it carried (nothing of theirs was stored).
 */
export function coalescedInserts(db: DbOrTx, maxEvents = 500): (events: InboxEvent[]) => Promise<InsertedEvents> {
  interface Waiting { events: InboxEvent[]; resolve: (result: InsertedEvents) => void; reject: (error: unknown) => void }
  let queue: Waiting[] = [];
  let writing = false;
  const key = (event: InboxEvent) => `${event.provider}\u0000${event.eventId}`;

  const write = async (batch: Waiting[]) => {
    const unique = new Map<string, InboxEvent>();
    for (const waiting of batch) for (const event of waiting.events) if (!unique.has(key(event))) unique.set(key(event), event);
    const { storedIds } = await insertEvents(db, [...unique.values()]);
    const stored = new Set([...unique.values()].filter((event) => storedIds.has(event.eventId)).map(key));
    for (const waiting of batch) {
      const mine = new Set<string>();
      for (const event of waiting.events) {
        if (!stored.delete(key(event))) continue;
        mine.add(event.eventId);
      }
      waiting.resolve({ stored: mine.size, duplicates: waiting.events.length - mine.size, storedIds: mine });
    }
  };

  const drain = async () => {
    writing = true;
    while (queue.length > 0) {
      let count = 0;
      let taken = 0;
      while (taken < queue.length && (taken === 0 || count + (queue[taken] as Waiting).events.length <= maxEvents)) count += (queue[taken++] as Waiting).events.length;
      const batch = queue.slice(0, taken);
      queue = queue.slice(taken);
      try {
        await write(batch);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    writing = false;
  };

  return (events) => {
    if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0, storedIds: new Set<string>() });
    return new Promise<InsertedEvents>((resolve, reject) => {
      queue.push({ events, resolve, reject });
      if (!writing) void drain();
    });
  };
}

/** Counts an event of a type no check uses: answered, not stored. */
export async function countDropped(db: DbOrTx, provider: string, type: string, at = new Date()): Promise<void> {
  await db
    .insertInto('inbox_dropped')
    .values({ day: at.toISOString().slice(0, 10), provider, type, count: 1 })
    .onConflict((oc) => oc.columns(['day', 'provider', 'type']).doUpdateSet({ count: sql`inbox_dropped.count + 1` }))
    .execute();
}

const toStored = (row: { id: string; provider: string; event_id: string; type: string; object_type: string | null; object_id: string | null; occurred_at: Date | null; payload: unknown; attempts: number; received_at: Date }): StoredEvent => ({
  id: row.id, provider: row.provider, eventId: row.event_id, type: row.type, objectType: row.object_type, objectId: row.object_id,
  occurredAt: row.occurred_at ? new Date(row.occurred_at).getTime() : null, payload: row.payload, attempts: Number(row.attempts), receivedAt: new Date(row.received_at),
});

/**
 * Claims up to `limit` events due now, oldest first, for one worker: rows another replica holds are
 * skipped, not waited for. A claim a dead worker left for longer than `leaseMs` is taken back first.
 */
export async function claimEvents(db: DbOrTx, worker: string, limit: number, leaseMs: number): Promise<StoredEvent[]> {
  await db
    .updateTable('inbox')
    .set({ status: 'pending', claimed_at: null, claimed_by: null })
    .where('status', '=', 'processing')
    .where('claimed_at', '<', new Date(Date.now() - leaseMs))
    .execute();
  const rows = await sql<{ id: string; provider: string; event_id: string; type: string; object_type: string | null; object_id: string | null; occurred_at: Date | null; payload: unknown; attempts: number; received_at: Date }>`
    UPDATE inbox SET status = 'processing', claimed_at = now(), claimed_by = ${worker}, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM inbox
        WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
    RETURNING id, provider, event_id, type, object_type, object_id, occurred_at, payload, attempts, received_at`.execute(db);
  // The events waiting behind them about the same objects come along: one processing, reading the
  // object as it is now, covers them all.
  const keys = [...new Set(rows.rows.filter((r) => r.object_id !== null).map((r) => `${r.provider}|${r.object_id}`))];
  const along = keys.length === 0 ? { rows: [] } : await sql<(typeof rows.rows)[number]>`
    UPDATE inbox SET status = 'processing', claimed_at = now(), claimed_by = ${worker}, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM inbox
        WHERE status = 'pending' AND next_attempt_at <= now() AND provider || '|' || object_id = ANY(${keys})
        ORDER BY id
        LIMIT ${SAME_OBJECT_LIMIT}
        FOR UPDATE SKIP LOCKED)
    RETURNING id, provider, event_id, type, object_type, object_id, occurred_at, payload, attempts, received_at`.execute(db);
  return [...rows.rows, ...along.rows].map(toStored).sort((a, b) => Number(a.id) - Number(b.id));
}

/** At most this many events about the objects of a claimed batch come along with it. */
const SAME_OBJECT_LIMIT = 500;

/**
 * Claims left by workers of this host that no longer run (`host:pid:nonce`): a process killed
 * while processing, restarted on the same host (or in the same container), takes its events back
 * at once instead of waiting for the lease. Returns how many were released.
 */
export async function releaseDeadClaims(db: DbOrTx, self: string, isRunning: (pid: number) => boolean): Promise<number> {
  const [host, pid] = self.split(':');
  const claims = await db.selectFrom('inbox').select('claimed_by').distinct().where('status', '=', 'processing').where('claimed_by', 'like', `${host}:%`).execute();
  const dead = claims
    .map((c) => c.claimed_by as string)
    .filter((worker) => {
      const [workerHost, workerPid] = worker.split(':');
      if (worker === self || workerHost !== host || !workerPid) return false;
      // Our own pid under another nonce is a process that ran before this one.
      return workerPid === pid || !isRunning(Number(workerPid));
    });
  if (dead.length === 0) return 0;
  const released = await db
    .updateTable('inbox')
    .set({ status: 'pending', claimed_at: null, claimed_by: null })
    .where('status', '=', 'processing')
    .where('claimed_by', 'in', dead)
    .executeTakeFirst();
  return Number(released.numUpdatedRows);
}

/** Records what processing did; the event is done. Only the worker that claimed it may. */
export async function completeEvent(db: DbOrTx, id: string, worker: string, outcome: string, wroteTo: string | null): Promise<void> {
  await db
    .updateTable('inbox')
    .set({ status: 'done', processed_at: new Date(), outcome, wrote_to: wroteTo, last_error: null, claimed_at: null })
    .where('id', '=', id)
    .where('claimed_by', '=', worker)
    .execute();
}

/** A failed attempt: tried again at `retryAt`, or a dead letter when `retryAt` is null. */
export async function failEvent(db: DbOrTx, id: string, worker: string, error: string, retryAt: Date | null): Promise<void> {
  await db
    .updateTable('inbox')
    .set(retryAt ? { status: 'pending', next_attempt_at: retryAt, last_error: error, claimed_at: null } : { status: 'dead', last_error: error, claimed_at: null, processed_at: new Date() })
    .where('id', '=', id)
    .where('claimed_by', '=', worker)
    .execute();
}

/** Puts dead letters back in the queue (all, or those named), with their attempts counted from zero. */
export async function retryDead(db: DbOrTx, ids?: readonly string[]): Promise<number> {
  let query = db.updateTable('inbox').set({ status: 'pending', attempts: 0, next_attempt_at: new Date(), last_error: null }).where('status', '=', 'dead');
  if (ids?.length) query = query.where('id', 'in', ids);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The inbox in figures: waiting, dead letters, and events of the last `sinceMs` by provider. */
export async function inboxFigures(db: DbOrTx, sinceMs = 86_400_000): Promise<{ pending: number; dead: number; recentByProvider: Record<string, number> }> {
  const counts = await db.selectFrom('inbox').select(['status', sql<string>`count(*)`.as('n')]).where('status', 'in', ['pending', 'processing', 'dead']).groupBy('status').execute();
  const recent = await db.selectFrom('inbox').select(['provider', sql<string>`count(*)`.as('n')]).where('received_at', '>=', new Date(Date.now() - sinceMs)).groupBy('provider').execute();
  const n = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
  return { pending: n('pending') + n('processing'), dead: n('dead'), recentByProvider: Object.fromEntries(recent.map((r) => [r.provider, Number(r.n)])) };
}

export async function loadCursor(db: DbOrTx, provider: string): Promise<string | null> {
  return (await db.selectFrom('fastloop_cursors').select('cursor').where('provider', '=', provider).executeTakeFirst())?.cursor ?? null;
}

export async function saveCursor(db: DbOrTx, provider: string, cursor: string): Promise<void> {
  await db
    .insertInto('fastloop_cursors')
    .values({ provider, cursor })
    .onConflict((oc) => oc.column('provider').doUpdateSet({ cursor, updated_at: new Date() }))
    .execute();
}
