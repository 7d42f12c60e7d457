import type { App } from '@slack/bolt';
import { reviewItem } from '../../db/repositories/review-items.ts';
import { OTHER_DIRECTION } from '../../domain/discrepancy.ts';
import { decideAndShow, vocabulariesAtHand } from '../actions/index.ts';
import type { SlackContext } from '../context.ts';
import { INPUTS, VIEWS } from '../ids.ts';
import { vocabularyKey } from '../item-view.ts';
import { parseIgnoreSubmission, parseOverrideSubmission } from '../messages/index.ts';

function metadataOf(privateMetadata: string | undefined): { itemId: string; home: boolean } {
  try {
    const parsed = JSON.parse(privateMetadata ?? '{}') as { itemId?: unknown; home?: unknown };
    return { itemId: String(parsed.itemId ?? ''), home: parsed.home === true };
  } catch {
    // Not ours (a forged or truncated submission): no item, so the decision refuses it.
    return { itemId: '', home: false };
  }
}

/** The Override and Ignore modals: validate, close, then decide as a button would. */
export function registerViews(app: App, ctx: SlackContext): void {
  app.view(VIEWS.override, async ({ ack, body, view }) => {
    const parsed = parseOverrideSubmission(view.state.values);
    if ('errors' in parsed) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    const { itemId, home } = metadataOf(view.private_metadata);
    const item = await reviewItem(ctx.database.db, itemId);
    // A typed value the target would refuse is caught in the modal, where it can be corrected.
    const target = item?.target as { system: string; object: string; field: string } | null | undefined;
    // Checked here only against vocabularies at hand: the ack must come within three seconds.
    const allowed = target && parsed.value !== OTHER_DIRECTION ? (await vocabulariesAtHand(ctx)).get(vocabularyKey(target)) : undefined;
    if (allowed && !allowed.some((v) => v.value === parsed.value)) {
      // A label typed for its value ("Closed Won"), of any pipeline: labels read "Pipeline: Stage" when there are several.
      const typed = parsed.value.trim().toLowerCase();
      const byLabel = allowed.filter((v) => v.label.toLowerCase() === typed || v.label.toLowerCase().endsWith(`: ${typed}`));
      const hint = byLabel.length
        ? `Use the value ${byLabel.map((v) => (byLabel.length > 1 ? `${v.value} (${v.label})` : v.value)).join(' or ')}.`
        : `Choose one of: ${allowed.slice(0, 10).map((v) => v.value).join(', ')}${allowed.length > 10 ? ', …' : ''}.`;
      await ack({ response_action: 'errors', errors: { [INPUTS.overrideValue.block]: `${target?.field ?? 'This field'} does not accept that value. ${hint}`.slice(0, 150) } });
      return;
    }
    await ack();
    await decideAndShow(ctx, { channel: item?.slack_channel ?? undefined, home }, {
      action: 'override', itemId, user: body.user.id, value: parsed.value, reason: parsed.reason,
    });
  });
  app.view(VIEWS.ignore, async ({ ack, body, view }) => {
    const parsed = parseIgnoreSubmission(view.state.values);
    if ('errors' in parsed) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    await ack();
    const { itemId, home } = metadataOf(view.private_metadata);
    const item = await reviewItem(ctx.database.db, itemId);
    await decideAndShow(ctx, { channel: item?.slack_channel ?? undefined, home }, {
      action: 'ignore', itemId, user: body.user.id, snoozeDays: parsed.snoozeDays, reason: parsed.reason ?? null,
    });
  });
}
