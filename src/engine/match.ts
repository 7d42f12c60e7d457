import type { MatchedBy } from '../domain/discrepancy.ts';
import { hashString, NumberIndex } from './columns.ts';
import type { Snapshot } from './snapshot.ts';

/** How a pair was matched, as stored in {@link MatchResult.pairBy}. */
export const MATCHED_BY: readonly MatchedBy[] = ['link', 'shared_id', 'email'];

export interface AmbiguousGroup {
  /** What the candidates share: `email:ada@example.com`, `shared_id:cus_123` or `link:cus_123`. */
  key: string;
  /** Rows of the source snapshot. */
  sources: number[];
  /** Rows of the target snapshot. */
  targets: number[];
}

export interface Unmatched {
  row: number;
  /** A stored link says this record had a counterpart that is not here now. */
  linked: boolean;
}

/** Pairs as parallel columns of rows: pair `i` is `pairSource[i]` with `pairTarget[i]`, matched by `MATCHED_BY[pairBy[i]]`. */
export interface MatchResult {
  pairCount: number;
  pairSource: Int32Array;
  pairTarget: Int32Array;
  pairBy: Uint8Array;
  unmatchedSources: Unmatched[];
  unmatchedTargets: Unmatched[];
  ambiguous: AmbiguousGroup[];
}

/**
 * What stored links say beyond the entities the snapshots carry: entities linked to a record of the
 * other side that the snapshot does not hold (gone, or not read by an incremental pass).
 */
export interface LinkState {
  goneSourceEntities: ReadonlySet<number>;
  goneTargetEntities: ReadonlySet<number>;
}

export const NO_LINKS: LinkState = { goneSourceEntities: new Set(), goneTargetEntities: new Set() };

