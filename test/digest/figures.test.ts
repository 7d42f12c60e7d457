import { describe, expect, it } from 'vitest';
import { percentile } from '../../src/digest/figures.ts';
import { digestFigures } from '../../src/digest/query.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXPECTED, POSTED_AT, seedFortnight } from './seed.ts';

const database = useTestDatabase();

const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('the week’s figures', () => {
  it('counts cycles as distinct cycle ids of runs that were not dry, on the day their first run began', async () => {
    await seedFortnight(database);
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.cycles).toBe(EXPECTED.week.cycles);
    expect(week.days.map((d) => d.cycles)).toEqual(EXPECTED.week.cyclesPerDay);
    expect(previous.cycles).toBe(EXPECTED.previous.cycles);
  });

  it('finds a discrepancy once, on the day a cycle first saw it', async () => {
    await seedFortnight(database);
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.days.map((d) => d.found)).toEqual(EXPECTED.week.foundPerDay);
    expect(week.discrepanciesFound).toBe(EXPECTED.week.found);
    expect(previous.discrepanciesFound).toBe(EXPECTED.previous.found);
  });

  it('counts an auto-fix once per run and discrepancy however many writes it took, by rule', async () => {
    await seedFortnight(database);
    const { week } = await digestFigures(database.db, POSTED_AT);
    expect(week.autoFixedByRule).toEqual(EXPECTED.week.autoFixedByRule);
    expect(week.days.map((d) => d.autoFixed)).toEqual(EXPECTED.week.autoFixedPerDay);
  });

  it('counts as escalated the review items a cycle opened, by category', async () => {
    await seedFortnight(database);
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.escalatedByCategory).toEqual(EXPECTED.week.escalatedByCategory);
    expect(week.days.map((d) => d.escalated)).toEqual(EXPECTED.week.escalatedPerDay);
    expect(previous.escalated).toBe(EXPECTED.previous.escalated);
  });

  it('makes the days add up to the week and each breakdown add up to its total', async () => {
    await seedFortnight(database);
    const { week } = await digestFigures(database.db, POSTED_AT);
    expect(sumOf(week.days.map((d) => d.found))).toBe(week.discrepanciesFound);
    expect(sumOf(week.days.map((d) => d.autoFixed))).toBe(week.autoFixed);
    expect(sumOf(Object.values(week.autoFixedByRule))).toBe(week.autoFixed);
    expect(sumOf(week.days.map((d) => d.escalated))).toBe(week.escalated);
    expect(sumOf(Object.values(week.escalatedByCategory))).toBe(week.escalated);
    expect(sumOf(week.fastLoop.sources.map((s) => s.received))).toBe(week.fastLoop.events);
  });

  it('measures time to resolution over the items closed in the week, leaving out superseded ones', async () => {
    await seedFortnight(database);
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.timeToResolution).toEqual(EXPECTED.week.timeToResolution);
    expect(previous.timeToResolution.closed).toBe(0);
  });

  it('counts the queue as it stood at the end of each week', async () => {
    await seedFortnight(database);
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.queueAtEnd).toBe(EXPECTED.week.queueAtEnd);
    expect(previous.queueAtEnd).toBe(EXPECTED.previous.queueAtEnd);
  });

  it('sums what the runs say the fast loop missed, a run without the figure adding nothing', async () => {
    await seedFortnight(database);
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.caughtForFastLoop).toBe(EXPECTED.week.caughtForFastLoop);
    expect(previous.caughtForFastLoop).toBe(EXPECTED.previous.caughtForFastLoop);
  });

  it('reports webhook events by source and by what processing did with them', async () => {
    await seedFortnight(database);
    const { week, deadLettersNow } = await digestFigures(database.db, POSTED_AT, 'UTC', { systems: ['stripe', 'hubspot', 'google_calendar'] });
    expect(week.fastLoop.sources).toEqual([
      { provider: 'stripe', received: 8, written: { hubspot: 3 }, outcomes: { agreed: 2, escalated: 1 }, waiting: 1, dead: 1, dropped: 5 },
      { provider: 'hubspot', received: 5, written: {}, outcomes: { echo: 4, agreed: 1 }, waiting: 0, dead: 0, dropped: 0 },
      { provider: 'google_calendar', received: 0, written: {}, outcomes: {}, waiting: 0, dead: 0, dropped: 0 },
    ]);
    expect(week.fastLoop).toMatchObject({ events: EXPECTED.week.events, dead: EXPECTED.week.dead, dropped: EXPECTED.week.dropped });
    expect(deadLettersNow).toBe(EXPECTED.deadLettersNow);
  });

  it('reports the last seven whole days in the policy time zone, a cycle at 23:30 local time on its own day', async () => {
    // Tuesday 2026-11-17 23:30 in New York is Wednesday 04:30 UTC.
    const run = await database.db
      .insertInto('runs')
      .values({ cycle_id: 'ny', check_name: 'payment-status', mode: 'full', dry_run: false, status: 'succeeded', started_at: new Date('2026-11-18T04:30:00Z'), cursors: '{}', stats: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db.insertInto('discrepancies').values({ run_id: run.id, check_name: 'payment-status', fingerprint: 'f', kind: 'value_mismatch', category: 'c', entity_key: 'e', resolution: 'noop' }).execute();
    const { week } = await digestFigures(database.db, new Date('2026-11-23T14:00:00Z'), 'America/New_York');
    expect(week.days.map((d) => d.day)).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
    expect(week.days.find((d) => d.found > 0)?.day).toBe('2026-11-17');
    expect(week.from.toISOString()).toBe('2026-11-16T05:00:00.000Z');
  });

  it('puts a cycle in Kathmandu (UTC+5:45) on the local day it began', async () => {
    // 2026-11-17 18:20 UTC is 2026-11-18 00:05 in Kathmandu.
    await database.db
      .insertInto('runs')
      .values({ cycle_id: 'ktm', check_name: 'payment-status', mode: 'full', dry_run: false, status: 'succeeded', started_at: new Date('2026-11-17T18:20:00Z'), cursors: '{}', stats: '{}' })
      .execute();
    const { week } = await digestFigures(database.db, new Date('2026-11-23T12:00:00Z'), 'Asia/Kathmandu');
    expect(week.days.find((d) => d.cycles > 0)?.day).toBe('2026-11-18');
  });
});

describe('percentiles', () => {
  it('takes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNull();
  });
});
