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

/** Auto-fixes whose safety depends on who last edited the target, when that is not known yet. */
export function needsHistory(check: Check, decided: Decided[]): Decided[] {
  if (check.rule !== 'source_of_truth' && check.rule !== 'recency') return [];
  return decided.filter(
    ({ discrepancy: d, resolution: r }) => r.type === 'auto_fix' && d.target !== null && d.target.history[check.target.field] === undefined,
  );
}
