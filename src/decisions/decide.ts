/**
 * A person's decision on a review item, from Slack, the CLI or anywhere else: authorize, claim the
 * item atomically, write through the same compare-and-set apply as a cycle, log, and settle it.
 */
import { financialFields, resolveCheck } from '../config/checks.ts';
import type { Policy } from '../config/policy.ts';
import { allowedFor, isFinancialField, type Check } from '../domain/check.ts';
import { OTHER_DIRECTION, type PlannedWrite } from '../domain/discrepancy.ts';
import { errorMessage } from '../domain/errors.ts';
import type { CallPriority, ConnectorsBySystem, ObjectDescription } from '../domain/ports.ts';
import { singularObject, type FieldValue, type SystemName } from '../domain/records.ts';
import {
  DECIDABLE_STATUSES, heldKey, type DecisionAction, type DecisionOutcome, type HeldWrites, type ReconStore, type ReviewItem,
} from '../domain/store.ts';
import type { Logger } from '../log.ts';
import { allowedValuesOf, fieldOf } from '../reconcile/preflight.ts';
import { applyWrites, idempotencyKey, type WriteOrder } from '../reconcile/apply.ts';
import { refusal, type Directory } from './authorize.ts';
import { linkAndReconcile, linkMessage, pickedRecords, pickFromCandidate, type CandidatePick } from './link.ts';

export { OTHER_DIRECTION };

export type DecisionRequest =
  | { action: 'approve'; itemId: string; user: string }
  | { action: 'override'; itemId: string; user: string; value: string; reason: string }
  | { action: 'ignore'; itemId: string; user: string; snoozeDays: number | null; reason?: string | null }
  | { action: 'retry'; itemId: string; user: string }
  /** Releases the writes a blast-radius guard held back. */
  | { action: 'release'; itemId: string; user: string }
  /** Resolves an ambiguous match: links the picked source and target records (ids among the item's candidates). */
  | { action: 'link'; itemId: string; user: string; source: string; target: string }
  /** The same, naming one candidate (the other side's one record is implied) or `SOURCE,TARGET`: the command line's pick. */
  | { action: 'pick'; itemId: string; user: string; candidate: string };

/** A request once a pick names its pair: what the rest of a decision works from. */
type PersonRequest = Exclude<DecisionRequest, { action: 'pick' }>;

export type DecisionResult =
  | { kind: 'refused'; message: string }
  | { kind: 'already_decided'; item: ReviewItem; message: string }
  | { kind: 'decided'; item: ReviewItem; outcome: Exclude<DecisionOutcome, 'refused' | 'already_decided'>; message: string };

export interface DecisionDeps {
  store: ReconStore;
  connectors: ConnectorsBySystem;
  policy: Policy;
  directory: Directory;
  logger: Logger;
  now?: () => number;
  /**
   * An object's fields as its system describes them, for checking an Override against the values
   * the field takes (for this record's pipeline). Defaults to asking the connector; `recon serve`
   * passes its cache.
   */
  describe?: (system: SystemName, object: string, priority?: CallPriority) => Promise<ObjectDescription>;
  /** How often a decision under way renews its claim. Default every minute. */
  renewEveryMs?: number;
  /** Waits between rounds of retried writes (default: real time); injectable for tests and the simulation. */
  sleep?: (ms: number) => Promise<void>;
  /** Where decisions come from when not Slack (`cli`), kept in each decision-log row's detail. */
  via?: string;
}

interface StoredSide {
  system: SystemName;
  object: string;
  id: string;
  field: string;
  value: FieldValue;
}

/** What an item's `decision` column holds once a decision has run. */
interface StoredDecision {
  action?: Exclude<DecisionAction, 'retry'>;
  writes?: PlannedWrite[];
  reason?: string | null;
  /** A link decision's pick. */
  picked?: CandidatePick;
}

/** The pick a link decision carries out: the request's, or for a retry the one that failed. */
function pickOf(request: PersonRequest, item: ReviewItem): CandidatePick | null {
  if (request.action === 'link') return { source: request.source, target: request.target };
  return request.action === 'retry' ? ((item.decision as StoredDecision | null)?.picked ?? null) : null;
}

