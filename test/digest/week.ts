/** Hand-made weeks for the pure tests of the digest's text and chart. */
import type { Digest, WeekFigures } from '../../src/digest/figures.ts';

const DAYS = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'];
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** A week whose per-day series are given (seven values each, zeros when left out); totals are their sums. */
export function week(series: { cycles?: number[]; found?: number[]; autoFixed?: number[]; escalated?: number[] } = {}, overrides: Partial<WeekFigures> = {}): WeekFigures {
  const of = (values?: number[]) => values ?? [0, 0, 0, 0, 0, 0, 0];
  const days = DAYS.map((day, i) => ({ day, cycles: of(series.cycles)[i] ?? 0, found: of(series.found)[i] ?? 0, autoFixed: of(series.autoFixed)[i] ?? 0, escalated: of(series.escalated)[i] ?? 0 }));
  return {
    from: new Date('2026-11-16T00:00:00Z'),
    to: new Date('2026-11-23T00:00:00Z'),
    days,
    cycles: sum(of(series.cycles)),
    discrepanciesFound: sum(of(series.found)),
    autoFixed: sum(of(series.autoFixed)),
    autoFixedByRule: sum(of(series.autoFixed)) ? { source_of_truth: sum(of(series.autoFixed)) } : {},
    escalated: sum(of(series.escalated)),
    escalatedByCategory: sum(of(series.escalated)) ? { paid_but_not_marked: sum(of(series.escalated)) } : {},
    timeToResolution: { p50: null, p90: null, max: null, closed: 0 },
    queueAtEnd: 0,
    fastLoop: { sources: [], events: 0, dropped: 0, dead: 0 },
    caughtForFastLoop: 0,
    ...overrides,
  };
}

export function digestOf(current: WeekFigures, previous: WeekFigures = week(), rest: Partial<Digest> = {}): Digest {
  return { week: current, previous, deadLettersNow: 0, fastLoop: null, ...rest };
}
