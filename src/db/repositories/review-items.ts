import { sql } from 'kysely';
import type { Discrepancy, Resolution } from '../../domain/discrepancy.ts';
import type { SystemRecord } from '../../domain/records.ts';
import type { Db, DbOrTx } from '../connect.ts';
import type { ReviewItem } from '../schema.ts';

type Escalation = Extract<Resolution, { type: 'escalate' }>;

/**
 * An item in these states still stands for its fingerprint: one at most per fingerprint (the
 * partial unique index), refreshed by cycles, listed in the queue. A failed write stays open so a
 * person can retry or decide otherwise.
 */
export const OPEN_STATUSES = ['open', 'deciding', 'failed'] as const satisfies readonly ReviewItem['status'][];

/** The states a person's decision may start from. */
export const DECIDABLE_STATUSES = ['open', 'failed'] as const satisfies readonly ReviewItem['status'][];

/** What a person needs to see of a record, kept with the item. */
function recordSummary(record: SystemRecord | null, field: string) {
  if (!record) return null;
  return { system: record.system, object: record.object, id: record.id, field, value: record.fields[field] ?? null, email: record.email, url: record.url };
}

/**
 * Opens a review item per escalated fingerprint, or refreshes the open one: never two open items
 * for one fingerprint. Returns the ids of items opened by this call.
 */
export async function upsertOpenItems(
  db: DbOrTx,
  runId: string,
  fields: { source: string; target: string },
  escalations: { discrepancy: Discrepancy; resolution: Escalation }[],
): Promise<{ opened: number; refreshed: number }> {
  let opened = 0;
  let refreshed = 0;
  for (let i = 0; i < escalations.length; i += 200) {
    const chunk = escalations.slice(i, i + 200);
    const rows = chunk.map(({ discrepancy: d, resolution: r }) => ({
      fingerprint: d.fingerprint,
      check_name: d.check,
      kind: d.kind,
      category: d.category,
      reason: r.reason,
      presentation: r.presentation,
      entity_key: d.entityKey,
      source: JSON.stringify(recordSummary(d.source, fields.source)),
      target: JSON.stringify(recordSummary(d.target, fields.target)),
      suggestion: JSON.stringify({ explanation: r.explanation, writes: r.suggestion, candidates: d.candidates.map((c) => ({ system: c.system, object: c.object, id: c.id, email: c.email, url: c.url })) }),
      status: 'open' as const,
      opened_run_id: runId,
      last_seen_run_id: runId,
    }));
    const result = await db
      .insertInto('review_items')
      .values(rows)
      .onConflict((oc) =>
        oc
          .column('fingerprint')
          .where('status', 'in', OPEN_STATUSES)
          .doUpdateSet((eb) => ({
            last_seen_run_id: eb.ref('excluded.last_seen_run_id'),
            reason: eb.ref('excluded.reason'),
            suggestion: eb.ref('excluded.suggestion'),
            source: eb.ref('excluded.source'),
            target: eb.ref('excluded.target'),
            // Only a real change makes the item (and its Slack message) newer.
            updated_at: sql<Date>`CASE WHEN (review_items.reason, review_items.suggestion, review_items.source, review_items.target)
              IS DISTINCT FROM (excluded.reason, excluded.suggestion, excluded.source, excluded.target)
              THEN ${new Date()} ELSE review_items.updated_at END`,
          })),
      )
      .returning(['id', 'opened_run_id'])
      .execute();
    for (const row of result) {
      if (row.opened_run_id === runId) opened++;
      else refreshed++;
    }
  }
  return { opened, refreshed };
}

/**
 * Open (or failed) items of a check that this full run no longer found: someone fixed them
 * elsewhere. Items being decided are left to their decision.
 */
export async function resolveVanished(db: DbOrTx, check: string, runId: string, stillFound: ReadonlySet<string>): Promise<ReviewItem[]> {
  const open = await db
    .selectFrom('review_items')
    .selectAll()
    .where('check_name', '=', check)
    .where('status', 'in', DECIDABLE_STATUSES)
    .execute();
  const gone = open.filter((item) => !stillFound.has(item.fingerprint)).map((item) => item.id);
  if (gone.length === 0) return [];
  const resolved: ReviewItem[] = [];
  for (let i = 0; i < gone.length; i += 500) {
    resolved.push(
      ...(await db
        .updateTable('review_items')
        .set({ status: 'resolved_elsewhere', updated_at: new Date(), closed_at: new Date(), last_seen_run_id: runId })
        .where('id', 'in', gone.slice(i, i + 500))
        .where('status', 'in', DECIDABLE_STATUSES)
        .returningAll()
        .execute()),
    );
  }
  return resolved;
}

