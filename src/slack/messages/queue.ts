/** The open queue: `/recon queue` (ephemeral) and App Home, each item compact with its buttons. Pure. */
import type { HomeView, KnownBlock } from '@slack/types';
import { SLASH_COMMAND } from '../ids.ts';
import { ageInWords, escapeMrkdwn, plural, userText, whySentence } from './format.ts';
import { type BlockMessage, headline, itemActions, itemTitle, plainText, writeWords } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';
import { outcomeLine, showsOutcome } from './outcome.ts';
import { type StatusInput, statusBlocks } from './status.ts';
import type { EscalationView } from './views.ts';

/** Each item takes a section, its buttons and a divider. */
const BLOCKS_PER_ITEM = 3;
const DEFAULT_LIMIT = 10;

/** One item in a few lines: what, where, how long it waited, why, the fix. */
export function queueItemText(view: EscalationView, now: Date): string {
  const fix = view.held
    ? `${plural(view.held.planned, 'write')} held back: Release makes them.`
    : view.reason === 'ambiguous_match' && view.candidates.length
      ? 'Pick the record that belongs.'
      : view.suggestion[0]
        ? `Suggested: ${writeWords(view.suggestion[0])}${view.suggestion.length > 1 ? ` and ${view.suggestion.length - 1} more` : ''}`
        : 'No suggested fix: a person decides.';
  const lines = [
    `*${escapeMrkdwn(itemTitle(view))}* · waiting ${ageInWords(view.openedAt, now)} · item ${userText(view.itemId, 60)}`,
    headline(view),
    `${userText(whySentence(view), 600)} ${fix}`,
  ];
  return truncate(lines.join('\n'), LIMITS.sectionText);
}

/** Each item with its buttons; one whose last decision found the record changed says so instead, until a cycle refreshes it. */
function itemBlocks(items: EscalationView[], now: Date): KnownBlock[] {
  return items.flatMap((item): KnownBlock[] => [
    { type: 'divider' },
    { type: 'section', text: { type: 'mrkdwn', text: queueItemText(item, now) } },
    item.status === 'open' && showsOutcome(item) ? { type: 'context', elements: [{ type: 'mrkdwn', text: outcomeLine(item) }] } : itemActions(item),
  ]);
}

const more = (hidden: number): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: `… and ${plural(hidden, 'more item')}. Decided items leave the queue; \`${SLASH_COMMAND} queue\` shows the next ones.` }],
});

/**
 * `/recon queue`: the first `limit` items (default 10; at most what fits in one message), oldest first
 * as given, each with Approve / Override… / Ignore….
 */
/**
 * `/recon queue`: the first items with their buttons. `total` is how many are open (the caller may
 * pass only the first items); the count said is always the queue's, never the page's.
 */
export function queueBlocks(items: EscalationView[], options: { now: Date; limit?: number; total?: number }): BlockMessage {
  const fits = Math.floor((LIMITS.blocksPerMessage - 2) / BLOCKS_PER_ITEM);
  const limit = Math.max(0, Math.min(options.limit ?? DEFAULT_LIMIT, fits));
  const shown = items.slice(0, limit);
  const total = Math.max(options.total ?? items.length, items.length);
  const intro = total === 0 ? '*Open queue:* empty. Nothing waits for a person.' : `*Open queue:* ${plural(total, 'item')}${shown.length < total ? `, the oldest ${shown.length} shown` : ''}.`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: intro } }, ...itemBlocks(shown, options.now)];
  if (shown.length < total) blocks.push(more(total - shown.length));
  return { text: `Open queue: ${plural(total, 'item')}`, blocks };
}

/** App Home: the status, then as much of the open queue as fits in the tab's 100 blocks, with the buttons. */
export function homeView(input: { status: StatusInput; queue: EscalationView[]; now: Date }): HomeView {
  const status = statusBlocks(input.status).blocks;
  // The queue header and the "… and N more" line.
  const room = LIMITS.blocksPerView - status.length - 2;
  const shown = input.queue.slice(0, Math.max(0, Math.floor(room / BLOCKS_PER_ITEM)));
  // The caller may pass only the first items; the status knows how many are open.
  const open = Math.max(input.status.queue.open, input.queue.length);
  const blocks: KnownBlock[] = [
    ...status,
    { type: 'header', text: plainText(open ? `Open queue (${open})` : 'Open queue: empty', LIMITS.headerText) },
    ...itemBlocks(shown, input.now),
  ];
  if (shown.length < open) blocks.push(more(open - shown.length));
  return { type: 'home', blocks };
}