/** What a decision would write, or why it cannot write anything. */
function plannedWrites(request: PersonRequest, item: ReviewItem, check: Check | undefined): PlannedWrite[] | string {
  const source = item.source as StoredSide | null;
  const target = item.target as StoredSide | null;
  const previous = item.decision as StoredDecision | null;
  switch (request.action) {
    case 'ignore':
      return [];
    case 'retry':
      // A link writes nothing itself: the rules decide what follows it.
      if (previous?.action === 'link') return [];
      return previous?.writes?.length ? previous.writes : 'there is nothing to retry';
    case 'link':
      return [];
    case 'release': {
      const held = heldOf(item);
      return held ? held.orders.map((o) => o.write) : 'this item holds no writes to release';
    }
    case 'approve': {
      if (item.kind === 'guard') return 'this item holds writes back: use Release to make them';
      const writes = (item.suggestion as { writes?: PlannedWrite[] } | null)?.writes ?? [];
      return writes.length ? writes : 'there is no suggested fix to approve; use Override to choose a value';
    }
    case 'override': {
      if (!check) return `check ${item.check_name} is no longer in the policy`;
      if (item.reason === 'ambiguous_match') return 'several records could be this customer: pick the one that belongs first';
      if (!request.reason.trim()) return 'an override needs a reason';
      if (request.value === OTHER_DIRECTION) {
        if (!source || !target) return 'this mismatch has only one record; there is no other direction';
        if (check.map) return `check ${check.name} maps values one way; choose a ${check.target.system} value instead`;
        return [{ system: source.system, object: source.object, id: source.id, field: source.field, from: source.value, to: target.value, financial: check.source.financial }];
      }
      if (!target) return 'this mismatch has no target record to write';
      if (!request.value.trim()) return 'an override needs a value';
      return [{ system: target.system, object: target.object, id: target.id, field: target.field, from: target.value, to: request.value, financial: check.target.financial }];
    }
  }
}

function heldOf(item: ReviewItem): HeldWrites | null {
  const held = (item.suggestion as { held?: HeldWrites } | null)?.held;
  return item.kind === 'guard' && held?.orders?.length ? held : null;
}

/**
 * A write is financial if it was when raised or if the policy says so now: a field marked
 * financial after the item was raised still needs a financial approver.
 */
function withCurrentFinancial(writes: PlannedWrite[], financial: ReadonlySet<string>): PlannedWrite[] {
  return writes.map((w) => ({ ...w, financial: w.financial || isFinancialField(w, financial) }));
}

/** Whether an item is about a financial field, whatever the decision: Ignoring it is a financial approver's call too. */
function itemIsFinancial(item: ReviewItem, check: Check | undefined, financial: ReadonlySet<string>): boolean {
  if (item.reason === 'financial') return true;
  const writes = (item.suggestion as { writes?: PlannedWrite[] } | null)?.writes ?? [];
  if (writes.some((w) => w.financial || isFinancialField(w, financial))) return true;
  return check !== undefined && check.target.financial;
}

/**
 * An override's value must be one the field takes for this record: a HubSpot stage of the deal's
 * own pipeline. The record's pipeline is read fresh (one call, ahead of any cycle's).
 */
