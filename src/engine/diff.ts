import type { Check } from '../domain/check.ts';
import type { Discrepancy, DiscrepancyKind, MatchedBy } from '../domain/discrepancy.ts';
import { recordKey, type FieldValue, type SystemRecord } from '../domain/records.ts';
import { fingerprint } from './fingerprint.ts';
import { MATCHED_BY, type MatchResult } from './match.ts';
import type { Snapshot } from './snapshot.ts';
import { sameValue, valueKey } from './values.ts';

/** Does the target agree with the source under the check's map (or as-is, without a map)? */
export type Agreement = 'agree' | 'disagree' | 'unmapped' | 'no_source_value';

export function compare(check: Check, sourceValue: FieldValue, targetValue: FieldValue): Agreement {
  if (!check.map) {
    if (sourceValue === null && check.rule === 'source_of_truth') return 'no_source_value';
    return sameValue(sourceValue, targetValue) ? 'agree' : 'disagree';
  }
  const key = valueKey(sourceValue);
  if (key === null) return 'no_source_value';
  const entry = check.map.get(key);
  if (!entry) return 'unmapped';
  const target = valueKey(targetValue);
  return target !== null && entry.accept.has(target) ? 'agree' : 'disagree';
}

/** The first policy category whose conditions hold, else the kind itself. */
export function categorise(check: Check, kind: DiscrepancyKind, sourceValue: FieldValue, targetValue: FieldValue): string {
  if (kind !== 'value_mismatch') return kind;
  const s = valueKey(sourceValue) ?? '';
  const t = valueKey(targetValue) ?? '';
  for (const c of check.categories) {
    if (c.source && !c.source.has(s)) continue;
    if (c.sourceNot && c.sourceNot.has(s)) continue;
    if (c.target && !c.target.has(t)) continue;
    if (c.targetNot && c.targetNot.has(t)) continue;
    return c.name;
  }
  return kind;
}

/** Whether an unmatched target claims a state that a source record should back (a deal won without a payment). */
function targetClaimsSourceState(check: Check, value: FieldValue): boolean {
  const key = valueKey(value);
  if (key === null) return false;
  if (!check.map) return true;
  for (const entry of check.map.values()) if (entry.accept.has(key)) return true;
  return false;
}

/** Builds one discrepancy from records already materialised. */
export function discrepancyOf(
  check: Check,
  kind: DiscrepancyKind,
  entityKey: string,
  source: SystemRecord | null,
  target: SystemRecord | null,
  extra: { matchedBy?: MatchedBy | null; linked?: boolean; candidates?: SystemRecord[] } = {},
): Discrepancy {
  const sourceValue = source ? (source.fields[check.source.field] ?? null) : null;
  const targetValue = target ? (target.fields[check.target.field] ?? null) : null;
  return {
    check: check.name,
    kind,
    category: categorise(check, kind, sourceValue, targetValue),
    fingerprint: fingerprint(check.name, entityKey, sourceValue, targetValue),
    entityKey,
    source,
    target,
    sourceValue,
    targetValue,
    matchedBy: extra.matchedBy ?? null,
    linked: extra.linked ?? false,
    candidates: extra.candidates ?? [],
  };
}

export interface DiffOptions {
  /**
   * Report records with no counterpart (unmatched, linked record gone). Off for an incremental
   * pass: it did not read everything, so a missing counterpart proves nothing.
   */
  reportMissing?: boolean;
}

/**
 * Every disagreement of one check, from a match of its two snapshots. Pure. Agreeing pairs (the
 * great majority) are compared by their interned value codes without building a record; only a
 * discrepancy's records are materialised.
 */
export function diff(check: Check, sources: Snapshot, targets: Snapshot, match: MatchResult, options: DiffOptions = {}): Discrepancy[] {
  const found: Discrepancy[] = [];
  const sf = sources.fieldIndex(check.source.field);
  const tf = targets.fieldIndex(check.target.field);
  const sourceValueOf = (row: number) => (sf < 0 ? null : sources.valueOfCode(sf, sources.code(row, sf)));
  const targetValueOf = (row: number) => (tf < 0 ? null : targets.valueOfCode(tf, targets.code(row, tf)));

  if (check.reportUnmatched) {
    for (const group of match.ambiguous) {
      const candidates = [...group.sources.map((s) => sources.record(s)), ...group.targets.map((t) => targets.record(t))];
      const firstSource = group.sources[0];
      const firstTarget = group.targets[0];
      found.push(discrepancyOf(check, 'ambiguous_match', group.key,
        firstSource === undefined ? null : candidates[0] as SystemRecord,
        firstTarget === undefined ? null : candidates[group.sources.length] as SystemRecord,
        { candidates }));
    }
    if (options.reportMissing !== false) {
      for (const { row, linked } of match.unmatchedSources) {
        if (compare(check, sourceValueOf(row), null) === 'no_source_value') continue; // nothing to mirror
        const record = sources.record(row);
        found.push(discrepancyOf(check, 'missing_in_target', recordKey(record), record, null, { linked }));
      }
      for (const { row, linked } of match.unmatchedTargets) {
        if (!targetClaimsSourceState(check, targetValueOf(row))) continue;
        const record = targets.record(row);
        found.push(discrepancyOf(check, 'missing_in_source', recordKey(record), null, record, { linked }));
      }
    }
  }

  // Agreement depends only on the two values: decided once per pair of codes.
  const verdicts = new Map<number, Agreement>();
  const width = tf < 0 ? 1 : targets.distinctValues(tf) + 1;
  for (let i = 0; i < match.pairCount; i++) {
    const s = match.pairSource[i] as number;
    const t = match.pairTarget[i] as number;
    const sCode = sf < 0 ? 0 : sources.code(s, sf);
    const tCode = tf < 0 ? 0 : targets.code(t, tf);
    const key = sCode * width + tCode;
    let agreement = verdicts.get(key);
    if (agreement === undefined) {
      agreement = compare(check, sourceValueOf(s), targetValueOf(t));
      verdicts.set(key, agreement);
    }
    if (agreement === 'agree' || agreement === 'no_source_value') continue;
    const source = sources.record(s);
    const target = targets.record(t);
    const kind = agreement === 'unmapped' ? 'mapping_gap' : 'value_mismatch';
    found.push(discrepancyOf(check, kind, `${recordKey(source)}|${recordKey(target)}`, source, target, { matchedBy: MATCHED_BY[match.pairBy[i] as number] ?? null }));
  }
  return found;
}
