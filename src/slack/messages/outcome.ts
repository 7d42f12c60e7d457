/**
 * An escalation's message once decided or closed: what it was about, then who did what and when,
 * in place of the proposal and the buttons, which no longer apply.
 */
import type { KnownBlock } from '@slack/types';
import { ACTIONS } from '../ids.ts';
import { openedLine } from './escalation.ts';
import { escapeMrkdwn, mention, slackDate, userText, whySentence } from './format.ts';
import { type BlockMessage, itemFacts, itemTitle, plainText } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';
import type { EscalationView, ItemStatus } from './views.ts';

const OUTCOME: Record<ItemStatus, { emoji: string; words: string }> = {
  open: { emoji: ':arrows_counterclockwise:', words: 'Nothing was written: the record changed since this was raised' },
  deciding: { emoji: ':hourglass_flowing_sand:', words: 'Being decided' },
  approved: { emoji: ':white_check_mark:', words: 'Approved' },
  overridden: { emoji: ':pencil2:', words: 'Overridden' },
  ignored: { emoji: ':no_bell:', words: 'Ignored' },
  failed: { emoji: ':warning:', words: 'The write failed' },
  resolved_elsewhere: { emoji: ':heavy_check_mark:', words: 'Resolved elsewhere: a later cycle no longer finds this mismatch' },
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

/** Whether an item's message shows an outcome (decided, closed, or a decision that found the record changed) rather than its proposal and buttons. */
export function showsOutcome(view: EscalationView): boolean {
  return view.status !== 'open' || view.outcome !== undefined;
}

/**
 * The message after a decision or closure, for chat.update: the title, what disagreed and both
 * records, then the outcome (who, what, when); the suggested fix and Approve / Override / Ignore
 * are gone. A failed write shows the vendor's error, Retry (ACTIONS.retry, value = the item id),
 * and Override… / Ignore… so a person can also decide otherwise. An open item whose last decision
 * found the record changed says so, without buttons: the next cycle shows it as it is now.
 */
export function outcomeMessage(view: EscalationView): BlockMessage {
  const blocks: KnownBlock[] = [...itemFacts(view), { type: 'section', text: { type: 'mrkdwn', text: outcomeLine(view) } }];
  const failed = view.status === 'failed';
  if (failed) {
    const error = view.outcome?.error?.trim() || 'no error message was recorded';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*The write failed:*\n\`\`\`${userText(error, 2500).replace(/`/g, "'")}\`\`\`\nRetry writes the same values again, checking first that nothing changed since; or choose another value or ignore it.` },
    });
  }
  if (view.status === 'open') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'The next cycle reads the records again and shows this as it is now.' } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`${openedLine(view)} · held for a person: ${userText(whySentence(view), 1000)}`, LIMITS.text) }] });
  if (failed) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTIONS.retry, text: plainText('Retry', LIMITS.buttonText), style: 'primary', value: view.itemId },
        // Held writes have no target of their own to override; an ambiguous match has no target until a pick.
        ...(view.held || view.reason === 'ambiguous_match' ? [] : [{ type: 'button' as const, action_id: ACTIONS.override, text: plainText('Override…', LIMITS.buttonText), value: view.itemId }]),
        { type: 'button', action_id: ACTIONS.ignore, text: plainText('Ignore…', LIMITS.buttonText), value: view.itemId },
      ],
    });
  }
  const what = view.outcome?.summary.trim() ? view.outcome.summary.trim() : (OUTCOME[view.status] ?? OUTCOME.open).words;
  return { text: truncate(escapeMrkdwn(`${itemTitle(view)}: ${what}`), LIMITS.sectionText), blocks };
}