async function vocabularyProblem(deps: DecisionDeps, writes: PlannedWrite[]): Promise<string | null> {
  const describe = deps.describe ?? ((system: SystemName, object: string) => {
    const connector = deps.connectors[system];
    if (!connector) throw new Error(`no connector configured for ${system}`);
    return connector.describe(object, { priority: 'interactive' });
  });
  for (const w of writes) {
    try {
      const field = fieldOf(await describe(w.system, w.object), w.field);
      const allowed = allowedValuesOf(field);
      if (!allowed) continue;
      let fields: Record<string, FieldValue> = {};
      if (allowed.scopeField) {
        const [current] = (await deps.connectors[w.system]?.read(w.object, [w.id], [w.field, allowed.scopeField], { priority: 'interactive' })) ?? [];
        if (!current) return `${w.system} ${singularObject(w.object)} ${w.id} could not be read`;
        fields = current.fields;
      }
      const values = allowedFor(allowed, fields);
      if (values === null) continue;
      if (values === 'unknown_scope') return `the ${allowed.scopeField ?? 'scope'} of ${w.system} ${singularObject(w.object)} ${w.id} is not one Recon knows, so it cannot check the value`;
      if (!values.has(String(w.to))) {
        const scope = allowed.scopeField ? String(fields[allowed.scopeField]) : null;
        const labels = new Map((field?.scoped?.scopes.find((s) => s.id === scope)?.options ?? field?.options ?? []).map((o) => [o.value, o.label]));
        const list = [...values].slice(0, 12).map((v) => (labels.get(v) && labels.get(v) !== v ? `${v} (${labels.get(v)})` : v)).join(', ');
        const where = scope ? ` in ${allowed.scopeField} ${allowed.scopeLabels?.get(scope) ?? scope}` : '';
        return `${JSON.stringify(w.to)} is not a ${w.system} ${w.field} value${where}; it accepts ${list}${values.size > 12 ? ', …' : ''}`;
      }
    } catch (error) {
      return `the allowed values of ${w.system} ${w.field} could not be read (${errorMessage(error)}); try again`;
    }
  }
  return null;
}

/** What a decision does and why: a retry repeats the action that failed, an override stays an override with its reason. */
function effectiveDecision(request: PersonRequest, claimed: ReviewItem): { action: Exclude<DecisionAction, 'retry'>; reason: string | null } {
  const previous = claimed.decision as StoredDecision | null;
  switch (request.action) {
    case 'retry':
      return { action: previous?.action ?? 'approve', reason: previous?.reason ?? null };
    case 'override':
      return { action: 'override', reason: request.reason };
    case 'ignore':
      return { action: 'ignore', reason: request.reason ?? null };
    case 'approve':
      return { action: 'approve', reason: null };
    case 'release':
      return { action: 'release', reason: null };
    case 'link':
      return { action: 'link', reason: null };
  }
}

const OUTCOME_OF: Record<'approve' | 'override' | 'release', 'approved' | 'overridden'> = {
  approve: 'approved',
  override: 'overridden',
  release: 'approved',
};

