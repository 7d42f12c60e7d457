import type { Discrepancy, Resolution } from '../domain/discrepancy.ts';
import type { SystemRecord } from '../domain/records.ts';
import type { Check } from './check.ts';
import { diff } from './diff.ts';
import { matchRecords, type LinkIndex, type MatchResult } from './match.ts';
import { decide, type RuleContext } from './rules.ts';

export interface Decided {
  discrepancy: Discrepancy;
  resolution: Resolution;
}

export interface CheckPlan {
  match: MatchResult;
  decided: Decided[];
}

/**
 * Match, diff and decide one check over two snapshots. Pure: the caller fetches history for the
 * items `needsHistory` returns and calls `redecide` on them.
 */
export function planCheck(check: Check, sources: SystemRecord[], targets: SystemRecord[], links: LinkIndex, context: RuleContext): CheckPlan {
  const match = matchRecords(sources, targets, links, { source: check.source, target: check.target });
  const decided = diff(check, match).map((discrepancy) => ({ discrepancy, resolution: decide(check, discrepancy, context) }));
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
