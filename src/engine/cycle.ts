import { randomUUID } from 'node:crypto';
import type { Policy } from '../config/policy.ts';
import type { Connector, PageProgress } from '../connectors/ports.ts';
import type { OpenDatabase } from '../db/connect.ts';
import { withAdvisoryLock } from '../db/locks.ts';
import { saveDiscrepancies } from '../db/repositories/discrepancies.ts';
import { flatLinks, loadLinkIndex, savePairs, type NewLinkPair } from '../db/repositories/links.ts';
import { reopenAbandonedDecisions, resolveVanished, upsertOpenItems } from '../db/repositories/review-items.ts';
import { failAbandonedRuns, finishRun, startRun } from '../db/repositories/runs.ts';
import { activeSuppressions } from '../db/repositories/suppressions.ts';
import type { Resolution } from '../domain/discrepancy.ts';
import type { SystemName, SystemRecord } from '../domain/records.ts';
import type { Logger } from '../log.ts';
import { applyWrites, idempotencyKey, settleInterruptedWrites, type ConnectorsBySystem, type WriteOrder } from './apply.ts';
import { financialFields, resolveCheck, type Check, type CheckSide } from './check.ts';
import { needsHistory, planCheck, type Decided } from './plan.ts';
import { decide } from './rules.ts';
import { bump, emptyStats, type CheckStats } from './stats.ts';

export interface CycleDeps {
  database: OpenDatabase;
  connectors: ConnectorsBySystem;
  policy: Policy;
  logger: Logger;
  now?: () => number;
  progress?: PageProgress;
}

export interface CycleOptions {
  /** Only these checks; all when absent. */
  checks?: string[];
  dryRun?: boolean;
  /** A full scan; the only mode until incremental cursors land. */
  full?: boolean;
}

export interface CycleResult {
  cycleId: string;
  startedAt: string;
  durationMs: number;
  checks: CheckStats[];
  apiCalls: Partial<Record<SystemName, number>>;
}

/** A decision still `deciding` after this long died with its process. */
const ABANDONED_DECISION_MS = 10 * 60_000;

/** Snapshots shared by the checks of one cycle: each system's objects are listed once. */
class SnapshotCache {
  private readonly cache = new Map<string, Promise<SystemRecord[]>>();
  constructor(
    private readonly connectors: ConnectorsBySystem,
    private readonly fieldsOf: Map<string, string[]>,
    private readonly progress?: PageProgress,
  ) {}

  get(side: CheckSide): Promise<SystemRecord[]> {
    const key = `${side.system}:${side.object}`;
    let pending = this.cache.get(key);
    if (!pending) {
      const connector = this.connectors[side.system];
      if (!connector) return Promise.reject(new Error(`no connector configured for ${side.system}`));
      pending = connector.list(side.object, this.fieldsOf.get(key) ?? [side.field], this.progress);
      this.cache.set(key, pending);
    }
    return pending;
  }
}

/** Every field the selected checks read from each system's object, so one listing serves them all. */
function fieldsPerObject(checks: Check[]): Map<string, string[]> {
  const fields = new Map<string, Set<string>>();
  const add = (side: CheckSide, field: string) => {
    const key = `${side.system}:${side.object}`;
    if (!fields.has(key)) fields.set(key, new Set());
    fields.get(key)?.add(field);
  };
  for (const check of checks) {
    add(check.source, check.source.field);
    add(check.target, check.target.field);
    if (check.highValue) add(check.highValue.side === 'source' ? check.source : check.target, check.highValue.field);
  }
  return new Map([...fields].map(([key, set]) => [key, [...set]]));
}

function callsSnapshot(connectors: ConnectorsBySystem): Partial<Record<SystemName, number>> {
  const calls: Partial<Record<SystemName, number>> = {};
  for (const [system, connector] of Object.entries(connectors) as [SystemName, Connector][]) calls[system] = connector.apiCalls();
  return calls;
}

function callsSince(connectors: ConnectorsBySystem, before: Partial<Record<SystemName, number>>): Partial<Record<SystemName, number>> {
  const now = callsSnapshot(connectors);
  const delta: Partial<Record<SystemName, number>> = {};
  for (const [system, calls] of Object.entries(now) as [SystemName, number][]) delta[system] = calls - (before[system] ?? 0);
  return delta;
}

