/**
 * After a cycle: post its new escalations to the review channel without flooding, one report
 * for unmatched records, and bring the messages of closed items up to date.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { ReviewItem } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import { escalationView, type Vocabularies } from './item-view.ts';
import { cycleSummaryMessage, exceptionsReportMessage, itemMessage } from './messages/index.ts';
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

/** A posting lease older than this belonged to a process that died before it could post. */
export const POST_LEASE_MS = 10 * 60_000;

export async function postEscalations(deps: PostingDeps, checks: { name: string; found: number; autoFixed: number; escalated: number }[]): Promise<PostingResult> {
  const now = deps.now ?? (() => new Date());
  // Leased in one statement: of two replicas posting at once, each item goes to exactly one.
  const leasedAt = now();
  const fresh = (
    await deps.db
      .updateTable('review_items')
      .set({ post_claimed_at: leasedAt })
      .where('status', '=', 'open')
      .where('posted_at', 'is', null)
      .where((eb) => eb.or([eb('post_claimed_at', 'is', null), eb('post_claimed_at', '<', new Date(leasedAt.getTime() - POST_LEASE_MS))]))
      .returningAll()
      .execute()
  ).sort((a, b) => Number(a.id) - Number(b.id));
  const messages = fresh.filter((i) => i.presentation === 'message');
  const exceptions = fresh.filter((i) => i.presentation === 'exceptions');
  const result: PostingResult = { posted: 0, summarized: 0, exceptions: 0, updated: 0 };
  const markPosted = async (items: ReviewItem[]) => {
    for (let i = 0; i < items.length; i += 500) {
      await deps.db.updateTable('review_items').set({ posted_at: now() }).where('id', 'in', items.slice(i, i + 500).map((item) => item.id)).execute();
    }
  };
  // What could not be posted is released for the next cycle.
  const release = async (items: ReviewItem[]) => {
    for (let i = 0; i < items.length; i += 500) {
      await deps.db
        .updateTable('review_items')
        .set({ post_claimed_at: null })
        .where('id', 'in', items.slice(i, i + 500).map((item) => item.id))
        .where('posted_at', 'is', null)
        .execute();
    }
  };
  const attempt = async <T>(send: () => Promise<T>, unposted: () => ReviewItem[]): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      await release(unposted()).catch((releaseError: unknown) => deps.logger.warn({ err: releaseError }, 'could not release posting leases; they expire'));
      throw error;
    }
  };

  const individually = messages.slice(0, POST_INDIVIDUALLY);
  const summarized = messages.slice(POST_INDIVIDUALLY);
  if (summarized.length) {
    // Counted in the summary and reachable from /recon queue and App Home: never posted one by one later.
    const views = (items: ReviewItem[]) => items.map((i) => escalationView(i, deps.vocabularies));
    const summary = cycleSummaryMessage({ escalations: views(messages), posted: individually.length, exceptions: views(exceptions), checks });
    await attempt(() => deps.slack.postMessage(deps.channel, summary), () => fresh);
    await markPosted(summarized);
    result.summarized = summarized.length;
  }
  for (const [index, item] of individually.entries()) {
    // Paced posts can take a while: renew this item's lease, and skip it if another process took it over.
    const renewed = await deps.db
      .updateTable('review_items')
      .set({ post_claimed_at: now() })
      .where('id', '=', item.id)
      .where('posted_at', 'is', null)
      .where('post_claimed_at', '=', leasedAt)
      .returning('post_claimed_at')
      .executeTakeFirst();
    if (!renewed) continue;
    const { channel, ts } = await attempt(
      () => deps.slack.postMessage(deps.channel, itemMessage(escalationView(item, deps.vocabularies), { now: now() })),
      () => [...individually.slice(index), ...exceptions],
    );
    await deps.db
      .updateTable('review_items')
      .set({ posted_at: now(), slack_channel: channel, slack_ts: ts, message_synced_at: item.updated_at })
      .where('id', '=', item.id)
      .execute();
    result.posted++;
  }
  if (exceptions.length) {
    await attempt(() => deps.slack.postMessage(deps.channel, exceptionsReportMessage(exceptions.map((i) => escalationView(i, deps.vocabularies)))), () => exceptions);
    await markPosted(exceptions);
    result.exceptions = exceptions.length;
  }
  result.updated = await syncMessages(deps);
  deps.logger.info({ ...result }, 'escalations posted');
  return result;
}

/**
 * Records that an item's message shows the item as it was at `updated_at`: a change made while
 * the message was being drawn leaves it out of date, so the next sync draws it again.
 */
export async function markSynced(db: Db, item: Pick<ReviewItem, 'id' | 'updated_at'>): Promise<void> {
  await db.updateTable('review_items').set({ message_synced_at: item.updated_at }).where('id', '=', item.id).execute();
}

/** Slack's answers that no retry will change: the message is gone or cannot be edited. */
const PERMANENT = /message_not_found|channel_not_found|cant_update_message|edit_window_closed|is_archived|not_in_channel/;

/**
 * Messages drawn before their item last changed are drawn again: a decided or closed item gets its
 * outcome in place of the proposal and buttons; an open one its current proposal (a cycle
 * refreshed it) or what its last decision found. Items being decided are left to that decision.
 * The longest out of date first, at most `limit` of them per call.
 */
export async function syncMessages(deps: Pick<PostingDeps, 'db' | 'slack' | 'vocabularies' | 'logger' | 'now'>, limit = 200): Promise<number> {
  const now = deps.now ?? (() => new Date());
  const stale: ReviewItem[] = await deps.db
    .selectFrom('review_items')
    .selectAll()
    .where('slack_ts', 'is not', null)
    .where('status', '!=', 'deciding')
    // Timestamps written by the database carry microseconds; a JS Date keeps milliseconds.
    .where((eb) => eb.or([eb('message_synced_at', 'is', null), eb('message_synced_at', '<', sql<Date>`date_trunc('milliseconds', updated_at)`)]))
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  let updated = 0;
  for (const item of stale) {
    if (await redrawMessage(deps, item, now())) updated++;
  }
  return updated;
}

/**
 * Draws an item's posted message as the item is now and records it drawn. False when Slack
 * refused: a message that is gone or can no longer be edited is recorded drawn all the same, so no
 * sync asks again forever; anything else is left for the next sync.
 */
export async function redrawMessage(deps: Pick<PostingDeps, 'db' | 'slack' | 'vocabularies' | 'logger'>, item: ReviewItem, now: Date): Promise<boolean> {
  if (!item.slack_channel || !item.slack_ts) return false;
  try {
    await deps.slack.updateMessage(item.slack_channel, item.slack_ts, itemMessage(escalationView(item, deps.vocabularies), { now }));
    await markSynced(deps.db, item);
    return true;
  } catch (error) {
    const permanent = PERMANENT.test(String((error as { data?: { error?: string } }).data?.error ?? (error as Error).message));
    if (permanent) await markSynced(deps.db, item).catch(() => undefined);
    deps.logger.warn({ err: error, item: item.id, permanent }, permanent ? 'a review message can no longer be updated' : 'could not update a review message; the next sync tries again');
    return false;
  }
}
