/**
 * The watcher of Recon's own health: after every cycle, and every minute between them, it judges
 * which states are in force (domain/alerts.ts), records the changes through the store (one replica
 * wins each) and posts each change once to the alert channel.
 */
import { DEFAULT_ALERT_THRESHOLDS, judgeHealth, type AlertRecord, type AlertThresholds, type CycleEnding } from '../domain/alerts.ts';
import { errorMessage } from '../domain/errors.ts';
import type { ReconStore } from '../domain/store.ts';
import type { Logger } from '../log.ts';
import type { CheckStats } from '../reconcile/stats.ts';
import { alertMessage } from '../slack/messages/alert.ts';
import type { SlackPort } from '../slack/port.ts';

export interface AlertWatcher {
  /** A cycle finished (its checks ran, some perhaps failed). */
  cycleFinished(checks: readonly Pick<CheckStats, 'check' | 'status' | 'errors' | 'cursorExpired' | 'read' | 'discrepancies' | 'missedByFastLoop'>[]): Promise<{ started: AlertRecord[]; cleared: AlertRecord[] }>;
  /** A cycle stopped before its checks ran (refused credentials, a missing scope, the database). */
  cycleStopped(error: unknown): Promise<{ started: AlertRecord[]; cleared: AlertRecord[] }>;
  /** A look at the standing states between cycles: dead letters, guard holds. */
  look(): Promise<{ started: AlertRecord[]; cleared: AlertRecord[] }>;
}

export interface AlertWatcherDeps {
  store: ReconStore;
  /** Null without Slack: the alerts are still recorded and listed by `recon status`. */
  slack: SlackPort | null;
  channel: string | null;
  thresholds?: Partial<AlertThresholds> | undefined;
  /** Systems whose webhook endpoint is on. */
  webhooksOn?: readonly string[];
  logger: Logger;
  now?: () => Date;
}

/** What a stopped cycle says: the system and status of a refused vendor call, when that is what stopped it. */
export function cycleEnding(error: unknown): CycleEnding {
  const e = error as { system?: unknown; status?: unknown; hint?: unknown; code?: unknown };
  return {
    ok: false, error: errorMessage(error),
    system: typeof e?.system === 'string' ? e.system : undefined,
    status: typeof e?.status === 'number' ? e.status : undefined,
    hint: typeof e?.hint === 'string' ? e.hint : undefined,
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
}

export function createAlertWatcher(deps: AlertWatcherDeps): AlertWatcher {
  const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...Object.fromEntries(Object.entries(deps.thresholds ?? {}).filter(([, v]) => v !== undefined)) } as AlertThresholds;
  const now = deps.now ?? (() => new Date());
  // One judgement at a time in this process; replicas are kept apart by the store.
  let queue: Promise<unknown> = Promise.resolve();

  async function judge(cycle: CycleEnding | undefined): Promise<{ started: AlertRecord[]; cleared: AlertRecord[] }> {
    const checks = cycle?.ok ? cycle.checks.map((c) => c.check) : [];
    const facts = await deps.store.healthFacts(checks, thresholds.failingCycles);
    const at = now();
    const webhooks = { on: deps.webhooksOn ?? [], last24h: facts.eventsLast24h };
    const { active, judged } = judgeHealth({ now: at, ...(cycle ? { cycle } : {}), ...facts, webhooks }, thresholds);
    const changes = await deps.store.syncAlerts(active, judged, at);
    for (const alert of changes.started) await announce(alert, 'started');
    for (const alert of changes.cleared) await announce(alert, 'cleared');
    return changes;
  }

  async function announce(alert: AlertRecord, change: 'started' | 'cleared'): Promise<void> {
    deps.logger[change === 'started' ? 'warn' : 'info']({ alert: alert.key, since: alert.since.toISOString() }, change === 'started' ? `alert: ${alert.what}` : `alert cleared: ${alert.key}`);
    if (!deps.slack || !deps.channel) return;
    try {
      const posted = await deps.slack.postMessage(deps.channel, alertMessage(alert, change));
      if (change === 'started') await deps.store.markAlertPosted(alert.id, posted);
    } catch (error) {
      deps.logger.error({ err: error, alert: alert.key, channel: deps.channel }, 'could not post an alert to Slack');
    }
  }

  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };
  return {
    cycleFinished: (checks) => serial(() => judge({
      ok: true,
      checks: checks.map((c) => ({
        check: c.check, status: c.status, errors: c.errors, ...(c.cursorExpired ? { cursorExpired: true } : {}),
        sourceSystem: c.read.source.system, found: c.discrepancies.total, missedByFastLoop: c.missedByFastLoop,
      })),
    })),
    cycleStopped: (error) => serial(() => judge(cycleEnding(error))),
    look: () => serial(() => judge(undefined)),
  };
}
