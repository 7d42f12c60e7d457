import type { AppliedWrite, LoggedOutcome, WriteAttempt } from '../../domain/store.ts';
import type { DbOrTx } from '../connect.ts';
import type { Change, WriteIntent } from '../schema.ts';
import { jsonValue } from './discrepancies.ts';

export type { LoggedOutcome, WriteAttempt };

function columns(a: WriteAttempt) {
  return {
    actor: a.actor,
    origin: a.origin,
    run_id: a.runId,
    check_name: a.check,
    fingerprint: a.fingerprint,
    system: a.system,
    object: a.object,
    external_id: a.externalId,
    field: a.field,
    before: jsonValue(a.before),
    after: jsonValue(a.after),
    rule: a.rule,
    reason: a.reason,
    idempotency_key: a.idempotencyKey,
    source_changed_at: a.sourceChangedAt ?? null,
  };
}

/** Records that writes are about to be sent, so a crash between sending and logging is recoverable. */
export async function recordIntents(db: DbOrTx, attempts: WriteAttempt[]): Promise<void> {
  for (let i = 0; i < attempts.length; i += 500) {
    await db
      .insertInto('write_intents')
      .values(attempts.slice(i, i + 500).map(columns))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  }
}


/** Appends attempts to the change log without settling their intents (a retry follows). */
export async function appendChanges(db: DbOrTx, outcomes: LoggedOutcome[]): Promise<void> {
  for (let i = 0; i < outcomes.length; i += 500) {
    await db
      .insertInto('changes')
      .values(outcomes.slice(i, i + 500).map(({ attempt, outcome, error }) => ({ ...columns(attempt), outcome, error: error ?? null })))
      .execute();
  }
}

/**
 * Appends outcomes to the change log and settles their intents, in one statement batch.
 * Call inside a transaction so the log and the intents never disagree.
 */
export async function logOutcomes(
  db: DbOrTx,
  outcomes: LoggedOutcome[],
): Promise<void> {
  for (let i = 0; i < outcomes.length; i += 500) {
    const chunk = outcomes.slice(i, i + 500);
    await appendChanges(db, chunk);
    await db
      .updateTable('write_intents')
      .set({ settled_at: new Date() })
      .where('idempotency_key', 'in', chunk.map((o) => o.attempt.idempotencyKey))
      .where('settled_at', 'is', null)
      .execute();
  }
}

export async function unsettledIntents(db: DbOrTx): Promise<WriteIntent[]> {
  return db.selectFrom('write_intents').selectAll().where('settled_at', 'is', null).orderBy('created_at').execute();
}

export function attemptOf(intent: WriteIntent): WriteAttempt {
  return {
    actor: intent.actor,
    origin: intent.origin,
    runId: intent.run_id,
    check: intent.check_name,
    fingerprint: intent.fingerprint,
    system: intent.system,
    object: intent.object,
    externalId: intent.external_id,
    field: intent.field,
    before: intent.before,
    after: intent.after,
    rule: intent.rule,
    reason: intent.reason,
    idempotencyKey: intent.idempotency_key,
    sourceChangedAt: intent.source_changed_at ? new Date(intent.source_changed_at) : null,
  };
}

export async function changesOfRuns(db: DbOrTx, runIds: string[]): Promise<Change[]> {
  if (runIds.length === 0) return [];
  return db.selectFrom('changes').selectAll().where('run_id', 'in', runIds).orderBy('id').execute();
}

export async function recentChanges(db: DbOrTx, limit = 50): Promise<Change[]> {
  return db.selectFrom('changes').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** When Recon last applied a write to each of these records: its own changes, to tell them from others'. */
export async function lastAppliedWrites(db: DbOrTx, side: { system: string; object: string }, ids: readonly string[]): Promise<Map<string, AppliedWrite>> {
  const out = new Map<string, AppliedWrite>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    if (chunk.length === 0) continue;
    const rows = await db
      .selectFrom('changes')
      .distinctOn('external_id')
      .select(['external_id', 'at', 'field', 'after'])
      .where('system', '=', side.system)
      .where('object', '=', side.object)
      .where('external_id', 'in', chunk)
      .where('outcome', '=', 'applied')
      .orderBy('external_id')
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    for (const row of rows) out.set(row.external_id, { at: new Date(row.at), field: row.field, after: row.after });
  }
  return out;
}

/** Which change-log rows `recon log` reads. */
export interface ChangesFilter {
  since?: Date | undefined;
  /** A review item's rows: its decisions' writes, and writes under its fingerprint since it opened. */
  item?: { id: string; fingerprint: string; openedAt: Date } | undefined;
  limit: number;
}

/** The newest change-log rows matching `filter`, newest first. */
export async function latestChanges(db: DbOrTx, filter: ChangesFilter): Promise<Change[]> {
  let query = db.selectFrom('changes').selectAll();
  if (filter.since) query = query.where('at', '>=', filter.since);
  const item = filter.item;
  if (item) {
    query = query.where((eb) =>
      eb.or([eb('origin', '=', `decision:${item.id}`), eb.and([eb('fingerprint', '=', item.fingerprint), eb('at', '>=', item.openedAt)])]),
    );
  }
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
