/**
 * One reconciliation cycle: the policy checked against the systems, then each check read (in full,
 * or incrementally from its cursors), matched, diffed and decided by the engine, its safe fixes
 * applied compare-and-set and its escalations queued for a person. Handed its store and
 * connectors; it imports neither the database nor a connector.
 */
import { randomUUID } from 'node:crypto';
import { guardWindowMs, maxAutoFixes } from '../config/checks.ts';
import { formatDuration } from '../config/duration.ts';
import type { Policy } from '../config/policy.ts';
import type { Check, CheckSide } from '../domain/check.ts';
import type { PlannedWrite, Resolution } from '../domain/discrepancy.ts';
import { ConfigError, errorMessage, ReconError } from '../domain/errors.ts';
import type { CallPriority, ConnectorsBySystem, ObjectDescription, PageProgress } from '../domain/ports.ts';
import type { FieldValue, SystemName, SystemRecord } from '../domain/records.ts';
import { recordKey, type AppliedWrite, type Decided, type GuardRequest, type Escalation, type NewLinkPair, type ReconStore, type RunMode } from '../domain/store.ts';
import { MATCHED_BY, type LinkState } from '../engine/match.ts';
import { needsHistory, planCheck } from '../engine/plan.ts';
import { decide, type RuleContext } from '../engine/rules.ts';
import { Snapshot } from '../engine/snapshot.ts';
import { sameValue } from '../engine/values.ts';
import type { Logger } from '../log.ts';
import { applyWrites, idempotencyKey, settleInterruptedWrites, type WriteOrder } from './apply.ts';
import { assertPolicyMatches } from './preflight.ts';
import { bump, emptyStats, missedByFastLoop, type CheckStats, type FastLoopCoverage, type PlannedChange, type PlannedEscalation } from './stats.ts';

export interface CycleDeps {
  store: ReconStore;
  connectors: ConnectorsBySystem;
  policy: Policy;
  logger: Logger;
  now?: () => number;
  progress?: PageProgress;
  /** Describes an object for the policy check; `recon serve` passes its cache (a pipeline changes rarely). */
  describe?: (system: SystemName, object: string, priority?: CallPriority) => Promise<ObjectDescription>;
  /** The webhooks `recon serve` takes, for counting what they missed; absent when none are on. */
  fastLoop?: FastLoopCoverage;
  /** Waits between rounds of retried writes (default: real time); injectable for tests and the simulation. */
  sleep?: (ms: number) => Promise<void>;
}


export interface CycleOptions {
  /** Only these checks; all when absent. */
  checks?: string[];
  dryRun?: boolean;
  /**
   * Read everything, not only what changed since the last cycle. Only a full pass concludes that
   * a record is gone. Without it a check runs incrementally when it has cursors.
   */
  full?: boolean;
}

export interface CycleResult {
  cycleId: string;
  startedAt: string;
  durationMs: number;
  checks: CheckStats[];
  apiCalls: Partial<Record<SystemName, number>>;
  /** Review items of checks no longer in the policy, closed as obsolete by this cycle. */
  obsoleteClosed: number;
}

/** A decision still `deciding` after this long without renewing its claim died with its process. */
export const ABANDONED_DECISION_MS = 10 * 60_000;
/** Without a full pass for this long, a check runs one even when it has cursors. */
export const FULL_PASS_MAX_AGE_MS = 7 * 86_400_000;
/**
 * A record last modified no later than this after Recon's own write to it is that write coming
 * back (HubSpot stamps the change a moment after it applies it): its counterpart need not be read.
 */
export const ECHO_MS = 5_000;
/** Below this many records read, an all-empty source field is not worth a warning (but still closes nothing). */
const EMPTY_FIELD_WARNING_MIN = 10;

type Escalated = Decided & { resolution: Extract<Resolution, { type: 'escalate' }> };

/** One side of a check as read this cycle: its snapshot and where the next incremental read starts. */
interface SideRead {
  snapshot: Snapshot;
  mode: RunMode;
  cursor: string | null;
  /** Entities linked to records of this object that the snapshot does not hold (for "linked record gone"). */
  goneEntities: Set<number>;
  linksLoaded: boolean;
}

/** The snapshots a cycle reads, shared by the checks that read the same object from the same cursor. */
class Reads {
  private readonly reads = new Map<string, Promise<SideRead>>();
  constructor(
    private readonly deps: CycleDeps,
    private readonly fieldsOf: Map<string, string[]>,
    private readonly refsOf: Map<string, SystemName[]>,
  ) {}

