/**
 * The week's figures, shaped from what query.ts read: pure, so the text (message.ts) and the chart
 * (chart.ts) take the same numbers. Weekly totals are the sums of the days, and every breakdown
 * (by rule, by category, by source) sums to its total.
 *
 * What each figure counts, over the week's calendar days in the policy's time zone:
 * - cycles: distinct cycle ids among runs that were not dry runs, on the day their first run began
 *   (a cycle runs each check once: two checks make two runs, one cycle);
 * - discrepancies found: disagreements (fingerprints: check, entity and both values) that a cycle
 *   saw for the first time, on that day; one still there at the next cycle is not found again, and
 *   one that changes value is a new disagreement;
 * - auto-fixed: discrepancies a cycle fixed on its own (applied writes of actor `auto`, one per run
 *   and fingerprint however many writes it took), by rule;
 * - escalated: review items a cycle opened, by category (an item a later cycle finds still open is
 *   not escalated again); the fast loop's escalations are in its own figures;
 * - time to resolution: items closed in the week (superseded and obsolete ones are not resolutions);
 * - queue: items open at the end of the week;
 * - fast loop: webhook events received in the week, by source and what processing did; dead letters
 *   among them; events of types no check uses (counted per UTC day, not stored);
 * - caught for the fast loop: the cycles' own count of discrepancies a webhook should have fixed
 *   first (`missedByFastLoop` in a run's stats; runs from before it was counted add 0).
 */
import type { ConsistencyByLoop } from '../db/repositories/consistency.ts';
import { addDays, localDay, startOfDay } from './calendar.ts';

export type { ConsistencyByLoop };

/** Two weeks back to back: `[from, middle)` the week before, `[middle, to)` the week reported. */
export interface DigestWindow {
  from: Date;
  middle: Date;
  to: Date;
  /** The 14 calendar days of `[from, to)`, for the fast loop's per-day table of dropped events. */
  firstDay: string;
  lastDay: string;
}

/** A count in a quarter-hour slot: fine enough to be put on its calendar day in any time zone. */
export interface SlotCount {
  slot: Date;
  n: number;
}

/** What the digest reads from the database, before it is shaped into figures (see figures.ts). */
export interface DigestRows {
  /** Cycles (distinct cycle ids of non-dry runs), in the slot their first run started. */
  cycles: SlotCount[];
  /** Discrepancies found: fingerprints seen for the first time ever, in the slot of the run that first found them. */
  found: SlotCount[];
  /** Discrepancies the cycles fixed on their own: one per run and fingerprint, whatever the writes, by rule. */
  autoFixed: (SlotCount & { rule: string })[];
  /** Review items a cycle opened, by category. */
  escalated: (SlotCount & { category: string })[];
  /** Items closed in the window (superseded and obsolete ones are not resolutions). */
  closed: { openedAt: Date; closedAt: Date }[];
  /** The runs' own count of what the fast loop should have handled (`stats.missedByFastLoop`, absent = 0). */
  missed: SlotCount[];
  /** Stored webhook events by week, source, status, outcome and the systems written to. */
  inbox: { thisWeek: boolean; provider: string; status: string; outcome: string | null; wroteTo: string | null; n: number }[];
  /** Events of types no check uses (answered, not stored), by calendar day (UTC) and source. */
  dropped: { day: string; provider: string; n: number }[];
  /** Items open at the end of the week before (`middle`) and at the end of the week (`to`). */
  queue: { previous: number; week: number };
  /** Dead letters in the inbox now, whenever they arrived. */
  deadNow: number;
  /** Writes the blast-radius guard holds now, per check (optional: rows read before the guard kept any). */
  heldNow?: { check: string; itemId: string; writes: number }[];
  /** Time to consistency of the writes each loop applied, in the week before and in the week. */
  consistency?: { previous: ConsistencyByLoop; week: ConsistencyByLoop };
}

/** The systems whose webhook endpoint is on; the digest's caller knows (recon serve). */
export interface FastLoopSetting {
  systems: readonly string[];
}

