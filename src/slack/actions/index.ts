import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import type { DecisionRequest, DecisionResult } from '../../decisions/decide.ts';
import { openItems, reviewItem } from '../../db/repositories/review-items.ts';
import { refuseReader } from '../access.ts';
import type { SlackContext } from '../context.ts';
import { ACTIONS } from '../ids.ts';
import { escalationView, type Vocabularies } from '../item-view.ts';
import { publishHome } from '../events/index.ts';
import { ignoreModal, overrideModal, parsePickValue, queueBlocks, refusalMessage, type BlockMessage } from '../messages/index.ts';
import { postEscalations, redrawMessage, syncMessages } from '../posting.ts';

type ButtonBody = BlockAction<ButtonAction>;

/** Where a decision came from, so its answer goes back there. */
export interface DecisionOrigin {
  /** The channel of the clicked message, for an ephemeral answer; none from App Home or a modal. */
  channel?: string | undefined;
  /** Decided in App Home (or a modal opened there): redraw it for the person. */
  home?: boolean;
}

/** Approve, Override, Ignore and Retry on an escalation message (or in App Home and /recon queue). */
export function registerActions(app: App, ctx: SlackContext): void {
  const originOf = (body: ButtonBody): DecisionOrigin => ({ channel: body.channel?.id, home: body.view?.type === 'home' });
  app.action<ButtonBody>(ACTIONS.approve, async ({ ack, body, action }) => {
    await ack();
    await decideAndShow(ctx, originOf(body), { action: 'approve', itemId: action.value ?? '', user: body.user.id });
  });
  app.action<ButtonBody>(ACTIONS.retry, async ({ ack, body, action }) => {
    await ack();
    await decideAndShow(ctx, originOf(body), { action: 'retry', itemId: action.value ?? '', user: body.user.id });
  });
  app.action<ButtonBody>(ACTIONS.release, async ({ ack, body, action }) => {
    await ack();
    await decideAndShow(ctx, originOf(body), { action: 'release', itemId: action.value ?? '', user: body.user.id });
  });
  // The record of an ambiguous match that belongs: its option names the item and both records.
  app.action<BlockAction<StaticSelectAction>>(ACTIONS.pick, async ({ ack, body, action }) => {
    await ack();
    const pick = parsePickValue(action.selected_option?.value);
    const origin = { channel: body.channel?.id, home: body.view?.type === 'home' };
    if (!pick) {
      await tellPerson(ctx, origin.channel, body.user.id, note('That choice is not one Recon offered. Nothing was changed.'));
      return;
    }
    await decideAndShow(ctx, origin, { action: 'link', itemId: pick.itemId, user: body.user.id, source: pick.source, target: pick.target });
  });
  // A modal shows the item's records (emails, amounts): only to those who may read them.
  const refusedModal = async (body: ButtonBody, asked: 'override_modal' | 'ignore_modal'): Promise<boolean> => {
    const refused = await refuseReader(ctx, body.user.id, asked);
    if (refused) await tellPerson(ctx, body.channel?.id, body.user.id, refusalMessage(refused.message));
    return refused !== null;
  };
  app.action<ButtonBody>(ACTIONS.override, async ({ ack, body, action }) => {
    await ack();
    // The trigger id lives three seconds: read only the database and what vocabularies are at hand.
    const [refused, item, vocabularies] = await Promise.all([refusedModal(body, 'override_modal'), reviewItem(ctx.database.db, action.value ?? ''), vocabulariesAtHand(ctx)]);
    if (refused || !item) return;
    // The other direction only exists where values are compared as they are (no one-way map).
    const mapped = Boolean(ctx.policy.checks.find((c) => c.name === item.check_name)?.map);
    await ctx.slack.openView(body.trigger_id, overrideModal(escalationView(item, vocabularies), { otherDirection: !mapped, home: originOf(body).home }));
  });
  app.action<ButtonBody>(ACTIONS.ignore, async ({ ack, body, action }) => {
    await ack();
    const [refused, item, vocabularies] = await Promise.all([refusedModal(body, 'ignore_modal'), reviewItem(ctx.database.db, action.value ?? ''), vocabulariesAtHand(ctx)]);
    if (refused || !item) return;
    await ctx.slack.openView(body.trigger_id, ignoreModal(escalationView(item, vocabularies), { home: originOf(body).home }));
  });
  app.action<ButtonBody>(ACTIONS.openQueue, async ({ ack, body }) => {
    await ack();
    const refused = await refuseReader(ctx, body.user.id, 'queue');
    if (refused) {
      await tellPerson(ctx, body.channel?.id, body.user.id, refusalMessage(refused.message));
      return;
    }
    const vocabularies = await ctx.vocabularies();
    const items = await openItems(ctx.database.db, { limit: 16 });
    const queue = queueBlocks(items.map((i) => escalationView(i, vocabularies)), { now: new Date() });
    if (body.channel?.id) await ctx.slack.postEphemeral(body.channel.id, body.user.id, queue);
    else await ctx.slack.postMessage(body.user.id, queue);
  });
}

