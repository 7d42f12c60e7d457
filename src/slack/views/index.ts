import type { App } from '@slack/bolt';
import { reviewItem } from '../../db/repositories/review-items.ts';
import { decideAndShow } from '../actions/index.ts';
import type { SlackContext } from '../context.ts';
import { VIEWS } from '../ids.ts';
import { parseIgnoreSubmission, parseOverrideSubmission } from '../messages/index.ts';

function itemIdOf(privateMetadata: string | undefined): string {
  try {
    return String((JSON.parse(privateMetadata ?? '{}') as { itemId?: unknown }).itemId ?? '');
  } catch {
    return '';
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
    await ack();
    const itemId = itemIdOf(view.private_metadata);
    const item = await reviewItem(ctx.database.db, itemId);
    await decideAndShow(ctx, { channel: item?.slack_channel ? { id: item.slack_channel } : undefined, user: body.user }, {
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
    const itemId = itemIdOf(view.private_metadata);
    const item = await reviewItem(ctx.database.db, itemId);
    await decideAndShow(ctx, { channel: item?.slack_channel ? { id: item.slack_channel } : undefined, user: body.user }, {
      action: 'ignore', itemId, user: body.user.id, snoozeDays: parsed.snoozeDays, reason: parsed.reason ?? null,
    });
  });
}
