/** The messages a cycle posts instead of one per item: the flood summary and the exceptions report. Pure. */
import type { KnownBlock } from '@slack/types';
import { ACTIONS, SLASH_COMMAND } from '../ids.ts';
import { categoryWords, escapeMrkdwn, packLines, plural, reasonWords, recordLink, userText, valueWords } from './format.ts';
import { type BlockMessage, plainText } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';
import type { EscalationView } from './views.ts';

export interface CycleSummaryInput {
  escalations: EscalationView[];
  /** How many of `escalations` the caller posts one by one after this message. */
  posted: number;
  /** Unmatched records sent to the exceptions report instead. */
  exceptions: number;
  checks: { name: string; found: number; autoFixed: number; escalated: number }[];
  /** `slack://app?team=T…&id=A…&tab=home`: when given, the queue button opens App Home. */
  appHomeUrl?: string | null;
}

const LINES_SHOWN = 20;

function countBy<T>(items: T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function listed(lines: string[], noun: string): string {
  const shown = lines.slice(0, LINES_SHOWN);
  if (lines.length > LINES_SHOWN) shown.push(`… and ${lines.length - LINES_SHOWN} more ${noun}`);
  return shown.join('\n');
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } });

/**
 * One message for a cycle with many escalations: counts by category and by check, how many follow as
 * messages, and where the rest wait (`/recon queue`, App Home; a button with ACTIONS.openQueue).
 */
export function cycleSummaryMessage(input: CycleSummaryInput): BlockMessage {
  const total = input.escalations.length;
  const posted = Math.min(Math.max(0, input.posted), total);
  const waiting = total - posted;
  const title = `Recon: ${plural(total, 'escalation')} need${total === 1 ? 's' : ''} a person`;
  const categories = countBy(input.escalations, (e) => e.category).map(([c, n]) => `• ${escapeMrkdwn(categoryWords(c))}: *${n}*`);
  const checks = input.checks.map(
    (c) => `• *${userText(c.name, 100)}*: found ${c.found}, auto-fixed ${c.autoFixed}, escalated ${c.escalated}`,
  );
  const where = [
    posted ? (posted === 1 ? 'The first item follows as its own message.' : `The first ${posted} items follow as their own messages.`) : null,
    waiting
      ? `${posted ? (waiting === 1 ? 'The other item waits' : `The other ${waiting} items wait`) : waiting === 1 ? 'It waits' : `All ${waiting} wait`}` +
        ` in \`${SLASH_COMMAND} queue\` and on the app's Home tab, with ${waiting === 1 ? 'its' : 'their'} buttons.`
      : null,
    input.exceptions ? `${plural(input.exceptions, 'unmatched record')} ${input.exceptions === 1 ? 'is' : 'are'} listed in the exceptions report.` : null,
  ].filter((line): line is string => line !== null);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plainText(title, LIMITS.headerText) },
    section(`*By category*\n${categories.length ? listed(categories, 'categories') : 'none'}`),
  ];
  if (checks.length) blocks.push(section(`*By check*\n${listed(checks, 'checks')}`));
  if (where.length) blocks.push(section(where.join('\n')));
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
  const fallback = `${title}: ${posted} posted below, ${waiting} in ${SLASH_COMMAND} queue${input.exceptions ? `, ${input.exceptions} in the exceptions report` : ''}.`;
  return { text: truncate(fallback, LIMITS.messageText), blocks };
}

/** Listed in full up to this many; the report says how many more. */
const EXCEPTIONS_SHOWN = 100;

/** Unmatched records in one message: each linked with its value and why it has no counterpart. */
export function exceptionsReportMessage(items: EscalationView[]): BlockMessage {
  const title = `Exceptions report: ${plural(items.length, 'record')} without a counterpart`;
  const lines = items.slice(0, EXCEPTIONS_SHOWN).map((item) => {
    const record = item.source ?? item.target;
    const why = item.explanation.trim() ? userText(item.explanation.trim(), 300) : escapeMrkdwn(reasonWords(item));
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
