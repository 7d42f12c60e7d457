import type { Discrepancy, PlannedWrite, Resolution } from '../domain/discrepancy.ts';
import { singularObject, type FieldValue, type SystemRecord } from '../domain/records.ts';
import { allowedFor, type AllowedValues, type Check, type CheckSide } from '../domain/check.ts';
import { asNumber, valueKey } from './values.ts';

export interface RuleContext {
  /** Ignores in force, by fingerprint: until when (epoch ms), or null for this occurrence for good. */
  suppressions: ReadonlyMap<string, number | null>;
  /** Epoch milliseconds. */
  now: number;
}

const escalate = (
  reason: Extract<Resolution, { type: 'escalate' }>['reason'],
  explanation: string,
  suggestion: PlannedWrite[] = [],
  presentation: 'message' | 'exceptions' = 'message',
): Resolution => ({ type: 'escalate', reason, explanation, suggestion, presentation });

function writeInto(side: CheckSide, record: SystemRecord, to: FieldValue): PlannedWrite {
  return {
    system: side.system,
    object: side.object,
    id: record.id,
    field: side.field,
    from: record.fields[side.field] ?? null,
    to,
    financial: side.financial,
  };
}

/** What the target should hold under source_of_truth: the map's write value, or the source value as-is. */
function desiredTargetValue(check: Check, sourceValue: FieldValue): FieldValue {
  if (!check.map) return sourceValue;
  const key = valueKey(sourceValue);
  return key === null ? null : (check.map.get(key)?.write ?? null);
}

/** When the checked field last changed on a side: the field's history, else the record's. */
function changedAt(record: SystemRecord, field: string): number | null {
  return record.history[field]?.changedAt ?? record.updatedAt;
}

/** When the field itself last changed, or null: a record's own timestamp moves with any field. */
function fieldChangedAt(record: SystemRecord, field: string): number | null {
  return record.history[field]?.changedAt ?? null;
}

/** The writes the check's rule asks for, or why none can be chosen. */
function propose(check: Check, d: Discrepancy & { source: SystemRecord; target: SystemRecord }):
  | { writes: PlannedWrite[]; explanation: string }
  | { ambiguous: string; candidates: PlannedWrite[] } {
  switch (check.rule) {
    case 'source_of_truth':
    case 'escalate':
      return {
        writes: [writeInto(check.target, d.target, desiredTargetValue(check, d.sourceValue))],
        explanation: `${check.source.system} is the source of truth for ${check.target.field}`,
      };
    case 'recency': {
      const s = fieldChangedAt(d.source, check.source.field);
      const t = fieldChangedAt(d.target, check.target.field);
      const toTarget = writeInto(check.target, d.target, d.sourceValue);
      const toSource = writeInto(check.source, d.source, d.targetValue);
      if (s === null || t === null) {
        return { ambiguous: `one side does not say when ${s === null ? check.source.field : check.target.field} last changed`, candidates: [toTarget, toSource] };
      }
      if (Math.abs(s - t) <= check.clockSkewMs) {
        return { ambiguous: 'both sides changed within the clock-skew tolerance', candidates: [toTarget, toSource] };
      }
      return s > t
        ? { writes: [toTarget], explanation: `${check.source.system} changed last` }
        : { writes: [toSource], explanation: `${check.target.system} changed last` };
    }
    case 'merge': {
      const left = toList(d.sourceValue);
      const right = toList(d.targetValue);
      const union = [...new Set([...left, ...right])].sort();
      const writes: PlannedWrite[] = [];
      if (union.length > left.length) writes.push(writeInto(check.source, d.source, union));
      if (union.length > right.length) writes.push(writeInto(check.target, d.target, union));
      return { writes, explanation: 'merge adds what either side is missing' };
    }
  }
}

function toList(value: FieldValue): string[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  return String(value).split(/[;,]/).map((v) => v.trim()).filter(Boolean);
}

function reachesHighValue(check: Check, d: Discrepancy): number | null {
  if (!check.highValue) return null;
  const { field, atLeast, side } = check.highValue;
  const record = side === 'source' ? d.source : d.target;
  const amount = record ? asNumber(record.fields[field] ?? null) : null;
  return amount !== null && amount >= atLeast ? amount : null;
}

/**
 * Decides one discrepancy, in the order of DESIGN section 4. Pure: the same inputs always give
 * the same resolution, and no financial field and no mapping gap is ever auto-written.
 */