export async function openItems(db: DbOrTx, options: { check?: string; limit?: number } = {}): Promise<ReviewItem[]> {
  let query = db.selectFrom('review_items').selectAll().where('status', 'in', OPEN_STATUSES);
  if (options.check) query = query.where('check_name', '=', options.check);
  return query.orderBy('opened_at').orderBy('id').limit(options.limit ?? 1000).execute();
}

export async function itemsOpenedInRuns(db: DbOrTx, runIds: string[]): Promise<ReviewItem[]> {
  if (runIds.length === 0) return [];
  return db.selectFrom('review_items').selectAll().where('last_seen_run_id', 'in', runIds).orderBy('id').execute();
}

export async function reviewItem(db: DbOrTx, id: string): Promise<ReviewItem | undefined> {
  if (!/^\d+$/.test(id)) return undefined;
  return db.selectFrom('review_items').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Claims an item for one decision: only one caller gets the row back, whoever clicks at once.
 * `from` lists the statuses a decision may start from (`open`, or `failed` for a retry).
 */
export async function claimItem(db: DbOrTx, id: string, user: string, from: readonly ReviewItem['status'][]): Promise<ReviewItem | undefined> {
  const at = new Date();
  return db
    .updateTable('review_items')
    .set({ status: 'deciding', decided_by: user, claimed_at: at, updated_at: at })
    .where('id', '=', id)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Ends a decision: the item's new status, who, what was written or why not. Only the claim that
 * `claimedAt` names may settle it: undefined when that claim was lost (reopened as abandoned and
 * taken by someone else), so a late settle never overwrites a newer decision.
 */
export async function settleItem(
  db: DbOrTx,
  id: string,
  claimedAt: Date,
  outcome: { status: ReviewItem['status']; by: string; decision: unknown },
): Promise<ReviewItem | undefined> {
  const closed = !(OPEN_STATUSES as readonly string[]).includes(outcome.status);
  const at = new Date();
  return db
    .updateTable('review_items')
    .set({
      claimed_at: null,
      status: outcome.status,
      decided_by: outcome.status === 'open' ? null : outcome.by,
      decided_at: outcome.status === 'open' ? null : at,
      decision: JSON.stringify(outcome.decision),
      updated_at: at,
      ...(closed ? { closed_at: at } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', 'deciding')
    .where('claimed_at', '=', claimedAt)
    .returningAll()
    .executeTakeFirst();
}

/** Gives a claim back untouched: the item returns to the status it was claimed from. */
export async function releaseClaim(db: DbOrTx, claimed: ReviewItem, previous: Pick<ReviewItem, 'status' | 'decided_by'>): Promise<void> {
  await db
    .updateTable('review_items')
    .set({ status: previous.status, decided_by: previous.decided_by, claimed_at: null })
    .where('id', '=', claimed.id)
    .where('status', '=', 'deciding')
    .where('claimed_at', '=', claimed.claimed_at)
    .execute();
}

/**
 * Serialises, for one item, a decision recording its writes and a cycle reopening the item as
 * abandoned: whichever comes second sees what the first did. Held to the end of the transaction.
 */
async function lockItem(trx: DbOrTx, id: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`review_item:${id}`}))`.execute(trx);
}

/**
 * In a decision's transaction, before its writes are recorded and sent: throws `lost()` unless
 * the claim made at `claimedAt` still holds. With the item lock, a cycle cannot reopen the item
 * between this check and the intents becoming visible.
 */
export async function assertClaimHeld(trx: DbOrTx, id: string, claimedAt: Date, lost: () => Error): Promise<void> {
  await lockItem(trx, id);
  const held = await trx
    .selectFrom('review_items')
    .select('id')
    .where('id', '=', id)
    .where('status', '=', 'deciding')
    .where('claimed_at', '=', claimedAt)
    .executeTakeFirst();
  if (!held) throw lost();
}

/**
 * Items a decision claimed before `before` and never settled (its process died between claim and
 * settle) go back to `open`, unless a write of theirs is still unsettled. Their writes were
 * settled from the targets' real state first, so the cycle that follows refreshes them, or
 * closes them when the write had gone through.
 */
export async function reopenAbandonedDecisions(db: Db, check: string, before: Date): Promise<number> {
  const candidates = await db
    .selectFrom('review_items')
    .select('id')
    .where('check_name', '=', check)
    .where('status', '=', 'deciding')
    .where(sql<boolean>`coalesce(claimed_at, updated_at) < ${before}`)
    .execute();
  let reopened = 0;
  for (const { id } of candidates) {
    reopened += await db.transaction().execute(async (trx) => {
      await lockItem(trx, id);
      const result = await trx
        .updateTable('review_items')
        .set({ status: 'open', decided_by: null, claimed_at: null, updated_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'deciding')
        .where(sql<boolean>`coalesce(claimed_at, updated_at) < ${before}`)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('write_intents').select('idempotency_key').where('origin', '=', `decision:${id}`).where('settled_at', 'is', null))),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }
  return reopened;
}
