import type { Policy } from '../config/policy.ts';
import type { OpenDatabase } from '../db/connect.ts';
import { openItems } from '../db/repositories/review-items.ts';
import { latestRunPerCheck } from '../db/repositories/runs.ts';
import type { ConnectorsBySystem } from '../engine/apply.ts';
import { resolveCheck } from '../engine/check.ts';
import { nextRuns } from '../jobs/schedules.ts';
import { vocabularyKey, type Vocabularies } from './item-view.ts';
import type { StatusInput } from './messages/index.ts';

/** The figures of `/recon status` and App Home, from the runs, the queue and each connector. */
export async function buildStatus(deps: { database: OpenDatabase; connectors: ConnectorsBySystem; policy: Policy; now?: Date }): Promise<StatusInput> {
  const now = deps.now ?? new Date();
  const [runs, open, health] = await Promise.all([
    latestRunPerCheck(deps.database.db),
    openItems(deps.database.db, { limit: 100_000 }),
    Promise.all(Object.values(deps.connectors).map((c) => c?.health())),
  ]);
  const next = nextRuns(deps.policy).reconcile;
  const byCategory: Record<string, number> = {};
  for (const item of open) byCategory[item.category] = (byCategory[item.category] ?? 0) + 1;
  const oldest = open[0];
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
      open: open.length,
      byCategory,
      oldest: oldest ? { itemId: oldest.id, check: oldest.check_name, category: oldest.category, openedAt: new Date(oldest.opened_at) } : null,
    },
    fastLoop: null,
    connectors: health.flatMap((h) => (h ? [{ system: h.system, healthy: h.ok, detail: h.detail }] : [])),
  };
}

/**
 * Target-field vocabularies (HubSpot stages with labels) for messages and Override, read once and
 * kept for ten minutes: a pipeline changes rarely and every click must not cost an API call. A
 * read that failed is not kept: the next caller asks again (after a few seconds, not at every click).
 */
export function cachedVocabularies(connectors: ConnectorsBySystem, policy: Policy, ttlMs = 600_000, failedTtlMs = 15_000): () => Promise<Vocabularies> {
  let cached: { at: number; ttl: number; value: Promise<Vocabularies> } | null = null;
  const load = async (): Promise<{ vocabularies: Vocabularies; complete: boolean }> => {
    const out = new Map<string, { value: string; label: string }[]>();
    let complete = true;
    for (const check of policy.checks.map((c) => resolveCheck(c))) {
      for (const side of [check.source, check.target]) {
        const key = vocabularyKey(side);
        if (out.has(key)) continue;
        const vocabulary = await connectors[side.system]?.vocabulary(side.object, side.field).catch(() => {
          complete = false;
          return null;
        });
        if (vocabulary) out.set(key, vocabulary.values);
      }
    }
    return { vocabularies: out, complete };
  };
  return () => {
    if (!cached || Date.now() - cached.at > cached.ttl) {
      const entry: { at: number; ttl: number; value: Promise<Vocabularies> } = { at: Date.now(), ttl: ttlMs, value: Promise.resolve(new Map()) };
      entry.value = load().then(({ vocabularies, complete }) => {
        if (!complete) entry.ttl = failedTtlMs;
        return vocabularies;
      });
      cached = entry;
    }
    return cached.value;
  };
}
