import type { Discrepancy, DiscrepancyKind } from '../domain/discrepancy.ts';
import { recordKey, type FieldValue, type SystemRecord } from '../domain/records.ts';
import type { Check } from './check.ts';
import { fingerprint } from './fingerprint.ts';
import type { MatchResult } from './match.ts';
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

function make(
  check: Check,
  kind: DiscrepancyKind,
  entityKey: string,
  source: SystemRecord | null,
  target: SystemRecord | null,
  extra: Partial<Pick<Discrepancy, 'matchedBy' | 'linked' | 'candidates'>> = {},
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

/** Every disagreement of one check, from a match of its two sides. Pure. */
export function diff(check: Check, match: MatchResult): Discrepancy[] {
  const found: Discrepancy[] = [];
  for (const group of check.reportUnmatched ? match.ambiguous : []) {
    const candidates = [...group.sources, ...group.targets];
    const d = make(check, 'ambiguous_match', group.key, group.sources[0] ?? null, group.targets[0] ?? null, { candidates });
    found.push(d);
  }
  if (check.reportUnmatched) {
    for (const { record, linked } of match.unmatchedSources) {
      const agreement = compare(check, record.fields[check.source.field] ?? null, null);
      if (agreement === 'no_source_value') continue; // nothing to mirror
      found.push(make(check, 'missing_in_target', recordKey(record), record, null, { linked }));
    }
    for (const { record, linked } of match.unmatchedTargets) {
      if (!targetClaimsSourceState(check, record.fields[check.target.field] ?? null)) continue;
      found.push(make(check, 'missing_in_source', recordKey(record), null, record, { linked }));
    }
  }
  for (const { source, target, matchedBy } of match.pairs) {
    const agreement = compare(check, source.fields[check.source.field] ?? null, target.fields[check.target.field] ?? null);
    if (agreement === 'agree' || agreement === 'no_source_value') continue;
    const kind = agreement === 'unmapped' ? 'mapping_gap' : 'value_mismatch';
    found.push(make(check, kind, `${recordKey(source)}|${recordKey(target)}`, source, target, { matchedBy }));
  }
  return found;
}
