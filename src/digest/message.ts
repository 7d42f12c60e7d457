import type { KnownBlock } from '@slack/types';
import type { Digest, WeekFigures } from './figures.ts';

const NOT_AVAILABLE = '_not available yet: the fast loop (webhooks) is not built_';

/** "12 (▲ 4 from 8)" — a figure with its change from the week before. */
export function versus(now: number, before: number): string {
  if (now === before) return `${now} (same as the week before)`;
  const arrow = now > before ? '▲' : '▼';
  return `${now} (${arrow} ${Math.abs(now - before)} from ${before})`;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const breakdown = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
    .join(', ');
const hours = (h: number | null) => (h === null ? '–' : h < 1 ? `${Math.round(h * 60)} min` : h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`);

function resolutionLine(week: WeekFigures, previous: WeekFigures): string {
  const t = week.timeToResolution;
  const p = previous.timeToResolution;
  if (t.closed === 0) return `no item was closed this week (the week before: ${p.closed})`;
  return `p50 ${hours(t.p50)}, p90 ${hours(t.p90)}, max ${hours(t.max)} over ${t.closed} items (the week before: p50 ${hours(p.p50)}, p90 ${hours(p.p90)}, max ${hours(p.max)} over ${p.closed})`;
}

/** The weekly digest: each figure against the week before; what cannot be measured yet says so. Pure. */
export function digestMessage(digest: Digest): { text: string; blocks: KnownBlock[] } {
  const { week, previous } = digest;
  const first = week.days[0]?.day ?? week.from.toISOString().slice(0, 10);
  const last = week.days.at(-1)?.day ?? new Date(week.to.getTime() - 1).toISOString().slice(0, 10);
  const title = `Recon weekly digest, ${first} to ${last}`;
  const lines = [
    `*Fast-loop events* by source and direction: ${week.fastLoopEvents === null ? NOT_AVAILABLE : breakdown(week.fastLoopEvents)}`,
    `*Reconciliation cycles*: ${versus(week.cycles, previous.cycles)}; *discrepancies found*: ${versus(week.discrepanciesFound, previous.discrepanciesFound)}`,
    `*Auto-resolved*: ${versus(sum(week.autoResolvedByRule), sum(previous.autoResolvedByRule))}${sum(week.autoResolvedByRule) ? ` — by rule: ${breakdown(week.autoResolvedByRule)}` : ''}`,
    `*Escalated*: ${versus(sum(week.escalatedByCategory), sum(previous.escalatedByCategory))}${sum(week.escalatedByCategory) ? ` — ${breakdown(week.escalatedByCategory)}` : ''}`,
    `*Time to resolution*: ${resolutionLine(week, previous)}; *queue now*: ${digest.queueDepth} open`,
    `*Caught by the slow loop that webhooks should have handled*: ${week.caughtForFastLoop === null ? NOT_AVAILABLE : versus(week.caughtForFastLoop, previous.caughtForFastLoop ?? 0)}`,
  ];
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'The chart of the week follows. `/recon status` shows the queue now.' }] },
    ],
  };
}