  side(side: CheckSide, since: string | null): Promise<SideRead> {
    const key = `${side.system}:${side.object}:${since ?? ''}`;
    let pending = this.reads.get(key);
    if (!pending) {
      pending = this.read(side, since);
      this.reads.set(key, pending);
    }
    return pending;
  }

  private async read(side: CheckSide, since: string | null): Promise<SideRead> {
    const connector = this.deps.connectors[side.system];
    if (!connector) throw new ConfigError(`no connector configured for ${side.system}`);
    const objectKey = `${side.system}:${side.object}`;
    const snapshot = new Snapshot({
      system: side.system, object: side.object, fields: this.fieldsOf.get(objectKey) ?? [side.field],
      refSystems: this.refsOf.get(objectKey) ?? [], urlOf: (id) => connector.recordUrl(side.object, id),
    });
    let mode: RunMode = since ? 'incremental' : 'full';
    let cursor: string | null = since;
    for await (const page of connector.list(side.object, snapshot.fields as string[], { since, ...(this.deps.progress ? { progress: this.deps.progress } : {}) })) {
      for (const record of page.records) snapshot.add(record);
      mode = page.mode;
      cursor = page.cursor ?? cursor;
    }
    return { snapshot, mode, cursor, goneEntities: new Set(), linksLoaded: false };
  }
}

/** Every field the selected checks read from each object (with the fields that scope their values), so one read serves them all. */
function fieldsPerObject(checks: Check[], descriptions: Map<string, ObjectDescription>): Map<string, string[]> {
  const fields = new Map<string, Set<string>>();
  const add = (side: CheckSide, field: string) => {
    const key = `${side.system}:${side.object}`;
    if (!fields.has(key)) fields.set(key, new Set());
    fields.get(key)?.add(field);
  };
  for (const check of checks) {
    for (const side of [check.source, check.target]) {
      add(side, side.field);
      const scope = descriptions.get(`${side.system}:${side.object}`)?.fields.find((f) => f.name === side.field)?.scoped?.by;
      if (scope) add(side, scope);
    }
    if (check.highValue) add(check.highValue.side === 'source' ? check.source : check.target, check.highValue.field);
  }
  return new Map([...fields].map(([key, set]) => [key, [...set]]));
}

/** The systems whose ids each object's records may hold: those of the objects it is checked against. */
function refsPerObject(checks: Check[]): Map<string, SystemName[]> {
  const refs = new Map<string, Set<SystemName>>();
  const add = (side: CheckSide, other: SystemName) => {
    const key = `${side.system}:${side.object}`;
    if (!refs.has(key)) refs.set(key, new Set());
    refs.get(key)?.add(other);
  };
  for (const check of checks) {
    add(check.source, check.target.system);
    add(check.target, check.source.system);
  }
  return new Map([...refs].map(([key, set]) => [key, [...set]]));
}

function callsSnapshot(connectors: ConnectorsBySystem): Partial<Record<SystemName, number>> {
  const calls: Partial<Record<SystemName, number>> = {};
  for (const [system, connector] of Object.entries(connectors)) if (connector) calls[system] = connector.apiCalls();
  return calls;
}

function callsSince(connectors: ConnectorsBySystem, before: Partial<Record<SystemName, number>>): Partial<Record<SystemName, number>> {
  const now = callsSnapshot(connectors);
  const delta: Partial<Record<SystemName, number>> = {};
  for (const [system, calls] of Object.entries(now)) delta[system] = (calls ?? 0) - (before[system] ?? 0);
  return delta;
}

/**
 * One reconciliation cycle: the policy is checked against the systems first (a mismatch throws
 * {@link PolicyMismatchError} before any record is read), then each selected check in policy order.
 */
