import type { Change, ReviewItem } from '../db/schema.ts';
import type { CycleResult } from '../reconcile/cycle.ts';
import type { CheckStats } from '../reconcile/stats.ts';
import { renderTable } from './table.ts';

/** Labels for values a person reads, e.g. HubSpot stage ids: `closedwon` → `Closed Won`. */
export type Labels = ReadonlyMap<string, string>;

const SYSTEM_NAMES: Record<string, string> = { stripe: 'Stripe', hubspot: 'HubSpot', gohighlevel: 'GoHighLevel', google_calendar: 'Google Calendar' };
const OBJECT_NAMES: Record<string, string> = { customers: 'customer', deals: 'deal', contacts: 'contact', opportunities: 'opportunity', events: 'event', bookings: 'booking' };

export const systemName = (system: string) => SYSTEM_NAMES[system] ?? system;

/** One row per check: what was read, found, fixed, held back; for a dry run, what it would do, then its plan. */
export function renderSummary(result: CycleResult): string {
  const dryRun = result.checks.length > 0 && result.checks.every((c) => c.dryRun);
  const rows = result.checks.map((c) => [
    c.check,
    c.status + (c.dryRun ? ' (dry run)' : ''),
    `${c.read.source.records.toLocaleString('en-US')} / ${c.read.target.records.toLocaleString('en-US')}`,
    c.discrepancies.total,
    c.dryRun ? c.wouldWrite : c.autoFixed,
    c.escalated,
    c.suppressed,
    c.noop,
    c.stale,
    c.failed,
    Object.entries(c.apiCalls).map(([s, n]) => `${s} ${n}`).join(', '),
    `${(c.durationMs / 1000).toFixed(1)} s`,
  ]);
  const table = renderTable(
    ['check', 'status', 'read (source / target)', 'found', dryRun ? 'would write' : 'auto-fixed', dryRun ? 'would escalate' : 'escalated', 'suppressed', 'noop', 'stale', 'failed', 'API calls', 'time'],
    rows,
  );
  const byCategory = result.checks
    .filter((c) => c.discrepancies.total > 0)
    .map((c) => `  ${c.check}: ${Object.entries(c.discrepancies.byCategory).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const errors = result.checks.flatMap((c) => c.errors.map((e) => `  ${c.check}: ${e}`));
  const warnings = result.checks.flatMap((c) => c.warnings.map((w) => `  ${c.check}: ${w}`));
  // Not an error: the check runs elsewhere now.
  const skipped = result.checks.filter((c) => c.status === 'skipped').map((c) => `  ${c.check}: ${c.skipped ?? 'not run'}`);
  return [
    table,
    ...(skipped.length ? ['', 'Skipped:', ...skipped] : []),
    ...(byCategory.length ? ['', 'Found by category:', ...byCategory] : []),
    ...(warnings.length ? ['', 'Warnings:', ...warnings] : []),
    ...(errors.length ? ['', 'Errors:', ...errors.slice(0, 20), ...(errors.length > 20 ? [`  ... and ${errors.length - 20} more`] : [])] : []),
    ...result.checks.filter((c) => c.dryRun && c.plan).flatMap((c) => ['', renderPlan(c)]),
  ].join('\n');
}

/** A value as the plan shows it: JSON-ish, so an empty string and a missing value differ. */
export const planValue = (value: unknown): string => (value === null || value === undefined ? '(empty)' : typeof value === 'string' ? value : JSON.stringify(value));

/** `HubSpot deal 10002`. */
export const recordName = (r: { system: string; object: string; id: string }) => `${systemName(r.system)} ${OBJECT_NAMES[r.object] ?? r.object} ${r.id}`;

/** A dry run's plan for one check: every write it would make and every escalation it would raise. */
export function renderPlan(stats: CheckStats): string {
  const plan = stats.plan ?? { writes: [], escalations: [] };
  const lines = [`Plan of ${stats.check}: would write ${plan.writes.length}, would escalate ${plan.escalations.length}`];
  if (plan.writes.length) {
    lines.push('', '  Writes:', indent(renderTable(
      ['record', 'field', 'before → after', 'rule', 'category'],
      plan.writes.map((w) => [recordName(w.write), w.write.field, `${planValue(w.write.from)} → ${planValue(w.write.to)}`, w.rule, w.category]),
    )));
  }
  if (plan.escalations.length) {
    lines.push('', '  Escalations:', indent(renderTable(
      ['category', 'held back because', 'source', 'target', 'why'],
      plan.escalations.map((e) => [
        e.category,
        REASON_TITLES[e.reason] ?? words(e.reason),
        e.source ? `${recordName(e.source)} = ${planValue(e.source.value)}` : '(none)',
        e.target ? `${recordName(e.target)} = ${planValue(e.target.value)}` : '(none)',
        e.explanation,
      ]),
    )));
  }
  return lines.join('\n');
}

const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');

const show = (value: unknown, labels: Labels): string => {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (Array.isArray(value)) return value.join(', ');
  const text = String(value);
  const label = labels.get(text);
  return label && label !== text ? `${label} (${text})` : text;
};

/** The change log as a person reads it: when, who, what changed where, and how it ended. */
export function renderChanges(changes: Change[], labels: Labels): string {
  if (changes.length === 0) return 'No writes.';
  return renderTable(
    ['when', 'actor', 'record', 'field', 'before → after', 'outcome', 'why'],
    changes.map((c) => [
      new Date(c.at).toISOString().replace('T', ' ').slice(0, 19),
      c.actor,
      `${systemName(c.system)} ${OBJECT_NAMES[c.object] ?? c.object} ${c.external_id}`,
      c.field,
      `${show(c.before, labels)} → ${show(c.after, labels)}`,
      c.outcome + (c.error ? ` (${c.error})` : ''),
      c.reason ?? '',
    ]),
  );
}

interface RecordSummary {
  system: string;
  object: string;
  id: string;
  field: string;
  value: unknown;
  email: string | null;
  url: string | null;
}

interface Suggestion {
  explanation: string;
  writes: { system: string; object: string; id: string; field: string; to: unknown; financial: boolean }[];
  candidates: { system: string; object: string; id: string; email: string | null; url: string | null }[];
}

const REASON_TITLES: Record<string, string> = {
  mapping_gap: 'a value the policy does not know',
  unmatched: 'no matching record',
  linked_record_missing: 'the linked record is gone',
  ambiguous_match: 'several records could match',
  policy: 'the policy asks a person',
  financial: 'a financial field',
  high_value: 'a high-value customer',
  recent_human_edit: 'a person edited it',
  ambiguous_recency: 'unclear which side is newer',
  blast_radius: 'more fixes than the guard allows',
  write_refused: 'the target refused the write',
};

const words = (snake: string) => snake.replace(/_/g, ' ');

/** Why an item waits for a person, in words: `recent_human_edit` → `a person edited it`. */
export const heldBackBecause = (reason: string) => REASON_TITLES[reason] ?? words(reason);

function describeRecord(r: RecordSummary, labels: Labels): string {
  const who = r.email ? ` (${r.email})` : '';
  return `${systemName(r.system)} ${OBJECT_NAMES[r.object] ?? r.object} ${r.id}${who}: ${r.field} = ${show(r.value, labels)}${r.url ? `\n      ${r.url}` : ''}`;
}

/** An escalation as its Slack message reads: what disagrees, both values, why it waits, the fix. */
export function renderEscalation(item: ReviewItem, labels: Labels): string {
  const source = item.source as RecordSummary | null;
  const target = item.target as RecordSummary | null;
  const suggestion = item.suggestion as Suggestion | null;
  const lines = [`▌ ${item.check_name} · ${words(item.category)} · held back: ${REASON_TITLES[item.reason] ?? words(item.reason)}`];
  if (source) lines.push(`    ${describeRecord(source, labels)}`);
  if (target) lines.push(`    ${describeRecord(target, labels)}`);
  for (const c of suggestion?.candidates ?? []) {
    if (c.id !== source?.id && c.id !== target?.id) lines.push(`    candidate: ${systemName(c.system)} ${OBJECT_NAMES[c.object] ?? c.object} ${c.id}${c.email ? ` (${c.email})` : ''}`);
  }
  if (suggestion?.explanation) lines.push(`    Why: ${suggestion.explanation}`);
  const write = suggestion?.writes[0];
  lines.push(
    write
      ? `    Suggested: set ${systemName(write.system)} ${write.field} to ${show(write.to, labels)}${write.financial ? ' (financial: needs a financial approver)' : ''}`
      : '    Suggested: a person decides (no safe default)',
  );
  lines.push('    [Approve]  [Override…]  [Ignore]');
  return lines.join('\n');
}

/** Unmatched records in one report, not a message each. */
export function renderExceptions(items: ReviewItem[]): string {
  if (items.length === 0) return '';
  const lines = [`Exceptions report: ${items.length} record${items.length === 1 ? '' : 's'} without a counterpart`];
  for (const item of items) {
    const record = (item.source ?? item.target) as RecordSummary | null;
    if (!record) continue;
    const why = (item.suggestion as Suggestion | null)?.explanation ?? 'no counterpart';
    lines.push(`  · ${systemName(record.system)} ${OBJECT_NAMES[record.object] ?? record.object} ${record.id}${record.email ? ` (${record.email})` : ''}, ${record.field} = ${show(record.value, new Map())}: ${why} (${item.check_name})`);
  }
  return lines.join('\n');
}

/** Slack's mention syntax as plain text: `<@U1>` → `U1`, `<!subteam^S1>` → `S1`. */
export function plainText(mrkdwn: string): string {
  return mrkdwn.replace(/<@([A-Z0-9]+)>/g, '$1').replace(/<!subteam\^([A-Z0-9]+)(\|[^>]*)?>/g, '$1');
}
