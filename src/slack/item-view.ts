import type { ReviewItem } from '../domain/store.ts';
import { vocabularyKey, type Vocabularies } from '../decisions/service.ts';
import type { EscalationReason, PlannedWrite } from '../domain/discrepancy.ts';
import type { FieldValue } from '../domain/records.ts';
import type { EscalationView, RecordView } from './messages/views.ts';

export { vocabularyKey, type Vocabularies };

interface StoredRecord {
  system: string;
  object: string;
  id: string;
  field: string;
  value: FieldValue;
  email: string | null;
  url: string | null;
}

interface StoredSuggestion {
  explanation?: string;
  writes?: PlannedWrite[];
  candidates?: { system: string; object: string; id: string; email: string | null; url: string | null }[];
}


function labelOf(vocabularies: Vocabularies, r: { system: string; object: string; field: string }, value: FieldValue): string | null {
  if (value === null || Array.isArray(value)) return null;
  return vocabularies.get(vocabularyKey(r))?.find((v) => v.value === String(value))?.label ?? null;
}

function recordView(stored: StoredRecord | null, vocabularies: Vocabularies): RecordView | null {
  if (!stored) return null;
  return { ...stored, valueLabel: labelOf(vocabularies, stored, stored.value) };
}

/** The builders' view of a review item: pure, from what the item stored when it was raised and decided. */
export function escalationView(item: ReviewItem, vocabularies: Vocabularies = new Map()): EscalationView {
  const suggestion = (item.suggestion ?? {}) as StoredSuggestion;
  const target = item.target as StoredRecord | null;
  const decision = item.decision as { action?: string; writes?: PlannedWrite[]; reason?: string | null; until?: string | null; error?: string; stale?: boolean } | null;
  const view: EscalationView = {
    itemId: item.id,
    check: item.check_name,
    category: item.category,
    reason: item.reason as EscalationReason,
    explanation: suggestion.explanation ?? '',
    source: recordView(item.source as StoredRecord | null, vocabularies),
    target: recordView(target, vocabularies),
    suggestion: (suggestion.writes ?? []).map((w) => ({ ...w, toLabel: labelOf(vocabularies, w, w.to) })),
    candidates: (suggestion.candidates ?? []).map((c) => ({ ...c, field: '', value: null })),
    targetVocabulary: target ? (vocabularies.get(vocabularyKey(target)) ?? null) : null,
    openedAt: new Date(item.opened_at),
    status: item.status,
  };
  if (item.status !== 'open' && item.status !== 'deciding') {
    view.outcome = { by: item.decided_by, at: new Date(item.decided_at ?? item.closed_at ?? item.updated_at), summary: outcomeSummary(item, decision, vocabularies), error: decision?.error ?? null };
  }
  return view;
}

function outcomeSummary(item: ReviewItem, decision: { writes?: PlannedWrite[]; reason?: string | null; until?: string | null } | null, vocabularies: Vocabularies): string {
  const writes = (decision?.writes ?? []).map((w) => `${w.field} set to ${labelOf(vocabularies, w, w.to) ?? JSON.stringify(w.to)}`).join(', ');
  switch (item.status) {
    case 'approved':
      return `Approved: ${writes}`;
    case 'overridden':
      return `Overridden: ${writes}${decision?.reason ? ` (${decision.reason})` : ''}`;
    case 'ignored':
      return decision?.until ? `Ignored until ${decision.until.slice(0, 10)}` : 'Ignored while the values stay as they are';
    case 'failed':
      return `The write failed${writes ? `: ${writes}` : ''}`;
    case 'resolved_elsewhere':
      return 'Resolved: the records agree now';
    case 'superseded':
      return 'Superseded by a newer item for the same mismatch';
    case 'obsolete':
      return 'Closed: its check is no longer in the policy';
    default:
      return item.status;
  }
}
