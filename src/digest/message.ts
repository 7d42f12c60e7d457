import type { KnownBlock } from '@slack/types';
import { escapeMrkdwn, systemName } from '../slack/messages/format.ts';
import { truncate } from '../slack/messages/limits.ts';
import type { Digest, SourceEvents, WeekFigures } from './figures.ts';

const number = (n: number) => n.toLocaleString('en-US');
/** "1 cycle", "2 cycles". */
const count = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

/** "12 (▲ 4 from 8)", "12 events (▲ 4 from 8)": a figure with its change from the week before. */
export function versus(now: number, before: number, noun?: string): string {
  const figure = noun ? `${number(now)} ${noun}` : number(now);
  if (now === before) return `${figure} (same as the week before)`;
  const arrow = now > before ? '▲' : '▼';
  return `${figure} (${arrow} ${number(Math.abs(now - before))} from ${number(before)})`;
}

const MAX_PARTS = 8;
/** "paid but not marked 7, mapping gap 5": largest first, the tail folded into "N more". */
function breakdown(counts: Record<string, number>, words: (key: string) => string = (k) => k.replace(/_/g, ' ')): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = entries.slice(0, MAX_PARTS).map(([k, n]) => `${escapeMrkdwn(words(k))} ${number(n)}`);
  const rest = entries.slice(MAX_PARTS);
  if (rest.length) shown.push(`${rest.length} more ${number(rest.reduce((a, [, n]) => a + n, 0))}`);
  return shown.join(', ');
}

