/**
 * What the Block Kit builders read: plain data, built from review items and run figures by the
 * callers. No I/O, no database types.
 */
import type { EscalationReason } from '../../domain/discrepancy.ts';
import type { FieldValue } from '../../domain/records.ts';

export interface RecordView {
  system: string;
  object: string;
  id: string;
  field: string;
  value: FieldValue;
  /** A label for the value when the system has one (HubSpot stage `closedwon` → `Closed Won`). */
  valueLabel?: string | null;
  email: string | null;
  url: string | null;
}

export interface WriteView {
  system: string;
  object: string;
  id: string;
  field: string;
  to: FieldValue;
  toLabel?: string | null;
  financial: boolean;
}

export type ItemStatus = 'open' | 'deciding' | 'approved' | 'overridden' | 'ignored' | 'failed' | 'resolved_elsewhere' | 'superseded' | 'obsolete';

export interface EscalationView {
  itemId: string;
  check: string;
  category: string;
  reason: EscalationReason;
  /** Why a machine did not fix it, in the engine's words. */
  explanation: string;
  source: RecordView | null;
  target: RecordView | null;
  /** What Approve writes; empty when a person must choose (Approve is then not offered). */
  suggestion: WriteView[];
  /** For an ambiguous match: every candidate record. */
  candidates: RecordView[];
  /** Values Override may write into the target field (its vocabulary), when known. */
  targetVocabulary: { value: string; label: string }[] | null;
  openedAt: Date;
  status: ItemStatus;
  /**
   * Set once decided or closed; on an open item, the last decision when it wrote nothing because
   * a record had changed (stale) and the item still shows the values that decision was made on.
   */
  outcome?: {
    by: string | null;
    at: Date;
    /** What was written, or why nothing was. */
    summary: string;
    error?: string | null;
  };
  /** For the blast-radius guard's item: the writes it held back, for Release. */
  held?: HeldView | null;
}

/** The writes a blast-radius guard held back, as a person reviews them. */
export interface HeldView {
  planned: number;
  limit: number;
  recordsRead: number;
  /** The window the guard counts over, such as `1h` (absent on items held before windows). */
  window?: string;
  /** How many held writes per category, largest first. */
  byCategory: { category: string; count: number }[];
  /** The first few held writes. */
  writes: WriteView[];
}
