import type { Discrepancy, PlannedWrite } from '../domain/discrepancy.ts';
import type { SystemName } from '../domain/records.ts';

/** One write a run made or (dry run, or held by the guard) would make. */
export interface PlannedChange {
  write: PlannedWrite;
  category: string;
  rule: string;
  reason: string;
}

/** One escalation a run raised or (dry run) would raise. */
export interface PlannedEscalation {
  category: string;
  reason: string;
  explanation: string;
  source: { system: string; object: string; id: string; value: unknown } | null;
  target: { system: string; object: string; id: string; value: unknown } | null;
}

/** The figures of one check's run, as `recon run --json` prints them. */
export interface CheckStats {
  check: string;
  runId: string | null;
  status: 'succeeded' | 'partial' | 'failed' | 'skipped';
  mode: 'full' | 'incremental';
  dryRun: boolean;
  durationMs: number;
  read: { source: SideRead; target: SideRead };
  links: { matched: number; new: number; byMatch: Record<string, number> };
  discrepancies: { total: number; byKind: Record<string, number>; byCategory: Record<string, number> };
  /** Writes applied (0 in a dry run: see `wouldWrite`). */
  autoFixed: number;
  escalated: number;
  escalatedByReason: Record<string, number>;
  suppressed: number;
  noop: number;
  stale: number;
  failed: number;
  /** Writes a dry run would have made. */
  wouldWrite: number;
  /**
   * Discrepancies the fast loop should have prevented: a change in the source, through a system
   * whose webhooks are on, since the check's previous run and older than the fast loop's delay.
   * The webhooks that were lost, as the weekly digest reports them.
   */
  missedByFastLoop: number;
  /** Writes the blast-radius guard held back for a person to release (0 when it did not trip). */
  heldByGuard: number;
  reviewItems: { opened: number; refreshed: number; resolvedElsewhere: number };
  recovered: { applied: number; failed: number; stale: number };
  apiCalls: Partial<Record<SystemName, number>>;
  /** Something a person should know that is not an error (a source field empty on every record). */
  warnings: string[];
  /** A side's cursor was too old or refused by its system, so this run read everything (an alert while it lasts). */
  cursorExpired?: boolean;
  /** Why the check did not run, when it was skipped (another replica runs it). */
  skipped: string | null;
  errors: string[];
  /** A dry run's plan: every write it would make and every escalation it would raise. */
  plan?: { writes: PlannedChange[]; escalations: PlannedEscalation[] };
}

export interface SideRead {
  system: SystemName;
  object: string;
  records: number;
}

export function emptyStats(check: string, source: SideRead, target: SideRead, dryRun: boolean): CheckStats {
  return {
    check,
    runId: null,
    status: 'succeeded',
    mode: 'full',
    dryRun,
    durationMs: 0,
    read: { source, target },
    links: { matched: 0, new: 0, byMatch: {} },
    discrepancies: { total: 0, byKind: {}, byCategory: {} },
    autoFixed: 0,
    escalated: 0,
    escalatedByReason: {},
    suppressed: 0,
    noop: 0,
    stale: 0,
    failed: 0,
    wouldWrite: 0,
    missedByFastLoop: 0,
    heldByGuard: 0,
    reviewItems: { opened: 0, refreshed: 0, resolvedElsewhere: 0 },
    recovered: { applied: 0, failed: 0, stale: 0 },
    apiCalls: {},
    warnings: [],
    skipped: null,
    errors: [],
  };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Which systems' webhooks reach the fast loop, since when, and how long it may take to act. */
export interface FastLoopCoverage {
  systems: readonly SystemName[];
  /** Epoch ms the endpoints opened: a change before it had no webhook to miss. */
  since: number;
  /** A change younger than this may still be on its way through the fast loop. */
  delayMs: number;
}

/**
 * The discrepancies a webhook should have fixed before this cycle came: a value that differs,
 * changed in a source whose webhooks are on, after both the previous run (which saw anything
 * older) and the endpoints' opening, and long enough ago for the fast loop to have acted.
 */
export function missedByFastLoop(decided: readonly { discrepancy: Discrepancy }[], coverage: FastLoopCoverage | undefined, previousAt: number | null, now: number): number {
  if (!coverage || previousAt === null) return 0;
  // Whole seconds: Stripe's timestamps have no milliseconds.
  const from = Math.floor(Math.max(previousAt, coverage.since) / 1000) * 1000;
  const until = now - coverage.delayMs;
  let missed = 0;
  for (const { discrepancy: d } of decided) {
    const changed = d.source?.updatedAt;
    if (d.kind !== 'value_mismatch' || !d.source || changed == null || !coverage.systems.includes(d.source.system)) continue;
    if (changed >= from && changed <= until) missed++;
  }
  return missed;
}
