/** An escalation's message once decided or closed: the buttons replaced by who did what, when. */
import type { KnownBlock } from '@slack/types';
import { ACTIONS } from '../ids.ts';
import { openedLine } from './escalation.ts';
import { escapeMrkdwn, mention, slackDate, userText } from './format.ts';
import { type BlockMessage, itemBody, itemTitle, plainText } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';
import type { EscalationView, ItemStatus } from './views.ts';

const OUTCOME: Record<ItemStatus, { emoji: string; words: string }> = {
  open: { emoji: ':large_yellow_circle:', words: 'Open' },
  deciding: { emoji: ':hourglass_flowing_sand:', words: 'Being decided' },
  approved: { emoji: ':white_check_mark:', words: 'Approved' },
  overridden: { emoji: ':pencil2:', words: 'Overridden' },
  ignored: { emoji: ':no_bell:', words: 'Ignored' },
  failed: { emoji: ':warning:', words: 'The write failed' },
  resolved_elsewhere: { emoji: ':heavy_check_mark:', words: 'Resolved elsewhere: the records agree now' },
  superseded: { emoji: ':arrow_heading_down:', words: 'Superseded by a newer item for the same mismatch' },
  obsolete: { emoji: ':wastebasket:', words: 'Closed: its check is no longer in the policy' },
};

/** "✅ Approved: dealstage set to Closed Won · by <@U123> · Nov 23 at 9:00". */
export function outcomeLine(view: EscalationView): string {
  const { emoji, words } = OUTCOME[view.status] ?? OUTCOME.open;
  const outcome = view.outcome;
  if (!outcome) return `${emoji} ${words}`;
  const summary = outcome.summary.trim() ? userText(outcome.summary.trim(), 1500) : words;
  return truncate(`${emoji} ${summary} · by ${mention(outcome.by)} · ${slackDate(outcome.at)}`, LIMITS.text);
}

/**
 * The same message after a decision or closure, for chat.update: no Approve / Override / Ignore; a
 * context line says who did what and when. A failed write shows its error, Retry (ACTIONS.retry,
 * value = the item id), and Override… / Ignore… so a person can also decide otherwise.
 */
export function outcomeMessage(view: EscalationView): BlockMessage {
  const blocks: KnownBlock[] = [...itemBody(view)];
  const failed = view.status === 'failed';
  if (failed) {
    const error = view.outcome?.error?.trim() || 'no error message was recorded';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*The write failed:*\n\`\`\`${userText(error, 2500).replace(/`/g, "'")}\`\`\`\nRetry writes the same values again, checking first that nothing changed since; or choose another value or ignore it.` },
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: outcomeLine(view) }, { type: 'mrkdwn', text: openedLine(view) }] });
  if (failed) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTIONS.retry, text: plainText('Retry', LIMITS.buttonText), style: 'primary', value: view.itemId },
        { type: 'button', action_id: ACTIONS.override, text: plainText('Override…', LIMITS.buttonText), value: view.itemId },
        { type: 'button', action_id: ACTIONS.ignore, text: plainText('Ignore…', LIMITS.buttonText), value: view.itemId },
      ],
    });
  }
  const what = view.outcome?.summary.trim() ? view.outcome.summary.trim() : (OUTCOME[view.status] ?? OUTCOME.open).words;
  return { text: truncate(escapeMrkdwn(`${itemTitle(view)}: ${what}`), LIMITS.sectionText), blocks };
}
