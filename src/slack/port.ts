import type { KnownBlock, View } from '@slack/types';
import type { RetryOptions, WebClient } from '@slack/web-api';
import { createRateLimiter, type RateLimiter } from '../util/limiter.ts';
import { cachedDirectory } from '../decisions/authorize.ts';
import type { Logger } from '../log.ts';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Five retries over about five minutes, as the SDK's `retryPolicies.fiveRetriesInFiveMinutes`
 * (not importable by name from Node's ESM loader): a post ends well inside its posting lease.
 */
export const SLACK_RETRIES: RetryOptions = { retries: 5, factor: 3.86 };

/** What Recon asks of Slack's Web API: small, so posting and decisions can be tested against the sandbox. */
export interface SlackPort {
  postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  openView(triggerId: string, view: View): Promise<void>;
  publishHome(user: string, view: View): Promise<void>;
  uploadFile(channel: string, file: { bytes: Buffer; filename: string; title: string; comment?: string }): Promise<void>;
  membersOf(groupId: string): Promise<string[]>;
  /** Who the bot token is (`auth.test`): its user and bot ids and the workspace. */
  identity(): Promise<{ userId: string; botId: string | null; team: string; teamId: string }>;
  /** A channel as the bot sees it, or null when it does not exist (for `doctor`). */
  channel(id: string): Promise<{ id: string; name: string; isMember: boolean; isArchived: boolean } | null>;
}

/**
 * The Web API through Bolt's WebClient, pacing messages to Slack's one per second per channel
 * so a cycle with many escalations never meets a 429.
 */
export function webClientPort(client: WebClient, options: { pacePerChannel?: boolean; logger?: Logger } = {}): SlackPort {
  const channels = new Map<string, RateLimiter>();
  // Group memberships change rarely; a burst of clicks must not cost a lookup each.
  const directory = cachedDirectory({
    async membersOf(groupId) {
      try {
        const result = await client.usergroups.users.list({ usergroup: groupId });
        return result.users ?? [];
      } catch (error) {
        // A group that does not exist has no members; anything else (rate limit, network) is "could not check".
        if ((error as { data?: { error?: string } }).data?.error === 'no_such_subteam') {
          options.logger?.warn({ group: groupId }, 'the policy names a Slack user group that does not exist');
          return [];
        }
        throw error;
      }
    },
  });
  const paced = async <T>(channel: string, send: () => Promise<T>): Promise<T> => {
    if (options.pacePerChannel === false) return send();
    let limiter = channels.get(channel);
    if (!limiter) channels.set(channel, (limiter = createRateLimiter({ requests: 1, perMs: 1000 })));
    const release = await limiter.take();
    try {
      return await send();
    } finally {
      release();
    }
  };
  return {
    async postMessage(channel, message) {
      const result = await paced(channel, () => client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false }));
      return { channel: result.channel ?? channel, ts: result.ts as string };
    },
    async updateMessage(channel, ts, message) {
      await paced(channel, () => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }));
    },
    async postEphemeral(channel, user, message) {
      await client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
    },
    async openView(triggerId, view) {
      await client.views.open({ trigger_id: triggerId, view });
    },
    async publishHome(user, view) {
      await client.views.publish({ user_id: user, view });
    },
    async uploadFile(channel, file) {
      await paced(channel, () =>
        client.files.uploadV2({ channel_id: channel, file: file.bytes, filename: file.filename, title: file.title, ...(file.comment ? { initial_comment: file.comment } : {}) }),
      );
    },
    membersOf: (groupId) => directory.membersOf(groupId),
    async identity() {
      const who = await client.auth.test();
      return { userId: who.user_id as string, botId: who.bot_id ?? null, team: who.team ?? '', teamId: who.team_id ?? '' };
    },
    async channel(id) {
      try {
        const info = await client.conversations.info({ channel: id });
        const channel = info.channel as { id?: string; name?: string; is_member?: boolean; is_archived?: boolean } | undefined;
        return { id, name: channel?.name ?? id, isMember: channel?.is_member === true, isArchived: channel?.is_archived === true };
      } catch (error) {
        if ((error as { data?: { error?: string } }).data?.error === 'channel_not_found') return null;
        throw error;
      }
    },
  };
}
