/**
 * Push channels (Google Calendar's `events.watch`): opened to `recon serve`'s endpoint, renewed
 * before they expire (a new channel first, then the old one stopped, so no change falls between),
 * and known to the endpoint, which refuses notifications of any other channel.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/connect.ts';
import { closeChannelRecord, openChannels, saveChannel, type StoredChannel } from '../db/repositories/channels.ts';
import type { ConnectorsBySystem } from '../domain/ports.ts';
import type { Logger } from '../log.ts';

/** What Recon asks for: Google allows at most a week on events channels. */
export const CHANNEL_TTL_SECONDS = 7 * 24 * 3600;
/** A channel with less than this left is replaced. */
export const RENEW_BEFORE_MS = 2 * 24 * 3_600_000;

export interface ChannelReport {
  system: string;
  /** The channel that now carries notifications. */
  channel: StoredChannel;
  /** Whether it was opened now (false: the open one has time left). */
  opened: boolean;
  /** Older channels stopped. */
  closed: string[];
}

/**
 * For each system that opens channels: keeps one channel open to `address` with more than
 * RENEW_BEFORE_MS left, opening a new one when needed and then stopping the others.
 */
export async function renewChannels(deps: { db: Db; connectors: ConnectorsBySystem; address: string; token: string; logger: Logger; now?: () => number; force?: boolean; onlyOpen?: boolean }): Promise<ChannelReport[]> {
  const now = deps.now ?? Date.now;
  const reports: ChannelReport[] = [];
  for (const [system, connector] of Object.entries(deps.connectors)) {
    if (!connector?.openChannel) continue;
    const open = await openChannels(deps.db, new Date(now()), system);
    // `recon serve` keeps open what `recon calendar watch` opened; it opens nothing on its own.
    if (deps.onlyOpen && open.length === 0) continue;
    const current = open.find((c) => c.address === deps.address && c.expiresAt.getTime() - now() > RENEW_BEFORE_MS);
    let channel = current && !deps.force ? current : null;
    const opened = channel === null;
    if (!channel) {
      const answer = await connector.openChannel({ id: `recon-${randomUUID()}`, address: deps.address, token: deps.token, ttlSeconds: CHANNEL_TTL_SECONDS });
      channel = { id: answer.id, system, resourceId: answer.resourceId, address: deps.address, expiresAt: new Date(answer.expiresAt) };
      await saveChannel(deps.db, channel);
      deps.logger.info({ system, channel: channel.id, expiresAt: channel.expiresAt.toISOString() }, 'push channel opened');
    }
    const closed: string[] = [];
    for (const old of open) {
      if (old.id === channel.id) continue;
      await connector.closeChannel?.({ id: old.id, resourceId: old.resourceId });
      await closeChannelRecord(deps.db, old.id, new Date(now()));
      closed.push(old.id);
    }
    reports.push({ system, channel, opened, closed });
  }
  return reports;
}

/** Stops every open channel (`recon calendar stop`). */
export async function closeAllChannels(deps: { db: Db; connectors: ConnectorsBySystem; now?: () => number }): Promise<string[]> {
  const now = deps.now ?? Date.now;
  const closed: string[] = [];
  for (const channel of await openChannels(deps.db, new Date(now()))) {
    await deps.connectors[channel.system]?.closeChannel?.({ id: channel.id, resourceId: channel.resourceId });
    await closeChannelRecord(deps.db, channel.id, new Date(now()));
    closed.push(channel.id);
  }
  return closed;
}

/**
 * The ids of open channels for the endpoint, read again at most every `ttlMs`, and at once (at
 * most once a second) for an id it does not know: a channel opened a moment ago by another process.
 */
export function channelDirectory(db: Db, ttlMs = 30_000): (asked?: string) => Promise<ReadonlySet<string>> {
  let known: Set<string> = new Set();
  let readAt = 0;
  let reading: Promise<Set<string>> | null = null;
  const refresh = () => {
    reading ??= openChannels(db, new Date())
      .then((channels) => {
        known = new Set(channels.map((c) => c.id));
        readAt = Date.now();
        return known;
      })
      .finally(() => {
        reading = null;
      });
    return reading;
  };
  return async (asked) => {
    const age = Date.now() - readAt;
    if (age > ttlMs || (asked !== undefined && !known.has(asked) && age > 1_000)) return refresh();
    return known;
  };
}
