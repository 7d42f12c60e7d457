import { describe, expect, it } from 'vitest';
import { chartSvg, dayLabel, niceTicks, renderChartPng, weekChart } from '../../src/digest/chart.ts';
import { week } from './week.ts';

/** The text of every `<text>` element, in order: what a person reads on the chart. */
const labels = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('the chart’s y axis', () => {
  it('steps by 1, 2 or 5 times a power of ten, in whole numbers from zero', () => {
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(19)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(112)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(4_321)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
  });

  it('reaches the largest bar in at most five steps for any count', () => {
    for (let max = 1; max <= 2_000; max++) {
      const ticks = niceTicks(max);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect(ticks.length - 1).toBeLessThanOrEqual(5);
      expect(ticks.every(Number.isInteger)).toBe(true);
    }
  });
});

describe('the chart of the week', () => {
  const figures = week({ found: [2, 0, 1, 0, 0, 0, 1], autoFixed: [1, 0, 1, 0, 0, 0, 0], escalated: [1, 0, 1, 0, 0, 0, 1] });

  it('draws the same per-day series as the figures, their totals being the week’s', () => {
    const chart = weekChart(figures);
    expect(chart?.series.map((s) => [s.label, s.values, s.total])).toEqual([
      ['found', [2, 0, 1, 0, 0, 0, 1], figures.discrepanciesFound],
      ['auto-fixed', [1, 0, 1, 0, 0, 0, 0], figures.autoFixed],
      ['escalated', [1, 0, 1, 0, 0, 0, 1], figures.escalated],
    ]);
    expect(chart?.yTicks).toEqual([0, 1, 2]);
  });

  it('labels the SVG with the model’s ticks, days, totals and bar values, and nothing else', () => {
    const chart = weekChart(figures);
    if (!chart) throw new Error('expected a chart');
    expect(labels(chartSvg(chart))).toEqual([
      'Discrepancies by day, 2026-11-16 to 2026-11-22',
      'found 4', 'auto-fixed 2', 'escalated 3',
      '0', '1', '2',
      'Mon 16', '2', '1', '1', 'Tue 17', 'Wed 18', '1', '1', '1', 'Thu 19', 'Fri 20', 'Sat 21', 'Sun 22', '1', '1',
    ]);
  });

  it('writes large numbers with thousands separators', () => {
    const chart = weekChart(week({ found: [1_500, 0, 0, 0, 0, 0, 0] }));
    if (!chart) throw new Error('expected a chart');
    expect(labels(chartSvg(chart))).toEqual(expect.arrayContaining(['found 1,500', '1,000', '1,500']));
  });

  it('draws nothing for a week with no bar above zero', () => {
    expect(weekChart(week({ cycles: [1, 0, 0, 0, 0, 0, 0] }))).toBeNull();
  });

  it('names days by weekday and date', () => {
    expect(dayLabel('2026-11-16')).toBe('Mon 16');
    expect(dayLabel('2027-01-03')).toBe('Sun 3');
  });

  it('renders to a PNG', () => {
    const chart = weekChart(figures);
    if (!chart) throw new Error('expected a chart');
    const png = renderChartPng(chartSvg(chart));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1_280); // 640 px wide, drawn at twice the size
  });
});
