import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { decideItem, type DecisionRequest, type DecisionResult } from '../../decisions/decide.ts';
import { openItems, reviewItem } from '../../db/repositories/review-items.ts';
import type { SlackContext } from '../context.ts';
import { ACTIONS } from '../ids.ts';
import { escalationView } from '../item-view.ts';
import { ignoreModal, outcomeMessage, overrideModal, queueBlocks } from '../messages/index.ts';
import { syncClosedMessages } from '../posting.ts';

type ButtonBody = BlockAction<ButtonAction>;

/** Approve, Override, Ignore and Retry on an escalation message (or in App Home and /recon queue). */
export function registerActions(app: App, ctx: SlackContext): void {
  app.action<ButtonBody>(ACTIONS.approve, async ({ ack, body, action }) => {
    await ack();
    await decideAndShow(ctx, body, { action: 'approve', itemId: action.value ?? '', user: body.user.id });
  });
  app.action<ButtonBody>(ACTIONS.retry, async ({ ack, body, action }) => {
    await ack();
    await decideAndShow(ctx, body, { action: 'retry', itemId: action.value ?? '', user: body.user.id });
  });
  app.action<ButtonBody>(ACTIONS.override, async ({ ack, body, action }) => {
    await ack();
    const item = await reviewItem(ctx.database.db, action.value ?? '');
    if (!item) return;
    // The other direction only exists where values are compared as they are (no one-way map).
    const mapped = Boolean(ctx.policy.checks.find((c) => c.name === item.check_name)?.map);
    await ctx.slack.openView(body.trigger_id, overrideModal(escalationView(item, await ctx.vocabularies()), { otherDirection: !mapped }));
  });
  app.action<ButtonBody>(ACTIONS.ignore, async ({ ack, body, action }) => {
    await ack();
    const item = await reviewItem(ctx.database.db, action.value ?? '');
    if (!item) return;
    await ctx.slack.openView(body.trigger_id, ignoreModal(escalationView(item, await ctx.vocabularies())));
  });
  app.action<ButtonBody>(ACTIONS.openQueue, async ({ ack, body }) => {
    await ack();
    if (!body.channel?.id) return;
    const vocabularies = await ctx.vocabularies();
    const items = await openItems(ctx.database.db, { limit: 16 });
    await ctx.slack.postEphemeral(body.channel.id, body.user.id, queueBlocks(items.map((i) => escalationView(i, vocabularies)), { now: new Date() }));
  });
}

/** Runs a decision and shows its result: the message redrawn, or a note only the clicker sees. */
export async function decideAndShow(ctx: SlackContext, where: { channel?: { id: string } | undefined; user: { id: string } }, request: DecisionRequest): Promise<DecisionResult> {
  const result = await decideItem(
    { db: ctx.database.db, connectors: ctx.connectors, policy: ctx.policy, directory: { membersOf: (g) => ctx.slack.membersOf(g) }, logger: ctx.logger },
    request,
  );
  const channel = where.channel?.id;
  if (result.kind === 'decided') {
    if (result.item.slack_ts && result.item.slack_channel) {
      await ctx.slack.updateMessage(result.item.slack_channel, result.item.slack_ts, outcomeMessage(escalationView(result.item, await ctx.vocabularies())));
      await ctx.database.db.updateTable('review_items').set({ message_synced_at: new Date() }).where('id', '=', result.item.id).execute();
    }
    await syncClosedMessages({ db: ctx.database.db, slack: ctx.slack, vocabularies: await ctx.vocabularies(), logger: ctx.logger });
  }
  if (channel && (result.kind !== 'decided' || result.outcome === 'stale' || result.outcome === 'failed')) {
    await ctx.slack.postEphemeral(channel, request.user, { text: result.message, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: result.message } }] });
  }
  return result;
}
