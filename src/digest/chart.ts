/**
 * The week as a grouped bar chart: per day, discrepancies found, auto-fixed and escalated. The
 * model (series, y ticks) is built from the same figures as the text, the SVG is written from the
 * model alone, and resvg turns it into the PNG Slack shows. Pure but for the rasterising.
 */
import { Resvg } from '@resvg/resvg-js';
import type { WeekFigures } from './figures.ts';

export interface ChartSeries {
  key: 'found' | 'autoFixed' | 'escalated';
  label: string;
  color: string;
  /** One value per day, oldest first. */
  values: number[];
  /** The sum of `values`: the week's figure in the text. */
  total: number;
}

export interface ChartModel {
  title: string;
  /** Day labels under the bars: "Mon 16". */
  days: string[];
  series: ChartSeries[];
  /** Whole numbers from 0 to the top of the axis in steps of 1, 2 or 5 times a power of ten. */
  yTicks: number[];
}

const SERIES: readonly Omit<ChartSeries, 'values' | 'total'>[] = [
  { key: 'found', label: 'found', color: '#4c78a8' },
  { key: 'autoFixed', label: 'auto-fixed', color: '#54a24b' },
  { key: 'escalated', label: 'escalated', color: '#e45756' },
];

/**
 * Axis ticks for counts up to `max`: 0 and whole steps of 1, 2 or 5 × 10^k, the smallest step that
 * reaches `max` in at most `most` steps. 7 → 0 2 4 6 8; 112 → 0 50 100 150.
 */
export function niceTicks(max: number, most = 5): number[] {
  const top = Math.max(1, Math.ceil(max));
  let step = 1;
  for (let power = 1; ; power *= 10) {
    const found = [1, 2, 5].map((m) => m * power).find((s) => Math.ceil(top / s) <= most);
    if (found !== undefined) {
      step = found;
      break;
    }
  }
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => i * step);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** "2026-11-23" → "Mon 23". */
export function dayLabel(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]} ${d}`;
}

/** The chart of the week, or null when every bar would be zero (the text says so instead). */
export function weekChart(week: WeekFigures): ChartModel | null {
  const series = SERIES.map((s) => {
    const values = week.days.map((d) => d[s.key]);
    return { ...s, values, total: values.reduce((a, b) => a + b, 0) };
  });
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  if (max === 0) return null;
  const first = week.days[0]?.day ?? '';
  const last = week.days.at(-1)?.day ?? '';
  return { title: `Discrepancies by day, ${first} to ${last}`, days: week.days.map((d) => dayLabel(d.day)), series, yTicks: niceTicks(max) };
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const number = (n: number) => n.toLocaleString('en-US');
const px = (n: number) => Math.round(n * 10) / 10;

const WIDTH = 640;
const HEIGHT = 320;
const PLOT = { left: 56, right: 16, top: 64, bottom: 36 };
const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';

/** The SVG of a chart model: every label in it is a tick, a day, a series with its total, or a bar's value. */
export function chartSvg(model: ChartModel): string {
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const top = model.yTicks.at(-1) ?? 1;
  const y = (value: number) => PLOT.top + plotHeight - (value / top) * plotHeight;
  const band = plotWidth / Math.max(1, model.days.length);
  const group = band * 0.8;
  const bar = group / model.series.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${PLOT.left}" y="22" font-size="15" font-weight="bold" fill="#222">${escapeXml(model.title)}</text>`,
  ];
  // Legend: each series with its weekly total, the same number as in the text.
  let legendX = PLOT.left;
  for (const s of model.series) {
    const label = `${s.label} ${number(s.total)}`;
    parts.push(`<rect x="${px(legendX)}" y="33" width="11" height="11" fill="${s.color}"/>`);
    parts.push(`<text x="${px(legendX + 16)}" y="43" font-size="12" fill="#222">${escapeXml(label)}</text>`);
    legendX += 16 + label.length * 6.8 + 18;
  }
  for (const tick of model.yTicks) {
    const ty = px(y(tick));
    parts.push(`<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${ty}" y2="${ty}" stroke="${tick === 0 ? '#888' : '#e5e5e5'}" stroke-width="1"/>`);
    parts.push(`<text x="${PLOT.left - 8}" y="${px(y(tick) + 4)}" font-size="11" text-anchor="end" fill="#555">${number(tick)}</text>`);
  }
  model.days.forEach((day, i) => {
    const x0 = PLOT.left + i * band + (band - group) / 2;
    parts.push(`<text x="${px(PLOT.left + i * band + band / 2)}" y="${HEIGHT - PLOT.bottom + 18}" font-size="11" text-anchor="middle" fill="#555">${escapeXml(day)}</text>`);
    model.series.forEach((s, j) => {
      const value = s.values[i] ?? 0;
      if (value === 0) return;
      const x = x0 + j * bar;
      parts.push(`<rect x="${px(x + 1)}" y="${px(y(value))}" width="${px(bar - 2)}" height="${px(y(0) - y(value))}" fill="${s.color}"/>`);
      parts.push(`<text x="${px(x + bar / 2)}" y="${px(y(value) - 3)}" font-size="9" text-anchor="middle" fill="#333">${number(value)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The PNG Slack shows, twice the SVG's size for sharp text. */
export function renderChartPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
