import { ConfigError } from '../../domain/errors.ts';
import type { CommandContext } from '../context.ts';
import { sinceDate, type Since } from '../options.ts';
import { openReports } from '../reader.ts';
import { plainText, planValue, recordName } from '../render.ts';
import type { HistoryEntry } from '../reports.ts';
import { renderTable } from '../table.ts';
import { humanTime } from '../time.ts';

export interface LogOptions {
  since?: Since;
  item?: string;
  limit: number;
  json?: boolean;
}

/** The change log and the decisions, merged in time order. Works while `recon serve` runs. */
export async function logCommand(options: LogOptions, ctx: CommandContext): Promise<number> {
  const reports = await openReports(ctx);
  try {
    const log = await reports.log({ since: options.since && sinceDate(options.since, ctx.now()).toISOString(), item: options.item, limit: options.limit });
    if (!log) throw new ConfigError(`there is no review item ${options.item}`, { code: 'usage.unknown_item', hint: '`recon queue` lists the open ones' });
    if (options.json) ctx.stdout.write(`${JSON.stringify(log, null, 2)}\n`);
    else ctx.stdout.write(log.entries.length ? `${renderHistory(log.entries, ctx.now(), ctx.timeZone)}\n` : 'Nothing logged in that span.\n');
    return 0;
  } finally {
    await reports.close();
  }
}

/** Writes, decisions and an item's opening and closing, one row each, as a person reads them. */
export function renderHistory(entries: readonly HistoryEntry[], now: number, timeZone: string): string {
  return renderTable(
    ['when', 'who', 'item', 'what', 'outcome'],
    entries.map((e) => {
      const when = humanTime(e.at, now, timeZone);
      switch (e.kind) {
        case 'change':
          return [when, e.actor, e.itemId ?? '', `${recordName(e.record)} ${e.field}: ${planValue(e.before)} → ${planValue(e.after)}${e.rule ? ` (${e.rule})` : ''}`, e.outcome + (e.error ? `: ${e.error}` : '')];
        case 'decision':
          return [when, e.actor, e.itemId, decisionWords(e.action, e.detail), e.outcome + refusal(e.detail)];
        case 'opened':
          return [when, 'Recon', '', `opened${e.runId ? ` by run ${e.runId}` : ''}`, ''];
        case 'closed':
          return [when, '', '', 'closed', e.status.replace(/_/g, ' ')];
      }
    }),
  );
}

function decisionWords(action: string, detail: unknown): string {
  const d = detail as { via?: string } | null;
  return `${action}${d?.via === 'cli' ? ' (command line)' : ''}`;
}

function refusal(detail: unknown): string {
  const why = (detail as { why?: unknown } | null)?.why;
  return typeof why === 'string' ? `: ${plainText(why)}` : '';
}
