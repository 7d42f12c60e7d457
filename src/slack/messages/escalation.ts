/** The message an escalation posts to the review channel. Pure: the caller passes `now`. */
import { ageInWords, escapeMrkdwn, slackDate, userText, whySentence } from './format.ts';
import { type BlockMessage, headline, itemActions, itemBody, itemTitle } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';
import type { EscalationView } from './views.ts';

/** The record whose customer's timeline `/recon trace` shows for this item: its source, else its target. */
export function tracedId(view: EscalationView): string | null {
  return view.source?.id ?? view.target?.id ?? null;
}

/** "Opened Nov 23 at 9:00 (2 days ago) · item 42 · history: `/recon trace cus_123`". */
export function openedLine(view: EscalationView, now?: Date): string {
  const age = now ? ` (${ageInWords(view.openedAt, now)} ago)` : '';
  const traced = tracedId(view);
  return `Opened ${slackDate(view.openedAt)}${age} · item ${userText(view.itemId, 100)}${traced ? ` · history: \`/recon trace ${userText(traced, 100)}\`` : ''}`;
}

/** The plain fallback for notifications: the title, what disagrees, why. */
export function itemFallback(view: EscalationView): string {
  return truncate(`${escapeMrkdwn(itemTitle(view))}: ${headline(view)} ${escapeMrkdwn(whySentence(view))}`, LIMITS.sectionText);
}

/**
 * An open escalation: what disagrees and where, both records linked, why it waits, the suggested fix,
 * and Approve / Override… / Ignore… (each button's `value` is the item id).
 *
 * @example
 * await client.chat.postMessage({ channel, ...escalationMessage(view, { now: new Date() }) });
 */
export function escalationMessage(view: EscalationView, options: { now: Date }): BlockMessage {
  return {
    text: itemFallback(view),
    blocks: [
      ...itemBody(view),
      { type: 'context', elements: [{ type: 'mrkdwn', text: openedLine(view, options.now) }] },
      itemActions(view),
    ],
  };
}
