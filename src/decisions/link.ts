/**
 * An ambiguous match resolved by a person: they pick which of the candidate records belong
 * together, Recon links the two, and then the pair goes through the same rules as in a cycle or a
 * webhook event (`resolve`), so its guards still hold: the pick may end in a write, in agreement,
 * or in a new escalation (financial, high value, a person's recent edit) instead of a write.
 */
import type { Check, CheckSide } from '../domain/check.ts';
import type { ConnectorsBySystem, Connector, FieldWrite } from '../domain/ports.ts';
import { singularObject, type SystemName, type SystemRecord } from '../domain/records.ts';
import type { ObjectRef, ReconStore, ReviewItem } from '../domain/store.ts';
import { Snapshot } from '../engine/snapshot.ts';
import type { Logger } from '../log.ts';
import type { Policy } from '../config/policy.ts';
import type { CallPriority, ObjectDescription } from '../domain/ports.ts';
import { resolve } from '../reconcile/cycle.ts';
import { assertPolicyMatches } from '../reconcile/preflight.ts';
import { emptyStats } from '../reconcile/stats.ts';

/** The records a person picked: ids on the check's source and target side. */
export interface CandidatePick {
  source: string;
  target: string;
}

/** A candidate record as a review item stores it. */
export interface StoredCandidate {
  system: string;
  object: string;
  id: string;
  email: string | null;
  url: string | null;
  field?: string;
  value?: unknown;
}

type Ref = ObjectRef & { id: string };

/** What became of one check's pair once linked. */
export interface PairOutcome {
  check: string;
  /** Writes the rules made, as sent and answered. */
  written: { system: string; object: string; id: string; field: string; to: unknown }[];
  noop: number;
  stale: number;
  failed: number;
  /** Escalation reasons raised for the pair (each an item of its own). */
  escalated: string[];
  errors: string[];
  /** A record of the pair no longer exists. */
  gone: boolean;
}

export interface LinkDeps {
  store: ReconStore;
  connectors: ConnectorsBySystem;
  policy: Policy;
  logger: Logger;
  now?: () => number;
  describe?: (system: SystemName, object: string, priority?: CallPriority) => Promise<ObjectDescription>;
}

const sameObject = (a: { system: string; object: string }, b: { system: string; object: string }) => a.system === b.system && a.object === b.object;

export function candidatesOf(item: ReviewItem): StoredCandidate[] {
  return (item.suggestion as { candidates?: StoredCandidate[] } | null)?.candidates ?? [];
}

/** The two records of a pick, or why they cannot be linked. */
export function pickedRecords(item: ReviewItem, check: Check | undefined, pick: CandidatePick): { source: Ref; target: Ref } | string {
  if (item.reason !== 'ambiguous_match') return 'only an ambiguous match is resolved by picking its record';
  if (!check) return `check ${item.check_name} is no longer in the policy`;
  const candidates = candidatesOf(item);
  const source = candidates.find((c) => sameObject(c, check.source) && c.id === pick.source);
  const target = candidates.find((c) => sameObject(c, check.target) && c.id === pick.target);
  if (!source || !target) return 'the records picked are not among this match’s candidates (a cycle may have refreshed it); look at it again';
  return { source: { system: source.system, object: source.object, id: source.id }, target: { system: target.system, object: target.object, id: target.id } };
}

/**
 * The pair a person means by naming one candidate (`recon decide 12 pick 4711`): that record, and
 * the one record of the other side; or both named, `SOURCE,TARGET`. A string says why not.
 */
export function pickFromCandidate(item: ReviewItem, check: Check | undefined, named: string): CandidatePick | string {
  if (item.reason !== 'ambiguous_match') return 'only an ambiguous match is resolved by picking its record';
  if (!check) return `check ${item.check_name} is no longer in the policy`;
  const candidates = candidatesOf(item);
  const sources = candidates.filter((c) => sameObject(c, check.source)).map((c) => c.id);
  const targets = candidates.filter((c) => sameObject(c, check.target)).map((c) => c.id);
  const both = named.split(',').map((id) => id.trim()).filter(Boolean);
  if (both.length === 2) return { source: both[0] as string, target: both[1] as string };
  const [id] = both;
  const list = (ids: string[]) => ids.join(', ') || 'none';
  if (id !== undefined && sources.includes(id)) {
    if (targets.length === 1) return { source: id, target: targets[0] as string };
    return `${id} is a ${check.source.system} record; name its ${check.target.system} record too: pick ${id},TARGET (one of ${list(targets)})`;
  }
  if (id !== undefined && targets.includes(id)) {
    if (sources.length === 1) return { source: sources[0] as string, target: id };
    return `${id} is a ${check.target.system} record; name its ${check.source.system} record too: pick SOURCE,${id} (one of ${list(sources)})`;
  }
  return `${named} is not among this match's candidates (${check.source.system}: ${list(sources)}; ${check.target.system}: ${list(targets)})`;
}

/**
 * Links the pair, then reconciles it for every check between the two objects: read fresh, matched
 * by the new link, decided by the engine, written compare-and-set or escalated, as a cycle would.
 * The writes are the rules' (`auto`), their origin this decision.
 */
