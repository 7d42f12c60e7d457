/** The messages a cycle posts instead of one per item: the flood summary and the exceptions report. Pure. */
import type { KnownBlock } from '@slack/types';
import { ACTIONS, SLASH_COMMAND } from '../ids.ts';
import { categoryWords, escapeMrkdwn, packLines, plural, recordLink, userText, valueWords, whySentence } from './format.ts';
import { type BlockMessage, plainText } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';
import type { EscalationView } from './views.ts';

export interface CycleSummaryInput {
  /** The cycle's new escalations that are not unmatched records, in posting order. */
  escalations: EscalationView[];
  /** How many of `escalations` (the first ones) the caller posts one by one after this message. */
  posted: number;
  /** Unmatched records, sent to the exceptions report instead of a message each. */
  exceptions: EscalationView[];
  /** The cycle's own figures per check; they also count items that were already waiting. */
  checks: { name: string; found: number; autoFixed: number; escalated: number }[];
  /** `slack://app?team=T…&id=A…&tab=home`: when given, the queue button opens App Home. */
  appHomeUrl?: string | null;
}

/** Where each new escalation of a summary went: every one counted once, so the parts add up to the total. */
export interface SummaryCounts {
  total: number;
  /** Posted one by one after the summary. */
  posted: number;
  /** Only in the summary: waiting in `/recon queue` and App Home. */
  queued: number;
  /** In the exceptions report. */
  exceptions: number;
}

export function summaryCounts(input: Pick<CycleSummaryInput, 'escalations' | 'posted' | 'exceptions'>): SummaryCounts {
  const messages = input.escalations.length;
  const posted = Math.min(Math.max(0, Math.floor(input.posted)), messages);
  const queued = messages - posted;
  const exceptions = input.exceptions.length;
  return { total: posted + queued + exceptions, posted, queued, exceptions };
}

/**
 * "*8 escalations* = *5* posted below + *1* only in the queue + *2* in the exceptions report": the
 * parts a person can add up, zero parts left out.
 */
export function summarySum(counts: SummaryCounts, options: { mrkdwn: boolean } = { mrkdwn: true }): string {
  const b = (text: string | number) => (options.mrkdwn ? `*${text}*` : String(text));
  const queue = options.mrkdwn ? `\`${SLASH_COMMAND} queue\`` : `${SLASH_COMMAND} queue`;
  const parts = [
    counts.posted ? `${b(counts.posted)} posted below, one message each` : null,
    counts.queued ? `${b(counts.queued)} only in ${queue} and on the Home tab` : null,
    counts.exceptions ? `${b(counts.exceptions)} in the exceptions report` : null,
  ].filter((part): part is string => part !== null);
  if (parts.length === 0) return 'No new escalations.';
  return `${b(plural(counts.total, 'new escalation'))} = ${parts.join(' + ')}`;
}

const LINES_SHOWN = 20;

function countBy<T>(items: T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Count lines, the ones past LINES_SHOWN folded into one line with their sum, so the lines still add up. */
function listed(counts: [string, number][], line: (name: string, n: number) => string, noun: string): string {
  const shown = counts.slice(0, LINES_SHOWN).map(([name, n]) => line(name, n));
  const rest = counts.slice(LINES_SHOWN);
  if (rest.length) shown.push(`• ${rest.length} more ${noun}: *${rest.reduce((sum, [, n]) => sum + n, 0)}*`);
  return shown.join('\n');
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } });

/**
 * One message for a cycle with many escalations: how many there are and where each went (posted
 * below, only in the queue, in the exceptions report: the parts add up to the total), the same
 * total by category and by check, and a button to the queue (ACTIONS.openQueue).
 */
export function cycleSummaryMessage(input: CycleSummaryInput): BlockMessage {
  const counts = summaryCounts(input);
  const everyone = [...input.escalations, ...input.exceptions];
  const title = `Recon: ${plural(counts.total, 'new escalation')} need${counts.total === 1 ? 's' : ''} a person`;
  const categories = countBy(everyone, (e) => e.category);
  const checks = countBy(everyone, (e) => e.check);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plainText(title, LIMITS.headerText) },
    section(summarySum(counts)),
    section(`*By category*\n${categories.length ? listed(categories, (c, n) => `• ${escapeMrkdwn(categoryWords(c))}: *${n}*`, 'categories') : 'none'}`),
  ];
  if (checks.length) blocks.push(section(`*By check*\n${listed(checks, (c, n) => `• ${userText(c.trim() ? c : 'unknown check', 100)}: *${n}*`, 'checks')}`));
  if (input.checks.length) {
    // The run's own figures count every escalation it found, also those already waiting: said apart, so no one adds them to the above.
    const figures = input.checks.slice(0, LINES_SHOWN).map((c) => `${userText(c.name, 100)}: found ${c.found}, auto-fixed ${c.autoFixed}, held for a person ${c.escalated}`);
    if (input.checks.length > LINES_SHOWN) figures.push(`and ${input.checks.length - LINES_SHOWN} more checks`);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`This cycle, counting items already waiting: ${figures.join(' · ')}`, LIMITS.text) }] });
  }
  blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.openQueue,
        text: plainText('Open the queue', LIMITS.buttonText),
        value: 'queue',
        ...(input.appHomeUrl && input.appHomeUrl.length <= LIMITS.buttonUrl ? { url: input.appHomeUrl } : {}),
      },
    ],
  });
  return { text: truncate(escapeMrkdwn(`${title}: ${summarySum(counts, { mrkdwn: false })}.`), LIMITS.messageText), blocks };
}

/** Listed in full up to this many; the report says how many more. */
const EXCEPTIONS_SHOWN = 100;

/** Unmatched records in one message: each linked with its value and why it has no counterpart. */
export function exceptionsReportMessage(items: EscalationView[]): BlockMessage {
  const title = `Exceptions report: ${plural(items.length, 'record')} without a counterpart`;
  const lines = items.slice(0, EXCEPTIONS_SHOWN).map((item) => {
    const record = item.source ?? item.target;
    const why = userText(whySentence(item), 300);
    const check = userText(item.check, 60);
    if (!record) return `• item ${userText(item.itemId, 60)}: ${why} (${check})`;
    const email = record.email ? ` · ${userText(record.email, 120)}` : '';
    const value = `${userText(record.field, 60)} *${userText(valueWords(record.value, record.valueLabel), 100)}*`;
    return `• ${recordLink(record)}${email} · ${value}: ${why} (${check})`;
  });
  const chunks = packLines(lines, LIMITS.sectionText, LIMITS.blocksPerMessage - 1, {
    hidden: items.length - lines.length,
    noun: `more: see \`${SLASH_COMMAND} queue\``,
  });
  const blocks: KnownBlock[] = [{ type: 'header', text: plainText(title, LIMITS.headerText) }, ...chunks.map(section)];
  if (items.length === 0) blocks.push(section('No unmatched records.'));
  return { text: truncate(title, LIMITS.messageText), blocks };
}
