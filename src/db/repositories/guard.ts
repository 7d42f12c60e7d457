/**
 * The blast-radius guard's state: a rolling budget of auto-fixes per check (`guard_spend`) and the
 * check's one guard item holding what went past it. Every change happens with the check's
 * `guard_checks` row locked, so a cycle on one replica and the fast loop on another never both
 * take the last of a budget, and no held write is lost between them.
 */
import { sql } from 'kysely';
import { heldKey, OPEN_STATUSES, recordKey, type GuardOutcome, type GuardRequest, type HeldOrder, type HeldWrites } from '../../domain/store.ts';
import type { DbOrTx } from '../connect.ts';
import type { ReviewItem } from '../schema.ts';

const guardFingerprint = (check: string) => `guard:${check}`;

/** Locks the check's guard row for the rest of the transaction. */
async function lockCheck(tx: DbOrTx, check: string): Promise<void> {
  await tx.insertInto('guard_checks').values({ check_name: check }).onConflict((oc) => oc.column('check_name').doNothing()).execute();
  await tx.selectFrom('guard_checks').select('check_name').where('check_name', '=', check).forUpdate().executeTakeFirst();
}

async function openGuardItem(tx: DbOrTx, check: string): Promise<ReviewItem | undefined> {
  return tx.selectFrom('review_items').selectAll().where('fingerprint', '=', guardFingerprint(check)).where('status', 'in', OPEN_STATUSES).executeTakeFirst();
}

export function heldOf(item: Pick<ReviewItem, 'suggestion'> | undefined): HeldWrites | null {
  return (item?.suggestion as { held?: HeldWrites } | null)?.held ?? null;
}

/** Held orders by write, later ones replacing earlier ones for the same field of the same record. */
function merge(...lists: HeldOrder[][]): HeldOrder[] {
  const byKey = new Map<string, HeldOrder>();
  for (const list of lists) for (const order of list) byKey.set(heldKey(order.write), order);
  return [...byKey.values()];
}

interface Holding {
  check: string;
  runId: string | null;
  held: HeldWrites;
  explanation: string;
}

/** Writes the check's guard item: a new one, or the open one with these held writes. */
async function saveGuardItem(tx: DbOrTx, existing: ReviewItem | undefined, holding: Holding): Promise<{ opened: number; refreshed: number }> {
  const suggestion = JSON.stringify({ explanation: holding.explanation, writes: [], candidates: [], held: holding.held });
  if (existing) {
    const before = heldOf(existing);
    const changed = JSON.stringify(before?.orders.map((o) => [heldKey(o.write), o.write.to])) !== JSON.stringify(holding.held.orders.map((o) => [heldKey(o.write), o.write.to]));
    await tx
      .updateTable('review_items')
      .set({
        suggestion,
        ...(holding.runId ? { last_seen_run_id: holding.runId } : {}),
        // Only a change of what is held makes the item (and its Slack message) newer.
        ...(changed ? { updated_at: new Date() } : {}),
      })
      .where('id', '=', existing.id)
      .execute();
    return { opened: 0, refreshed: 1 };
  }
  await tx
    .insertInto('review_items')
    .values({
      fingerprint: guardFingerprint(holding.check),
      check_name: holding.check,
      kind: 'guard',
      category: 'mass_auto_fix',
      reason: 'blast_radius',
      presentation: 'message',
      entity_key: `check:${holding.check}`,
      source: JSON.stringify(null),
      target: JSON.stringify(null),
      suggestion,
      status: 'open',
      opened_run_id: holding.runId,
      last_seen_run_id: holding.runId,
    })
    .execute();
  return { opened: 1, refreshed: 0 };
}

/** What the guard would do with a pass's fixes, read from the database and changing nothing. */
async function assess(db: DbOrTx, request: GuardRequest) {
  const item = await openGuardItem(db, request.check);
  const previous = heldOf(item)?.orders ?? [];
  const fresh = new Set(request.orders.map((o) => heldKey(o.write)));
  let agreed = 0;
  let handedOver = 0;
  // A decision under way works from what it read: its item only grows until it settles.
  const kept = item?.status === 'deciding'
    ? previous
    : previous.filter((order) => {
        const record = recordKey(order.write);
        if (!request.read.has(record) || request.undetermined.has(record) || fresh.has(heldKey(order.write))) return true;
        if (request.handedOver.has(record)) handedOver++;
        else agreed++;
        return false;
      });
  const windowStart = new Date(request.now.getTime() - request.windowMs);
  const spent = await db
    .selectFrom('guard_spend')
    .select(sql<string>`count(*)`.as('n'))
    .where('check_name', '=', request.check)
    .where('at', '>', windowStart)
    .executeTakeFirst();
  const remaining = Math.max(0, request.limit - Number(spent?.n ?? 0));
  const tripped = kept.length > 0 || item?.status === 'deciding';
  const admitCount = tripped ? 0 : request.allOrNothing ? (request.orders.length <= remaining ? request.orders.length : 0) : Math.min(remaining, request.orders.length);
  return { item, kept, agreed, handedOver, admitCount, windowStart };
}

