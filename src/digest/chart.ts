import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import type { WeekFigures } from './figures.ts';

/**
 * The week as a grouped bar chart (found, auto-fixed, escalated per day), drawn by Vega to SVG and
 * rasterised to PNG by resvg: well-kept libraries, no browser, no native build step.
 */
export function weekChartSpec(week: WeekFigures): vega.Spec {
  const values = week.days.flatMap((d) => [
    { day: d.day.slice(5), series: 'found', n: d.found },
    { day: d.day.slice(5), series: 'auto-fixed', n: d.autoFixed },
    { day: d.day.slice(5), series: 'escalated', n: d.escalated },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 560,
    height: 220,
    padding: 8,
    background: 'white',
    title: { text: 'Discrepancies this week', anchor: 'start', fontSize: 14 },
    data: [{ name: 'table', values }],
    scales: [
      { name: 'x', type: 'band', domain: { data: 'table', field: 'day' }, range: 'width', padding: 0.2 },
      { name: 'y', type: 'linear', domain: { data: 'table', field: 'n' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: ['found', 'auto-fixed', 'escalated'], range: ['#4c78a8', '#54a24b', '#e45756'] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x' },
      { orient: 'left', scale: 'y', tickMinStep: 1, grid: true },
    ],
    legends: [{ fill: 'color', orient: 'top', direction: 'horizontal' }],
    marks: [
      {
        type: 'group',
        from: { facet: { data: 'table', name: 'facet', groupby: 'day' } },
        encode: { enter: { x: { scale: 'x', field: 'day' } } },
        signals: [{ name: 'width', update: "bandwidth('x')" }],
        scales: [{ name: 'pos', type: 'band', range: 'width', domain: { data: 'facet', field: 'series' } }],
        marks: [
          {
            type: 'rect',
            from: { data: 'facet' },
            encode: {
              enter: {
                x: { scale: 'pos', field: 'series' },
                width: { scale: 'pos', band: 1 },
                y: { scale: 'y', field: 'n' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'color', field: 'series' },
              },
            },
          },
        ],
      },
    ],
  } as vega.Spec;
}

export async function renderWeekChart(week: WeekFigures): Promise<Buffer> {
  const view = new vega.View(vega.parse(weekChartSpec(week)), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
}