/**
 * The vocabularies if they come within a second (they are cached, so they usually do at once);
 * otherwise none, so a modal opens within Slack's three seconds with a typed value instead of a
 * list, and the decision itself still checks the value.
 */
export function vocabulariesAtHand(ctx: SlackContext, waitMs = 1_000): Promise<Vocabularies> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Vocabularies>((resolve) => {
    timer = setTimeout(() => resolve(new Map()), waitMs);
  });
  const loaded = ctx.vocabularies().catch(() => new Map() as Vocabularies);
  return Promise.race([loaded, timeout]).finally(() => clearTimeout(timer));
}

const note = (text: string): BlockMessage => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

/**
 * Runs a decision and shows its result: the item's channel message redrawn as the item now is
 * (who did what, when, and the outcome in place of the proposal and buttons), App Home redrawn
 * when decided there, and a note only the person sees when the message they look at does not
 * say what happened.
 */
export async function decideAndShow(ctx: SlackContext, origin: DecisionOrigin, request: DecisionRequest): Promise<DecisionResult> {
  const result = await ctx.decide(request);
  const vocabularies = await ctx.vocabularies();
  const deps = { db: ctx.database.db, slack: ctx.slack, vocabularies, logger: ctx.logger };
  // Decided now, or decided before while the message still offered buttons: either way it is drawn as the item is.
  const item = result.kind === 'refused' ? null : result.item;
  const redrawn = item && item.status !== 'deciding' ? await redrawMessage(deps, item, new Date()) : false;
  if (origin.home) {
    await publishHome(ctx, request.user, vocabularies).catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not redraw App Home'));
  }
  // A redrawn message in the channel clicked says it all; App Home shows a clean decision by the item leaving the queue.
  const clean = result.kind === 'decided' && result.outcome !== 'stale' && result.outcome !== 'failed';
  const seenInMessage = result.kind === 'decided' && ((origin.home === true && clean) || (redrawn && origin.channel !== undefined && origin.channel === item?.slack_channel));
  if (!seenInMessage) await tellPerson(ctx, origin.channel, request.user, note(result.message));
  if (result.kind === 'decided' && request.action === 'link' && ctx.policy.slack) {
    // The pair went through the rules: what they escalated is posted now, as after a cycle.
    await postEscalations({ ...deps, channel: ctx.policy.slack.reviewChannel }, []).catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not post the escalations a pick raised'));
  } else if (result.kind === 'decided') {
    // A few other messages (items a cycle closed or refreshed meanwhile) catch up; the cycles' posting does the rest.
    await syncMessages(deps, 5).catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not bring review messages up to date'));
  }
  return result;
}

/** An ephemeral note in the channel, or in the app's DM when there is none or the person is not in it. */
async function tellPerson(ctx: SlackContext, channel: string | undefined, user: string, message: BlockMessage): Promise<void> {
  if (channel) {
    try {
      await ctx.slack.postEphemeral(channel, user, message);
      return;
    } catch (error) {
      ctx.logger.info({ err: error, channel, user }, 'could not answer in the channel; answering in a direct message');
    }
  }
  await ctx.slack.postMessage(user, message);
}
