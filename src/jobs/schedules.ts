import cron, { type ScheduledTask } from 'node-cron';
import { DEFAULT_FULL_RECONCILE, type Policy } from '../config/policy.ts';
import { ConfigError } from '../config/errors.ts';
import type { Db } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { postgresRunCoordinator } from './coordinator.ts';

export interface ScheduledJobs {
  /** The slow loop: incremental where cursors allow. */
  reconcile: () => Promise<unknown>;
  /** A full pass: the only one that concludes a record is gone. */
  full: () => Promise<unknown>;
  digest?: (() => Promise<unknown>) | undefined;
  /** Nightly: prunes history past the policy's retention. */
  prune?: (() => Promise<unknown>) | undefined;
}

/** When the nightly prune runs, in the policy's time zone. */
export const PRUNE_SCHEDULE = '20 4 * * *';

/**
 * Starts the policy's schedules in its time zone: each slot runs on one replica (the Postgres
 * coordinator), and a job never overlaps itself (a tick that comes while it runs is skipped).
 */
export function startSchedules(policy: Policy, db: Db, jobs: ScheduledJobs, logger: Logger): { stop(): Promise<void>; tasks: ScheduledTask[] } {
  const schedule = policy.schedule;
  if (!schedule) return { stop: async () => {}, tasks: [] };
  const coordinator = postgresRunCoordinator(db);
  const plan: [string, string, () => Promise<unknown>][] = [
    ['reconcile', schedule.reconcile, jobs.reconcile],
    ['fullReconcile', schedule.fullReconcile ?? DEFAULT_FULL_RECONCILE, jobs.full],
  ];
  if (schedule.digest && jobs.digest) plan.push(['digest', schedule.digest, jobs.digest]);
  if (jobs.prune) plan.push(['prune', PRUNE_SCHEDULE, jobs.prune]);
  const tasks = plan.map(([name, expression, job]) => {
    if (!cron.validate(expression)) throw new ConfigError(`policy.schedule.${name}: "${expression}" is not a cron expression`);
    return cron.schedule(
      expression,
      async () => {
        try {
          await job();
        } catch (error) {
          logger.error({ err: error, job: name }, 'scheduled job failed');
        }
      },
      { name: `recon-${name}`, timezone: schedule.timezone, noOverlap: true, runCoordinator: coordinator, distributed: true },
    );
  });
  return {
    tasks,
    async stop() {
      for (const task of tasks) await task.stop();
    },
  };
}

/** When a cron expression fires next in `timezone`, or null when it is not one. */
export function nextRunOf(expression: string | undefined, timezone: string): Date | null {
  if (!expression || !cron.validate(expression)) return null;
  // node-cron computes the next run only for a started task; this one is destroyed before it fires.
  const task = cron.schedule(expression, () => {}, { timezone });
  try {
    return task.getNextRun();
  } finally {
    void task.destroy();
  }
}

/** The next time each schedule fires, for `/recon status`. */
export function nextRuns(policy: Policy): { reconcile: Date | null; digest: Date | null } {
  const schedule = policy.schedule;
  if (!schedule) return { reconcile: null, digest: null };
  return { reconcile: nextRunOf(schedule.reconcile, schedule.timezone), digest: nextRunOf(schedule.digest, schedule.timezone) };
}