export async function runCycle(deps: CycleDeps, options: CycleOptions = {}): Promise<CycleResult> {
  const started = Date.now();
  const cycleId = randomUUID();
  const names = deps.policy.checks.map((c) => c.name);
  const unknown = (options.checks ?? []).filter((name) => !names.includes(name));
  if (unknown.length) {
    throw new ConfigError(`no check named ${unknown.join(', ')}; the policy has ${names.join(', ')}`, { code: 'usage.unknown_check' });
  }
  const before = callsSnapshot(deps.connectors);
  const preflight = await assertPolicyMatches(deps.policy, deps.connectors, { only: options.checks ?? [], ...(deps.describe ? { describe: deps.describe } : {}) });
  const selected = options.checks?.length ? preflight.checks.filter((c) => options.checks?.includes(c.name)) : preflight.checks;
  const obsoleteClosed = !options.dryRun && !options.checks?.length ? await deps.store.closeObsoleteItems(names) : 0;
  const reads = new Reads(deps, fieldsPerObject(selected, preflight.descriptions), refsPerObject(selected));
  const results: CheckStats[] = [];
  for (const check of selected) {
    const callsBefore = callsSnapshot(deps.connectors);
    const stats = emptyStats(
      check.name,
      { system: check.source.system, object: check.source.object, records: 0 },
      { system: check.target.system, object: check.target.object, records: 0 },
      options.dryRun ?? false,
    );
    const startedCheck = Date.now();
    try {
      const locked = await deps.store.withLock(`recon:check:${check.name}`, () => runCheck(deps, check, reads, stats, cycleId, options));
      if (!locked) {
        stats.status = 'skipped';
        stats.skipped = 'another replica is running this check';
      }
    } catch (error) {
      // Refused credentials or a missing scope fail every check alike: say it once, for the whole cycle.
      if (error instanceof ReconError && (error.exitCode === 2 || error.code === 'api.unauthorized' || error.code === 'api.forbidden' || error.code.startsWith('db.'))) throw error;
      stats.status = 'failed';
      stats.errors.push(errorMessage(error));
      deps.logger.error({ err: error, check: check.name }, 'check failed');
      if (stats.runId) {
        await deps.store.finishRun(stats.runId, { status: 'failed', stats: { ...stats }, error: errorMessage(error) }).catch((finishError: unknown) => {
          deps.logger.error({ err: finishError, check: check.name }, 'could not record the failure of a run');
        });
      }
    }
    stats.durationMs = Date.now() - startedCheck;
    stats.apiCalls = callsSince(deps.connectors, callsBefore);
    results.push(stats);
  }
  return {
    cycleId,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    checks: results,
    apiCalls: callsSince(deps.connectors, before),
    obsoleteClosed,
  };
}

/** Where the check reads from: its cursors, unless a full pass is asked for or due. */
async function cursorsFor(deps: CycleDeps, check: Check, options: CycleOptions, now: number): Promise<{ source: string | null; target: string | null; lastFullRecords: number | null; previousAt: number | null }> {
  const last = await deps.store.lastCursors(check.name);
  const previousAt = last ? last.lastStartedAt.getTime() : null;
  const full = { source: null, target: null, lastFullRecords: null, previousAt };
  if (options.full || !last?.cursors.source || !last.cursors.target) return full;
  if (!last.lastFullAt || now - last.lastFullAt.getTime() > FULL_PASS_MAX_AGE_MS) return full;
  return { source: last.cursors.source, target: last.cursors.target, lastFullRecords: last.lastFullRecords, previousAt };
}


async function runCheck(deps: CycleDeps, check: Check, reads: Reads, stats: CheckStats, cycleId: string, options: CycleOptions): Promise<void> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const dryRun = options.dryRun ?? false;
  const since = await cursorsFor(deps, check, options, now());
  let [source, target] = await Promise.all([reads.side(check.source, since.source), reads.side(check.target, since.target)]);
  // A side whose cursor was too old (or answered 410) was read in full: the other must be too.
  if (source.mode !== target.mode) {
    if (source.mode === 'incremental') source = await reads.side(check.source, null);
    else target = await reads.side(check.target, null);
  }
  const mode: RunMode = source.mode;
  stats.mode = mode;
  if (mode === 'full' && (since.source !== null || since.target !== null)) stats.cursorExpired = true;
  const run = await store.startRun({ cycleId, check: check.name, mode, dryRun });
  stats.runId = run.id;
  const log = deps.logger.child({ check: check.name, run: run.id, mode });

  if (!dryRun) {
    await store.failAbandonedRuns(check.name, run.id);
    const abandonedBefore = now() - ABANDONED_DECISION_MS;
    stats.recovered = await settleInterruptedWrites(
      { store, connectors: deps.connectors, logger: log },
      // Earlier runs of this check are dead (we hold its lock); a person's decision may still be
      // writing, so its intents count as interrupted only once they are clearly abandoned.
      (intent) =>
        intent.check_name === check.name &&
        intent.run_id !== run.id &&
        (intent.run_id !== null || new Date(intent.created_at).getTime() < abandonedBefore),
    );
    await store.reopenAbandonedDecisions(check.name, new Date(abandonedBefore));
  }

  if (mode === 'incremental') await addCounterparts(deps, check, source, target);
  await loadEntities(store, check.source, source, mode);
  await loadEntities(store, check.target, target, mode);
  stats.read.source.records = source.snapshot.size;
  stats.read.target.records = target.snapshot.size;

  const outcome = await resolve(deps, check, source.snapshot, target.snapshot, { goneSourceEntities: source.goneEntities, goneTargetEntities: target.goneEntities }, {
    mode, runId: run.id, origin: `run:${run.id}`, actor: 'auto', dryRun, guard: true, stats, log, previousAt: since.previousAt,
    population: mode === 'full' ? Math.max(source.snapshot.size, target.snapshot.size) : (since.lastFullRecords ?? Math.max(source.snapshot.size, target.snapshot.size)),
  });
  if (dryRun) {
    await store.finishRun(run.id, { status: 'succeeded', stats: { ...stats, plan: undefined } });
    return;
  }
  await store.finishRun(run.id, {
    status: stats.status === 'partial' ? 'partial' : 'succeeded',
    stats: { ...stats, recordsRead: outcome.population },
    ...(source.cursor && target.cursor ? { cursors: { source: source.cursor, target: target.cursor } } : {}),
  });
  log.info({ discrepancies: stats.discrepancies.total, autoFixed: stats.autoFixed, escalated: stats.escalated }, 'check reconciled');
}

