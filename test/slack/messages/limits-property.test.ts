import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ESCALATION_REASONS } from '../../../src/domain/discrepancy.ts';
import { escalationMessage } from '../../../src/slack/messages/escalation.ts';
import { itemMessage } from '../../../src/slack/messages/item-message.ts';
import { outcomeMessage } from '../../../src/slack/messages/outcome.ts';
import { ignoreModal, overrideModal } from '../../../src/slack/messages/override-modal.ts';
import { homeView, queueBlocks } from '../../../src/slack/messages/queue.ts';
import type { StatusInput } from '../../../src/slack/messages/status.ts';
import { statusBlocks } from '../../../src/slack/messages/status.ts';
import { cycleSummaryMessage, exceptionsReportMessage } from '../../../src/slack/messages/summary.ts';
import type { EscalationView, ItemStatus, RecordView, WriteView } from '../../../src/slack/messages/views.ts';
import { limitViolations } from './check-limits.ts';

/** Short, huge, markup-laden and emoji-laden strings: what systems and people actually send. */
const longText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 3000, size: 'max' }),
  fc.string({ unit: fc.constantFrom('<', '>', '&', '|', '*', '`', ' ', 'a', '😀', '&amp;', '<!channel>', '<@U1>'), maxLength: 2500, size: 'max' }),
);
const shortText = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '   ', 'active', 'closedwon', '<https://evil.test|click>', 'a & b <c>'));
const textWith = (longWeight: number) => fc.oneof({ arbitrary: shortText, weight: 10 }, { arbitrary: longText, weight: longWeight });
const text = textWith(5);
const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
const status = fc.constantFrom<ItemStatus>('open', 'deciding', 'approved', 'overridden', 'ignored', 'failed', 'resolved_elsewhere');

function escalationViews(text: fc.Arbitrary<string>): fc.Arbitrary<EscalationView> {
  const value = fc.oneof(text, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 4 }));
  const url = fc.option(fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), text, fc.constant('https://x.test/a|b>c&d')), { nil: null });
  const system = fc.oneof(fc.constantFrom('stripe', 'hubspot', 'gohighlevel'), text);
  const object = fc.oneof(fc.constantFrom('customers', 'deals'), text);
  const record: fc.Arbitrary<RecordView> = fc.record({
    system, object, id: text, field: text, value, valueLabel: fc.option(text, { nil: null }), email: fc.option(text, { nil: null }), url,
  });
  const write: fc.Arbitrary<WriteView> = fc.record({ system, object, id: text, field: text, to: value, toLabel: fc.option(text, { nil: null }), financial: fc.boolean() });
  return fc.record({
    itemId: fc.oneof(fc.uuid(), fc.integer({ min: 1 }).map(String)),
    check: text,
    category: text,
    reason: fc.constantFrom(...ESCALATION_REASONS),
    explanation: text,
    source: fc.option(record, { nil: null }),
    target: fc.option(record, { nil: null }),
    suggestion: fc.array(write, { maxLength: 12 }),
    candidates: fc.array(record, { maxLength: 14 }),
    targetVocabulary: fc.option(fc.array(fc.record({ value: text, label: text }), { maxLength: 130, size: 'max' }), { nil: null }),
    openedAt: date,
    status,
    outcome: fc.option(
      fc.record({ by: fc.option(fc.oneof(fc.constant('U0123ABCD'), text), { nil: null }), at: date, summary: text, error: fc.option(text, { nil: null }) }),
      { nil: undefined },
    ),
    held: fc.option(
      fc.record({
        planned: fc.nat({ max: 1_000_000 }), limit: fc.nat({ max: 100_000 }), recordsRead: fc.nat({ max: 10_000_000 }),
        byCategory: fc.array(fc.record({ category: text, count: fc.nat({ max: 100_000 }) }), { maxLength: 20 }),
        writes: fc.array(write, { maxLength: 6 }),
      }),
      { nil: null },
    ),
  });
}
const escalationView = escalationViews(text);
/** Many items at once: their number matters more than each one's size, tested above. */
const manyEscalations = fc.array(escalationViews(textWith(1)), { maxLength: 120, size: 'max' });

const count = fc.nat({ max: 100_000 });
const statusInput: fc.Arbitrary<StatusInput> = fc.record({
  now: date,
  checks: fc.array(
    fc.record({
      name: text,
      lastRun: fc.option(
        fc.record({
          startedAt: date, durationMs: fc.option(fc.nat({ max: 10_000_000 }), { nil: null }), mode: fc.constantFrom<'full' | 'incremental'>('full', 'incremental'),
          status: fc.constantFrom<'running' | 'succeeded' | 'partial' | 'failed'>('running', 'succeeded', 'partial', 'failed'),
          dryRun: fc.boolean(), found: count, autoFixed: count, escalated: count, errors: count,
        }),
        { nil: null },
      ),
      nextRunAt: fc.option(date, { nil: null }),
    }),
    { maxLength: 60, size: 'max' },
  ),
  queue: fc.record({
    open: count,
    byCategory: fc.dictionary(text, count, { maxKeys: 30 }),
    oldest: fc.option(fc.record({ itemId: text, check: text, category: text, openedAt: date }), { nil: null }),
  }),
  fastLoop: fc.record({ webhooksOn: fc.array(text, { maxLength: 6 }), last24h: fc.dictionary(text, count, { maxKeys: 10 }), pending: count, dead: count }),
  connectors: fc.array(fc.record({ system: fc.oneof(fc.constantFrom('stripe', 'hubspot'), text), healthy: fc.boolean(), detail: fc.option(text, { nil: null }) }), { maxLength: 12 }),
});

const ok = (surface: unknown, kind: 'message' | 'view') => expect(limitViolations(surface as never, kind)).toEqual([]);

describe('every builder respects Slack’s limits', () => {
  it('flags a surface that breaks them (the checker itself works)', () => {
    const bad = { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }, { type: 'section', text: { type: 'mrkdwn', text: 'a < b & c' } }] };
    expect(limitViolations(bad, 'message')).toHaveLength(3);
  });

  it('for one escalation: its message, its outcome and both modals', () => {
    fc.assert(
      fc.property(escalationView, date, fc.boolean(), (view, now, otherDirection) => {
        ok(escalationMessage(view, { now }), 'message');
        ok(outcomeMessage(view), 'message');
        ok(itemMessage(view, { now }), 'message');
        ok(overrideModal(view), 'view');
        ok(overrideModal(view, { otherDirection }), 'view');
        ok(ignoreModal(view), 'view');
      }),
      { numRuns: 150 },
    );
  });

  it('for many escalations: the cycle summary, the exceptions report, the queue and App Home', () => {
    fc.assert(
      fc.property(manyEscalations, statusInput, date, fc.nat({ max: 200 }), (views, status, now, n) => {
        ok(cycleSummaryMessage({ escalations: views, posted: n, exceptions: views.slice(0, n), checks: status.checks.map((c) => ({ name: c.name, found: n, autoFixed: n, escalated: n })) }), 'message');
        ok(exceptionsReportMessage(views), 'message');
        ok(queueBlocks(views, { now, limit: n }), 'message');
        ok(homeView({ status, queue: views, now }), 'view');
      }),
      { numRuns: 12 },
    );
  });

  it('for any status', () => {
    fc.assert(fc.property(statusInput, (status) => {
      ok(statusBlocks(status), 'message');
    }), { numRuns: 150 });
  });
});
