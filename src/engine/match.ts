import type { MatchedBy } from '../domain/discrepancy.ts';
import { recordKey, type SystemName, type SystemRecord } from '../domain/records.ts';

export interface MatchedPair {
  source: SystemRecord;
  target: SystemRecord;
  matchedBy: MatchedBy;
}

export interface AmbiguousGroup {
  /** What the candidates share: `email:ada@example.com` or `shared_id:cus_123`. */
  key: string;
  sources: SystemRecord[];
  targets: SystemRecord[];
}

export interface Unmatched {
  record: SystemRecord;
  /** A stored link says this record had a counterpart that is gone now. */
  linked: boolean;
}

export interface MatchResult {
  pairs: MatchedPair[];
  unmatchedSources: Unmatched[];
  unmatchedTargets: Unmatched[];
  ambiguous: AmbiguousGroup[];
}

/** Stored links: record key (`system:object:id`) → entity id. */
export type LinkIndex = ReadonlyMap<string, string>;

export interface ObjectRef {
  system: SystemName;
  object: string;
}

/**
 * Pairs source and target records, in DESIGN order: a stored link; a shared stable id that one
 * record holds for the other; then a normalised email unique on both sides. Several candidates
 * make an ambiguous group, never a guess. Pure.
 */
export function matchRecords(
  sources: SystemRecord[],
  targets: SystemRecord[],
  links: LinkIndex,
  sides: { source: ObjectRef; target: ObjectRef },
): MatchResult {
  const pairs: MatchedPair[] = [];
  const ambiguous: AmbiguousGroup[] = [];
  const pairedSources = new Set<SystemRecord>();
  const pairedTargets = new Set<SystemRecord>();
  const inAmbiguity = new Set<SystemRecord>();
  const pair = (source: SystemRecord, target: SystemRecord, matchedBy: MatchedBy) => {
    pairs.push({ source, target, matchedBy });
    pairedSources.add(source);
    pairedTargets.add(target);
  };

  // 1. Stored links.
  const targetByEntity = new Map<string, SystemRecord>();
  for (const target of targets) {
    const entity = links.get(recordKey(target));
    if (entity !== undefined) targetByEntity.set(entity, target);
  }
  for (const source of sources) {
    const entity = links.get(recordKey(source));
    const target = entity === undefined ? undefined : targetByEntity.get(entity);
    if (target && !pairedTargets.has(target)) pair(source, target, 'link');
  }

  // 2. Shared stable ids, either way round; a record claimed twice is ambiguous.
  const targetSystem = sides.target.system;
  const sourceSystem = sides.source.system;
  const targetById = new Map<string, SystemRecord[]>();
  const index = (id: string, target: SystemRecord) => {
    const list = targetById.get(id);
    if (list) list.push(target);
    else targetById.set(id, [target]);
  };
  for (const target of targets) {
    if (pairedTargets.has(target)) continue;
    index(target.id, target);
    for (const alias of target.aliases) index(alias, target);
  }
  const claimsByTarget = new Map<SystemRecord, SystemRecord[]>();
  const claim = (target: SystemRecord, source: SystemRecord) => {
    const list = claimsByTarget.get(target);
    if (!list) claimsByTarget.set(target, [source]);
    else if (!list.includes(source)) list.push(source);
  };
  const targetsReferencingSource = new Map<string, SystemRecord[]>();
  for (const target of targets) {
    const ref = target.refs[sourceSystem];
    if (ref === undefined || pairedTargets.has(target)) continue;
    const list = targetsReferencingSource.get(ref);
    if (list) list.push(target);
    else targetsReferencingSource.set(ref, [target]);
  }
  for (const source of sources) {
    if (pairedSources.has(source)) continue;
    const found = new Set<SystemRecord>();
    const ref = source.refs[targetSystem];
    if (ref !== undefined) for (const t of targetById.get(ref) ?? []) found.add(t);
    for (const t of targetsReferencingSource.get(source.id) ?? []) found.add(t);
    for (const t of found) claim(t, source);
  }
  const sourcesClaimingSeveral = new Map<SystemRecord, SystemRecord[]>();
  for (const [target, claimants] of claimsByTarget) {
    for (const source of claimants) {
      const list = sourcesClaimingSeveral.get(source);
      if (list) list.push(target);
      else sourcesClaimingSeveral.set(source, [target]);
    }
  }
  for (const [source, claimed] of sourcesClaimingSeveral) {
    const target = claimed[0] as SystemRecord;
    const contested = claimed.length > 1 || (claimsByTarget.get(target)?.length ?? 0) > 1;
    if (!contested) {
      pair(source, target, 'shared_id');
      continue;
    }
    if (inAmbiguity.has(source)) continue;
    const group: AmbiguousGroup = { key: `shared_id:${source.id}`, sources: [source], targets: [] };
    for (const t of claimed) {
      group.targets.push(t);
      for (const other of claimsByTarget.get(t) ?? []) if (!group.sources.includes(other)) group.sources.push(other);
    }
    for (const r of [...group.sources, ...group.targets]) inAmbiguity.add(r);
    ambiguous.push(group);
  }

  // 3. Normalised email, only where it is unique on both sides among what is left.
  const byEmail = new Map<string, { sources: SystemRecord[]; targets: SystemRecord[] }>();
  const bucket = (email: string) => {
    let b = byEmail.get(email);
    if (!b) byEmail.set(email, (b = { sources: [], targets: [] }));
    return b;
  };
  for (const source of sources) {
    if (source.email && !pairedSources.has(source) && !inAmbiguity.has(source)) bucket(source.email).sources.push(source);
  }
  for (const target of targets) {
    if (target.email && !pairedTargets.has(target) && !inAmbiguity.has(target)) bucket(target.email).targets.push(target);
  }
  for (const [email, b] of byEmail) {
    if (b.sources.length === 0 || b.targets.length === 0) continue;
    if (b.sources.length === 1 && b.targets.length === 1) {
      pair(b.sources[0] as SystemRecord, b.targets[0] as SystemRecord, 'email');
      continue;
    }
    ambiguous.push({ key: `email:${email}`, sources: b.sources, targets: b.targets });
    for (const r of [...b.sources, ...b.targets]) inAmbiguity.add(r);
  }

  // An unmatched record is "linked" when its entity once had a record on the other side.
  const entitiesOn = (side: ObjectRef) => {
    const prefix = `${side.system}:${side.object}:`;
    const entities = new Set<string>();
    for (const [key, entity] of links) if (key.startsWith(prefix)) entities.add(entity);
    return entities;
  };
  const withSource = entitiesOn(sides.source);
  const withTarget = entitiesOn(sides.target);
  const unmatched = (records: SystemRecord[], paired: Set<SystemRecord>, otherSide: Set<string>): Unmatched[] =>
    records
      .filter((r) => !paired.has(r) && !inAmbiguity.has(r))
      .map((record) => {
        const entity = links.get(recordKey(record));
        return { record, linked: entity !== undefined && otherSide.has(entity) };
      });
  return {
    pairs,
    unmatchedSources: unmatched(sources, pairedSources, withTarget),
    unmatchedTargets: unmatched(targets, pairedTargets, withSource),
    ambiguous,
  };
}