/** How a plan is carried out: by a cycle's run, or for one webhook event. */
export interface ResolveOptions {
  mode: RunMode;
  /** Pair by email in an incremental pass: every record holding the email was searched for on both sides. */
  byEmail?: boolean;
  /** The run that records what was found; null for a webhook event (its inbox row records it). */
  runId: string | null;
  /** `run:42`, `event:stripe:evt_...`: the change log's origin and the idempotency keys' root. */
  origin: string;
  actor: 'auto' | 'fast-loop';
  dryRun: boolean;
  /** Put the auto-fixes to the check's blast-radius guard (cycles and events do; a person's pick does not). */
  guard: boolean;
  stats: CheckStats;
  log: Logger;
  /** The records the guard's share is counted from. */
  population: number;
  /** When the check's previous run started, for counting what the fast loop missed (a cycle only). */
  previousAt?: number | null;
}

/**
 * Matches, diffs and decides one check over two snapshots, then carries the plan out: new links,
 * field history where the conflict rule needs it, discrepancies recorded, escalations queued and
 * items fixed elsewhere closed, the guard, and the safe writes applied compare-and-set. The same
 * for a cycle and for one webhook event: the same rules, the same guards.
 */
export async function resolve(deps: CycleDeps, check: Check, source: Snapshot, target: Snapshot, links: LinkState, options: ResolveOptions): Promise<{ population: number; touched: Set<string> }> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const { mode, runId, dryRun, stats, log } = options;
  const suppressions = await store.activeSuppressions([check.name], new Date(now()));
  const context: RuleContext = { suppressions, now: now() };
  const plan = planCheck(check, source, target, links, context, { mode, ...(options.byEmail !== undefined ? { byEmail: options.byEmail } : {}) });
  const fresh: NewLinkPair[] = [];
  for (let i = 0; i < plan.match.pairCount; i++) {
    const by = MATCHED_BY[plan.match.pairBy[i] as number] ?? 'link';
    bump(stats.links.byMatch, by);
    if (by === 'link') continue;
    fresh.push({
      source: { system: check.source.system, object: check.source.object, id: source.id(plan.match.pairSource[i] as number) },
      target: { system: check.target.system, object: check.target.object, id: target.id(plan.match.pairTarget[i] as number) },
      matchedBy: by,
    });
  }
  stats.links.matched = plan.match.pairCount;
  // New links are saved while the history reads go on; they are waited for before anything is written.
  const linking = !dryRun && fresh.length ? store.saveLinks(fresh) : Promise.resolve(0);
  const [historyUnavailable, linked] = await Promise.all([fetchHistory(deps, check, plan.decided, context, source, target), linking]);
  stats.links.new = linked;
  if (historyUnavailable > 0) stats.errors.push(`the edit history of ${historyUnavailable} records could not be read; they are left for the next cycle`);

  // A fix the target system refused before waits for a person: it is not sent again on its own.
  // (Asked only when there is a fix to make: most webhook events have none.)
  const refused = plan.decided.some((x) => x.resolution.type === 'auto_fix') ? await store.refusedWrites(check.name) : new Map<string, string>();
  for (const x of plan.decided) {
    const r = x.resolution;
    const explanation = refused.get(x.discrepancy.fingerprint);
    if (r.type === 'auto_fix' && explanation !== undefined) x.resolution = refusedFix(r.writes, explanation);
  }

  if (options.previousAt !== undefined) stats.missedByFastLoop = missedByFastLoop(plan.decided, deps.fastLoop, options.previousAt, now());
  for (const { discrepancy: d, resolution: r } of plan.decided) {
    stats.discrepancies.total++;
    bump(stats.discrepancies.byKind, d.kind);
    bump(stats.discrepancies.byCategory, d.category);
    if (r.type === 'escalate') {
      stats.escalated++;
      bump(stats.escalatedByReason, r.reason);
    } else if (r.type === 'suppressed') stats.suppressed++;
  }

  // A source field that no record fills is a typo or a broken read, never a reason to close items.
  const sourceEmpty = source.size > 0 && isEmptyEverywhere(source, check.source.field);
  if (sourceEmpty && (mode === 'full' || source.size >= EMPTY_FIELD_WARNING_MIN)) {
    stats.warnings.push(`${check.source.system} ${check.source.object}.${check.source.field} is empty on all ${source.size} records read; open items were left as they are`);
  }

  if (!dryRun && runId) await store.saveDiscrepancies(runId, plan.decided);
  const escalations = plan.decided.filter((x): x is Escalated => x.resolution.type === 'escalate');
  const orders: (WriteOrder & { category: string })[] = plan.decided.flatMap(({ discrepancy: d, resolution: r }) =>
    r.type === 'auto_fix'
      ? r.writes.map((write) => ({
          write,
          check: check.name,
          fingerprint: d.fingerprint,
          rule: r.rule,
          reason: `${d.category}: ${r.explanation}`,
          idempotencyKey: idempotencyKey(options.origin, d.fingerprint, write),
          sourceChangedAt: changedAt(write.system === d.target?.system ? d.source : d.target, write.system === d.target?.system ? check.source.field : check.target.field),
          category: d.category,
        }))
      : [],
  );

  // The blast-radius guard: a rolling budget per check that cycles and webhooks spend together.
  const population = options.population;
  const limit = maxAutoFixes(deps.policy, check.name, population);

  if (dryRun) {
    // As the real run would: what the guard's budget (and an item still holding writes) lets through.
    const preview = options.guard ? await deps.store.previewAutoFixes(guardRequest(deps, check, limit, orders, plan.decided, touchedEntities(source, target), options)) : { admitted: orders.length, held: 0 };
    const wouldSend = orders.slice(0, preview.admitted);
    stats.wouldWrite = wouldSend.length;
    stats.plan = {
      writes: wouldSend.map((o) => ({ write: o.write, category: o.category, rule: o.rule ?? '', reason: o.reason ?? '' } satisfies PlannedChange)),
      escalations: escalations.map(({ discrepancy: d, resolution: r }) => ({
        category: d.category, reason: r.reason, explanation: r.explanation,
        source: d.source ? { system: d.source.system, object: d.source.object, id: d.source.id, value: d.sourceValue } : null,
        target: d.target ? { system: d.target.system, object: d.target.object, id: d.target.id, value: d.targetValue } : null,
      } satisfies PlannedEscalation)),
    };
    if (preview.held > 0) stats.warnings.push(`the blast-radius guard (${limit} fixes per ${formatDuration(guardWindowMs(deps.policy, check.name))}) would hold ${preview.held} of ${orders.length} writes of this check for a person to release`);
    return { population, touched: new Set() };
  }

  const touched = touchedEntities(source, target);
  let admitted = orders;
  if (options.guard) {
    const guard = await guardOrders(deps, check, limit, orders, plan.decided, touched, options);
    admitted = guard.admitted.map((i) => orders[i] as (typeof orders)[number]);
    stats.heldByGuard = guard.held;
    stats.reviewItems.opened += guard.opened;
    stats.reviewItems.refreshed += guard.refreshed;
    if (guard.held > 0) {
      stats.escalated++;
      bump(stats.escalatedByReason, 'blast_radius');
      log.warn({ held: guard.held, admitted: admitted.length, limit }, 'blast-radius guard held writes of this check for a person to release');
    }
    if (guard.closed) log.info({ agreed: guard.agreed, handedOver: guard.handedOver }, 'every record the guard held was read again and needs no write: its item is closed');
  }
  const items = await store.transaction(async (tx) => {
    const upserted = await tx.upsertOpenItems(runId, { source: check.source.field, target: check.target.field }, escalations);
    let resolvedElsewhere = 0;
    if (!sourceEmpty) {
      // An item stays open while its discrepancy is still there and Recon is not fixing it now (or is held from it).
      const fixing = new Set(admitted.map((o) => o.fingerprint));
      const waiting = plan.decided.filter((x) => x.resolution.type !== 'auto_fix' || !fixing.has(x.discrepancy.fingerprint));
      resolvedElsewhere = (await tx.resolveVanished(check.name, runId, new Set(waiting.map((x) => x.discrepancy.fingerprint)), mode === 'incremental' ? touched : undefined)).length;
    }
    return { ...upserted, resolvedElsewhere };
  });
  stats.reviewItems = { ...items, opened: items.opened + stats.reviewItems.opened, refreshed: items.refreshed + stats.reviewItems.refreshed };

  if (admitted.length > 0) {
    const tally = await applyWrites({ store, connectors: deps.connectors, actor: options.actor, origin: options.origin, runId, logger: log, ...(deps.sleep ? { sleep: deps.sleep } : {}) }, admitted);
    stats.autoFixed = tally.applied;
    stats.noop = tally.noop;
    stats.stale = tally.stale;
    stats.failed = tally.failed;
    stats.errors.push(...tally.errors);
    // What the target refused for good becomes an item with the vendor's message, so a person sees it and decides.
    const errors = new Map(tally.refused.map((f) => [f.fingerprint, f.error]));
    const refusedNow = plan.decided.flatMap((x) => {
      const error = errors.get(x.discrepancy.fingerprint);
      return error !== undefined && x.resolution.type === 'auto_fix' ? [{ discrepancy: x.discrepancy, resolution: refusedFix(x.resolution.writes, refusalExplanation(x.resolution.writes, error)) }] : [];
    });
    if (refusedNow.length) {
      const raised = await store.upsertOpenItems(runId, { source: check.source.field, target: check.target.field }, refusedNow);
      stats.reviewItems.opened += raised.opened;
      stats.reviewItems.refreshed += raised.refreshed;
      stats.escalated += refusedNow.length;
      stats.escalatedByReason.write_refused = (stats.escalatedByReason.write_refused ?? 0) + refusedNow.length;
    }
  }
  stats.failed += historyUnavailable;
  stats.status = stats.failed > 0 ? 'partial' : 'succeeded';
  return { population, touched };
}

