import type { FieldValue, SystemName, SystemRecord } from './records.ts';


export const DISCREPANCY_KINDS = ['value_mismatch', 'missing_in_target', 'missing_in_source', 'ambiguous_match', 'mapping_gap'] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** A check's two sides disagree for one entity. */
export interface Discrepancy {
  check: string;
  kind: DiscrepancyKind;
  /** A category named by the policy (`paid_but_not_marked`), or the kind when none applies. */
  category: string;
  /** Stays the same while nothing changes: check, entity and both values. */
  fingerprint: string;
  /** `source-key|target-key` for a pair; the record key or `email:...` otherwise. */
  entityKey: string;
  source: SystemRecord | null;
  target: SystemRecord | null;
  sourceValue: FieldValue;
  targetValue: FieldValue;
  /** How the pair was matched, when it is a pair. */
  matchedBy: MatchedBy | null;
  /** For a missing record: whether a stored link says it once existed. */
  linked: boolean;
  /** For an ambiguous match: every candidate record. */
  candidates: SystemRecord[];
}

export type MatchedBy = 'link' | 'shared_id' | 'email';

export const ESCALATION_REASONS = [
  'mapping_gap', 'unmatched', 'linked_record_missing', 'ambiguous_match', 'policy',
  'financial', 'high_value', 'recent_human_edit', 'ambiguous_recency', 'blast_radius',
  /** The target system refused Recon's write (an invalid value for that record): a person decides, and it is not sent again on its own. */
  'write_refused',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** One field write the engine wants, compare-and-set against `from`. */
export interface PlannedWrite {
  system: SystemName;
  object: string;
  id: string;
  field: string;
  from: FieldValue;
  to: FieldValue;
  financial: boolean;
}

export type Rule = 'source_of_truth' | 'recency' | 'merge' | 'escalate';

export type Resolution =
  | { type: 'auto_fix'; rule: Rule; writes: PlannedWrite[]; explanation: string }
  | {
      type: 'escalate';
      reason: EscalationReason;
      /** Why a machine did not fix it, in words a person reads in two seconds. */
      explanation: string;
      /** What Approve would write; empty when a person must choose. */
      suggestion: PlannedWrite[];
      /** Unmatched records go in one exceptions report instead of a message each. */
      presentation: 'message' | 'exceptions';
    }
  | { type: 'suppressed'; until: number | null }
  | { type: 'noop' };

/** An Override's choice meaning "write the target's value into the source instead". */
export const OTHER_DIRECTION = '__other_direction__';
