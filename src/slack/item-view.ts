import type { HeldWrites, ReviewItem } from '../domain/store.ts';
import { vocabularyKey, type Vocabularies } from '../decisions/service.ts';
import type { EscalationReason, PlannedWrite } from '../domain/discrepancy.ts';
import type { FieldValue } from '../domain/records.ts';
import { objectName, systemName } from './messages/format.ts';
import type { EscalationView, HeldView, RecordView, WriteView } from './messages/views.ts';

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
  candidates?: { system: string; object: string; id: string; email: string | null; url: string | null; field?: string; value?: FieldValue }[];
  held?: HeldWrites;
}

/** What an item's `decision` column holds once a decision ran (src/decisions/decide.ts writes it). */
interface StoredDecision {
  action?: string;
  writes?: PlannedWrite[];
  reason?: string | null;
  until?: string | null;
  error?: string;
  tally?: { applied?: number; noop?: number; stale?: number; failed?: number; errors?: string[] };
  /** A decision that wrote nothing because a record had changed: the item stays open. */
  stale?: boolean;
  by?: string;
  at?: string;
  /** A link decision: the records linked, then what the rules did with the pair, per check. */
  linked?: { source: { system: string; object: string; id: string }; target: { system: string; object: string; id: string } };
  then?: { check: string; written: { system: string; object: string; id: string; field: string; to: FieldValue }[]; failed: number; escalated: string[]; errors: string[]; gone: boolean }[];
}

const HELD_WRITES_SHOWN = 5;

function labelOf(vocabularies: Vocabularies, r: { system: string; object: string; field: string }, value: FieldValue): string | null {
  if (value === null || Array.isArray(value)) return null;
  return vocabularies.get(vocabularyKey(r))?.find((v) => v.value === String(value))?.label ?? null;
}

function recordView(stored: StoredRecord | null, vocabularies: Vocabularies): RecordView | null {
  if (!stored) return null;
  return { ...stored, valueLabel: labelOf(vocabularies, stored, stored.value) };
}

const writeView = (w: PlannedWrite, vocabularies: Vocabularies): WriteView => ({ ...w, toLabel: labelOf(vocabularies, w, w.to) });

function heldView(held: HeldWrites | undefined, vocabularies: Vocabularies): HeldView | null {
  if (!held?.orders?.length) return null;
  const counts = new Map<string, number>();
  for (const order of held.orders) counts.set(order.category, (counts.get(order.category) ?? 0) + 1);
  return {
    planned: held.orders.length,
    limit: held.limit,
    recordsRead: held.recordsRead,
    ...(held.window ? { window: held.window } : {}),
    byCategory: [...counts].sort((a, b) => b[1] - a[1]).map(([category, count]) => ({ category, count })),
    writes: held.orders.slice(0, HELD_WRITES_SHOWN).map((o) => writeView(o.write, vocabularies)),
  };
}

/**
 * Whether the item still shows the values its last decision found changed: a cycle that re-read
 * the records since (and refreshed the item) makes that decision history, and the item open again.
 */
function stillStale(decision: StoredDecision | null, records: (StoredRecord | null)[]): boolean {
  if (!decision?.stale) return false;
  return (decision.writes ?? []).every((w) => {
    const record = records.find((r) => r && r.system === w.system && r.object === w.object && r.id === w.id);
    return !record || JSON.stringify(record.value) === JSON.stringify(w.from);
  });
}

/** The builders' view of a review item: pure, from what the item stored when it was raised and decided. */
export function escalationView(item: ReviewItem, vocabularies: Vocabularies = new Map()): EscalationView {
  const suggestion = (item.suggestion ?? {}) as StoredSuggestion;
  const source = item.source as StoredRecord | null;
  const target = item.target as StoredRecord | null;
  const decision = item.decision as StoredDecision | null;
  const view: EscalationView = {
    itemId: item.id,
    check: item.check_name,
    category: item.category,
    reason: item.reason as EscalationReason,
    explanation: suggestion.explanation ?? '',
    source: recordView(source, vocabularies),
    target: recordView(target, vocabularies),
    suggestion: (suggestion.writes ?? []).map((w) => writeView(w, vocabularies)),
    candidates: (suggestion.candidates ?? []).map((c) => {
      const field = c.field ?? '';
      const value = c.value ?? null;
      return { ...c, field, value, valueLabel: field ? labelOf(vocabularies, { ...c, field }, value) : null };
    }),
    targetVocabulary: target ? (vocabularies.get(vocabularyKey(target)) ?? null) : null,
    openedAt: new Date(item.opened_at),
    status: item.status,
    held: item.kind === 'guard' ? heldView(suggestion.held, vocabularies) : null,
  };
  if (item.status !== 'open' && item.status !== 'deciding') {
    view.outcome = { by: item.decided_by, at: new Date(item.decided_at ?? item.closed_at ?? item.updated_at), summary: outcomeSummary(item, decision, vocabularies), error: decision?.error ?? null };
  } else if (item.status === 'open' && stillStale(decision, [source, target])) {
    view.outcome = { by: decision?.by ?? null, at: new Date(decision?.at ?? item.updated_at), summary: staleSummary(decision as StoredDecision), error: null };
  }
  return view;
}