/** A fix the target system refused: escalated with its explanation, its writes as the suggestion. */
function refusedFix(writes: PlannedWrite[], explanation: string): Escalation {
  return { type: 'escalate', reason: 'write_refused', explanation, suggestion: writes, presentation: 'message' };
}

/** `hubspot refused the write of dealstage "closedwon": <the vendor's message>`. */
function refusalExplanation(writes: PlannedWrite[], error: string): string {
  const write = writes[0];
  return `${write?.system ?? 'the target'} refused ${write ? `the write of ${write.field} ${JSON.stringify(write.to)}` : 'the write'}: ${error}`;
}

/**
 * Puts a pass's auto-fixes to the check's rolling guard, naming what the pass read so that held
 * writes whose record now agrees (or waits for a person on its own) leave the guard's item.
 */
function guardOrders(deps: CycleDeps, check: Check, limit: number, orders: (WriteOrder & { category: string })[], decided: Decided[], read: Set<string>, options: ResolveOptions) {
  return deps.store.guardAutoFixes(guardRequest(deps, check, limit, orders, decided, read, options));
}

/** A pass's fixes as the guard weighs them. */
function guardRequest(deps: CycleDeps, check: Check, limit: number, orders: (WriteOrder & { category: string })[], decided: Decided[], read: Set<string>, options: ResolveOptions): GuardRequest {
  const undetermined = new Set<string>();
  const handedOver = new Set<string>();
  for (const { discrepancy: d, resolution: r } of decided) {
    const into = r.type === 'noop' ? undetermined : r.type === 'escalate' || r.type === 'suppressed' ? handedOver : null;
    if (!into) continue;
    for (const record of [d.source, d.target]) if (record) into.add(recordKey(record));
  }
  const windowMs = guardWindowMs(deps.policy, check.name);
  const window = formatDuration(windowMs);
  return {
    check: check.name, runId: options.runId, origin: options.origin,
    allOrNothing: options.actor === 'auto',
    limit, windowMs, window, recordsRead: options.population, now: new Date((deps.now ?? Date.now)()),
    orders: orders.map((o) => ({ write: o.write, fingerprint: o.fingerprint, rule: o.rule, reason: o.reason, category: o.category })),
    read, undetermined, handedOver,
    explain: (held) => `${held} fixes of check ${check.name} are held: more than its guard of ${limit} per ${window} (${guardWords(deps.policy, check.name)}) would have been made on their own. Nothing held was written; release them if they are right.`,
  };
}

