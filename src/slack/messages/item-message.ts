/** The message an item's Slack post shows now, whatever happened to it. Pure: the caller passes `now`. */
import { escalationMessage } from './escalation.ts';
import type { BlockMessage } from './item-blocks.ts';
import { outcomeMessage, showsOutcome } from './outcome.ts';
import type { EscalationView } from './views.ts';

/**
 * An open item's proposal with its buttons; once decided or closed (or when its last decision
 * found the record changed), the outcome in their place. What posting, every decision and every
 * sync draw, so a message never shows a proposal that no longer applies.
 */
export function itemMessage(view: EscalationView, options: { now: Date }): BlockMessage {
  return showsOutcome(view) ? outcomeMessage(view) : escalationMessage(view, options);
}
