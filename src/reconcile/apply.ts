import { createHash } from 'node:crypto';
import type { PlannedWrite } from '../domain/discrepancy.ts';
import { errorMessage } from '../domain/errors.ts';
import type { CallPriority, Connector, ConnectorsBySystem, WriteOutcome } from '../domain/ports.ts';
import type { FieldEntry, FieldValue, SystemName, SystemRecord } from '../domain/records.ts';
import type { ChangeOutcome, LoggedOutcome, ReconStore, WriteAttempt, WriteIntent } from '../domain/store.ts';
import { sameValue, stableJson } from '../engine/values.ts';
import type { Logger } from '../log.ts';

export type { ConnectorsBySystem };

/** One write to make, with what the change log needs to say about it. */
export interface WriteOrder {
  write: PlannedWrite;
  check: string | null;
  fingerprint: string | null;
  rule: string | null;
  reason: string | null;
  /** Stable for one decision: the same decision retried after a crash reuses it. */
  idempotencyKey: string;
  /** When the side the write copies from changed (epoch ms), when known: time to consistency counts from it. */
  sourceChangedAt?: number | null;
}

export interface ApplyContext {
  store: ReconStore;
  connectors: ConnectorsBySystem;
  /** `auto`, `fast-loop`, or the Slack user who decided. */
  actor: string;
  /** `run:42`, `event:evt_...`, `decision:17`. */
  origin: string;
  runId: string | null;
  logger: Logger;
  /** Waits between retries of a failed write; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Runs in the transaction that records the intents, before anything is sent: throw to send
   * nothing (a person's decision checks it still holds its claim on the item).
   */
  beforeSend?: (store: ReconStore) => Promise<void>;
}

/** A person waits for a decision's calls; a cycle's go behind them in the connectors' limiters. */
function priorityOf(actor: string): CallPriority {
  return MACHINE_ACTORS.has(actor) ? 'background' : 'interactive';
}

export interface ApplyTally {
  applied: number;
  noop: number;
  stale: number;
  failed: number;
  errors: string[];
  /** Writes the target system refused for good (an invalid value for that record, not a passing fault), by fingerprint. */
  refused: { fingerprint: string | null; error: string }[];
}

const BATCH = 100;
/** Actors that are not a person: they may never write a financial field. */
const MACHINE_ACTORS = new Set(['auto', 'fast-loop']);
const ABANDON_UNREADABLE_AFTER_MS = 7 * 86_400_000;
const RETRY_DELAYS_MS = [500, 2_000];

