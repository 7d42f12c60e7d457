import { describe, expect, it } from 'vitest';
import { renderWeekChart } from '../../src/digest/chart.ts';
import { digestFigures, percentile } from '../../src/digest/figures.ts';
import { digestMessage, versus } from '../../src/digest/message.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

const END = new Date('2026-11-23T09:00:00Z');
const at = (daysAgo: number) => new Date(END.getTime() - daysAgo * 86_400_000);

async function seedWeek() {
  const run = await database.db
    .insertInto('runs')
    .values({ cycle_id: 'c', check_name: 'payment-status', mode: 'full', dry_run: false, status: 'succeeded', started_at: at(2), cursors: '{}', stats: JSON.stringify({ discrepancies: { total: 9 }, autoFixed: 5, escalated: 4 }) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await database.db
    .insertInto('runs')
    .values({ cycle_id: 'b', check_name: 'payment-status', mode: 'full', dry_run: false, status: 'succeeded', started_at: at(9), cursors: '{}', stats: JSON.stringify({ discrepancies: { total: 3 } }) })
    .execute();
  const item = { fingerprint: 'f', check_name: 'payment-status', kind: 'value_mismatch', reason: 'high_value', presentation: 'message' as const, entity_key: 'e', opened_run_id: run.id };
  await database.db
    .insertInto('review_items')
    .values([
      { ...item, fingerprint: 'f1', category: 'paid_but_not_marked', status: 'approved', opened_at: at(3), closed_at: new Date(at(3).getTime() + 2 * 3_600_000) },
      { ...item, fingerprint: 'f2', category: 'paid_but_not_marked', status: 'open', opened_at: at(1) },
      { ...item, fingerprint: 'f3', category: 'mapping_gap', status: 'ignored', opened_at: at(2), closed_at: new Date(at(2).getTime() + 10 * 3_600_000) },
    ])
    .execute();
  return run.id;
}

describe('the weekly digest', () => {
  it('counts the week against the week before', async () => {
    await seedWeek();
    const digest = await digestFigures(database.db, END);
    expect(digest.week).toMatchObject({ cycles: 1, discrepanciesFound: 9, escalatedByCategory: { paid_but_not_marked: 2, mapping_gap: 1 } });
    expect(digest.previous).toMatchObject({ cycles: 1, discrepanciesFound: 3 });
    expect(digest.week.timeToResolution).toEqual({ p50: 2, p90: 10, max: 10, closed: 2 });
    expect(digest.queueDepth).toBe(1);
  });

  it('reports the last seven whole days in the policy time zone, a cycle at 23:30 local time on its own day', async () => {
    // Tuesday 2026-11-17 23:30 in New York is Wednesday 04:30 UTC.
    await database.db
      .insertInto('runs')
      .values({ cycle_id: 'ny', check_name: 'payment-status', mode: 'full', dry_run: false, status: 'succeeded', started_at: new Date('2026-11-18T04:30:00Z'), cursors: '{}', stats: JSON.stringify({ discrepancies: { total: 4 } }) })
      .execute();
    const digest = await digestFigures(database.db, new Date('2026-11-23T14:00:00Z'), 'America/New_York');
    expect(digest.week.days.map((d) => d.day)).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
    expect(digest.week.days.find((d) => d.found > 0)?.day).toBe('2026-11-17');
    expect(digest.week.from.toISOString()).toBe('2026-11-16T05:00:00.000Z');
  });

  it('says the fast-loop figures are not available instead of showing zero', async () => {
    const text = JSON.stringify(digestMessage(await digestFigures(database.db, END)).blocks);
    expect(text).toContain('not available yet');
    expect(text).not.toMatch(/Fast-loop events\* by source and direction: 0/);
  });

  it('renders the week as a PNG image', async () => {
    await seedWeek();
    const png = await renderWeekChart((await digestFigures(database.db, END)).week);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2_000);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNull();
  });

  it('writes a change with its direction', () => {
    expect(versus(12, 8)).toBe('12 (▲ 4 from 8)');
    expect(versus(3, 3)).toBe('3 (same as the week before)');
  });
});
