import { describe, expect, it } from 'vitest';
import { buildTimeline, type TraceFacts } from '../../src/domain/trace.ts';
import { traceMessage } from '../../src/slack/messages/trace.ts';
import { limitViolations } from '../slack/messages/check-limits.ts';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s));
const empty: TraceFacts = { since: null, records: [], events: [], discrepancies: [], changes: [], items: [], decisions: [], suppressions: [], holds: [] };

function facts(over: Partial<TraceFacts>): TraceFacts {
  return { ...empty, ...over };
}

const change = (id: string, s: number) => ({
  id, at: at(s), actor: 'auto', origin: 'run:1', runId: '1', check: 'payment-status', system: 'hubspot', object: 'deals', externalId: '901',
  field: 'dealstage', before: 'closedwon', after: 'closedlost', rule: 'source_of_truth', reason: null, outcome: 'applied', error: null,
});

describe('buildTimeline', () => {
  it('puts steps from every log in time order', () => {
    const timeline = buildTimeline('cus_1', facts({
      changes: [change('7', 3)],
      events: [{ id: '1', provider: 'stripe', eventId: 'evt_1', type: 'customer.subscription.updated', objectType: 'subscription', objectId: 'sub_1', occurredAt: at(0), receivedAt: at(1), status: 'done', outcome: 'written', wroteTo: 'hubspot', lastError: null, attempts: 1, processedAt: at(2) }],
      decisions: [{ id: '2', at: at(5), itemId: '4', actor: 'U1', action: 'approve', outcome: 'approved' }],
    }));
    expect(timeline.entries.map((e) => e.kind)).toEqual(['event', 'write', 'decision']);
  });

  it('keeps the newest steps when there are more than the limit, and says how many were left out', () => {
    const timeline = buildTimeline('cus_1', facts({ changes: [change('1', 1), change('2', 2), change('3', 3)] }), 2);
    expect(timeline.entries.map((e) => e.ref)).toEqual(['change:2', 'change:3']);
    expect(timeline.omitted).toBe(1);
  });

  it('links a write to its record when the record’s URL is known', () => {
    const timeline = buildTimeline('901', facts({
      records: [{ system: 'hubspot', object: 'deals', id: '901', matchedBy: null, matchedAt: null, email: null, url: 'https://app.hubspot.com/contacts/1/record/0-3/901' }],
      changes: [change('1', 1)],
    }));
    expect(timeline.entries[0]?.url).toBe('https://app.hubspot.com/contacts/1/record/0-3/901');
  });
});

describe('traceMessage', () => {
  it('stays within Slack’s limits however long the story', () => {
    const many = Array.from({ length: 500 }, (_, n) => change(String(n), n % 60));
    const message = traceMessage(buildTimeline('cus_1', facts({ changes: many })));
    expect(limitViolations(message as never, 'message')).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain('older steps not shown');
  });
});
