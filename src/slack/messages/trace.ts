/** `/recon trace`: one customer's timeline, answered to the asker alone. Pure. */
import type { KnownBlock } from '@slack/types';
import type { Timeline } from '../../domain/trace.ts';
import { slackDate, userText } from './format.ts';
import type { BlockMessage } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';

/** Steps shown in Slack, the newest; the command line shows more. */
export const TRACE_STEPS_SHOWN = 40;

const link = (url: string | null, label: string) => (url && /^https?:\/\//.test(url) ? `<${url}|${userText(label, 200)}>` : userText(label, 200));

/**
 * The records of the customer and the newest steps in time order, one line each, packed into as few
 * sections as Slack's limits allow.
 */
export function traceMessage(timeline: Timeline): BlockMessage {
  const records = timeline.records
    .map((r) => `• ${link(r.url, `${r.system} ${r.object} ${r.id}`)}${r.matchedBy ? ` (linked by ${r.matchedBy.replace(/_/g, ' ')})` : ''}${r.email ? ` ${userText(r.email, 254)}` : ''}`)
    .slice(0, 20);
  const entries = timeline.entries.slice(-TRACE_STEPS_SHOWN);
  const hidden = timeline.omitted + timeline.entries.length - entries.length;
  const lines = entries.map((e) => `${slackDate(new Date(e.at))} · *${userText(e.actor, 80)}* · ${userText(e.summary, 600)}${e.url && /^https?:\/\//.test(e.url) ? ` <${e.url}|open>` : ''}`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`Trace of ${timeline.subject}`, LIMITS.headerText), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(records.length ? `*Records*\n${records.join('\n')}` : '*Records:* none linked', LIMITS.sectionText) } },
  ];
  let section = '';
  for (const line of lines) {
    if (section && section.length + line.length + 1 > LIMITS.sectionText) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: section } });
      section = '';
    }
    section = section ? `${section}\n${truncate(line, LIMITS.sectionText)}` : truncate(line, LIMITS.sectionText);
    if (blocks.length >= LIMITS.blocksPerMessage - 2) break;
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: section || 'Nothing happened in that span.' } });
  if (hidden > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${hidden} older steps not shown: \`recon trace ${userText(timeline.subject, 200)}\` lists them all.` }] });
  return { text: `Trace of ${userText(timeline.subject, 200)}: ${timeline.entries.length} steps`, blocks };
}