/** How many of a pass's fixes the guard would let through now, and how many it would hold: for a dry run. */
export async function previewAutoFixes(db: DbOrTx, request: GuardRequest): Promise<{ admitted: number; held: number }> {
  const { admitCount } = await assess(db, request);
  return { admitted: admitCount, held: request.orders.length - admitCount };
}

/**
 * Puts one pass's auto-fixes of a check to its guard. In order: held writes whose record this
 * pass read and found agreeing (or waiting for a person on its own) leave the item; while the item
 * still holds writes, every new fix is held too (a person has not looked yet); otherwise the
 * fixes spend what is left of the window's budget, a cycle all or none, the fast loop as many as
 * fit. What is admitted is counted as spent before anything is sent.
 */
export async function guardAutoFixes(tx: DbOrTx, request: GuardRequest): Promise<GuardOutcome> {
  const none: GuardOutcome = { admitted: [], held: 0, opened: 0, refreshed: 0, agreed: 0, handedOver: 0, closed: false };
  // Most webhook events have no fix to make; with no guard item open either, there is nothing to weigh or lock.
  if (request.orders.length === 0 && !(await openGuardItem(tx, request.check))) return none;
  await lockCheck(tx, request.check);
  const { item, kept, agreed, handedOver, admitCount, windowStart } = await assess(tx, request);
  // What left the window no longer counts: the table keeps one window's worth per check.
  await tx.deleteFrom('guard_spend').where('check_name', '=', request.check).where('at', '<=', windowStart).execute();
  const admitted = Array.from({ length: admitCount }, (_, i) => i);
  const heldAt = request.now.toISOString();
  const newlyHeld = request.orders.slice(admitCount).map((o) => ({ ...o, heldAt, origin: request.origin }));

  if (admitCount > 0) {
    await tx.insertInto('guard_spend').values(Array.from({ length: admitCount }, () => ({ check_name: request.check, origin: request.origin, at: request.now }))).execute();
  }
  const orders = merge(kept, newlyHeld);
  const outcome: GuardOutcome = { admitted, held: newlyHeld.length, opened: 0, refreshed: 0, agreed, handedOver, closed: false };
  // Most events of a tripped check change nothing held: the item is left as it is.
  if (item && orders.length > 0 && newlyHeld.length === 0 && agreed + handedOver === 0) return outcome;
  if (orders.length > 0) {
    const saved = await saveGuardItem(tx, item, {
      check: request.check,
      runId: request.runId,
      held: { planned: orders.length, limit: request.limit, recordsRead: request.recordsRead, window: request.window, orders },
      explanation: request.explain(orders.length),
    });
    return { ...outcome, ...saved };
  }
  if (item && item.status !== 'deciding') {
    // Nothing held is needed any more: every held record was read again and agrees (or has its own item).
    await tx
      .updateTable('review_items')
      .set({
        status: 'resolved_elsewhere', closed_at: new Date(), updated_at: new Date(),
        ...(request.runId ? { last_seen_run_id: request.runId } : {}),
        decision: JSON.stringify({ closedBecause: 'held_records_agree', agreed: agreed, handedOver }),
      })
      .where('id', '=', item.id)
      .execute();
    return { ...outcome, closed: true };
  }
  return outcome;
}

/**
 * After a person settled a guard item: the writes held into it while the decision ran are not
 * dropped with it but wait in the check's open guard item (a new one when none is open).
 */
export async function carryOverHeld(tx: DbOrTx, itemId: string, taken: readonly string[]): Promise<number> {
  const settled = await tx.selectFrom('review_items').selectAll().where('id', '=', itemId).executeTakeFirst();
  if (!settled || settled.kind !== 'guard') return 0;
  await lockCheck(tx, settled.check_name);
  const done = new Set(taken);
  const left = (heldOf(settled)?.orders ?? []).filter((o) => !done.has(heldKey(o.write)));
  if (left.length === 0) return 0;
  const open = await openGuardItem(tx, settled.check_name);
  const held = heldOf(settled) as HeldWrites;
  const orders = merge(left, heldOf(open)?.orders ?? []);
  await saveGuardItem(tx, open, {
    check: settled.check_name,
    runId: settled.last_seen_run_id,
    held: { ...held, planned: orders.length, orders },
    explanation: `${orders.length} writes of check ${settled.check_name} were held while item ${settled.id} was being decided; release them if they are right.`,
  });
  return left.length;
}

/** The open guard items, one per check that holds writes, oldest first. */
export async function openGuardItems(db: DbOrTx): Promise<ReviewItem[]> {
  return db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').where('status', 'in', OPEN_STATUSES).orderBy('opened_at').execute();
}