export function decide(check: Check, d: Discrepancy, context: RuleContext): Resolution {
  // 3. An Ignore still in force. It can only hold something back, never write, so it is
  // checked first: an ignored mapping gap or unmatched record must not come back every cycle.
  if (context.suppressions.has(d.fingerprint)) {
    const until = context.suppressions.get(d.fingerprint) ?? null;
    if (until === null || until > context.now) return { type: 'suppressed', until };
  }
  // 1. Schema drift: a value the map does not know.
  if (d.kind === 'mapping_gap') {
    return escalate('mapping_gap', `"${valueKey(d.sourceValue)}" is not in the map of check ${check.name}; add it to the policy`);
  }
  // 2. Records without a counterpart, and matches that would be guesses.
  if (d.kind === 'missing_in_target' || d.kind === 'missing_in_source') {
    const absent = d.kind === 'missing_in_target' ? check.target : check.source;
    const what = `${absent.system} ${singularObject(absent.object)}`;
    if (d.linked) return escalate('linked_record_missing', `the ${what} linked to this record is gone (deleted or archived)`);
    return escalate('unmatched', `no ${what} matches it by id or email`, [], 'exceptions');
  }
  if (d.kind === 'ambiguous_match') {
    const shared = d.entityKey.startsWith('email:') ? `the email ${d.entityKey.slice(6)}` : `the id ${d.entityKey.replace(/^shared_id:/, '')}`;
    return escalate('ambiguous_match', `${describeCandidates(d.candidates)} share ${shared}; Recon does not guess which belong together`);
  }
  const source = d.source;
  const target = d.target;
  if (!source || !target) return { type: 'noop' };
  const proposal = propose(check, { ...d, source, target });
  const candidates = 'writes' in proposal ? proposal.writes : proposal.candidates;
  if (candidates.length === 0) return { type: 'noop' };
  // 1 (again). A value the record's own pipeline does not have: the vendor would refuse it.
  const refused = 'writes' in proposal ? proposal.writes.map((w) => outsideVocabulary(check, w, w.id === target.id && w.system === target.system ? target : source)).find(Boolean) : undefined;
  if (refused) return escalate('mapping_gap', refused);
  // 4. The policy says a person decides this check.
  if (check.rule === 'escalate') return escalate('policy', `check ${check.name} always asks a person`, candidates);
  // 5. Financial fields are never written by a machine.
  const financial = candidates.find((w) => w.financial);
  if (financial) {
    return escalate('financial', `${financial.system} ${financial.field} is a financial field; only a financial approver may change it`, 'writes' in proposal ? proposal.writes : []);
  }
  // 6. High-value guard.
  const amount = reachesHighValue(check, d);
  if (amount !== null) {
    return escalate('high_value', `${check.highValue?.field} ${amount} reaches the high-value threshold of ${check.highValue?.atLeast}`, candidates);
  }
  if ('ambiguous' in proposal) return escalate('ambiguous_recency', `Recon cannot tell which side is newer: ${proposal.ambiguous}`);
  // 7. The conflict rule: a person's recent edit of the target wins over the source of truth.
  if (check.rule === 'source_of_truth') {
    const edit = target.history[check.target.field];
    if (edit?.changedBy === 'human' && edit.changedAt !== null) {
      const sourceChange = changedAt(source, check.source.field);
      const afterSource = sourceChange === null || edit.changedAt > sourceChange;
      const withinWindow = check.humanEditWindowMs !== null && context.now - edit.changedAt < check.humanEditWindowMs;
      if (afterSource || withinWindow) {
        return escalate(
          'recent_human_edit',
          `a person set ${check.target.field} in ${check.target.system} on ${exactTime(edit.changedAt)}, ${afterSource ? `after ${check.source.system} last changed` : 'within the human-edit window'}`,
          proposal.writes,
        );
      }
    }
  }
  return { type: 'auto_fix', rule: check.rule, writes: proposal.writes, explanation: proposal.explanation };
}

/** Why `write` cannot be sent: its value is not one the field takes for this record; null when it is. */
function outsideVocabulary(check: Check, write: PlannedWrite, record: SystemRecord): string | null {
  const side = write.system === check.target.system && write.object === check.target.object ? 'target' : 'source';
  const allowed: AllowedValues | null = side === 'target' ? check.targetValues : check.sourceValues;
  const values = allowedFor(allowed, record.fields);
  if (values === null || write.to === null) return null;
  const what = `${write.system} ${write.field}`;
  if (values === 'unknown_scope') {
    const scope = allowed?.scopeField ? record.fields[allowed.scopeField] : null;
    return `the ${singularObject(write.object)}'s ${allowed?.scopeField ?? 'scope'} ${scope === null || scope === undefined ? 'is not known' : `"${String(scope)}" is not one Recon knows`}, so Recon cannot tell which ${what} values it takes; nothing is written`;
  }
  if (values.has(String(write.to))) return null;
  if (allowed?.scopeField) {
    const scope = String(record.fields[allowed.scopeField]);
    const name = allowed.scopeLabels?.get(scope) ?? scope;
    return `"${String(write.to)}" is not a ${write.field} of ${allowed.scopeField} "${name}", where this ${singularObject(write.object)} is; add a map entry the policy can write there, or choose a value with Override`;
  }
  return `"${String(write.to)}" is not a value ${what} takes; fix the policy's map`;
}

/** "1 stripe customers record and 2 hubspot deals records" in plain words: `1 stripe customer and 2 hubspot deals`. */
function describeCandidates(candidates: SystemRecord[]): string {
  const counts = new Map<string, number>();
  for (const c of candidates) counts.set(`${c.system} ${c.object}`, (counts.get(`${c.system} ${c.object}`) ?? 0) + 1);
  const parts = [...counts].map(([what, n]) => `${n} ${n === 1 ? singularObject(what) : what}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'several records');
}

/**
 * "2026-11-23 09:12 UTC". Explanations name exact times, never "3 hours ago": they are stored with
 * the item, and a text that changed every cycle would look like a new mismatch each time.
 */
export function exactTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Whether deciding this discrepancy depends on who last edited the target field (history worth fetching). */
export function needsTargetHistory(check: Check, d: Discrepancy): boolean {
  return d.kind === 'value_mismatch' && check.rule === 'source_of_truth' && d.target !== null && !d.target.history[check.target.field];
}