export async function decideItem(deps: DecisionDeps, asked: DecisionRequest): Promise<DecisionResult> {
  const { store } = deps;
  const item = await store.reviewItem(asked.itemId);
  if (!item) return { kind: 'refused', message: `There is no review item ${asked.itemId}.` };
  const financial = financialFields(deps.policy.checks);
  const policyCheck = deps.policy.checks.find((c) => c.name === item.check_name);
  const check = policyCheck ? resolveCheck(policyCheck, financial) : undefined;
  let request: PersonRequest;
  if (asked.action === 'pick') {
    const pair = pickFromCandidate(item, check, asked.candidate);
    if (typeof pair === 'string') return { kind: 'refused', message: `Nothing was changed: ${pair}.` };
    request = { action: 'link', itemId: asked.itemId, user: asked.user, ...pair };
  } else request = asked;
  const entry: Journal['entry'] = (outcome, detail) => ({
    itemId: item.id, actor: request.user, action: request.action, outcome, detail: deps.via ? { ...(detail as object), via: deps.via } : detail,
  });
  // A decision that changed nothing (refused, decided by someone else) is noted on its own: failing
  // to note it must not turn the answer into an error. A decision that settles the item is logged
  // in the settle's transaction (Journal.entry), so an item is never decided without its log row.
  const log = (outcome: DecisionOutcome, detail: unknown) =>
    store.logDecision(entry(outcome, detail)).catch((error: unknown) => deps.logger.error({ err: error, item: item.id, outcome }, 'could not write the decision log'));
  const journal: Journal = { log, entry };

  const planned = plannedWrites(request, item, check);
  const writes = typeof planned === 'string' ? planned : withCurrentFinancial(planned, financial);
  // Authorization comes first: someone who may not decide learns nothing about who did. Ignoring a
  // financial item for good is as much a financial decision as writing it.
  const needsFinancial = request.action === 'ignore'
    ? itemIsFinancial(item, check, financial)
    : typeof writes !== 'string' && writes.some((w) => w.financial);
  const roles = deps.policy.slack ?? { approvers: [], financialApprovers: [] };
  const refused = await refusal(request.user, roles, needsFinancial, deps.directory);
  if (refused) {
    await log('refused', { why: refused, writes });
    deps.logger.warn({ user: request.user, item: item.id, action: request.action }, 'decision refused');
    return { kind: 'refused', message: refused };
  }

  const startsFrom: readonly ReviewItem['status'][] = request.action === 'retry' ? ['failed'] : DECIDABLE_STATUSES;
  if (!startsFrom.includes(item.status)) return alreadyDecided(item, log);
  if (typeof writes === 'string') {
    await log('refused', { why: writes });
    return { kind: 'refused', message: `Nothing was changed: ${writes}.` };
  }
  const pick = pickOf(request, item);
  const pair = pick ? pickedRecords(item, check, pick) : null;
  if (typeof pair === 'string') {
    await log('refused', { why: pair, pick });
    return { kind: 'refused', message: `Nothing was changed: ${pair}.` };
  }
  if (request.action === 'override' && request.value !== OTHER_DIRECTION) {
    const problem = await vocabularyProblem(deps, writes);
    if (problem) {
      await log('refused', { why: problem, writes });
      return { kind: 'refused', message: `Nothing was changed: ${problem}.` };
    }
  }

  // Claimed only from the status it was read in: a decision made meanwhile is not decided over.
  const claimed = await store.claimItem(item.id, request.user, [item.status]);
  if (!claimed) return alreadyDecided((await store.reviewItem(item.id)) ?? item, log);
  // What was planned and authorized above must still be what the claimed row says.
  if (!sameBasis(item, claimed)) {
    await store.releaseClaim(claimed, item);
    await log('refused', { why: 'the item changed between reading and claiming it' });
    return { kind: 'refused', message: 'This mismatch changed just as you clicked (a cycle refreshed it or someone decided it). Nothing was changed; look at it again.' };
  }
  const effective = effectiveDecision(request, claimed);
  // While the writes run, the claim is renewed: a slow vendor never makes it look abandoned.
  const claimedAt = claimed.claimed_at as Date;
  const renewal = setInterval(() => {
    store.renewClaim(item.id, claimedAt).catch((error: unknown) => deps.logger.warn({ err: error, item: item.id }, 'could not renew a decision claim'));
  }, deps.renewEveryMs ?? 60_000);
  renewal.unref();
  try {
    if (effective.action === 'link') {
      if (!pick || !pair) throw new Error('this link decision has no pick to carry out');
      return await carryOutLink(deps, request, claimed, pick, pair, journal);
    }
    return await carryOut(deps, request, claimed, writes, effective, journal);
  } catch (error) {
    if (error instanceof ClaimLost) return alreadyDecided((await store.reviewItem(item.id)) ?? item, log);
    // Whatever broke after the claim, the item must not stay `deciding`: it shows the error and Retry.
    const message = errorMessage(error);
    deps.logger.error({ err: error, item: item.id, action: request.action }, 'a decision failed after its claim');
    const settled = await store.transaction(async (tx) => {
      const row = await tx.settleItem(item.id, claimedAt, { status: 'failed', by: request.user, decision: { ...effective, writes, error: message, ...(pick ? { picked: pick } : {}) } });
      if (row) await tx.logDecision(entry('failed', { errors: [message] }));
      return row;
    });
    if (!settled) return alreadyDecided((await store.reviewItem(item.id)) ?? item, log);
    return { kind: 'decided', item: settled, outcome: 'failed', message: `The decision failed: ${message}` };
  } finally {
    clearInterval(renewal);
  }
}

/** The claim was lost while the decision ran (reopened as abandoned, then taken by another). */
class ClaimLost extends Error {}

