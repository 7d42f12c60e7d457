import { describe, expect, it } from 'vitest';
import type { SourceEvents } from '../../src/digest/figures.ts';
import { digestMessage, versus } from '../../src/digest/message.ts';
import { digestOf, week } from './week.ts';

/** The header's and sections' text, and the context's as JSON. */
const text = (message: ReturnType<typeof digestMessage>) =>
  message.blocks.map((b) => (b.type === 'header' || b.type === 'section' ? b.text?.text ?? '' : b.type === 'context' ? JSON.stringify(b.elements) : '')).join('\n');
const source = (provider: string, fields: Partial<SourceEvents>): SourceEvents => ({ provider, received: 0, written: {}, outcomes: {}, waiting: 0, dead: 0, dropped: 0, ...fields });
const busy = week({ cycles: [1, 1, 0, 0, 0, 0, 0], found: [3, 0, 0, 0, 0, 0, 0], autoFixed: [2, 0, 0, 0, 0, 0, 0], escalated: [1, 0, 0, 0, 0, 0, 0] });

describe('the digest’s text', () => {
  it('writes a change with its direction', () => {
    expect(versus(12, 8)).toBe('12 (▲ 4 from 8)');
    expect(versus(1_203, 1_300)).toBe('1,203 (▼ 97 from 1,300)');
    expect(versus(3, 3)).toBe('3 (same as the week before)');
  });

  it('compares each figure of the cycles with the week before', () => {
    const body = text(digestMessage(digestOf(busy, week({ cycles: [1, 0, 0, 0, 0, 0, 0], found: [5, 0, 0, 0, 0, 0, 0] }))));
    expect(body).toContain('*Reconciliation cycles*: 2 (▲ 1 from 1)');
    expect(body).toContain('*Discrepancies found*: 3 (▼ 2 from 5)');
    expect(body).toContain('*Auto-fixed*: 2 (▲ 2 from 0); by rule: source of truth 2');
    expect(body).toContain('*Escalated*: 1 (▲ 1 from 0); paid but not marked 1');
    expect(body).toContain("*Queue*: 0 open at the week's end (same as the week before)");
  });

  it('names the writes the blast-radius guard holds, per check, and the item that releases them', () => {
    const body = text(digestMessage(digestOf(busy, week(), { heldNow: [{ check: 'payment-status', itemId: '22', writes: 31 }] })));
    expect(body).toContain('*Held by the blast-radius guard*: 31 writes of payment-status wait for Release (item 22)');
  });

  it('says once that webhooks are off, instead of showing zeros', () => {
    const body = text(digestMessage(digestOf(busy)));
    expect(body.match(/off/g)).toHaveLength(1);
    expect(body).toContain('*Webhooks* (fast loop): off');
    expect(body).not.toMatch(/Dead letters|Caught by the cycles/);
  });

  it('lists webhook events by source and direction, each source against the week before', () => {
    const current = week({ cycles: [1, 0, 0, 0, 0, 0, 0] }, {
      fastLoop: {
        sources: [
          source('stripe', { received: 1_618, written: { hubspot: 412 }, outcomes: { agreed: 1_203, escalated: 3 }, dropped: 52 }),
          source('hubspot', { received: 88, outcomes: { echo: 80, agreed: 8 } }),
          source('google_calendar', {}),
        ],
        events: 1_706, dropped: 52, dead: 0,
      },
      caughtForFastLoop: 2,
    });
    const previous = week({}, { fastLoop: { sources: [source('stripe', { received: 1_418, outcomes: { agreed: 1_418 } })], events: 1_418, dropped: 0, dead: 0 } });
    const body = text(digestMessage(digestOf(current, previous, { fastLoop: { systems: ['stripe', 'hubspot', 'google_calendar'] } })));
    expect(body).toContain('*Webhooks* (fast loop): 1,706 events (▲ 288 from 1,418)');
    expect(body).toContain('• Stripe 1,618 (▲ 200 from 1,418): 412 written to HubSpot, 1,203 nothing to change, 3 escalated, and 52 of types no check uses, not stored');
    expect(body).toContain("• HubSpot 88 (▲ 88 from 0): 80 Recon's own writes coming back, 8 nothing to change");
    expect(body).toContain('• Google Calendar 0 (same as the week before)');
    expect(body).toContain('*Caught by the cycles that webhooks should have handled*: 2 (▲ 2 from 0)');
  });

  it('counts dead letters with those of earlier weeks still in the inbox, and says how to retry them', () => {
    const current = week({ cycles: [1, 0, 0, 0, 0, 0, 0] }, { fastLoop: { sources: [source('stripe', { received: 2, dead: 2 })], events: 2, dropped: 0, dead: 2 } });
    const body = text(digestMessage(digestOf(current, week(), { fastLoop: { systems: ['stripe'] }, deadLettersNow: 5 })));
    expect(body).toContain('• Stripe 2 (▲ 2 from 0): 2 dead letters');
    expect(body).toContain('*Dead letters*: 2 (▲ 2 from 0), 5 in the inbox in all. Events that failed every attempt; `/recon retry` puts them back in the inbox');
  });

  it('says a week in which nothing happened in one sentence', () => {
    const message = digestMessage(digestOf(week({}, { queueAtEnd: 2 }), busy, { fastLoop: { systems: ['stripe'] } }), { chart: false });
    expect(message.blocks).toHaveLength(2);
    expect(text(message)).toBe(
      'Recon weekly digest, 2026-11-16 to 2026-11-22\n' +
        'Nothing happened from 2026-11-16 to 2026-11-22: no cycle ran, nothing was found, fixed or escalated, and no webhook arrived ' +
        '(the week before: 2 cycles, 3 found, 2 auto-fixed, 1 escalated, 0 webhook events); 2 items wait in the queue.',
    );
  });

  it('says when no chart follows', () => {
    const body = text(digestMessage(digestOf(week({ cycles: [1, 0, 0, 0, 0, 0, 0] })), { chart: false }));
    expect(body).toContain('No chart: nothing was found, fixed or escalated.');
  });

  it('escapes category names for mrkdwn', () => {
    const body = text(digestMessage(digestOf(week({ escalated: [1, 0, 0, 0, 0, 0, 0] }, { escalatedByCategory: { 'a<b>&c': 1 } }))));
    expect(body).toContain('a&lt;b&gt;&amp;c 1');
  });
});
