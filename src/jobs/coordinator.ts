import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';
import type { Db } from '../db/connect.ts';

/** This process, as it signs the slots it claims. */
export const REPLICA_ID = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/**
 * node-cron's run coordinator backed by Postgres: of several replicas, the one that inserts the
 * slot key (`task:slotISO`) first runs it; the others skip. Old slots are pruned as it goes.
 */
export function postgresRunCoordinator(db: Db, replica = REPLICA_ID, onPruneError?: (error: unknown) => void): RunCoordinator {
  let lastPrune = 0;
  return {
    async shouldRun(key: string, ttlMs: number): Promise<boolean> {
      const claimed = await db
        .insertInto('schedule_slots')
        .values({ key, claimed_by: replica })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst();
      if (Date.now() - lastPrune > 3_600_000) {
        lastPrune = Date.now();
        const horizon = new Date(Date.now() - Math.max(ttlMs, 30 * 86_400_000));
        // Housekeeping must never cost the slot this replica just claimed.
        await db
          .deleteFrom('schedule_slots')
          .where('claimed_at', '<', horizon)
          .execute()
          .catch((error: unknown) => onPruneError?.(error));
      }
      return claimed !== undefined;
    },
  };
}
