/**
 * After a cycle: post its new escalations to the review channel without flooding, one report
 * for unmatched records, and bring the messages of closed items up to date.
 */
import type { Db } from '../db/connect.ts';
import type { ReviewItem } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import { escalationView, type Vocabularies } from './item-view.ts';
import { cycleSummaryMessage, escalationMessage, exceptionsReportMessage, outcomeMessage } from './messages/index.ts';
import type { SlackPort } from './port.ts';

/** Beyond this many new escalations, a cycle posts a summary and only this many messages. */
export const POST_INDIVIDUALLY = 5;

export interface PostingDeps {
  db: Db;
  slack: SlackPort;
  channel: string;
  vocabularies: Vocabularies;
  logger: Logger;
  now?: () => Date;
}

export interface PostingResult {
  posted: number;
  summarized: number;
  exceptions: number;
  updated: number;
}

export async function postEscalations(deps: PostingDeps, checks: { name: string; found: number; autoFixed: number; escalated: number }[]): Promise<PostingResult> {
  const now = deps.now ?? (() => new Date());
  const fresh = await deps.db
    .selectFrom('review_items')
    .selectAll()
    .where('status', '=', 'open')
    .where('posted_at', 'is', null)
    .orderBy('id')
    .execute();
  const messages = fresh.filter((i) => i.presentation === 'message');
  const exceptions = fresh.filter((i) => i.presentation === 'exceptions');
  const result: PostingResult = { posted: 0, summarized: 0, exceptions: 0, updated: 0 };

  const individually = messages.slice(0, POST_INDIVIDUALLY);
  if (messages.length > POST_INDIVIDUALLY) {
    const views = messages.map((i) => escalationView(i, deps.vocabularies));
    await deps.slack.postMessage(deps.channel, cycleSummaryMessage({ escalations: views, posted: individually.length, exceptions: exceptions.length, checks }));
    const rest = messages.slice(POST_INDIVIDUALLY).map((i) => i.id);
    // Counted in the summary and reachable from /recon queue and App Home: never posted one by one later.
    for (let i = 0; i < rest.length; i += 500) {
      await deps.db.updateTable('review_items').set({ posted_at: now() }).where('id', 'in', rest.slice(i, i + 500)).execute();
    }
    result.summarized = rest.length;
  }
  for (const item of individually) {
    const { channel, ts } = await deps.slack.postMessage(deps.channel, escalationMessage(escalationView(item, deps.vocabularies), { now: now() }));
    await deps.db
      .updateTable('review_items')
      .set({ posted_at: now(), slack_channel: channel, slack_ts: ts, message_synced_at: now() })
      .where('id', '=', item.id)
      .execute();
    result.posted++;
  }
  if (exceptions.length) {
    await deps.slack.postMessage(deps.channel, exceptionsReportMessage(exceptions.map((i) => escalationView(i, deps.vocabularies))));
    await deps.db.updateTable('review_items').set({ posted_at: now() }).where('id', 'in', exceptions.map((i) => i.id)).execute();
    result.exceptions = exceptions.length;
  }
  result.updated = await syncClosedMessages(deps);
  deps.logger.info({ ...result }, 'escalations posted');
  return result;
}

/** Messages of items decided or resolved elsewhere since they were last drawn get their outcome, buttons gone. */
export async function syncClosedMessages(deps: Pick<PostingDeps, 'db' | 'slack' | 'vocabularies' | 'logger'>): Promise<number> {
  const stale: ReviewItem[] = await deps.db
    .selectFrom('review_items')
    .selectAll()
    .where('slack_ts', 'is not', null)
    .where('status', 'not in', ['open', 'deciding'])
    .where((eb) => eb.or([eb('message_synced_at', 'is', null), eb('message_synced_at', '<', eb.ref('updated_at'))]))
    .orderBy('id')
    .limit(200)
    .execute();
  let updated = 0;
  for (const item of stale) {
    try {
      await deps.slack.updateMessage(item.slack_channel as string, item.slack_ts as string, outcomeMessage(escalationView(item, deps.vocabularies)));
      await deps.db.updateTable('review_items').set({ message_synced_at: new Date() }).where('id', '=', item.id).execute();
      updated++;
    } catch (error) {
      deps.logger.warn({ err: error, item: item.id }, 'could not update a review message');
    }
  }
  return updated;
}
