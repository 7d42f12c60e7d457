import type { Check } from '../domain/check.ts';
import type { Decided } from '../domain/store.ts';
import { diff } from './diff.ts';
import { matchRecords, type LinkState, type MatchResult } from './match.ts';
import { decide, type RuleContext } from './rules.ts';
import type { Snapshot } from './snapshot.ts';

export type { Decided };

export interface CheckPlan {
  match: MatchResult;
  decided: Decided[];
}

export interface PlanOptions {
  /**
   * `full`: every record of both sides was read, so a missing counterpart is reported and emails
   * are matched. `incremental`: only changed records and their counterparts were read.
   */
  mode?: 'full' | 'incremental';
  /** Pair by email even though not everything was read: the records holding it were all searched for. Default: in a full pass. */
  byEmail?: boolean;
}

/**
 * Match, diff and decide one check over two snapshots. Pure: the caller fetches history for the
 * items `needsHistory` returns and decides them again.
 */
export function planCheck(check: Check, sources: Snapshot, targets: Snapshot, links: LinkState, context: RuleContext, options: PlanOptions = {}): CheckPlan {
  const full = (options.mode ?? 'full') === 'full';
  const match = matchRecords(sources, targets, links, { byEmail: options.byEmail ?? full });
  const decided = diff(check, sources, targets, match, { reportMissing: full }).map((discrepancy) => ({ discrepancy, resolution: decide(check, discrepancy, context) }));
  return { match, decided };
}

/** Which sides' field history a decision still needs before it can be trusted. */
export interface HistoryNeed {
  item: Decided;
  source: boolean;
  target: boolean;
}

/**
 * Decisions that hinge on who changed a field and when, where a side's history is not known yet:
 * auto-fixes of source_of_truth (the conflict rule reads the target's history) and recency
 * (both sides), and recency escalations that only lacked a timestamp.
 */
export function needsHistory(check: Check, decided: Decided[]): HistoryNeed[] {
  const needs: HistoryNeed[] = [];
  for (const item of decided) {
    const { discrepancy: d, resolution: r } = item;
    if (d.kind !== 'value_mismatch' || !d.source || !d.target) continue;
    const missingSource = d.source.history[check.source.field] === undefined;
    const missingTarget = d.target.history[check.target.field] === undefined;
    if (check.rule === 'source_of_truth' && r.type === 'auto_fix' && missingTarget) {
      needs.push({ item, source: false, target: true });
    } else if (check.rule === 'recency' && (r.type === 'auto_fix' || (r.type === 'escalate' && r.reason === 'ambiguous_recency')) && (missingSource || missingTarget)) {
      needs.push({ item, source: missingSource, target: missingTarget });
    }
  }
  return needs;
}
