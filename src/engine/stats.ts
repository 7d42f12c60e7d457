import type { SystemName } from '../domain/records.ts';

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
  autoFixed: number;
  escalated: number;
  escalatedByReason: Record<string, number>;
  suppressed: number;
  noop: number;
  stale: number;
  failed: number;
  /** Writes a dry run would have made. */
  wouldWrite: number;
  reviewItems: { opened: number; refreshed: number; resolvedElsewhere: number };
  recovered: { applied: number; failed: number; stale: number };
  apiCalls: Partial<Record<SystemName, number>>;
  errors: string[];
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
    reviewItems: { opened: 0, refreshed: 0, resolvedElsewhere: 0 },
    recovered: { applied: 0, failed: 0, stale: 0 },
    apiCalls: {},
    errors: [],
  };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
