import type { CommandContext } from '../context.ts';
import { openReports } from '../reader.ts';
import type { StatusReport } from '../reports.ts';
import { renderTable } from '../table.ts';
import { humanTime } from '../time.ts';
import { span } from '../../digest/message.ts';

/** The last run of each check and the open queue in figures; works while `recon serve` runs. */
export async function statusCommand(options: { json?: boolean }, ctx: CommandContext): Promise<number> {
  const reports = await openReports(ctx);
  try {
    const status = await reports.status();
    ctx.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : `Database: ${reports.via}\n\n${renderStatus(status, ctx.now(), ctx.timeZone)}\n`);
    return 0;
  } finally {
    await reports.close();
  }
}

export function renderStatus(status: StatusReport, now: number, timeZone: string): string {
  const runs = status.runs.length
    ? renderTable(
        ['check', 'last run', 'status', 'mode', 'took', 'found', 'auto-fixed', 'escalated', 'failed'],
        status.runs.map((r) => [
          r.check,
          humanTime(r.startedAt, now, timeZone),
          r.status + (r.dryRun ? ' (dry run)' : ''),
          r.mode,
          r.finishedAt ? `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s` : '',
          r.found,
          r.dryRun ? `would ${r.wouldWrite}` : r.autoFixed,
          r.escalated,
          r.failed,
        ]),
      )
    : 'No runs yet: try `recon run`.';
  const { open, byCategory, oldest } = status.queue;
  const queue = open
    ? `Review queue: ${open} open (${Object.entries(byCategory).map(([k, n]) => `${k} ${n}`).join(', ')}); the oldest, ${oldest?.id}, opened ${oldest ? humanTime(oldest.openedAt, now, timeZone) : ''}. \`recon queue\` lists them.`
    : 'Review queue: empty.';
  const held = Object.entries(status.held).map(([check, h]) => `Held by the blast-radius guard: ${h.writes} writes of ${check} (item ${h.itemId}; \`recon decide ${h.itemId} release\` makes them).`);
  const alerts = (status.alerts ?? []).length
    ? [`Alerts in force:\n${(status.alerts ?? []).map((a) => `  ${a.title}, since ${humanTime(a.since, now, timeZone)}: ${a.what}\n    What to do: ${a.todo}`).join('\n')}`]
    : [];
  const c = status.consistency;
  const loops = c ? ([['fast', 'webhooks'], ['slow', 'cycles']] as const).flatMap(([loop, words]) => {
    const f = c[loop];
    return f ? [`${words} p50 ${span(f.p50Seconds)}, p95 ${span(f.p95Seconds)} over ${f.writes.toLocaleString('en-US')} ${f.writes === 1 ? 'write' : 'writes'}`] : [];
  }) : [];
  const consistency = loops.length ? [`Time to consistency, last 7 days (from a change to the write that made the other side agree): ${loops.join('; ')}.`] : [];

  const throttled = Object.entries(status.throttledLastHour);
  const limits = throttled.length
    ? `Rate limits: ${throttled.map(([budget, n]) => `${n} × 429 from ${budget}`).join(', ')} in the last hour.`
    : 'Rate limits: no 429 in the last hour.';

  return [...alerts, runs, queue, ...held, ...consistency, limits].join('\n\n');
}