const ACTION_WORDS: Record<string, string> = { approve: 'Approve', override: 'Override', release: 'Release', link: 'The pick' };

/** "HubSpot dealstage set to Closed Won", each write of a decision. */
function writesWords(writes: PlannedWrite[] | undefined, vocabularies: Vocabularies): string {
  return (writes ?? []).map((w) => `${systemName(w.system)} ${w.field} set to ${labelOf(vocabularies, w, w.to) ?? JSON.stringify(w.to)}`).join(', ');
}

/** What the compare-and-set found: only said when it was not simply "written". */
function tallyWords(decision: StoredDecision | null): string {
  const tally = decision?.tally;
  if (!tally) return '';
  const total = (tally.applied ?? 0) + (tally.noop ?? 0) + (tally.stale ?? 0) + (tally.failed ?? 0);
  const parts = [
    tally.noop && tally.noop === total ? 'the record already held it, so nothing needed writing' : tally.noop ? `${tally.noop} already held the value` : null,
    tally.stale ? `${tally.stale} of ${total} skipped because the record changed since` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** "Linked Stripe customer cus_1 to HubSpot deal 10045; then payment-status: HubSpot dealstage set to Closed Won". */
function linkSummary(decision: StoredDecision, vocabularies: Vocabularies): string {
  const name = (r: { system: string; object: string; id: string }) => `${systemName(r.system)} ${objectName(r.object)} ${r.id}`;
  const linked = decision.linked ? `Linked ${name(decision.linked.source)} to ${name(decision.linked.target)}` : 'Linked';
  const then = (decision.then ?? []).map((o) => {
    if (o.gone) return `${o.check}: a record of the pair no longer exists`;
    const parts = [
      ...o.written.map((w) => `${systemName(w.system)} ${w.field} set to ${labelOf(vocabularies, w, w.to) ?? JSON.stringify(w.to)}`),
      ...(o.escalated.length ? [`held for a person (${o.escalated.map((r) => r.replace(/_/g, ' ')).join(', ')})`] : []),
      ...(o.failed ? [`the write failed (${o.errors.join('; ')}); the next cycle tries again`] : []),
    ];
    return `${o.check}: ${parts.length ? parts.join(', ') : 'the records agree'}`;
  });
  return then.length ? `${linked}; then ${then.join('; ')}` : linked;
}

function staleSummary(decision: StoredDecision): string {
  const tried = ACTION_WORDS[decision.action ?? 'approve'] ?? 'The decision';
  const changed = decision.tally?.errors?.[0];
  return `${tried} wrote nothing: the record changed since this was raised${changed ? ` (${changed})` : ''}`;
}

function outcomeSummary(item: ReviewItem, decision: StoredDecision | null, vocabularies: Vocabularies): string {
  const writes = writesWords(decision?.writes, vocabularies);
  switch (item.status) {
    case 'approved':
      if (decision?.action === 'link') return linkSummary(decision, vocabularies);
      if (decision?.action === 'release') {
        const tally = decision.tally;
        return `Released: ${tally?.applied ?? 0} of ${(decision.writes ?? []).length} held writes applied${tally?.noop ? `, ${tally.noop} already held the value` : ''}${tally?.stale ? `, ${tally.stale} skipped because their record changed` : ''}`;
      }
      return `Approved: ${writes}${tallyWords(decision)}`;
    case 'overridden':
      return `Overridden: ${writes}${tallyWords(decision)}${decision?.reason ? `. Reason: ${decision.reason}` : ''}`;
    case 'ignored':
      if (item.kind === 'guard') return `Dismissed: nothing held was written; a later pass that finds the same fixes holds them again${decision?.reason ? `. Reason: ${decision.reason}` : ''}`;
      return `${decision?.until ? `Ignored until ${decision.until.slice(0, 10)}` : 'Ignored while the values stay as they are'}${decision?.reason ? `. Reason: ${decision.reason}` : ''}`;
    case 'failed':
      return `${ACTION_WORDS[decision?.action ?? 'approve'] ?? 'The decision'} failed${writes ? `: ${writes} was not written` : ''}`;
    case 'resolved_elsewhere':
      return item.kind === 'guard'
        ? `Closed: every held record was read again and needs no write${guardClosing(item.decision)}`
        : 'Resolved elsewhere: a later cycle no longer finds this mismatch';
    case 'superseded':
      return 'Superseded by a newer item for the same mismatch';
    case 'obsolete':
      return 'Closed: its check is no longer in the policy';
    default:
      return item.status;
  }
}

/** ` (12 already agree, 3 wait for a person on their own)`: why a guard item closed without a person. */
function guardClosing(decision: unknown): string {
  const closed = decision as { agreed?: number; handedOver?: number } | null;
  if (!closed || (closed.agreed === undefined && closed.handedOver === undefined)) return '';
  const parts = [closed.agreed ? `${closed.agreed} already agree` : '', closed.handedOver ? `${closed.handedOver} wait for a person on their own` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
