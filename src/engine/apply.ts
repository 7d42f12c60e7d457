import { createHash } from 'node:crypto';
import type { Connector, FieldWrite, WriteOutcome } from '../connectors/ports.ts';
import type { Db } from '../db/connect.ts';
import { appendChanges, attemptOf, logOutcomes, recordIntents, unsettledIntents, type WriteAttempt } from '../db/repositories/changes.ts';
import type { ChangeOutcome } from '../db/schema.ts';
import type { PlannedWrite } from '../domain/discrepancy.ts';
import type { FieldValue, SystemName, SystemRecord } from '../domain/records.ts';
import type { Logger } from '../log.ts';
import { sameValue, stableJson } from './values.ts';

export type ConnectorsBySystem = Partial<Record<SystemName, Connector>>;

/** One write to make, with what the change log needs to say about it. */
export interface WriteOrder {
  write: PlannedWrite;
  check: string | null;
  fingerprint: string | null;
  rule: string | null;
  reason: string | null;
  /** Stable for one decision: the same decision retried after a crash reuses it. */
  idempotencyKey: string;
}

export interface ApplyContext {
  db: Db;
  connectors: ConnectorsBySystem;
  /** `auto`, `fast-loop`, or the Slack user who decided. */
  actor: string;
  /** `run:42`, `event:evt_...`, `decision:17`. */
  origin: string;
  runId: string | null;
  logger: Logger;
  /** Waits between retries of a failed write; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ApplyTally {
  applied: number;
  noop: number;
  stale: number;
  failed: number;
  errors: string[];
}

const BATCH = 100;
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
  const tally: ApplyTally = { applied: 0, noop: 0, stale: 0, failed: 0, errors: [] };
  const groups = new Map<string, WriteOrder[]>();
  for (const order of orders) {
    const key = `${order.write.system}:${order.write.object}`;
    const list = groups.get(key);
    if (list) list.push(order);
    else groups.set(key, [order]);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += BATCH) {
      await applyBatch(ctx, group.slice(i, i + BATCH), tally);
    }
  }
  return tally;
}

async function applyBatch(ctx: ApplyContext, batch: WriteOrder[], tally: ApplyTally): Promise<void> {
  const first = batch[0] as WriteOrder;
  const connector = connectorFor(ctx, first.write.system);
  const fields = [...new Set(batch.map((o) => o.write.field))];
  const current = new Map(
    (await connector.read(first.write.object, [...new Set(batch.map((o) => o.write.id))], fields)).map((r) => [r.id, r]),
  );
  const logged: { attempt: WriteAttempt; outcome: ChangeOutcome; error?: string | null }[] = [];
  let toSend: WriteOrder[] = [];
  for (const order of batch) {
    const verdict = compareAndSet(order.write, current.get(order.write.id));
    if (verdict.send) toSend.push(order);
    else logged.push({ attempt: attempt(ctx, order), outcome: verdict.outcome, error: verdict.error });
  }
  if (logged.length) await ctx.db.transaction().execute((trx) => logOutcomes(trx, logged));
  count(tally, logged);

  await recordIntents(ctx.db, toSend.map((o) => attempt(ctx, o)));
  for (let round = 0; toSend.length > 0; round++) {
    const writes: FieldWrite[] = toSend.map((o) => ({
      object: o.write.object,
      id: o.write.id,
      field: o.write.field,
      value: o.write.to,
      idempotencyKey: o.idempotencyKey,
    }));
    const outcomes = await connector.write(writes);
    const results = toSend.map((order, n) => ({ order, result: outcomes[n] as WriteOutcome }));
    const retry = round < RETRY_DELAYS_MS.length ? results.filter(({ result }) => !result.ok && result.retryable) : [];
    const final = results.filter((r) => !retry.includes(r));
    const settledEntries = final.map(({ order, result }) => ({
      attempt: attempt(ctx, order),
      outcome: (result.ok ? 'applied' : 'failed') as ChangeOutcome,
      error: result.ok ? null : result.error,
    }));
    // A retryable failure is an attempt of its own; its intent stays open until the retry settles it.
    const retriedEntries = retry.map(({ order, result }) => ({
      attempt: attempt(ctx, order),
      outcome: 'failed' as const,
      error: `${result.ok ? '' : result.error} (will retry)`,
    }));
    await ctx.db.transaction().execute(async (trx) => {
      await logOutcomes(trx, settledEntries);
      await appendChanges(trx, retriedEntries);
    });
    count(tally, settledEntries);
    for (const e of settledEntries) if (e.error) tally.errors.push(`${e.attempt.system} ${e.attempt.externalId} ${e.attempt.field}: ${e.error}`);
    toSend = retry.map((r) => r.order);
    if (toSend.length) {
      ctx.logger.warn({ count: toSend.length, round }, 'retrying failed writes');
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
 * it holds the new value, `failed` when it still holds the old one (the write never landed), and
 * `stale` otherwise. Only call it where no other live process can be writing the same intents
 * (under the check's lock).
 */
export async function settleInterruptedWrites(
  ctx: Omit<ApplyContext, 'actor' | 'origin' | 'runId'>,
  filter: (intent: { check_name: string | null; run_id: string | null }) => boolean,
): Promise<{ applied: number; failed: number; stale: number }> {
  const intents = (await unsettledIntents(ctx.db)).filter(filter);
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
      const current = new Map((await connector.read(first.object, chunk.map((c) => c.external_id), fields)).map((r) => [r.id, r]));
      const entries = chunk.map((intent) => {
        const now = current.get(intent.external_id)?.fields[intent.field] ?? null;
        const a = attemptOf(intent);
        if (current.has(intent.external_id) && sameValue(now, a.after as FieldValue)) {
          return { attempt: { ...a, reason: `${a.reason ?? ''} (confirmed after an interrupted run)`.trim() }, outcome: 'applied' as const };
        }
        if (current.has(intent.external_id) && sameValue(now, a.before as FieldValue)) {
          return { attempt: a, outcome: 'failed' as const, error: 'interrupted before the write was confirmed; the target still holds the old value' };
        }
        return { attempt: a, outcome: 'stale' as const, error: `the target now holds ${stableJson(now)}` };
      });
      await ctx.db.transaction().execute((trx) => logOutcomes(trx, entries));
      for (const e of entries) settled[e.outcome]++;
    }
  }
  if (intents.length) ctx.logger.warn({ ...settled }, 'settled writes left unconfirmed by an interrupted run');
  return settled;
}
