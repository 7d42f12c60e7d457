import { ConfigError } from '../../domain/errors.ts';
import type { CommandContext } from '../context.ts';
import { openReports } from '../reader.ts';
import { heldBackBecause, planValue, recordName } from '../render.ts';
import type { ShowReport, StoredRecord } from '../reports.ts';
import { humanTime } from '../time.ts';
import { renderHistory } from './log.ts';

/** One review item: both records as the item stored them, the proposed write, and its history. */
export async function showCommand(itemId: string, options: { json?: boolean }, ctx: CommandContext): Promise<number> {
  const reports = await openReports(ctx);
  try {
    const shown = await reports.show(itemId);
    if (!shown) throw new ConfigError(`there is no review item ${itemId}`, { code: 'usage.unknown_item', hint: '`recon queue` lists the open ones' });
    ctx.stdout.write(options.json ? `${JSON.stringify(shown, null, 2)}\n` : `${renderItem(shown, ctx.now(), ctx.timeZone)}\n`);
    return 0;
  } finally {
    await reports.close();
  }
}

const words = (snake: string) => snake.replace(/_/g, ' ');

function side(label: string, r: StoredRecord | null): string[] {
  if (!r) return [`${label}(none)`];
  return [`${label}${recordName(r)}${r.email ? ` (${r.email})` : ''}: ${r.field} = ${planValue(r.value)}`, ...(r.url ? [`${' '.repeat(label.length)}${r.url}`] : [])];
}

export function renderItem(shown: ShowReport, now: number, timeZone: string): string {
  const { item } = shown;
  const lines = [
    `Review item ${item.id}: ${item.check} · ${words(item.category)} · ${item.status.replace(/_/g, ' ')}`,
    `Held back: ${heldBackBecause(item.reason)} (${item.reason}). Opened ${humanTime(item.openedAt, now, timeZone)}; last changed ${humanTime(item.updatedAt, now, timeZone)}.`,
    ...(item.decidedBy ? [`Decided by ${item.decidedBy}${item.decidedAt ? `, ${humanTime(item.decidedAt, now, timeZone)}` : ''}.`] : []),
    '',
    ...side('Source: ', shown.source),
    ...side('Target: ', shown.target),
    ...shown.candidates.filter((c) => c.id !== shown.source?.id && c.id !== shown.target?.id).flatMap((c) => side('Candidate: ', c)),
    ...(shown.explanation ? ['', `Why: ${shown.explanation}`] : []),
    '',
    ...(shown.proposed.length
      ? shown.proposed.map((w) => `Proposed: ${recordName(w)} ${w.field}: ${planValue(w.from)} → ${planValue(w.to)}${w.financial ? ' (financial: a financial approver decides)' : ''}`)
      : ['Proposed: nothing; a person chooses (Override) or leaves it (Ignore).']),
    '',
    'History:',
    renderHistory(shown.history, now, timeZone).split('\n').map((line) => `  ${line}`).join('\n'),
  ];
  const traced = shown.source?.id ?? shown.target?.id;
  if (traced) lines.push('', `The customer's whole story: recon trace ${traced}`);
  if (['open', 'failed'].includes(item.status)) {
    // The actions this item's Slack message offers, as the command line takes them.
    const actions = item.kind === 'guard' ? 'release|ignore'
      : item.reason === 'ambiguous_match' ? 'pick CANDIDATE_ID|ignore'
        : `${item.status === 'failed' ? 'retry|' : ''}approve|ignore|override VALUE`;
    lines.push('', `Decide: recon decide ${item.id} ${actions} [--reason TEXT] --as YOUR_SLACK_ID`);
  }
  return lines.join('\n');
}