export async function linkAndReconcile(deps: LinkDeps, item: ReviewItem, pair: { source: Ref; target: Ref }): Promise<PairOutcome[]> {
  await deps.store.linkByPerson(pair.source, pair.target);
  const { checks, descriptions } = await assertPolicyMatches(deps.policy, deps.connectors, { priority: 'interactive', ...(deps.describe ? { describe: deps.describe } : {}) });
  const outcomes: PairOutcome[] = [];
  for (const check of checks) {
    // Every check between the two objects reads this link, either way round.
    const ids = sameObject(check.source, pair.source) && sameObject(check.target, pair.target)
      ? { source: pair.source.id, target: pair.target.id }
      : sameObject(check.source, pair.target) && sameObject(check.target, pair.source)
        ? { source: pair.target.id, target: pair.source.id }
        : null;
    if (!ids) continue;
    outcomes.push(await reconcilePair(deps, check, descriptions, ids, `decision:${item.id}`));
  }
  return outcomes;
}

/** What the person who picked is told: the link, then per check what the rules did. */
export function linkMessage(pair: { source: Ref; target: Ref }, then: PairOutcome[]): string {
  const name = (r: Ref) => `${r.system} ${singularObject(r.object)} ${r.id}`;
  const after = then.map((o) => {
    if (o.gone) return `${o.check}: a record of the pair no longer exists`;
    const parts = [
      ...o.written.map((w) => `${w.system} ${w.field} set to ${JSON.stringify(w.to)}`),
      ...(o.escalated.length ? [`held for a person (${o.escalated.join(', ')})`] : []),
      ...(o.failed ? [`${o.failed} write failed: ${o.errors.join('; ')}; the next cycle tries again`] : []),
    ];
    return `${o.check}: ${parts.length ? parts.join('; ') : 'the records agree'}`;
  });
  return `Linked ${name(pair.source)} to ${name(pair.target)}.${after.length ? ` ${after.join('. ')}.` : ''}`;
}

async function reconcilePair(
  deps: LinkDeps, check: Check, descriptions: Map<string, ObjectDescription>, ids: { source: string; target: string }, origin: string,
): Promise<PairOutcome> {
  const fieldsOf = (side: CheckSide) => {
    const scope = descriptions.get(`${side.system}:${side.object}`)?.fields.find((f) => f.name === side.field)?.scoped?.by;
    const highValue = check.highValue && (check.highValue.side === 'source') === (side === check.source) ? [check.highValue.field] : [];
    return [...new Set([side.field, ...(scope ? [scope] : []), ...highValue])];
  };
  const written: PairOutcome['written'] = [];
  const connectors = watchingWrites(deps.connectors, written);
  const read = async (side: CheckSide, id: string) => {
    const [record] = await (connectors[side.system] as Connector).read(side.object, [id], fieldsOf(side), { withEmail: true, priority: 'interactive' });
    return record;
  };
  const [source, target] = await Promise.all([read(check.source, ids.source), read(check.target, ids.target)]);
  const outcome: PairOutcome = { check: check.name, written, noop: 0, stale: 0, failed: 0, escalated: [], errors: [], gone: !source || !target };
  if (!source || !target) return outcome;
  const snapshot = async (side: CheckSide, other: CheckSide, record: SystemRecord) => {
    const connector = connectors[side.system] as Connector;
    const snap = new Snapshot({ system: side.system, object: side.object, fields: fieldsOf(side), refSystems: [other.system], urlOf: (id) => connector.recordUrl(side.object, id) });
    snap.add(record);
    for (const [id, entity] of await deps.store.loadLinks(side, [record.id])) {
      const row = snap.rowOfId(id);
      if (row >= 0) snap.setEntity(row, Number(entity));
    }
    return snap;
  };
  const stats = emptyStats(check.name, { system: check.source.system, object: check.source.object, records: 1 }, { system: check.target.system, object: check.target.object, records: 1 }, false);
  await resolve({ ...deps, connectors }, check, await snapshot(check.source, check.target, source), await snapshot(check.target, check.source, target), { goneSourceEntities: new Set(), goneTargetEntities: new Set() }, {
    mode: 'incremental', byEmail: false, runId: null, origin, actor: 'auto', dryRun: false, guard: false, stats, log: deps.logger.child({ origin, check: check.name }), population: 1,
  });
  return {
    ...outcome,
    noop: stats.noop, stale: stats.stale, failed: stats.failed,
    escalated: Object.entries(stats.escalatedByReason).flatMap(([reason, n]) => Array.from({ length: n }, () => reason)),
    errors: stats.errors,
  };
}

/** The connectors, each write they answer as applied noted in `written`: what the rules wrote, for the person who picked. */
function watchingWrites(connectors: ConnectorsBySystem, written: PairOutcome['written']): ConnectorsBySystem {
  const watched: ConnectorsBySystem = {};
  for (const [system, connector] of Object.entries(connectors)) {
    if (!connector) continue;
    watched[system] = new Proxy(connector, {
      get(target, property, receiver) {
        if (property === 'write') {
          return async (writes: FieldWrite[], options?: Parameters<Connector['write']>[1]) => {
            const outcomes = await target.write(writes, options);
            writes.forEach((w, n) => {
              if (outcomes[n]?.ok) written.push({ system, object: w.object, id: w.id, field: w.field, to: w.value });
            });
            return outcomes;
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
  return watched;
}