const hours = (h: number | null) => (h === null ? '–' : h < 1 ? `${Math.round(h * 60)} min` : h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`);

function resolutionLine(week: WeekFigures, previous: WeekFigures): string {
  const t = week.timeToResolution;
  const p = previous.timeToResolution;
  const before = p.closed === 0 ? 'none closed the week before' : `the week before: p50 ${hours(p.p50)}, p90 ${hours(p.p90)}, max ${hours(p.max)} over ${number(p.closed)}`;
  if (t.closed === 0) return `no item was closed (${before})`;
  return `p50 ${hours(t.p50)}, p90 ${hours(t.p90)}, max ${hours(t.max)} over ${number(t.closed)} items (${before})`;
}

/** "42 s", "3.5 min", "2.1 h": a span of seconds for people. */
export function span(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** "webhooks p50 4 s, p95 40 s over 412 writes (the week before: p50 6 s, p95 1.2 min over 380)". */
function consistencyLine(week: WeekFigures, previous: WeekFigures): string | null {
  const loops = [['fast', 'webhooks'], ['slow', 'cycles']] as const;
  const parts = loops.flatMap(([loop, words]) => {
    const now = week.timeToConsistency?.[loop];
    const before = previous.timeToConsistency?.[loop];
    if (!now && !before) return [];
    const then = before ? `the week before: p50 ${span(before.p50Seconds)}, p95 ${span(before.p95Seconds)} over ${number(before.writes)}` : 'none the week before';
    return [now ? `${words} p50 ${span(now.p50Seconds)}, p95 ${span(now.p95Seconds)} over ${count(now.writes, 'write')} (${then})` : `${words}: no write (${then})`];
  });
  return parts.length ? `*Time to consistency* (from a change to the write that made the other side agree): ${parts.join('; ')}` : null;
}

const OUTCOME_WORDS: Record<string, string> = {
  agreed: 'nothing to change',
  escalated: 'escalated',
  echo: "Recon's own writes coming back",
  unmatched: 'no matching record',
  gone: 'record deleted',
  unused: 'about nothing a check reads',
  superseded: 'covered by a later event about the same record',
};
const systemsWords = (list: string) => list.split(',').map((s) => systemName(s.trim())).join(' and ');

/** "Stripe 1,618 (▲ 200 from 1,418): 412 written to HubSpot, 1,203 nothing to change, 2 dead letters". */
function sourceLine(source: SourceEvents, before: SourceEvents | undefined): string {
  const parts = [
    ...Object.entries(source.written).sort((a, b) => b[1] - a[1]).map(([to, n]) => `${number(n)} written to ${systemsWords(to)}`),
    ...Object.entries(source.outcomes).sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${number(n)} ${OUTCOME_WORDS[outcome] ?? escapeMrkdwn(outcome)}`),
    ...(source.waiting ? [`${number(source.waiting)} still waiting`] : []),
    ...(source.dead ? [count(source.dead, 'dead letter')] : []),
    ...(source.dropped ? [`and ${number(source.dropped)} of types no check uses, not stored`] : []),
  ];
  return `• ${systemName(source.provider)} ${versus(source.received, before?.received ?? 0)}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** The fast loop's lines; a single line when webhooks are off and none arrived. */
function fastLoopLines(digest: Digest): string[] {
  const { week, previous } = digest;
  const on = digest.fastLoop !== null;
  const anything = week.fastLoop.events + week.fastLoop.dropped + week.caughtForFastLoop > 0;
  if (!on && !anything) return ['*Webhooks* (fast loop): off; no webhook endpoint is configured, so changes wait for the next cycle.'];
  const previousBySource = new Map(previous.fastLoop.sources.map((s) => [s.provider, s]));
  const deadNow = digest.deadLettersNow > week.fastLoop.dead ? `, ${number(digest.deadLettersNow)} in the inbox in all` : '';
  return [
    `*Webhooks* (fast loop${on ? '' : ', off now'}): ${versus(week.fastLoop.events, previous.fastLoop.events, 'events')}`,
    ...week.fastLoop.sources.map((s) => sourceLine(s, previousBySource.get(s.provider))),
    `*Dead letters*: ${versus(week.fastLoop.dead, previous.fastLoop.dead)}${deadNow}${week.fastLoop.dead || deadNow ? '. Events that failed every attempt; `/recon retry` puts them back in the inbox' : ''}`,
    `*Caught by the cycles that webhooks should have handled*: ${versus(week.caughtForFastLoop, previous.caughtForFastLoop)}`,
  ];
}

/** True when nothing at all happened in the week. */
export function isQuietWeek(week: WeekFigures): boolean {
  return week.cycles + week.discrepanciesFound + week.autoFixed + week.escalated + week.timeToResolution.closed + week.fastLoop.events + week.fastLoop.dropped + week.caughtForFastLoop === 0;
}

/** The one sentence of a week in which nothing happened. */
function quietSentence(digest: Digest, first: string, last: string): string {
  const { previous } = digest;
  const webhooks = digest.fastLoop === null ? 'webhooks are off' : 'no webhook arrived';
  const before = isQuietWeek(previous)
    ? 'as in the week before'
    : `the week before: ${count(previous.cycles, 'cycle')}, ${number(previous.discrepanciesFound)} found, ${number(previous.autoFixed)} auto-fixed, ${number(previous.escalated)} escalated, ${count(previous.fastLoop.events, 'webhook event')}`;
  const queue = digest.week.queueAtEnd ? `; ${count(digest.week.queueAtEnd, 'item waits', 'items wait')} in the queue` : '';
  const dead = digest.deadLettersNow ? ` and ${count(digest.deadLettersNow, 'dead letter')} in the inbox` : '';
  return `Nothing happened from ${first} to ${last}: no cycle ran, nothing was found, fixed or escalated, and ${webhooks} (${before})${queue}${dead}.`;
}

/**
 * The weekly digest: each figure against the week before, the fast loop's figures or one line
 * saying webhooks are off, one sentence for a week in which nothing happened. `chart` says
 * whether the chart follows. Pure.
 */
export function digestMessage(digest: Digest, options: { chart: boolean } = { chart: true }): { text: string; blocks: KnownBlock[] } {
  const { week, previous } = digest;
  const first = week.days[0]?.day ?? '';
  const last = week.days.at(-1)?.day ?? '';
  const title = `Recon weekly digest, ${first} to ${last}`;
  const header: KnownBlock = { type: 'header', text: { type: 'plain_text', text: title } };
  if (isQuietWeek(week)) {
    const sentence = quietSentence(digest, first, last);
    return { text: `${title}: ${sentence}`, blocks: [header, { type: 'section', text: { type: 'mrkdwn', text: sentence } }] };
  }
  const cycles = [
    `*Reconciliation cycles*: ${versus(week.cycles, previous.cycles)}`,
    `*Discrepancies found*: ${versus(week.discrepanciesFound, previous.discrepanciesFound)}`,
    `*Auto-fixed*: ${versus(week.autoFixed, previous.autoFixed)}${week.autoFixed ? `; by rule: ${breakdown(week.autoFixedByRule)}` : ''}`,
    `*Escalated*: ${versus(week.escalated, previous.escalated)}${week.escalated ? `; ${breakdown(week.escalatedByCategory)}` : ''}`,
    `*Time to resolution*: ${resolutionLine(week, previous)}`,
    ...[consistencyLine(week, previous)].filter((line): line is string => line !== null),
    `*Queue*: ${versus(week.queueAtEnd, previous.queueAtEnd, "open at the week's end")}`,
    ...(digest.heldNow ?? []).map((h) => `*Held by the blast-radius guard*: ${count(h.writes, 'write')} of ${h.check} wait for Release (item ${h.itemId})`),
  ];
  const note = [
    'Found: disagreements a cycle saw for the first time. Auto-fixed and escalated: by the cycles; the fast loop\'s are under Webhooks.',
    options.chart ? 'The chart of the week follows.' : 'No chart: nothing was found, fixed or escalated.',
  ].join(' ');
  return {
    text: `${title}: ${count(week.cycles, 'cycle')}, ${count(week.discrepanciesFound, 'discrepancy', 'discrepancies')} found, ${number(week.autoFixed)} auto-fixed, ${number(week.escalated)} escalated`,
    blocks: [
      header,
      { type: 'section', text: { type: 'mrkdwn', text: cycles.join('\n') } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(fastLoopLines(digest).join('\n'), 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: note }] },
    ],
  };
}
