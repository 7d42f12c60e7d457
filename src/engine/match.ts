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

  // 1. Stored links.
  if (links.source.size > 0 && links.target.size > 0) {
    const targetByEntity = new Map<string, number>();
    for (let t = 0; t < targets.length; t++) {
      const entity = links.target.get((targets[t] as SystemRecord).id);
      if (entity !== undefined) targetByEntity.set(entity, t);
    }
    for (let s = 0; s < sources.length; s++) {
      const entity = links.source.get((sources[s] as SystemRecord).id);
      const t = entity === undefined ? undefined : targetByEntity.get(entity);
      if (t !== undefined && targetState[t] === 0) pair(s, t, 'link');
    }
  }

  // 2. Shared stable ids, either way round; a record claimed more than once is ambiguous.
  const targetSystem = sides.target.system;
  const sourceSystem = sides.source.system;
  const claimsByTarget = new Map<number, number[]>();
  const claimsBySource = new Map<number, number[]>();
  const claim = (s: number, t: number) => {
    const bySource = claimsBySource.get(s);
    if (bySource?.includes(t)) return;
    push(claimsBySource, s, t);
    push(claimsByTarget, t, s);
  };
  let targetById: Map<string, number[]> | null = null;
  const sourceIds = new Map<string, number>();
  for (let s = 0; s < sources.length; s++) if (sourceState[s] === 0) sourceIds.set((sources[s] as SystemRecord).id, s);
  for (let t = 0; t < targets.length; t++) {
    if (targetState[t] !== 0) continue;
    const ref = (targets[t] as SystemRecord).refs[sourceSystem];
    const s = ref === undefined ? undefined : sourceIds.get(ref);
    if (s !== undefined) claim(s, t);
  }
  for (let s = 0; s < sources.length; s++) {
    if (sourceState[s] !== 0) continue;
    const ref = (sources[s] as SystemRecord).refs[targetSystem];
    if (ref === undefined) continue;
    if (!targetById) {
      targetById = new Map();
      for (let t = 0; t < targets.length; t++) {
        if (targetState[t] !== 0) continue;
        const target = targets[t] as SystemRecord;
        push(targetById, target.id, t);
        for (const alias of target.aliases) push(targetById, alias, t);
      }
    }
    for (const t of targetById.get(ref) ?? []) claim(s, t);
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
    for (const i of groupSources) sourceState[i] = 2;
    for (const i of groupTargets) targetState[i] = 2;
    ambiguous.push({
      key: `shared_id:${(sources[s] as SystemRecord).id}`,
      sources: [...groupSources].map((i) => sources[i] as SystemRecord),
      targets: [...groupTargets].map((i) => targets[i] as SystemRecord),
    });
  }

  // 3. Normalised email, only where it is unique on both sides among what is left.
  const byEmail = new Map<string, { sources: number[]; targets: number[] }>();
  const bucket = (email: string) => {
    let b = byEmail.get(email);
    if (!b) byEmail.set(email, (b = { sources: [], targets: [] }));
    return b;
  };
  for (let s = 0; s < sources.length; s++) {
    const email = (sources[s] as SystemRecord).email;
    if (email && sourceState[s] === 0) bucket(email).sources.push(s);
  }
  if (byEmail.size > 0) {
    for (let t = 0; t < targets.length; t++) {
      const email = (targets[t] as SystemRecord).email;
      if (email && targetState[t] === 0) byEmail.get(email)?.targets.push(t);
    }
  }
  for (const [email, b] of byEmail) {
    if (b.targets.length === 0) continue;
    if (b.sources.length === 1 && b.targets.length === 1) {
      pair(b.sources[0] as number, b.targets[0] as number, 'email');
      continue;
    }
    for (const i of b.sources) sourceState[i] = 2;
    for (const i of b.targets) targetState[i] = 2;
    ambiguous.push({ key: `email:${email}`, sources: b.sources.map((i) => sources[i] as SystemRecord), targets: b.targets.map((i) => targets[i] as SystemRecord) });
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
  return { pairs, unmatchedSources, unmatchedTargets, ambiguous };
}