/** An idempotency key derived from the decision: its origin, fingerprint and the write itself. */
export function idempotencyKey(origin: string, fingerprint: string | null, write: PlannedWrite): string {
  const text = [origin, fingerprint ?? '', write.system, write.object, write.id, write.field, stableJson(write.to)].join('\u0000');
  return `recon-${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

function attempt(ctx: ApplyContext, order: WriteOrder): WriteAttempt {
  const { write } = order;
  return {
    actor: ctx.actor,
    origin: ctx.origin,
    runId: ctx.runId,
    check: order.check,
    fingerprint: order.fingerprint,
    system: write.system,
    object: write.object,
    externalId: write.id,
    field: write.field,
    before: write.from,
    after: write.to,
    rule: order.rule,
    reason: order.reason,
    idempotencyKey: order.idempotencyKey,
    sourceChangedAt: order.sourceChangedAt != null ? new Date(order.sourceChangedAt) : null,
  };
}

function connectorFor(ctx: Pick<ApplyContext, 'connectors'>, system: SystemName): Connector {
  const connector = ctx.connectors[system];
  if (!connector) throw new Error(`no connector configured for ${system}`);
  return connector;
}

/** What a fresh read says about a planned write: send it, or log it without sending. */
function compareAndSet(write: PlannedWrite, current: SystemRecord | undefined): { send: true } | { send: false; outcome: ChangeOutcome; error: string | null } {
  if (!current) return { send: false, outcome: 'stale', error: `${write.system} ${write.object} ${write.id} no longer exists` };
  const now: FieldValue = current.fields[write.field] ?? null;
  if (sameValue(now, write.to)) return { send: false, outcome: 'noop', error: null };
  if (!sameValue(now, write.from)) {
    return { send: false, outcome: 'stale', error: `${write.field} changed to ${stableJson(now)} since the decision was made on ${stableJson(write.from)}` };
  }
  return { send: true };
}

/**
 * Runs writes through their connectors, compare-and-set: re-read, skip what changed (`stale`) or
 * already holds the value (`noop`), record an intent, write, then log every outcome. Writes are
 * grouped per system and object in batches of 100.
 */
export async function applyWrites(ctx: ApplyContext, orders: WriteOrder[]): Promise<ApplyTally> {
  const tally: ApplyTally = { applied: 0, noop: 0, stale: 0, failed: 0, errors: [], refused: [] };
  // The engine never plans these; this guard makes sure no future caller can either.
  const financial = orders.find((o) => o.write.financial && MACHINE_ACTORS.has(ctx.actor));
  if (financial) {
    throw new Error(`refused: ${ctx.actor} may not write the financial field ${financial.write.system} ${financial.write.field}; a financial approver must decide`);
  }
  const groups = new Map<string, WriteOrder[]>();
  for (const order of orders) {
    const key = `${order.write.system}:${order.write.object}`;
    const list = groups.get(key);
    if (list) list.push(order);
    else groups.set(key, [order]);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += BATCH) {
      const batch = group.slice(i, i + BATCH);
      const before = tally.applied + tally.noop + tally.stale + tally.failed;
      try {
        await applyBatch(ctx, batch, tally);
      } catch (error) {
        // A read or the database failed: what this batch did not settle counts as failed, and the
        // next batches still get their chance. Unsent writes have no intent; sent ones settle next run.
        const unsettled = batch.length - (tally.applied + tally.noop + tally.stale + tally.failed - before);
        tally.failed += unsettled;
        tally.errors.push(`${unsettled} writes to ${batch[0]?.write.system} ${batch[0]?.write.object} not completed: ${errorMessage(error)}`);
        ctx.logger.error({ err: error }, 'a batch of writes did not complete');
      }
    }
  }
  return tally;
}

/**
 * One batch of one system and object. Each round re-reads the targets and compares before it
 * sends, so a retry after a failed write never overwrites what a person changed meanwhile; a
 * retried write whose target already holds the new value is logged `applied` (our earlier
 * attempt landed).
 */
async function applyBatch(ctx: ApplyContext, batch: WriteOrder[], tally: ApplyTally): Promise<void> {
  const first = batch[0] as WriteOrder;
  const connector = connectorFor(ctx, first.write.system);
  const priority = priorityOf(ctx.actor);
  const fields = [...new Set(batch.map((o) => o.write.field))];
  let pending = batch;
  for (let round = 0; pending.length > 0; round++) {
    const current = new Map(
      (await connector.read(first.write.object, [...new Set(pending.map((o) => o.write.id))], fields, { priority })).map((r) => [r.id, r]),
    );
    const settled: LoggedOutcome[] = [];
    const toSend: WriteOrder[] = [];
    for (const order of pending) {
      const verdict = compareAndSet(order.write, current.get(order.write.id));
      if (verdict.send) toSend.push(order);
      else if (round > 0 && verdict.outcome === 'noop') settled.push({ attempt: attempt(ctx, order), outcome: 'applied', error: null });
      else settled.push({ attempt: attempt(ctx, order), outcome: verdict.outcome, error: verdict.error });
    }
    if (settled.length) await ctx.store.logOutcomes(settled);
    count(tally, settled);
    if (toSend.length === 0) return;

    if (round === 0) {
      await ctx.store.transaction(async (tx) => {
        await ctx.beforeSend?.(tx);
        await tx.recordIntents(toSend.map((o) => attempt(ctx, o)));
      });
    }
    const outcomes = await connector.write(
      toSend.map((o) => ({ object: o.write.object, id: o.write.id, field: o.write.field, value: o.write.to, idempotencyKey: o.idempotencyKey })),
      { priority },
    );
    const results = toSend.map((order, n) => ({ order, result: outcomes[n] as WriteOutcome }));
    const retry = round < RETRY_DELAYS_MS.length ? results.filter(({ result }) => !result.ok && result.retryable) : [];
    const done: LoggedOutcome[] = results
      .filter((r) => !retry.includes(r))
      .map(({ order, result }) => ({ attempt: attempt(ctx, order), outcome: result.ok ? 'applied' : 'failed', error: result.ok ? null : result.error }));
    // A retryable failure is an attempt of its own; its intent stays open until a later round settles it.
    const retried: LoggedOutcome[] = retry.map(({ order, result }) => ({
      attempt: attempt(ctx, order),
      outcome: 'failed',
      error: `${result.ok ? '' : result.error} (will retry)`,
    }));
    await ctx.store.transaction(async (tx) => {
      await tx.logOutcomes(done);
      await tx.appendChanges(retried);
    });
    count(tally, done);
    for (const e of done) if (e.error) tally.errors.push(`${e.attempt.system} ${e.attempt.externalId} ${e.attempt.field}: ${e.error}`);
    for (const { order, result } of results) if (!result.ok && !result.retryable) tally.refused.push({ fingerprint: order.fingerprint, error: result.error });
    pending = retry.map((r) => r.order);
    if (pending.length) {
      ctx.logger.warn({ count: pending.length, round }, 'retrying failed writes after re-reading them');
      await (ctx.sleep ?? delay)(RETRY_DELAYS_MS[round] as number);
    }
  }
}

function count(tally: ApplyTally, entries: { outcome: ChangeOutcome }[]): void {
  for (const e of entries) tally[e.outcome]++;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Settles writes a crashed process left unconfirmed: re-reads each target and logs `applied` when
 * it holds the new value or its history shows Recon's write (a person changed it since), `failed`
 * when it still holds the old one (the write never landed), and `stale` otherwise. Only call it where no other live process can be writing the same intents
 * (under the check's lock).
 */
export async function settleInterruptedWrites(
  ctx: Omit<ApplyContext, 'actor' | 'origin' | 'runId'>,
  filter: (intent: { check_name: string | null; run_id: string | null; origin: string; created_at: Date }) => boolean,
): Promise<{ applied: number; failed: number; stale: number }> {
  const intents = (await ctx.store.unsettledIntents()).filter(filter);
  const settled = { applied: 0, failed: 0, stale: 0 };
  const groups = new Map<string, typeof intents>();
  for (const intent of intents) {
    const key = `${intent.system}:${intent.object}`;
    groups.set(key, [...(groups.get(key) ?? []), intent]);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += BATCH) {
      const chunk = group.slice(i, i + BATCH);
      const first = chunk[0] as (typeof chunk)[number];
      const connector = connectorFor(ctx, first.system as SystemName);
      const fields = [...new Set(chunk.map((c) => c.field))];
      // With the fields' history where the system keeps one: a write that landed and was changed since shows only there.
      const current = new Map((await connector.read(first.object, chunk.map((c) => c.external_id), fields, { withHistory: true })).map((r) => [r.id, r]));
      const entries: LoggedOutcome[] = [];
      for (const intent of chunk) {
        const record = current.get(intent.external_id);
        const a = attemptOf(intent);
        if (!record) {
          // A failed read and a deleted record look alike: wait for a read that answers, for a while.
          if (Date.now() - new Date(intent.created_at).getTime() > ABANDON_UNREADABLE_AFTER_MS) {
            entries.push({ attempt: a, outcome: 'stale', error: 'the record could not be read for 7 days after an interrupted run' });
          }
          continue;
        }
        const now = record.fields[intent.field] ?? null;
        const landed = landedPerTrail(record.trail?.[intent.field], a.before as FieldValue, a.after as FieldValue, new Date(intent.created_at).getTime());
        if (sameValue(now, a.after as FieldValue)) {
          entries.push({ attempt: { ...a, reason: `${a.reason ?? ''} (confirmed after an interrupted run)`.trim() }, outcome: 'applied' });
        } else if (landed === true) {
          entries.push({ attempt: { ...a, reason: `${a.reason ?? ''} (confirmed by the field's history after an interrupted run; changed since to ${stableJson(now)})`.trim() }, outcome: 'applied' });
        } else if (sameValue(now, a.before as FieldValue)) {
          entries.push({ attempt: a, outcome: 'failed', error: 'interrupted before the write was confirmed; the target still holds the old value' });
        } else {
          entries.push({ attempt: a, outcome: 'stale', error: `the target now holds ${stableJson(now)}` });
        }
      }
      await ctx.store.logOutcomes(entries);
      for (const e of entries) if (e.outcome !== 'noop') settled[e.outcome]++;
    }
  }
  if (intents.length) ctx.logger.warn({ ...settled }, 'settled writes left unconfirmed by an interrupted run');
  return settled;
}

/**
 * Whether a write of Recon's from `before` to `after`, intended at `intendedAt`, shows in a field's
 * history (newest first): an entry of `after` by Recon newer than the entry of `before` the field
 * held when the write was intended. An older write of the same value, since undone, does not count;
 * a person putting `before` back afterwards does not hide it. Null when there is no history.
 */
export function landedPerTrail(trail: readonly FieldEntry[] | undefined, before: FieldValue, after: FieldValue, intendedAt: number): boolean | null {
  if (trail === undefined) return null;
  const wrote = trail.findIndex((entry) => entry.changedBy === 'recon' && sameValue(entry.value, after));
  if (wrote === -1) return false;
  const held = trail.findIndex((entry) => sameValue(entry.value, before) && entry.changedAt !== null && entry.changedAt <= intendedAt);
  return held === -1 || wrote < held;
}

/** An intent as the change log records its attempt. */
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
  };
}
