import type { Policy } from '../config/policy.ts';
import type { OpenDatabase } from '../db/connect.ts';
import { heldOf, openGuardItems } from '../db/repositories/guard.ts';
import { inboxFigures } from '../db/repositories/inbox.ts';
import { queueFigures } from '../db/repositories/review-items.ts';
import { latestRunPerCheck } from '../db/repositories/runs.ts';
import { alertsInForce } from '../db/repositories/alerts.ts';
import { alertTitle } from '../domain/alerts.ts';
import type { ConnectionHealth } from '../domain/ports.ts';
import { nextRuns } from '../jobs/schedules.ts';
import type { StatusInput } from './messages/index.ts';

/**
 * The figures of `/recon status` and App Home: each check's last run, the queue counted by the
 * database (never loaded), and each connector's health as the caller's cache holds it.
 */
export async function buildStatus(deps: { database: OpenDatabase; policy: Policy; health: () => Promise<ConnectionHealth[]>; webhooksOn?: readonly string[]; now?: Date }): Promise<StatusInput> {
  const now = deps.now ?? new Date();
  const [runs, queue, inbox, health, guards, alerts] = await Promise.all([
    latestRunPerCheck(deps.database.db), queueFigures(deps.database.db), inboxFigures(deps.database.db), deps.health(), openGuardItems(deps.database.db), alertsInForce(deps.database.db),
  ]);
  const next = nextRuns(deps.policy).reconcile;
  const oldest = queue.oldest;
  return {
    now,
    checks: deps.policy.checks.map((check) => {
      const run = runs.find((r) => r.check_name === check.name);
      const stats = (run?.stats ?? {}) as { discrepancies?: { total?: number }; autoFixed?: number; escalated?: number; failed?: number; errors?: string[] };
      return {
        name: check.name,
        lastRun: run
          ? {
              startedAt: new Date(run.started_at),
              durationMs: run.finished_at ? new Date(run.finished_at).getTime() - new Date(run.started_at).getTime() : null,
              mode: run.mode,
              status: run.status,
              dryRun: run.dry_run,
              found: stats.discrepancies?.total ?? 0,
              autoFixed: stats.autoFixed ?? 0,
              escalated: stats.escalated ?? 0,
              errors: (stats.errors?.length ?? 0) + (stats.failed ?? 0),
            }
          : null,
        nextRunAt: next,
      };
    }),
    queue: {
      open: queue.open,
      byCategory: queue.byCategory,
      oldest: oldest ? { itemId: oldest.id, check: oldest.check_name, category: oldest.category, openedAt: new Date(oldest.opened_at) } : null,
      held: Object.fromEntries(guards.map((g) => [g.check_name, { itemId: g.id, writes: heldOf(g)?.orders.length ?? 0 }])),
    },
    fastLoop: { webhooksOn: [...(deps.webhooksOn ?? [])], last24h: inbox.recentByProvider, pending: inbox.pending, dead: inbox.dead },
    connectors: health.map((h) => ({ system: h.system, healthy: h.ok, detail: h.detail })),
    alerts: alerts.map((a) => ({ title: alertTitle(a), since: a.since, what: a.what, todo: a.todo })),
  };
}