/** One reconciliation cycle: each selected check in policy order. */
export async function runCycle(deps: CycleDeps, options: CycleOptions = {}): Promise<CycleResult> {
  const started = Date.now();
  const cycleId = randomUUID();
  const financial = financialFields(deps.policy.checks);
  const all = deps.policy.checks.map((c) => resolveCheck(c, financial));
  const unknown = (options.checks ?? []).filter((name) => !all.some((c) => c.name === name));
  if (unknown.length) throw new Error(`no check named ${unknown.join(', ')}; the policy has ${all.map((c) => c.name).join(', ')}`);
  const selected = options.checks?.length ? all.filter((c) => options.checks?.includes(c.name)) : all;
  const snapshots = new SnapshotCache(deps.connectors, fieldsPerObject(selected), deps.progress);
  const before = callsSnapshot(deps.connectors);
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
      const locked = await withAdvisoryLock(deps.database, `recon:check:${check.name}`, () =>
        runCheck(deps, check, snapshots, stats, cycleId, options),
      );
      if (!locked) {
        stats.status = 'skipped';
        stats.errors.push('another replica is running this check');
      }
    } catch (error) {
      stats.status = 'failed';
      stats.errors.push((error as Error).message);
      deps.logger.error({ err: error, check: check.name }, 'check failed');
      if (stats.runId) {
        await finishRun(deps.database.db, stats.runId, { status: 'failed', stats: { ...stats }, error: (error as Error).message }).catch(() => undefined);
      }
    }
    stats.durationMs = Date.now() - startedCheck;
    stats.apiCalls = callsSince(deps.connectors, callsBefore);
    if (stats.runId && stats.status !== 'failed') {
      await finishRun(deps.database.db, stats.runId, { status: stats.status === 'skipped' ? 'failed' : stats.status, stats: { ...stats } }).catch((error: Error) => {
        stats.errors.push(`the run's record could not be saved: ${error.message}`);
        deps.logger.error({ err: error, check: check.name }, 'could not record the end of a run');
      });
    }
    results.push(stats);
  }
  return {
    cycleId,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    checks: results,
    apiCalls: callsSince(deps.connectors, before),
  };
}