export interface MatchOptions {
  /**
   * Pair by email (only where unique on both sides). Off for an incremental pass: it holds only
   * some records, so an email unique among them may not be unique at all.
   */
  byEmail?: boolean;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Pairs source and target records, in DESIGN order: a stored link (the entity each snapshot row
 * carries); a shared stable id that one record holds for the other; then a normalised email
 * unique on both sides. Several candidates make an ambiguous group, never a guess. Pure; linear in
 * the number of records, and allocating per record only typed arrays.
 */
export function matchRecords(sources: Snapshot, targets: Snapshot, links: LinkState = NO_LINKS, options: MatchOptions = {}): MatchResult {
  const ns = sources.size;
  const nt = targets.size;
  const capacity = Math.min(ns, nt);
  const pairSource = new Int32Array(capacity);
  const pairTarget = new Int32Array(capacity);
  const pairBy = new Uint8Array(capacity);
  /** Pairs undone after the fact (a shared id overruling a link) are marked here and dropped at the end. */
  const undone = new Uint8Array(capacity);
  let pairCount = 0;
  const ambiguous: AmbiguousGroup[] = [];
  // 0 free, 1 paired, 2 in an ambiguous group: flags by position are far cheaper than Sets.
  const sourceState = new Uint8Array(ns);
  const targetState = new Uint8Array(nt);
  const pairOfSource = new Int32Array(ns).fill(-1);
  const pair = (s: number, t: number, by: number) => {
    pairSource[pairCount] = s;
    pairTarget[pairCount] = t;
    pairBy[pairCount] = by;
    pairOfSource[s] = pairCount;
    pairCount++;
    sourceState[s] = 1;
    targetState[t] = 1;
  };
  const ambiguousGroup = (key: string, groupSources: number[], groupTargets: number[]) => {
    for (const i of groupSources) sourceState[i] = 2;
    for (const i of groupTargets) targetState[i] = 2;
    ambiguous.push({ key, sources: groupSources, targets: groupTargets });
  };
  const targetSystem = targets.system;
  const sourceSystem = sources.system;

  // Every present target known by an id: its own, or an alias (a deal's contact ids).
  const targetsWithId = (id: string): number[] => {
    const found: number[] = [];
    const own = targets.rowOfId(id);
    if (own >= 0) found.push(own);
    for (const t of targets.rowsWithAlias(id)) if (!found.includes(t)) found.push(t);
    return found;
  };
  const sourceRefs = sources.refColumn(targetSystem);
  const targetRefs = targets.refColumn(sourceSystem);

  // 1. Stored links, unless the records now say otherwise: two present targets on one entity, or
  // a shared id pointing at another present record, make the link a question for a person.
  const targetOfEntity = new NumberIndex(nt);
  const moreTargetsOfEntity = new Map<number, number[]>();
  for (let t = 0; t < nt; t++) {
    const entity = targets.entity(t);
    if (Number.isNaN(entity)) continue;
    if (targetOfEntity.add(entity, t) >= 0) push(moreTargetsOfEntity, entity, t);
  }
  if (targetOfEntity.size > 0) {
    for (let s = 0; s < ns; s++) {
      const entity = sources.entity(s);
      if (Number.isNaN(entity)) continue;
      const t = targetOfEntity.get(entity);
      if (t < 0) continue;
      const more = moreTargetsOfEntity.get(entity);
      // Compared as packed bytes: the common case decodes no string.
      const refAgrees = !sourceRefs || sourceRefs.isNull(s) || targets.holdsIdIn(t, sourceRefs, s);
      if (!more && refAgrees) {
        // The common case, without allocating: one linked target, nothing saying otherwise.
        if (targetState[t] === 0 && sourceState[s] === 0) pair(s, t, 0);
        continue;
      }
      const linked = [t, ...(more ?? [])];
      const elsewhere = refAgrees ? [] : targetsWithId(sources.ref(s, targetSystem) as string).filter((o) => o !== t);
      const candidates = [...new Set([...linked, ...elsewhere])].filter((i) => targetState[i] === 0);
      if (candidates.length === 1 && candidates[0] === t && sourceState[s] === 0) pair(s, t, 0);
      else if (candidates.length > 1) ambiguousGroup(`link:${sources.id(s)}`, [s], candidates);
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
  for (let t = 0; targetRefs && t < nt; t++) {
    if (targetState[t] !== 0 || targetRefs.isNull(t)) continue;
    const s = sources.rowOfIdIn(targetRefs, t);
    if (s < 0) continue;
    if (sourceState[s] === 0) claim(s, t);
    else if (sourceState[s] === 1 && (pairOfSource[s] as number) >= 0) {
      // Linked to another record, yet this one holds its id: a person decides which is right.
      const index = pairOfSource[s] as number;
      const linkedTarget = pairTarget[index] as number;
      undone[index] = 1;
      pairOfSource[s] = -1;
      sourceState[s] = 0;
      targetState[linkedTarget] = 0;
      ambiguousGroup(`link:${sources.id(s)}`, [s], [linkedTarget, t]);
    }
  }
  for (let s = 0; sourceRefs && s < ns; s++) {
    if (sourceState[s] !== 0 || sourceRefs.isNull(s)) continue;
    for (const t of targetsWithId(sourceRefs.get(s) as string)) if (targetState[t] === 0) claim(s, t);
  }
  for (const [s, claimed] of claimsBySource) {
    if (sourceState[s] !== 0) continue;
    const t = claimed[0] as number;
    if (claimed.length === 1 && (claimsByTarget.get(t)?.length ?? 0) === 1) {
      pair(s, t, 1);
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
    ambiguousGroup(`shared_id:${sources.id(s)}`, [...groupSources], [...groupTargets]);
  }

  // 3. Normalised email, only where it is unique on both sides: counted over every record, paired
  // or not, since an email two customers share says nothing about which deal is whose.
  if (options.byEmail !== false) {
    const byEmail = new Map<string, { sources: number[]; targets: number[]; sourcesInAll: number; targetsInAll: number }>();
    for (let s = 0; s < ns; s++) {
      const email = sources.email(s);
      if (!email || sourceState[s] !== 0) continue;
      let b = byEmail.get(email);
      if (!b) byEmail.set(email, (b = { sources: [], targets: [], sourcesInAll: 0, targetsInAll: 0 }));
      b.sources.push(s);
    }
    if (byEmail.size > 0) {
      // Only rows whose email hashes like a wanted one are decoded.
      const wanted = new Set([...byEmail.keys()].map(hashString));
      const lookup = (snapshot: Snapshot, row: number) => {
        const emails = snapshot.emailColumn;
        if (emails.isNull(row) || !wanted.has(emails.hash(row))) return undefined;
        const email = emails.get(row);
        return email ? byEmail.get(email) : undefined;
      };
      for (let s = 0; s < ns; s++) {
        const b = lookup(sources, s);
        if (b) b.sourcesInAll++;
      }
      for (let t = 0; t < nt; t++) {
        const b = lookup(targets, t);
        if (!b) continue;
        b.targetsInAll++;
        if (targetState[t] === 0) b.targets.push(t);
      }
    }
    for (const [email, b] of byEmail) {
      if (b.targets.length === 0) continue;
      if (b.sourcesInAll === 1 && b.targetsInAll === 1) {
        pair(b.sources[0] as number, b.targets[0] as number, 2);
        continue;
      }
      ambiguousGroup(`email:${email}`, b.sources, b.targets);
    }
  }

  // An unmatched record is "linked" when its entity has (or had) a record on the other side.
  let sourceEntities: Set<number> | null = null;
  const unmatchedSources: Unmatched[] = [];
  const unmatchedTargets: Unmatched[] = [];
  for (let s = 0; s < ns; s++) {
    if (sourceState[s] !== 0) continue;
    const entity = sources.entity(s);
    const linked = !Number.isNaN(entity) && (targetOfEntity.get(entity) >= 0 || links.goneTargetEntities.has(entity));
    unmatchedSources.push({ row: s, linked });
  }
  for (let t = 0; t < nt; t++) {
    if (targetState[t] !== 0) continue;
    const entity = targets.entity(t);
    if (!Number.isNaN(entity) && sourceEntities === null) {
      sourceEntities = new Set();
      for (let s = 0; s < ns; s++) {
        const e = sources.entity(s);
        if (!Number.isNaN(e)) sourceEntities.add(e);
      }
    }
    const linked = !Number.isNaN(entity) && ((sourceEntities?.has(entity) ?? false) || links.goneSourceEntities.has(entity));
    unmatchedTargets.push({ row: t, linked });
  }

  // Drop the pairs a shared id overruled, keeping the columns dense.
  let kept = 0;
  for (let i = 0; i < pairCount; i++) {
    if (undone[i]) continue;
    pairSource[kept] = pairSource[i] as number;
    pairTarget[kept] = pairTarget[i] as number;
    pairBy[kept] = pairBy[i] as number;
    kept++;
  }
  return { pairCount: kept, pairSource, pairTarget, pairBy, unmatchedSources, unmatchedTargets, ambiguous };
}