function guardWords(policy: Policy, check: string): string {
  const own = policy.checks.find((c) => c.name === check)?.guards?.maxAutoFixes ?? policy.guards?.maxAutoFixes;
  return own === undefined ? 'the default: 5% of its records, at least 25' : `guards.maxAutoFixes: ${own}`;
}

function isEmptyEverywhere(snapshot: Snapshot, field: string): boolean {
  const f = snapshot.fieldIndex(field);
  if (f < 0) return true;
  for (let row = 0; row < snapshot.size; row++) if (snapshot.code(row, f) !== 0) return false;
  return true;
}

/** The record keys an incremental run looked at: only their items may be closed by it. */
function touchedEntities(source: Snapshot, target: Snapshot): Set<string> {
  const keys = new Set<string>();
  for (const snapshot of [source, target]) {
    for (let row = 0; row < snapshot.size; row++) keys.add(`${snapshot.system}:${snapshot.object}:${snapshot.id(row)}`);
  }
  return keys;
}

/**
 * An incremental pass read only what changed on each side; the counterparts of those records (by
 * stored link, or by an id one holds for the other) are read by id, in batches.
 */
async function addCounterparts(deps: CycleDeps, check: Check, source: SideRead, target: SideRead): Promise<void> {
  const wanted = async (from: SideRead, fromSide: CheckSide, to: SideRead, toSide: CheckSide): Promise<string[]> => {
    const ids = Array.from({ length: from.snapshot.size }, (_, row) => from.snapshot.id(row));
    const [linked, ours] = await Promise.all([deps.store.linkedCounterparts(fromSide, ids, toSide), deps.store.lastAppliedWrites(fromSide, ids)]);
    const missing = new Set<string>();
    for (let row = 0; row < from.snapshot.size; row++) {
      // Recon's own write coming back (the record changed no later than just after it, and still holds
      // what Recon wrote): nothing changed that its counterpart must be read for. A person's edit in
      // those seconds holds another value, and is read with its counterpart like any change.
      const wrote = ours.get(from.snapshot.id(row));
      const modifiedAt = from.snapshot.updatedAt(row);
      if (wrote && modifiedAt !== null && modifiedAt <= wrote.at.getTime() + ECHO_MS && holdsWhatWasWritten(from.snapshot, row, wrote)) continue;
      for (const id of linked.get(from.snapshot.id(row)) ?? []) if (to.snapshot.rowOfId(id) < 0) missing.add(id);
      const ref = from.snapshot.ref(row, toSide.system);
      if (ref !== undefined && to.snapshot.rowOfId(ref) < 0) missing.add(ref);
    }
    return [...missing];
  };
  const [forTarget, forSource] = await Promise.all([wanted(source, check.source, target, check.target), wanted(target, check.target, source, check.source)]);
  const read = async (side: CheckSide, into: SideRead, ids: string[]) => {
    if (ids.length === 0) return;
    const connector = deps.connectors[side.system];
    if (!connector) return;
    for (const record of await connector.read(side.object, ids, into.snapshot.fields as string[], { asListed: true })) into.snapshot.add(record);
    into.linksLoaded = false;
  };
  await Promise.all([read(check.target, target, forTarget), read(check.source, source, forSource)]);
}

