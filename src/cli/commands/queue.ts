import type { CommandContext } from '../context.ts';
import { openReports } from '../reader.ts';
import { recordName } from '../render.ts';
import type { QueueReport } from '../reports.ts';
import { renderTable } from '../table.ts';
import { humanTime } from '../time.ts';

export interface QueueOptions {
  check?: string;
  category?: string;
  /** Only items opened longer ago than this, in milliseconds. */
  olderThan?: number;
  limit: number;
  json?: boolean;
}

/** The open review items, oldest first: what waits for a person. Works while `recon serve` runs. */
export async function queueCommand(options: QueueOptions, ctx: CommandContext): Promise<number> {
  const reports = await openReports(ctx);
  try {
    const queue = await reports.queue({
      check: options.check,
      category: options.category,
      openedBefore: options.olderThan === undefined ? undefined : new Date(ctx.now() - options.olderThan).toISOString(),
      limit: options.limit,
    });
    ctx.stdout.write(options.json ? `${JSON.stringify(queue, null, 2)}\n` : `${renderQueue(queue, ctx.now(), ctx.timeZone)}\n`);
    return 0;
  } finally {
    await reports.close();
  }
}

export function renderQueue(queue: QueueReport, now: number, timeZone: string): string {
  if (queue.total === 0) return 'No open review items match.';
  const table = renderTable(
    ['id', 'status', 'check', 'category', 'reason', 'records', 'opened'],
    queue.items.map((item) => [
      item.id,
      item.status,
      item.check,
      item.category,
      item.reason,
      item.held !== null ? `${item.held} writes held` : [item.records.source, item.records.target].flatMap((r) => (r ? [recordName(r)] : [])).join(' · '),
      humanTime(item.openedAt, now, timeZone),
    ]),
  );
  const shown = queue.items.length < queue.total ? `${queue.total} match; the oldest ${queue.items.length} are shown (--limit for more).` : `${queue.total} match.`;
  return `${table}\n\n${shown} \`recon show ID\` shows one; \`recon decide ID ...\` decides it.`;
}
