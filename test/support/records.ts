import { resolveCheck } from '../../src/config/checks.ts';
import type { Check } from '../../src/domain/check.ts';
import { parsePolicy } from '../../src/config/load-policy.ts';
import type { SystemRecord } from '../../src/domain/records.ts';
import { diff } from '../../src/engine/diff.ts';
import { MATCHED_BY, matchRecords } from '../../src/engine/match.ts';
import { snapshotOf } from '../../src/engine/snapshot.ts';

export const NOW = Date.parse('2026-11-23T12:00:00Z');
export const DAY = 86_400_000;

export function customer(id: string, fields: SystemRecord['fields'], extra: Partial<SystemRecord> = {}): SystemRecord {
  return { system: 'stripe', object: 'customers', id, fields, email: null, refs: {}, aliases: [], updatedAt: NOW - 10 * DAY, history: {}, url: null, ...extra };
}

export function deal(id: string, fields: SystemRecord['fields'], extra: Partial<SystemRecord> = {}): SystemRecord {
  return { system: 'hubspot', object: 'deals', id, fields, email: null, refs: {}, aliases: [], updatedAt: NOW - 20 * DAY, history: {}, url: null, ...extra };
}

/** The payment-status check of the example policy, resolved, with optional overrides in YAML. */
export function paymentStatusCheck(extraYaml = ''): Check {
  const policy = parsePolicy(`
crm: hubspot
checks:
  - name: payment-status
    source: { system: stripe, object: customers, field: subscription_status }
    target: { system: hubspot, object: deals, field: dealstage }
    rule: source_of_truth
    map:
      active:   { write: closedwon,  accept: [closedwon] }
      trialing: { write: closedwon,  accept: [closedwon] }
      canceled: { write: closedlost, accept: [closedlost] }
    categories:
      paid_but_not_marked:        { source: [active, trialing], targetNot: [closedwon] }
      cancelled_but_still_active: { source: [canceled], target: [closedwon] }
    highValue: { field: amount, atLeast: 10000 }
    humanEditWindow: 24h
${extraYaml}`);
  return resolveCheck(policy.checks[0] as (typeof policy.checks)[number]);
}

/** A check built from YAML for one `checks:` entry. */
export function checkFromYaml(entry: string, crm = 'hubspot'): Check {
  const policy = parsePolicy(`crm: ${crm}\nchecks:\n${entry}`);
  return resolveCheck(policy.checks[0] as (typeof policy.checks)[number]);
}

/** Stored links as tests write them: external id → entity id, per side. */
export interface TestLinks {
  source: ReadonlyMap<string, string>;
  target: ReadonlyMap<string, string>;
}

export const NO_TEST_LINKS: TestLinks = { source: new Map(), target: new Map() };

/** The two snapshots of some records, with the entities of their stored links. */
export function snapshotsOf(sources: SystemRecord[], targets: SystemRecord[], links: TestLinks = NO_TEST_LINKS, sides = { source: { system: 'stripe', object: 'customers' }, target: { system: 'hubspot', object: 'deals' } }) {
  const all = [...sources, ...targets];
  const fields = [...new Set(all.flatMap((r) => [...Object.keys(r.fields), ...Object.keys(r.history)]))];
  const refSystems = [...new Set(all.flatMap((r) => Object.keys(r.refs)))];
  return {
    sources: snapshotOf(sides.source, sources, { fields, refSystems, entities: links.source }),
    targets: snapshotOf(sides.target, targets, { fields, refSystems, entities: links.target }),
  };
}

/** A match of plain records, read back as records: for tests that speak of records, not rows. */
export function matchOf(sources: SystemRecord[], targets: SystemRecord[], links: TestLinks = NO_TEST_LINKS, sides?: { source: { system: string; object: string }; target: { system: string; object: string } }) {
  const snaps = snapshotsOf(sources, targets, links, sides);
  const gone = (mine: ReadonlyMap<string, string>, records: SystemRecord[]) =>
    new Set([...mine].filter(([id]) => !records.some((r) => r.id === id)).map(([, entity]) => Number(entity)));
  const result = matchRecords(snaps.sources, snaps.targets, { goneSourceEntities: gone(links.source, sources), goneTargetEntities: gone(links.target, targets) });
  const pairs = Array.from({ length: result.pairCount }, (_, i) => ({
    source: snaps.sources.record(result.pairSource[i] as number),
    target: snaps.targets.record(result.pairTarget[i] as number),
    matchedBy: MATCHED_BY[result.pairBy[i] as number],
  }));
  return {
    pairs,
    ambiguous: result.ambiguous.map((g) => ({ key: g.key, sources: g.sources.map((r) => snaps.sources.record(r)), targets: g.targets.map((r) => snaps.targets.record(r)) })),
    unmatchedSources: result.unmatchedSources.map((u) => ({ record: snaps.sources.record(u.row), linked: u.linked })),
    unmatchedTargets: result.unmatchedTargets.map((u) => ({ record: snaps.targets.record(u.row), linked: u.linked })),
  };
}

/** Every discrepancy of a check over some records, as a full pass finds them. */
export function diffOf(check: Check, sources: SystemRecord[], targets: SystemRecord[], links: TestLinks = NO_TEST_LINKS) {
  const snaps = snapshotsOf(sources, targets, links, { source: check.source, target: check.target });
  const gone = (mine: ReadonlyMap<string, string>, records: SystemRecord[]) =>
    new Set([...mine].filter(([id]) => !records.some((r) => r.id === id)).map(([, entity]) => Number(entity)));
  const match = matchRecords(snaps.sources, snaps.targets, { goneSourceEntities: gone(links.source, sources), goneTargetEntities: gone(links.target, targets) });
  return diff(check, snaps.sources, snaps.targets, match);
}