/** Whether the record still holds the value Recon last wrote to it (a field the read did not fetch counts as held). */
function holdsWhatWasWritten(snapshot: Snapshot, row: number, wrote: AppliedWrite): boolean {
  if (snapshot.fieldIndex(wrote.field) < 0) return true;
  return sameValue(snapshot.value(row, wrote.field), wrote.after as FieldValue);
}

/**
 * Gives each record of a side the entity its stored link names. A full pass streams every link
 * of the object and remembers the entities whose record is gone; an incremental pass loads the
 * links of the records it read.
 */
async function loadEntities(store: ReconStore, side: CheckSide, read: SideRead, mode: RunMode): Promise<void> {
  if (read.linksLoaded) return;
  const snapshot = read.snapshot;
  if (mode === 'full') {
    read.goneEntities.clear();
    for await (const chunk of store.streamLinks(side)) {
      for (const [id, entity] of chunk) {
        const row = snapshot.rowOfId(id);
        if (row >= 0) snapshot.setEntity(row, Number(entity));
        else read.goneEntities.add(Number(entity));
      }
    }
  } else {
    const ids = Array.from({ length: snapshot.size }, (_, row) => snapshot.id(row));
    for (const [id, entity] of await store.loadLinks(side, ids)) {
      const row = snapshot.rowOfId(id);
      if (row >= 0) snapshot.setEntity(row, Number(entity));
    }
  }
  read.linksLoaded = true;
}

