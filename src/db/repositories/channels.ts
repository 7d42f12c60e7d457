import type { DbOrTx } from '../connect.ts';

export interface StoredChannel {
  id: string;
  system: string;
  resourceId: string;
  address: string;
  expiresAt: Date;
}

export async function saveChannel(db: DbOrTx, channel: StoredChannel): Promise<void> {
  await db.insertInto('push_channels').values({ id: channel.id, system: channel.system, resource_id: channel.resourceId, address: channel.address, expires_at: channel.expiresAt }).execute();
}

/** Channels not closed and not yet expired at `now`, the latest expiry first. */
export async function openChannels(db: DbOrTx, now: Date, system?: string): Promise<StoredChannel[]> {
  let query = db.selectFrom('push_channels').selectAll().where('closed_at', 'is', null).where('expires_at', '>', now);
  if (system) query = query.where('system', '=', system);
  const rows = await query.orderBy('expires_at', 'desc').execute();
  return rows.map((r) => ({ id: r.id, system: r.system, resourceId: r.resource_id, address: r.address, expiresAt: new Date(r.expires_at) }));
}

export async function closeChannelRecord(db: DbOrTx, id: string, at: Date): Promise<void> {
  await db.updateTable('push_channels').set({ closed_at: at }).where('id', '=', id).execute();
}