/** How a decision is written down: noted on its own when nothing changed, or as the entry of its settle. */
interface Journal {
  log(outcome: DecisionOutcome, detail: unknown): Promise<unknown>;
  entry(outcome: DecisionOutcome, detail: unknown): { itemId: string; actor: string; action: DecisionAction; outcome: DecisionOutcome; detail: unknown };
}

/** Whether the row claimed is the row that was read, planned and authorized. */
function sameBasis(read: ReviewItem, claimed: ReviewItem): boolean {
  const basis = (i: ReviewItem) => JSON.stringify([i.suggestion, i.source, i.target, i.decision]);
  return basis(read) === basis(claimed);
}

/** The decision itself, once the item is claimed: suppress, or write through compare-and-set; then settle. */
async function carryOut(
  deps: DecisionDeps,
  request: DecisionRequest,
  item: ReviewItem,
  writes: PlannedWrite[],
  effective: ReturnType<typeof effectiveDecision>,
  journal: Journal,
): Promise<DecisionResult> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const claimedAt = item.claimed_at as Date;
  /** Settles the item and logs the decision in one transaction, with `also` (a suppression) inside it. */
  const settle = (outcome: { status: ReviewItem['status']; decision: unknown }, logged: [DecisionOutcome, unknown], also?: (tx: ReconStore) => Promise<void>) =>
    store.transaction(async (tx) => {
      const settled = await tx.settleItem(item.id, claimedAt, { ...outcome, by: request.user });
      if (!settled) throw new ClaimLost();
      await also?.(tx);
      await tx.logDecision(journal.entry(...logged));
      return settled;
    });
  if (request.action === 'ignore') {
    const expiresAt = request.snoozeDays ? new Date(now() + request.snoozeDays * 86_400_000) : null;
    // The suppression and the settle stand or fall together: no suppression from a lost claim.
    const settled = await settle(
      { status: 'ignored', decision: { action: 'ignore', until: expiresAt?.toISOString() ?? null, reason: request.reason ?? null } },
      ['ignored', { until: expiresAt?.toISOString() ?? null }],
      (tx) => tx.addSuppression({ fingerprint: item.fingerprint, check: item.check_name, createdBy: request.user, reason: request.reason ?? null, reviewItemId: item.id, expiresAt }),
    );
    await carryOverHeld(deps, item, (heldOf(item)?.orders ?? []).map((o) => heldKey(o.write)));
    const until = expiresAt ? `until ${expiresAt.toISOString().slice(0, 10)}` : 'for as long as the values stay as they are';
    return { kind: 'decided', item: settled, outcome: 'ignored', message: `Ignored ${until}.` };
  }

  const action = effective.action === 'override' ? 'override' : effective.action === 'release' ? 'release' : 'approve';
  const reason = effective.reason;
  const origin = `decision:${item.id}`;
  // Each attempt has its own keys: a retry must not be answered with the failed attempt's cached reply.
  const attempt = `${origin}@${claimedAt.getTime()}`;
  const held = heldOf(item);
  const orders: WriteOrder[] = writes.map((write, n) => {
    const heldOrder = action === 'release' ? held?.orders[n] : undefined;
    const fingerprint = heldOrder?.fingerprint ?? item.fingerprint;
    return {
      write,
      check: item.check_name,
      fingerprint,
      rule: heldOrder?.rule ?? action,
      reason: action === 'override'
        ? `override by ${request.user}: ${reason ?? ''}`
        : action === 'release'
          ? `released by ${request.user}: ${heldOrder?.reason ?? item.category}`
          : `${request.action} by ${request.user}: ${item.category}`,
      idempotencyKey: idempotencyKey(attempt, fingerprint, write),
    };
  });
  let tally;
  try {
    tally = await applyWrites(
      {
        store, connectors: deps.connectors, actor: request.user, origin, runId: null, logger: deps.logger,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        beforeSend: (tx) => tx.assertClaimHeld(item.id, claimedAt, () => new ClaimLost('this decision lost its claim on the item; nothing was sent')),
      },
      orders,
    );
  } catch (error) {
    if (error instanceof ClaimLost) throw error;
    tally = { applied: 0, noop: 0, stale: 0, failed: orders.length, errors: [errorMessage(error)] };
  }
  const decision = { action, writes, reason, tally };
  if (tally.failed > 0) {
    const settled = await settle({ status: 'failed', decision: { ...decision, error: tally.errors.join('; ') } }, ['failed', { errors: tally.errors }]);
    return { kind: 'decided', item: settled, outcome: 'failed', message: `The write failed: ${tally.errors.join('; ')}` };
  }
  if (tally.stale > 0 && tally.applied + tally.noop === 0) {
    // The record changed since the item was raised: nothing is overwritten; the next cycle refreshes it.
    // The item stays open, so it names no decider: who tried and when are kept with the decision for its message.
    const settled = await settle({ status: 'open', decision: { ...decision, stale: true, by: request.user, at: new Date(now()).toISOString() } }, ['stale', { tally }]);
    return { kind: 'decided', item: settled, outcome: 'stale', message: 'The record changed since this was raised, so nothing was written. The next cycle will show it as it is now.' };
  }
  const outcome = OUTCOME_OF[action];
  const settled = await settle({ status: outcome, decision }, [outcome, { tally }]);
  if (action === 'release') await carryOverHeld(deps, item, writes.map(heldKey));
  const skipped = tally.stale > 0 ? ` ${tally.stale} of ${writes.length} writes were skipped because their record changed since this was raised.` : '';
  const what = action === 'release' ? `Released: ${tally.applied} of ${writes.length} writes applied (${tally.noop} already held the value)` : `${outcome === 'overridden' ? 'Overridden' : 'Approved'}: ${describeWrites(writes)}`;
  return { kind: 'decided', item: settled, outcome, message: `${what}.${skipped}` };
}