/**
 * For decisions that hinge on who changed a field and when, reads that field's history (one batch
 * read per 50 records) and decides again. A record whose history cannot be read is not fixed
 * this cycle: without it the conflict rule cannot be honoured. Returns how many were held so.
 */
async function fetchHistory(deps: CycleDeps, check: Check, decided: Decided[], context: RuleContext, sourceSnapshot: Snapshot, targetSnapshot: Snapshot): Promise<number> {
  const needs = needsHistory(check, decided);
  if (needs.length === 0) return 0;
  const load = async (side: CheckSide, records: SystemRecord[]) => {
    const fresh = new Map<string, SystemRecord>();
    const connector = deps.connectors[side.system];
    const ids = [...new Set(records.map((r) => r.id))];
    if (!connector || ids.length === 0) return fresh;
    try {
      if (connector.fieldHistory === 'record') {
        for (const record of await inferHistory(deps.store, side, records)) fresh.set(record.id, record);
        return fresh;
      }
      for (const record of await connector.read(side.object, ids, [side.field], { withHistory: true })) fresh.set(record.id, record);
    } catch (error) {
      deps.logger.warn({ err: error, check: check.name, system: side.system }, 'could not read field history; those records wait for the next cycle');
    }
    return fresh;
  };
  const sources = await load(check.source, needs.filter((n) => n.source).map((n) => n.item.discrepancy.source as SystemRecord));
  const targets = await load(check.target, needs.filter((n) => n.target).map((n) => n.item.discrepancy.target as SystemRecord));
  let unavailable = 0;
  for (const need of needs) {
    const d = need.item.discrepancy;
    let known = true;
    for (const [wanted, side, record, fresh, snapshot] of [
      [need.source, check.source, d.source, sources, sourceSnapshot],
      [need.target, check.target, d.target, targets, targetSnapshot],
    ] as const) {
      if (!wanted || !record) continue;
      if (!fresh.has(record.id)) {
        known = false;
        continue;
      }
      const history = fresh.get(record.id)?.history[side.field] ?? { changedAt: null, changedBy: 'unknown' as const };
      record.history[side.field] = history;
      // The snapshot is shared by later checks: record what we learnt on it.
      const row = snapshot.rowOfId(record.id);
      if (row >= 0) snapshot.setHistory(row, side.field, history);
    }
    if (known) need.item.resolution = decide(check, d, context);
    else {
      need.item.resolution = { type: 'noop' };
      unavailable++;
    }
  }
  return unavailable;
}

/**
 * For a system that says only when a record last changed (GoHighLevel): the record's last change
 * was Recon's own when it came no later than just after Recon's last write to it; otherwise
 * someone else changed it then, and Recon takes it for a person's edit. It cannot tell which field
 * changed, nor a person from another integration, so it errs towards asking a person.
 */
async function inferHistory(store: ReconStore, side: CheckSide, records: SystemRecord[]): Promise<SystemRecord[]> {
  const ours = await store.lastAppliedWrites(side, records.map((r) => r.id));
  return records.map((record) => {
    const wroteAt = ours.get(record.id)?.at.getTime() ?? null;
    const change: SystemRecord['history'][string] = record.updatedAt === null
      ? { changedAt: null, changedBy: 'unknown' }
      : wroteAt !== null && record.updatedAt <= wroteAt + ECHO_MS
        ? { changedAt: wroteAt, changedBy: 'recon' }
        : { changedAt: record.updatedAt, changedBy: 'human', sourceType: 'updated after Recon last wrote it (inferred)' };
    return { ...record, history: { ...record.history, [side.field]: change } };
  });
}

/** When the record a write copies from changed: its field's own history, else the record's last change. */
function changedAt(record: SystemRecord | null, field: string): number | null {
  if (!record) return null;
  return record.history[field]?.changedAt ?? record.updatedAt ?? null;
}
