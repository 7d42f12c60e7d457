import { sql } from 'kysely';
import type { Discrepancy } from '../../domain/discrepancy.ts';
import type { SystemRecord } from '../../domain/records.ts';
import { DECIDABLE_STATUSES, OPEN_STATUSES, type Escalation } from '../../domain/store.ts';
import type { DbOrTx } from '../connect.ts';
import type { ReviewItem } from '../schema.ts';

export { DECIDABLE_STATUSES, OPEN_STATUSES };

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
  runId: string | null,
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
      suggestion: JSON.stringify({
        explanation: r.explanation, writes: r.suggestion,
        candidates: d.candidates.map((c) => ({ system: c.system, object: c.object, id: c.id, email: c.email, url: c.url, field: c.system === d.source?.system ? fields.source : fields.target, value: c.fields[c.system === d.source?.system ? fields.source : fields.target] ?? null })),
      }),
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
      // `xmax` is 0 for a row this statement inserted, and set for one it updated.
      .returning(['id', sql<boolean>`(xmax = 0)`.as('inserted')])
      .execute();
    for (const row of result) {
      if (row.inserted) opened++;
      else refreshed++;
    }
  }
  return { opened, refreshed };
}

/**
 * Open (or failed) items of a check that this run no longer found: someone fixed them elsewhere.
 * Items being decided are left to their decision. With `entities`, only items all of whose records
 * are among them count: an incremental run that read one record of a pair and not the other (Recon's
 * own write coming back) knows nothing of the pair. Guard items (blast radius) are not
 * discrepancies: they close when released or dismissed, or when reads show every held record agrees.
 */
/** Open items of a check whose fix the target system refused: fingerprint → the item's explanation. */
export async function refusedWrites(db: DbOrTx, check: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('review_items')
    .select(['fingerprint', 'suggestion'])
    .where('check_name', '=', check)
    .where('reason', '=', 'write_refused')
    .where('status', 'in', OPEN_STATUSES)
    .execute();
  return new Map(rows.map((row) => [row.fingerprint, String((row.suggestion as { explanation?: unknown } | null)?.explanation ?? 'the target system refused the write')]));
}

export async function resolveVanished(db: DbOrTx, check: string, runId: string | null, stillFound: ReadonlySet<string>, entities?: ReadonlySet<string>): Promise<ReviewItem[]> {
  const open = await db
    .selectFrom('review_items')
    .select(['id', 'fingerprint', 'entity_key', 'kind'])
    .where('check_name', '=', check)
    .where('status', 'in', DECIDABLE_STATUSES)
    .execute();
  const gone = open
    .filter((item) => !stillFound.has(item.fingerprint) && item.kind !== 'guard')
    .filter((item) => !entities || touches(item.entity_key, entities))
    .map((item) => item.id);
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

/** Whether an item's entity key (`a|b`, a record key, or `email:...`) names one of `entities` (record keys). */
/** Whether a pass read every record of the item: only then can it say the disagreement is gone. */
function touches(entityKey: string, entities: ReadonlySet<string>): boolean {
  return entityKey.split('|').every((key) => entities.has(key));
}

/** Items of checks no longer in the policy, closed as obsolete so they do not wait for ever. */
export async function closeObsoleteItems(db: DbOrTx, checks: readonly string[]): Promise<number> {
  let query = db
    .updateTable('review_items')
    .set({ status: 'obsolete', closed_at: new Date(), updated_at: new Date(), claimed_at: null })
    .where('status', 'in', DECIDABLE_STATUSES);
  if (checks.length) query = query.where('check_name', 'not in', checks);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
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
    .set({ status: 'deciding', decided_by: user, claimed_at: at, claim_renewed_at: at, updated_at: at })
    .where('id', '=', id)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst();
}

/** Says the decision that claimed the item at `claimedAt` is still at work; null when that claim is gone. */
export async function renewClaim(db: DbOrTx, id: string, claimedAt: Date): Promise<Date | null> {
  const at = new Date();
  const row = await db
    .updateTable('review_items')
    .set({ claim_renewed_at: at })
    .where('id', '=', id)
    .where('status', '=', 'deciding')
    .where('claimed_at', '=', claimedAt)
    .returning('claim_renewed_at')
    .executeTakeFirst();
  return row ? at : null;
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
      claim_renewed_at: null,
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
export async function reopenAbandonedDecisions(db: DbOrTx, check: string, before: Date, transaction: <T>(work: (trx: DbOrTx) => Promise<T>) => Promise<T>): Promise<number> {
  const candidates = await db
    .selectFrom('review_items')
    .select('id')
    .where('check_name', '=', check)
    .where('status', '=', 'deciding')
    .where(sql<boolean>`coalesce(claim_renewed_at, claimed_at, updated_at) < ${before}`)
    .execute();
  let reopened = 0;
  for (const { id } of candidates) {
    reopened += await transaction(async (trx) => {
      await lockItem(trx, id);
      const result = await trx
        .updateTable('review_items')
        .set({ status: 'open', decided_by: null, claimed_at: null, claim_renewed_at: null, updated_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'deciding')
        .where(sql<boolean>`coalesce(claim_renewed_at, claimed_at, updated_at) < ${before}`)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('write_intents').select('idempotency_key').where('origin', '=', `decision:${id}`).where('settled_at', 'is', null))),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }
  return reopened;
}


/** The open queue in figures, counted by the database: how many by category, and the oldest. */
export async function queueFigures(db: DbOrTx): Promise<{ open: number; byCategory: Record<string, number>; oldest: ReviewItem | null }> {
  const counts = await db
    .selectFrom('review_items')
    .select(['category', sql<string>`count(*)`.as('n')])
    .where('status', 'in', OPEN_STATUSES)
    .groupBy('category')
    .execute();
  const oldest = await db.selectFrom('review_items').selectAll().where('status', 'in', OPEN_STATUSES).orderBy('opened_at').orderBy('id').limit(1).executeTakeFirst();
  const byCategory = Object.fromEntries(counts.map((row) => [row.category, Number(row.n)]));
  return { open: Object.values(byCategory).reduce((a, b) => a + b, 0), byCategory, oldest: oldest ?? null };
}

/** Which open items `recon queue` lists. */
export interface OpenItemsFilter {
  check?: string | undefined;
  category?: string | undefined;
  /** Only items opened before this moment (`--older-than`). */
  openedBefore?: Date | undefined;
  limit: number;
}

/** Open items matching `filter`, oldest first, and how many match in all. */
export async function openItemsPage(db: DbOrTx, filter: OpenItemsFilter): Promise<{ total: number; items: ReviewItem[] }> {
  let query = db.selectFrom('review_items').where('status', 'in', OPEN_STATUSES);
  if (filter.check) query = query.where('check_name', '=', filter.check);
  if (filter.category) query = query.where('category', '=', filter.category);
  if (filter.openedBefore) query = query.where('opened_at', '<', filter.openedBefore);
  const [items, count] = await Promise.all([
    query.selectAll().orderBy('opened_at').orderBy('id').limit(filter.limit).execute(),
    query.select(sql<string>`count(*)`.as('n')).executeTakeFirst(),
  ]);
  return { total: Number(count?.n ?? 0), items };
}
