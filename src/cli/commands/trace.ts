import { ConfigError } from '../../domain/errors.ts';
import type { Timeline } from '../../domain/trace.ts';
import type { CommandContext } from '../context.ts';
import { sinceDate, type Since } from '../options.ts';
import { openReports } from '../reader.ts';
import { renderTable } from '../table.ts';
import { humanTime, localTime } from '../time.ts';

export interface TraceOptions {
  since?: Since;
  limit: number;
  json?: boolean;
}

/** One customer's timeline across both loops, in time order. Works while `recon serve` runs. */
export async function traceCommand(subject: string, options: TraceOptions, ctx: CommandContext): Promise<number> {
  const reports = await openReports(ctx);
  try {
    const timeline = await reports.trace({ subject, since: options.since && sinceDate(options.since, ctx.now()).toISOString(), limit: options.limit });
    if (!timeline) {
      throw new ConfigError(`Recon knows nothing of ${subject}`, { code: 'usage.unknown_subject', hint: 'give an email, a Stripe customer id, a CRM record id or a booking id Recon has seen (in a link, a webhook, a cycle or a write)' });
    }
    ctx.stdout.write(options.json ? `${JSON.stringify(timeline, null, 2)}\n` : `${renderTimeline(timeline, ctx.now(), ctx.timeZone)}\n`);
    return 0;
  } finally {
    await reports.close();
  }
}

/** The records and the steps, as a person reads them. Pure. */
export function renderTimeline(timeline: Timeline, now: number, timeZone: string): string {
  const records = timeline.records.map((r) => `  ${r.system} ${r.object} ${r.id}${r.matchedBy ? ` (linked by ${r.matchedBy.replace(/_/g, ' ')})` : ''}${r.email ? ` ${r.email}` : ''}${r.url ? `\n    ${r.url}` : ''}`);
  const steps = timeline.entries.length
    ? renderTable(['when', 'who', 'what'], timeline.entries.map((e) => [withSeconds(e.at, timeZone), e.actor, e.summary + (e.url ? ` ${e.url}` : '')]))
    : 'Nothing happened in that span.';
  const last = timeline.entries.at(-1);
  return [
    `Trace of ${timeline.subject}${last ? `: ${timeline.entries.length} steps, the last ${humanTime(last.at, now, timeZone)}` : ''}`,
    ...(records.length ? ['Records:', ...records] : ['Records: none linked']),
    '',
    ...(timeline.omitted ? [`(${timeline.omitted} older steps left out: use --limit or --since)`] : []),
    steps,
  ].join('\n');
}

/** `2026-12-02 09:14:07 CET`: steps of one story are often minutes apart, so seconds count. */
function withSeconds(at: string, timeZone: string): string {
  const seconds = new Date(at).toISOString().slice(17, 19);
  return localTime(at, timeZone).replace(/^(\S+ \d{2}:\d{2})/, `$1:${seconds}`);
}