export interface DayFigures {
  /** "2026-11-23", in the policy's time zone. */
  day: string;
  cycles: number;
  found: number;
  autoFixed: number;
  escalated: number;
}

/** What processing did with one source's events. */
export interface SourceEvents {
  provider: string;
  /** Events stored in the inbox: the sum of `written`, `outcomes`, `waiting` and `dead`. */
  received: number;
  /** Events that led to a write, by the system(s) written to (`hubspot`, `hubspot,stripe`). */
  written: Record<string, number>;
  /** Processed events that wrote nothing, by outcome: agreed, escalated, echo, unmatched, gone, unused. */
  outcomes: Record<string, number>;
  /** Not processed yet (pending, or being processed). */
  waiting: number;
  /** Given up on after repeated failures. */
  dead: number;
  /** Events of types no check uses: answered, not stored, not in `received`. */
  dropped: number;
}

export interface FastLoopWeek {
  sources: SourceEvents[];
  /** Events stored (the sum of the sources' `received`). */
  events: number;
  dropped: number;
  dead: number;
}

export interface WeekFigures {
  from: Date;
  to: Date;
  /** Seven days, oldest first; the totals below are their sums. */
  days: DayFigures[];
  cycles: number;
  discrepanciesFound: number;
  autoFixed: number;
  autoFixedByRule: Record<string, number>;
  escalated: number;
  escalatedByCategory: Record<string, number>;
  /** Hours from an item opening to its closing, over the items closed in the week. */
  timeToResolution: { p50: number | null; p90: number | null; max: number | null; closed: number };
  /** Items open when the week ended. */
  queueAtEnd: number;
  fastLoop: FastLoopWeek;
  /** Discrepancies the cycles caught that a webhook should have fixed first. */
  caughtForFastLoop: number;
  /** From a source's change to the write that made the target agree, per loop (null: no write measured). */
  timeToConsistency?: ConsistencyByLoop;
}

