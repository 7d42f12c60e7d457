/**
 * An ambiguous match in Slack: several records could be one customer. Its candidates, each linked
 * with what tells them apart (the checked field, the email), and a select to pick the pair that
 * belongs together. Pure.
 */
import type { PlainTextElement, StaticSelect } from '@slack/types';
import { ACTIONS } from '../ids.ts';
import { objectName, plural, rawBehindLabel, recordLink, recordName, systemName, userText, valueWords } from './format.ts';
import { LIMITS, truncate } from './limits.ts';
import type { EscalationView, RecordView } from './views.ts';

const plain = (text: string, max: number): PlainTextElement => ({ type: 'plain_text', text: truncate(text, max), emoji: true });
const sameObject = (a: { system: string; object: string }, b: { system: string; object: string } | null) => b !== null && a.system === b.system && a.object === b.object;

/** The candidates of each side of the check: the item's source and target name the two objects. */
export function candidateSides(view: EscalationView): { sources: RecordView[]; targets: RecordView[] } {
  return {
    sources: view.candidates.filter((c) => sameObject(c, view.source)),
    targets: view.candidates.filter((c) => sameObject(c, view.target) && !sameObject(c, view.source)),
  };
}

/** "Stripe customer cus_1 (subscription status active) matches 2 HubSpot deals." */
export function ambiguousHeadline(view: EscalationView): string {
  const { sources, targets } = candidateSides(view);
  const about = (r: RecordView) => `${recordLink(r)}${r.field.trim() ? ` (${userText(r.field.replace(/_/g, ' '), 60)} *${userText(valueWords(r.value, r.valueLabel), 100)}*)` : ''}`;
  const many = (records: RecordView[], fallback: RecordView | null) => {
    const first = records[0] ?? fallback;
    return first ? `${records.length} ${systemName(first.system)} ${objectName(first.object)}${records.length === 1 ? '' : 's'}` : plural(records.length, 'record');
  };
  const [source] = sources;
  const [target] = targets;
  if (sources.length === 1 && source) return `${about(source)} matches ${many(targets, view.target)}.`;
  if (targets.length === 1 && target) return `${about(target)} matches ${many(sources, view.source)}.`;
  return `${many(sources, view.source)} and ${many(targets, view.target)} could be the same customer.`;
}

const CANDIDATES_SHOWN = 10;

function candidateLine(c: RecordView): string {
  const raw = rawBehindLabel(c.value, c.valueLabel);
  const value = c.field.trim() ? ` · ${userText(c.field, 60)} *${userText(valueWords(c.value, c.valueLabel), 100)}*${raw ? ` (${userText(raw, 100)})` : ''}` : '';
  return `• ${recordLink(c)}${value}${c.email ? ` · ${userText(c.email, 254)}` : ''}`;
}

/** The candidates to pick from, linked, with their value and email; the one record they all match is in the headline. */
export function candidatesText(view: EscalationView): string | null {
  if (view.candidates.length === 0) return null;
  const { sources, targets } = candidateSides(view);
  const listed = sources.length === 1 && targets.length ? targets : targets.length === 1 && sources.length ? sources : view.candidates;
  const lines = listed.slice(0, CANDIDATES_SHOWN).map(candidateLine);
  if (listed.length > CANDIDATES_SHOWN) lines.push(`… and ${listed.length - CANDIDATES_SHOWN} more`);
  return truncate(`*Candidates (${listed.length}):*\n${lines.join('\n')}`, LIMITS.sectionText);
}

/** What the pick writes into an option's value: the item and the two records, as the action handler reads them back. */
export function pickValue(itemId: string, source: string, target: string): string {
  return JSON.stringify([itemId, source, target]);
}

/** The item and the two records an option names; null for anything else. */
export function parsePickValue(value: string | undefined): { itemId: string; source: string; target: string } | null {
  try {
    const parsed = JSON.parse(value ?? '') as unknown;
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((p) => typeof p === 'string')) {
      const [itemId, source, target] = parsed as [string, string, string];
      return { itemId, source, target };
    }
  } catch {
    // Not an option Recon drew.
  }
  return null;
}

/** An option's words: the record that differs between options, with its value. */
function optionText(r: RecordView): string {
  const value = r.field.trim() ? ` · ${valueWords(r.value, r.valueLabel)}` : '';
  return `${recordName(r)}${value}`;
}

/**
 * The select that resolves the match: one option per pair of a source and a target candidate (the
 * other side named only when it has several), at most Slack's 100. Null when there is no pair.
 */
export function pickSelect(view: EscalationView): StaticSelect | null {
  const { sources, targets } = candidateSides(view);
  const options: StaticSelect['options'] = [];
  for (const s of sources) {
    for (const t of targets) {
      if (options.length >= LIMITS.optionsPerSelect) break;
      const value = pickValue(view.itemId, s.id, t.id);
      // An id too long for Slack's option value cannot be picked here; Override is not offered either, Ignore is.
      if (value.length > LIMITS.optionValue) continue;
      const text = sources.length === 1 ? optionText(t) : targets.length === 1 ? optionText(s) : `${recordName(s)} ↔ ${recordName(t)}`;
      const email = sources.length === 1 ? t.email : targets.length === 1 ? s.email : null;
      options.push({ text: plain(text, LIMITS.optionText), value, ...(email?.trim() ? { description: plain(email, LIMITS.optionText) } : {}) });
    }
  }
  if (options.length === 0) return null;
  const [first] = targets;
  const what = sources.length === 1 && first ? `the ${systemName(first.system)} ${objectName(first.object)} that belongs` : 'the records that belong together';
  return {
    type: 'static_select',
    action_id: ACTIONS.pick,
    placeholder: plain(`Pick ${what}…`, LIMITS.placeholder),
    options,
    confirm: {
      title: plain('Link these records?', LIMITS.confirmTitle),
      text: plain(
        'Recon links the records you picked, then reconciles them by the usual rules: a financial, high-value or recently edited change still comes back to a person.',
        LIMITS.confirmText,
      ),
      confirm: plain('Link', LIMITS.confirmButton),
      deny: plain('Cancel', LIMITS.confirmButton),
    },
  };
}
