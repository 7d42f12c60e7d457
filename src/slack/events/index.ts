import type { App } from '@slack/bolt';
import { openItems } from '../../db/repositories/review-items.ts';
import { refuseReader } from '../access.ts';
import type { SlackContext } from '../context.ts';
import { escalationView, type Vocabularies } from '../item-view.ts';
import { homeView, noAccessHomeView } from '../messages/index.ts';

/** App Home: the status and the open queue, with the buttons, drawn when a person opens it. */
export function registerEvents(app: App, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await publishHome(ctx, event.user);
  });
}

/**
 * Draws App Home for `user`: the status and the open queue with the buttons, or, for someone who
 * may not read them, only whom to ask.
 */
export async function publishHome(ctx: SlackContext, user: string, vocabularies?: Vocabularies): Promise<void> {
  const refused = await refuseReader(ctx, user, 'home');
  if (refused) {
    await ctx.slack.publishHome(user, noAccessHomeView(refused.message));
    return;
  }
  const labels = vocabularies ?? (await ctx.vocabularies());
  const queue = (await openItems(ctx.database.db, { limit: 30 })).map((i) => escalationView(i, labels));
  await ctx.slack.publishHome(user, homeView({ status: await ctx.status(), queue, now: new Date() }));
}