async function runCheck(
  deps: CycleDeps,
  check: Check,
  snapshots: SnapshotCache,
  stats: CheckStats,
  cycleId: string,
  options: CycleOptions,
): Promise<void> {
  const { db } = deps.database;
  const now = deps.now ?? Date.now;
  const dryRun = options.dryRun ?? false;
  const run = await startRun(db, { cycleId, check: check.name, mode: 'full', dryRun });
  stats.runId = run.id;
  const log = deps.logger.child({ check: check.name, run: run.id });

  if (!dryRun) {
    await failAbandonedRuns(db, check.name, run.id);
    const abandonedBefore = now() - ABANDONED_DECISION_MS;
    stats.recovered = await settleInterruptedWrites(
      { db, connectors: deps.connectors, logger: log },
      // Earlier runs of this check are dead (we hold its lock); a person's decision may still be
      // writing, so its intents count as interrupted only once they are clearly abandoned.
      (intent) =>
        intent.check_name === check.name &&
        intent.run_id !== run.id &&
        (intent.run_id !== null || new Date(intent.created_at).getTime() < abandonedBefore),
    );
    await reopenAbandonedDecisions(db, check.name, new Date(abandonedBefore));
  }

  const [sources, targets] = await Promise.all([snapshots.get(check.source), snapshots.get(check.target)]);
  stats.read.source.records = sources.length;
  stats.read.target.records = targets.length;

  const links = await loadLinkIndex(db, { source: check.source, target: check.target });
  const suppressions = await activeSuppressions(db, [check.name], new Date(now()));
  const context = { suppressions, now: now() };
  const plan = planCheck(check, sources, targets, links, context);
  for (const pair of plan.match.pairs) bump(stats.links.byMatch, pair.matchedBy);
  stats.links.matched = plan.match.pairs.length;

  if (!dryRun) {
    const fresh: NewLinkPair[] = plan.match.pairs
      .filter((p) => p.matchedBy !== 'link')
      .map((p) => ({
        source: { system: p.source.system, object: p.source.object, id: p.source.id },
        target: { system: p.target.system, object: p.target.object, id: p.target.id },
        matchedBy: p.matchedBy as NewLinkPair['matchedBy'],
      }));
    if (fresh.length) stats.links.new = await db.transaction().execute((trx) => savePairs(trx, fresh, flatLinks(links, { source: check.source, target: check.target })));
  }

  const historyUnavailable = await fetchHistory(deps.connectors, check, plan.decided, context);
  if (historyUnavailable > 0) stats.errors.push(`the edit history of ${historyUnavailable} records could not be read; they are left for the next cycle`);

  for (const { discrepancy: d, resolution: r } of plan.decided) {
    stats.discrepancies.total++;
    bump(stats.discrepancies.byKind, d.kind);
    bump(stats.discrepancies.byCategory, d.category);
    if (r.type === 'escalate') {
      stats.escalated++;
      bump(stats.escalatedByReason, r.reason);
    } else if (r.type === 'suppressed') stats.suppressed++;
  }

  await saveDiscrepancies(db, run.id, plan.decided);
  const escalations = plan.decided.filter((x): x is Decided & { resolution: Extract<Resolution, { type: 'escalate' }> } => x.resolution.type === 'escalate');
  const orders: WriteOrder[] = plan.decided.flatMap(({ discrepancy: d, resolution: r }) =>
    r.type === 'auto_fix'
      ? r.writes.map((write) => ({
          write,
          check: check.name,
          fingerprint: d.fingerprint,
          rule: r.rule,
          reason: `${d.category}: ${r.explanation}`,
          idempotencyKey: idempotencyKey(`run:${run.id}`, d.fingerprint, write),
        }))
      : [],
  );

  if (dryRun) {
    stats.wouldWrite = orders.length;
    return;
  }
  const items = await db.transaction().execute(async (trx) => {
    const upserted = await upsertOpenItems(trx, run.id, { source: check.source.field, target: check.target.field }, escalations);
    // An item stays open while its discrepancy is still there and Recon is not fixing it now.
    const waiting = plan.decided.filter((x) => x.resolution.type !== 'auto_fix');
    const resolved = await resolveVanished(trx, check.name, run.id, new Set(waiting.map((x) => x.discrepancy.fingerprint)));
    return { ...upserted, resolvedElsewhere: resolved.length };
  });
  stats.reviewItems = items;

  const tally = await applyWrites({ db, connectors: deps.connectors, actor: 'auto', origin: `run:${run.id}`, runId: run.id, logger: log }, orders);
  stats.autoFixed = tally.applied;
  stats.noop = tally.noop;
  stats.stale = tally.stale;
  stats.failed = tally.failed;
  stats.errors.push(...tally.errors);
  stats.failed += historyUnavailable;
  stats.status = stats.failed > 0 ? 'partial' : 'succeeded';
  log.info({ discrepancies: stats.discrepancies.total, autoFixed: tally.applied, escalated: stats.escalated }, 'check reconciled');
}

/**
 * For decisions that hinge on who changed a field and when, reads that field's history (one batch
 * read per 100 records) and decides again. A record whose history cannot be read is not fixed
 * this cycle: without it the conflict rule cannot be honoured. Returns how many were held so.
 */
async function fetchHistory(connectors: ConnectorsBySystem, check: Check, decided: Decided[], context: Parameters<typeof decide>[2]): Promise<number> {
  const needs = needsHistory(check, decided);
  if (needs.length === 0) return 0;
  const load = async (side: CheckSide, records: SystemRecord[]) => {
    const fresh = new Map<string, SystemRecord>();
    const connector = connectors[side.system];
    const ids = [...new Set(records.map((r) => r.id))];
    if (!connector || ids.length === 0) return fresh;
    for (const record of await connector.read(side.object, ids, [side.field], { withHistory: true })) fresh.set(record.id, record);
    return fresh;
  };
  const sources = await load(check.source, needs.filter((n) => n.source).map((n) => n.item.discrepancy.source as SystemRecord));
  const targets = await load(check.target, needs.filter((n) => n.target).map((n) => n.item.discrepancy.target as SystemRecord));
  let unavailable = 0;
  for (const need of needs) {
    const d = need.item.discrepancy;
    let known = true;
    for (const [wanted, side, record, fresh] of [
      [need.source, check.source, d.source, sources],
      [need.target, check.target, d.target, targets],
    ] as const) {
      if (!wanted || !record) continue;
      const history = fresh.get(record.id)?.history[side.field];
      if (!fresh.has(record.id)) known = false;
      // The snapshot is shared by later checks: record what we learnt on it.
      else record.history[side.field] = history ?? { changedAt: null, changedBy: 'unknown' };
    }
    if (known) need.item.resolution = decide(check, d, context);
    else {
      need.item.resolution = { type: 'noop' };
      unavailable++;
    }
  }
  return unavailable;
}