/** Writes held into a guard item while a person decided it are not dropped with it: they wait in the check's open guard item. */
async function carryOverHeld(deps: DecisionDeps, item: ReviewItem, taken: string[]): Promise<void> {
  if (item.kind !== 'guard') return;
  const left = await deps.store.carryOverHeld(item.id, taken).catch((error: unknown) => {
    deps.logger.error({ err: error, item: item.id }, 'could not carry the writes held during a decision over to a new guard item');
    return 0;
  });
  if (left > 0) deps.logger.warn({ item: item.id, left }, 'writes held while a guard item was decided wait in the check\'s open guard item');
}

/** A link decision, once the item is claimed: link, reconcile the pair by the rules, settle. */
async function carryOutLink(
  deps: DecisionDeps,
  request: DecisionRequest,
  item: ReviewItem,
  pick: CandidatePick,
  pair: Exclude<ReturnType<typeof pickedRecords>, string>,
  journal: Journal,
): Promise<DecisionResult> {
  const claimedAt = item.claimed_at as Date;
  const then = await linkAndReconcile(deps, item, pair);
  const decision = { action: 'link' as const, picked: pick, linked: pair, then };
  const settled = await deps.store.transaction(async (tx) => {
    const row = await tx.settleItem(item.id, claimedAt, { status: 'approved', by: request.user, decision });
    if (!row) throw new ClaimLost();
    await tx.logDecision(journal.entry('approved', { picked: pick, then }));
    return row;
  });
  return { kind: 'decided', item: settled, outcome: 'approved', message: linkMessage(pair, then) };
}

function describeWrites(writes: PlannedWrite[]): string {
  return writes.map((w) => `${w.system} ${singularObject(w.object)} ${w.id} ${w.field} set to ${JSON.stringify(w.to)}`).join('; ');
}

async function alreadyDecided(item: ReviewItem, log: (outcome: DecisionOutcome, detail: unknown) => Promise<unknown>): Promise<DecisionResult> {
  await log('already_decided', { status: item.status, by: item.decided_by });
  const who = item.decided_by ? `<@${item.decided_by}>` : 'Recon';
  const what = item.status === 'deciding' ? `is being decided by ${who}` : `was already ${item.status.replace('_', ' ')} by ${who}`;
  return { kind: 'already_decided', item, message: `This mismatch ${what}.` };
}
