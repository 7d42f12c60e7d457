/** `/recon status` and the top of App Home: each check's last and next run, the queue, the fast loop, connectors. Pure. */
import type { KnownBlock } from '@slack/types';
import { ageInWords, categoryWords, escapeMrkdwn, packLines, plural, slackDate, systemName, userText } from './format.ts';
import { type BlockMessage, plainText } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';

export interface CheckRunStatus {
  name: string;
  /** Null when the check never ran. */
  lastRun: {
    startedAt: Date;
    /** Null while the run is still going. */
    durationMs: number | null;
    mode: 'full' | 'incremental';
    status: 'running' | 'succeeded' | 'partial' | 'failed';
    dryRun: boolean;
    found: number;
    autoFixed: number;
    escalated: number;
    errors: number;
  } | null;
  /** Null when no schedule runs it. */
  nextRunAt: Date | null;
}

export interface StatusInput {
  /** The moment the figures describe; ages are measured from it. */
  now: Date;
  checks: CheckRunStatus[];
  queue: {
    open: number;
    byCategory: Record<string, number>;
    oldest: { itemId: string; check: string; category: string; openedAt: Date } | null;
    /** Writes the blast-radius guard holds for Release, per check (checks holding none are absent). */
    held?: Record<string, { itemId: string; writes: number }>;
  };
  fastLoop: {
    /** The systems whose webhook endpoint is on; empty when the fast loop is off. */
    webhooksOn: string[];
    /** Events received in the last 24 h, by source system. */
    last24h: Record<string, number>;
    /** Events stored and not yet processed. */
    pending: number;
    /** Events that failed every attempt, waiting for a person to retry them. */
    dead: number;
  };
  connectors: { system: string; healthy: boolean; detail: string | null }[];
  /** Recon's health alerts in force, oldest first (absent: not read). */
  alerts?: { title: string; since: Date; what: string; todo: string }[];
}

/** How many sections the per-check lines may take, so the whole stays one message. */
const CHECK_SECTIONS = 30;

const duration = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

function checkLine(check: CheckRunStatus, now: Date): string {
  const name = `*${userText(check.name.trim() ? check.name : 'unnamed check', 100)}*`;
  const next = check.nextRunAt ? `next ${slackDate(check.nextRunAt)} (in ${ageInWords(now, check.nextRunAt)})` : 'not scheduled';
  const run = check.lastRun;
  if (!run) return `${name}: never run; ${next}.`;
  const took = run.durationMs === null ? 'still running' : `took ${duration(run.durationMs)}`;
  const how = [run.mode, ...(run.dryRun ? ['dry run'] : []), ...(run.status === 'succeeded' || run.status === 'running' ? [] : [run.status])].join(', ');
  return (
    `${name}: last run ${slackDate(run.startedAt)} (${ageInWords(run.startedAt, now)} ago), ${took}, ${how}\n` +
    `      found ${run.found} · auto-fixed ${run.autoFixed} · escalated ${run.escalated} · errors ${run.errors}; ${next}.`
  );
}

function queueText(queue: StatusInput['queue'], now: Date): string {
  if (queue.open === 0) return '*Open queue:* empty.';
  const categories = Object.entries(queue.byCategory)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([c, n]) => `${escapeMrkdwn(categoryWords(c))} ${n}`)
    .join(', ');
  const oldest = queue.oldest
    ? `\nOldest: *${escapeMrkdwn(categoryWords(queue.oldest.category))}* (${userText(queue.oldest.check, 100)}, item ${userText(queue.oldest.itemId, 60)}), waiting ${ageInWords(queue.oldest.openedAt, now)}.`
    : '';
  const held = Object.entries(queue.held ?? {})
    .map(([check, h]) => `\nHeld by the blast-radius guard: *${plural(h.writes, 'write')}* of ${userText(check, 100)} (item ${userText(h.itemId, 60)}), waiting for Release.`)
    .join('');
  return truncate(`*Open queue:* ${queue.open}${categories ? ` (${categories})` : ''}.${oldest}${held}`, LIMITS.sectionText);
}

/** The fast loop in one section: what it received, what waits, and the dead letters with how to retry them. */
export function fastLoopText(fastLoop: StatusInput['fastLoop']): string {
  const dead = fastLoop.dead > 0 ? `\n:warning: ${plural(fastLoop.dead, 'dead letter')}: events that failed every attempt. \`/recon retry\` puts them back in the inbox.` : '';
  const waiting = fastLoop.pending > 0 ? ` ${fastLoop.pending} waiting.` : '';
  if (fastLoop.webhooksOn.length === 0 && fastLoop.pending === 0 && fastLoop.dead === 0) {
    return '*Fast loop:* off (no webhook secret is configured); changes wait for the next cycle.';
  }
  const sources = Object.entries(fastLoop.last24h).sort((a, b) => b[1] - a[1]);
  const total = sources.reduce((sum, [, n]) => sum + n, 0);
  const on = fastLoop.webhooksOn.length ? ` Webhooks on: ${fastLoop.webhooksOn.map(systemName).join(', ')}.` : ' Webhooks off.';
  const received = total === 0 ? 'none received' : `${total} (${sources.slice(0, 20).map(([s, n]) => `${systemName(s)} ${n}`).join(', ')})`;
  return truncate(`*Fast-loop events, last 24 h:* ${received}.${waiting}${on}${dead}`, LIMITS.sectionText);
}

function connectorLines(connectors: StatusInput['connectors']): string[] {
  return connectors.map((c) => {
    const detail = c.detail?.trim() ? `: ${userText(c.detail.trim(), 300)}` : '';
    return `${c.healthy ? ':large_green_circle:' : ':red_circle:'} *${systemName(c.system)}* ${c.healthy ? 'ok' : 'failing'}${detail}`;
  });
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** The status blocks, at most 50 (one message); App Home reuses them. */
export function statusBlocks(input: StatusInput): BlockMessage {
  const checks = input.checks.length
    ? packLines(input.checks.map((c) => checkLine(c, input.now)), LIMITS.sectionText, CHECK_SECTIONS, { noun: 'more checks' })
    : ['No checks in the policy.'];
  const connectors = input.connectors.length ? packLines(connectorLines(input.connectors), LIMITS.sectionText, 5, { noun: 'more connectors' }) : [];
  const alerts = (input.alerts ?? []).slice(0, 5).map((a) => `:rotating_light: *${userText(a.title, 150)}* since ${slackDate(a.since)}: ${userText(a.what, 600)}\n_What to do:_ ${userText(a.todo, 600)}`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plainText('Recon status', LIMITS.headerText) },
    ...(alerts.length ? [section(truncate(`*Alerts in force*\n${alerts.join('\n')}${(input.alerts?.length ?? 0) > 5 ? `\n… and ${(input.alerts?.length ?? 0) - 5} more: \`recon status\` lists them` : ''}`, LIMITS.sectionText))] : []),
    ...checks.map(section),
    { type: 'divider' },
    section(queueText(input.queue, input.now)),
    section(fastLoopText(input.fastLoop)),
    ...(connectors.length ? [{ type: 'divider' } as KnownBlock, ...connectors.map((text, i) => section(i === 0 ? truncate(`*Connectors*\n${text}`, LIMITS.sectionText) : text))] : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `As of ${slackDate(input.now)}` }] },
  ];
  const failing = input.connectors.filter((c) => !c.healthy).length;
  const text = `Recon status: ${plural(input.queue.open, 'open item')}${failing ? `, ${plural(failing, 'connector')} failing` : ''}.`;
  return { text, blocks };
}
