import type { App } from '@slack/bolt';
import { openItems } from '../../db/repositories/review-items.ts';
import type { SlackContext } from '../context.ts';
import { escalationView } from '../item-view.ts';
import { homeView } from '../messages/index.ts';

/** App Home: the status and the open queue, with the buttons, drawn when a person opens it. */
export function registerEvents(app: App, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    const vocabularies = await ctx.vocabularies();
    const queue = (await openItems(ctx.database.db, { limit: 30 })).map((i) => escalationView(i, vocabularies));
    await ctx.slack.publishHome(event.user, homeView({ status: await ctx.status(), queue, now: new Date() }));
  });
}