export interface Digest {
  week: WeekFigures;
  previous: WeekFigures;
  /** Dead letters in the inbox now, whenever they arrived. */
  deadLettersNow: number;
  /** Writes the blast-radius guard holds now for a person to release, per check. */
  heldNow?: { check: string; itemId: string; writes: number }[];
  /** Null: no webhook endpoint is on. */
  fastLoop: FastLoopSetting | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** The week reported (the last seven whole days before `now` in `timeZone`) and the week before it. */
export function digestWindow(now: Date, timeZone: string): DigestWindow & { weekDays: string[]; previousDays: string[]; timeZone: string } {
  const today = localDay(now, timeZone);
  const days = Array.from({ length: 14 }, (_, i) => addDays(today, i - 14));
  const previousDays = days.slice(0, 7);
  const weekDays = days.slice(7);
  return {
    from: startOfDay(days[0] as string, timeZone),
    middle: startOfDay(weekDays[0] as string, timeZone),
    to: startOfDay(today, timeZone),
    firstDay: days[0] as string,
    lastDay: days[13] as string,
    weekDays,
    previousDays,
    timeZone,
  };
}

const add = (counts: Record<string, number>, key: string, n: number) => {
  counts[key] = (counts[key] ?? 0) + n;
};
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Shapes the rows of two weeks into the digest. Pure. */
export function shapeDigest(rows: DigestRows, window: ReturnType<typeof digestWindow>, fastLoop: FastLoopSetting | null): Digest {
  const allDays = [...window.previousDays, ...window.weekDays];
  const dayOf = (slot: Date) => {
    const day = localDay(slot, window.timeZone);
    // The query keeps to the window; a slot is never outside it, but a count is never dropped either.
    if (day < (allDays[0] as string)) return allDays[0] as string;
    if (day > (allDays[13] as string)) return allDays[13] as string;
    return day;
  };
  const shapeWeek = (days: string[], from: Date, to: Date, thisWeek: boolean): WeekFigures => {
    const inWeek = <T extends SlotCount>(list: T[]) => list.filter((r) => days.includes(dayOf(r.slot)));
    const perDay = (list: SlotCount[], day: string) => sum(list.filter((r) => dayOf(r.slot) === day).map((r) => r.n));
    const cycles = inWeek(rows.cycles);
    const found = inWeek(rows.found);
    const autoFixed = inWeek(rows.autoFixed);
    const escalated = inWeek(rows.escalated);
    const dayFigures = days.map((day) => ({
      day,
      cycles: perDay(cycles, day),
      found: perDay(found, day),
      autoFixed: perDay(autoFixed, day),
      escalated: perDay(escalated, day),
    }));
    const autoFixedByRule: Record<string, number> = {};
    for (const r of autoFixed) add(autoFixedByRule, r.rule, r.n);
    const escalatedByCategory: Record<string, number> = {};
    for (const r of escalated) add(escalatedByCategory, r.category, r.n);
    const hours = rows.closed
      .filter((c) => (c.closedAt.getTime() >= window.middle.getTime()) === thisWeek)
      .map((c) => (c.closedAt.getTime() - c.openedAt.getTime()) / 3_600_000)
      .sort((a, b) => a - b);
    return {
      from,
      to,
      days: dayFigures,
      cycles: sum(dayFigures.map((d) => d.cycles)),
      discrepanciesFound: sum(dayFigures.map((d) => d.found)),
      autoFixed: sum(dayFigures.map((d) => d.autoFixed)),
      autoFixedByRule,
      escalated: sum(dayFigures.map((d) => d.escalated)),
      escalatedByCategory,
      timeToResolution: { p50: percentile(hours, 50), p90: percentile(hours, 90), max: hours.at(-1) ?? null, closed: hours.length },
      queueAtEnd: thisWeek ? rows.queue.week : rows.queue.previous,
      fastLoop: fastLoopWeek(rows, thisWeek, days, fastLoop),
      caughtForFastLoop: sum(inWeek(rows.missed).map((r) => r.n)),
      timeToConsistency: (thisWeek ? rows.consistency?.week : rows.consistency?.previous) ?? { fast: null, slow: null },
    };
  };
  return {
    week: shapeWeek(window.weekDays, window.middle, window.to, true),
    previous: shapeWeek(window.previousDays, window.from, window.middle, false),
    deadLettersNow: rows.deadNow,
    heldNow: rows.heldNow ?? [],
    fastLoop,
  };
}

/** One week's webhook events by source; a system whose endpoint is on is listed even with none. */
function fastLoopWeek(rows: DigestRows, thisWeek: boolean, days: string[], setting: FastLoopSetting | null): FastLoopWeek {
  const sources = new Map<string, SourceEvents>();
  const source = (provider: string) => {
    let s = sources.get(provider);
    if (!s) sources.set(provider, (s = { provider, received: 0, written: {}, outcomes: {}, waiting: 0, dead: 0, dropped: 0 }));
    return s;
  };
  for (const system of setting?.systems ?? []) source(system);
  for (const r of rows.inbox) {
    if (r.thisWeek !== thisWeek) continue;
    const s = source(r.provider);
    s.received += r.n;
    if (r.status === 'dead') s.dead += r.n;
    else if (r.status !== 'done') s.waiting += r.n;
    else if (r.outcome === 'written' && r.wroteTo) add(s.written, r.wroteTo, r.n);
    else add(s.outcomes, r.outcome ?? 'unknown', r.n);
  }
  for (const r of rows.dropped) if (days.includes(r.day)) source(r.provider).dropped += r.n;
  const list = [...sources.values()].sort((a, b) => b.received + b.dropped - (a.received + a.dropped) || a.provider.localeCompare(b.provider));
  return { sources: list, events: sum(list.map((s) => s.received)), dropped: sum(list.map((s) => s.dropped)), dead: sum(list.map((s) => s.dead)) };
}
