import type { MatchedBy } from '../domain/discrepancy.ts';
import type { SystemName, SystemRecord } from '../domain/records.ts';

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

/** Stored links of the two objects a check compares: external id → entity id, per side. */
export interface LinkIndex {
  source: ReadonlyMap<string, string>;
  target: ReadonlyMap<string, string>;
}

export interface ObjectRef {
  system: SystemName;
  object: string;
}

export const NO_LINKS: LinkIndex = { source: new Map(), target: new Map() };

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Pairs source and target records, in DESIGN order: a stored link; a shared stable id that one
 * record holds for the other; then a normalised email unique on both sides. Several candidates
 * make an ambiguous group, never a guess. Pure; linear in the number of records.
 */
export function matchRecords(
  sources: SystemRecord[],
  targets: SystemRecord[],
  links: LinkIndex,
  sides: { source: ObjectRef; target: ObjectRef },
): MatchResult {
  const pairs: MatchedPair[] = [];
  const ambiguous: AmbiguousGroup[] = [];
  // 0 free, 1 paired, 2 in an ambiguous group: flags by position are far cheaper than Sets.
  const sourceState = new Uint8Array(sources.length);
  const targetState = new Uint8Array(targets.length);
  const pair = (s: number, t: number, matchedBy: MatchedBy) => {
    pairs.push({ source: sources[s] as SystemRecord, target: targets[t] as SystemRecord, matchedBy });
    sourceState[s] = 1;
    targetState[t] = 1;
  };

  const ambiguousGroup = (key: string, groupSources: number[], groupTargets: number[]) => {
    for (const i of groupSources) sourceState[i] = 2;
    for (const i of groupTargets) targetState[i] = 2;
    ambiguous.push({ key, sources: groupSources.map((i) => sources[i] as SystemRecord), targets: groupTargets.map((i) => targets[i] as SystemRecord) });
  };
  const targetSystem = sides.target.system;
  const sourceSystem = sides.source.system;
  // Every present target by id and alias, built only when a shared id needs looking up.
  let targetById: Map<string, number[]> | null = null;
  const targetsWithId = (id: string): number[] => {
    if (!targetById) {
      targetById = new Map();
      for (let t = 0; t < targets.length; t++) {
        const target = targets[t] as SystemRecord;
        push(targetById, target.id, t);
        for (const alias of target.aliases) push(targetById, alias, t);
      }
    }
    return targetById.get(id) ?? [];
  };
  const holdsId = (target: SystemRecord, id: string) => target.id === id || target.aliases.includes(id);

  // 1. Stored links, unless the records now say otherwise: two present targets on one entity, or
  // a shared id pointing at another present record, make the link a question for a person.
  const pairOfSource = new Int32Array(sources.length).fill(-1);
  if (links.source.size > 0 && links.target.size > 0) {
    // One target per entity is the rule; the rare second one goes in a side list.
    const targetOfEntity = new Map<string, number>();
    const moreTargetsOfEntity = new Map<string, number[]>();
    for (let t = 0; t < targets.length; t++) {
      const entity = links.target.get((targets[t] as SystemRecord).id);
      if (entity === undefined) continue;
      if (targetOfEntity.has(entity)) push(moreTargetsOfEntity, entity, t);
      else targetOfEntity.set(entity, t);
    }
    for (let s = 0; s < sources.length; s++) {
      const source = sources[s] as SystemRecord;
      const entity = links.source.get(source.id);
      const t = entity === undefined ? undefined : targetOfEntity.get(entity);
      if (t === undefined) continue;
      const more = moreTargetsOfEntity.get(entity as string);
      const ref = source.refs[targetSystem];
      const refAgrees = ref === undefined || holdsId(targets[t] as SystemRecord, ref);
      if (!more && refAgrees) {
        // The common case, without allocating: one linked target, nothing saying otherwise.
        if (targetState[t] === 0 && sourceState[s] === 0) {
          pairOfSource[s] = pairs.length;
          pair(s, t, 'link');
        }
        continue;
      }
      const linked = [t, ...(more ?? [])];
      const elsewhere = refAgrees ? [] : targetsWithId(ref as string).filter((o) => o !== t);
      const candidates = [...new Set([...linked, ...elsewhere])].filter((i) => targetState[i] === 0);
      if (candidates.length === 1 && candidates[0] === t && sourceState[s] === 0) {
        pairOfSource[s] = pairs.length;
        pair(s, t, 'link');
      } else if (candidates.length > 1) {
        ambiguousGroup(`link:${source.id}`, [s], candidates);
      }
    }
  }

  // 2. Shared stable ids, either way round; a record claimed more than once is ambiguous.
  const claimsByTarget = new Map<number, number[]>();
  const claimsBySource = new Map<number, number[]>();
  const claim = (s: number, t: number) => {
    const bySource = claimsBySource.get(s);
    if (bySource?.includes(t)) return;
    push(claimsBySource, s, t);
    push(claimsByTarget, t, s);
  };
  let sourceIds: Map<string, number> | null = null;
  for (let t = 0; t < targets.length; t++) {
    if (targetState[t] !== 0) continue;
    const target = targets[t] as SystemRecord;
    const ref = target.refs[sourceSystem];
    if (ref === undefined) continue;
    if (!sourceIds) {
      sourceIds = new Map();
      for (let i = 0; i < sources.length; i++) sourceIds.set((sources[i] as SystemRecord).id, i);
    }
    const s = sourceIds.get(ref);
    if (s === undefined) continue;
    if (sourceState[s] === 0) claim(s, t);
    else if (sourceState[s] === 1 && (pairOfSource[s] as number) >= 0) {
      // Linked to another record, yet this one holds its id: a person decides which is right.
      const index = pairOfSource[s] as number;
      const linkedPair = pairs[index] as MatchedPair;
      const linkedTarget = targets.indexOf(linkedPair.target);
      pairs[index] = null as unknown as MatchedPair;
      pairOfSource[s] = -1;
      sourceState[s] = 0;
      targetState[linkedTarget] = 0;
      ambiguousGroup(`link:${(sources[s] as SystemRecord).id}`, [s], [linkedTarget, t]);
    }
  }
  for (let s = 0; s < sources.length; s++) {
    if (sourceState[s] !== 0) continue;
    const ref = (sources[s] as SystemRecord).refs[targetSystem];
    if (ref === undefined) continue;
    for (const t of targetsWithId(ref)) if (targetState[t] === 0) claim(s, t);
  }
  for (const [s, claimed] of claimsBySource) {
    if (sourceState[s] !== 0) continue;
    const t = claimed[0] as number;
    if (claimed.length === 1 && (claimsByTarget.get(t)?.length ?? 0) === 1) {
      pair(s, t, 'shared_id');
      continue;
    }
    // Everything connected to this source through claims is one ambiguous group.
    const groupSources = new Set<number>([s]);
    const groupTargets = new Set<number>();
    const queue = [s];
    while (queue.length) {
      const next = queue.pop() as number;
      for (const target of claimsBySource.get(next) ?? []) {
        if (groupTargets.has(target)) continue;
        groupTargets.add(target);
        for (const other of claimsByTarget.get(target) ?? []) {
          if (!groupSources.has(other)) {
            groupSources.add(other);
            queue.push(other);
          }
        }
      }
    }
    ambiguousGroup(`shared_id:${(sources[s] as SystemRecord).id}`, [...groupSources], [...groupTargets]);
  }

  // 3. Normalised email, only where it is unique on both sides: counted over every record, paired
  // or not, since an email two customers share says nothing about which deal is whose.
  const byEmail = new Map<string, { sources: number[]; targets: number[]; sourcesInAll: number; targetsInAll: number }>();
  for (let s = 0; s < sources.length; s++) {
    const email = (sources[s] as SystemRecord).email;
    if (!email || sourceState[s] !== 0) continue;
    let b = byEmail.get(email);
    if (!b) byEmail.set(email, (b = { sources: [], targets: [], sourcesInAll: 0, targetsInAll: 0 }));
    b.sources.push(s);
  }
  if (byEmail.size > 0) {
    for (let s = 0; s < sources.length; s++) {
      const email = (sources[s] as SystemRecord).email;
      const b = email ? byEmail.get(email) : undefined;
      if (b) b.sourcesInAll++;
    }
    for (let t = 0; t < targets.length; t++) {
      const email = (targets[t] as SystemRecord).email;
      const b = email ? byEmail.get(email) : undefined;
      if (!b) continue;
      b.targetsInAll++;
      if (targetState[t] === 0) b.targets.push(t);
    }
  }
  for (const [email, b] of byEmail) {
    if (b.targets.length === 0) continue;
    if (b.sourcesInAll === 1 && b.targetsInAll === 1) {
      pair(b.sources[0] as number, b.targets[0] as number, 'email');
      continue;
    }
    ambiguousGroup(`email:${email}`, b.sources, b.targets);
  }

  // An unmatched record is "linked" when its entity once had a record on the other side.
  let sourceEntities: Set<string> | null = null;
  let targetEntities: Set<string> | null = null;
  const unmatchedSources: Unmatched[] = [];
  const unmatchedTargets: Unmatched[] = [];
  for (let s = 0; s < sources.length; s++) {
    if (sourceState[s] !== 0) continue;
    const record = sources[s] as SystemRecord;
    const entity = links.source.get(record.id);
    targetEntities ??= entity === undefined ? null : new Set(links.target.values());
    unmatchedSources.push({ record, linked: entity !== undefined && (targetEntities?.has(entity) ?? false) });
  }
  for (let t = 0; t < targets.length; t++) {
    if (targetState[t] !== 0) continue;
    const record = targets[t] as SystemRecord;
    const entity = links.target.get(record.id);
    sourceEntities ??= entity === undefined ? null : new Set(links.source.values());
    unmatchedTargets.push({ record, linked: entity !== undefined && (sourceEntities?.has(entity) ?? false) });
  }
  return { pairs: pairs.filter((p) => p !== null), unmatchedSources, unmatchedTargets, ambiguous };
}
