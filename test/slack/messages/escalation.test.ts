import type { SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.ts';
import { escalationMessage } from '../../../src/slack/messages/escalation.ts';
import { LIMITS } from '../../../src/slack/messages/limits.ts';
import { limitViolations } from './check-limits.ts';
import { NOW, actionsBlocks, allText, buttons, escalation } from './fixtures.ts';

const message = (overrides = {}) => escalationMessage(escalation(overrides), { now: NOW });

describe('escalationMessage', () => {
  it('names what disagrees and where in the header', () => {
    expect(message().blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Paid but not marked · payment-status', emoji: true } });
  });

  it('says both values in one sentence, with the stage label rather than its id', () => {
    expect(allText(message().blocks)).toContain('Stripe says *active*; HubSpot deal is at *Presentation Scheduled*.');
  });

  it('shows both records side by side as fields linking to each record', () => {
    const fields = message().blocks.find((b): b is SectionBlock => b.type === 'section' && b.fields !== undefined)?.fields ?? [];
    expect(fields).toHaveLength(2);
    expect(fields[0]?.text).toContain('<https://dashboard.stripe.com/customers/cus_123|Stripe customer cus_123>');
    expect(fields[1]?.text).toContain('<https://app.hubspot.com/contacts/1/deal/10012|HubSpot deal 10012>');
    expect(fields[1]?.text).toContain('dealstage: *Presentation Scheduled* (presentationscheduled)');
  });

  it('says why it was held back with the engine’s explanation, systems by their names', () => {
    const text = allText(message({ reason: 'financial', explanation: 'stripe amount is a financial field; only a financial approver may change it' }).blocks);
    expect(text).toContain('*Why it waits:* Stripe amount is a financial field; only a financial approver may change it.');
    expect(text).not.toContain('Amounts are financial');
  });

  it('says why in plain words when the engine gave no explanation', () => {
    expect(allText(message({ reason: 'mapping_gap', explanation: '' }).blocks)).toContain('*Why it waits:* Stripe sent a status the policy does not map.');
  });

  it('leaves a quoted value in the explanation as it is', () => {
    expect(allText(message({ reason: 'mapping_gap', explanation: '"stripe" is not in the map of check payment-status; add it to the policy' }).blocks))
      .toContain('*Why it waits:* "stripe" is not in the map of check payment-status; add it to the policy.');
  });

  it('states the suggested fix with the value’s label', () => {
    expect(allText(message().blocks)).toContain('Set HubSpot dealstage to *Closed Won*');
  });

  it('offers Approve, Override and Ignore, each carrying the item id as its value', () => {
    const shown = buttons(message().blocks);
    expect(shown.map((b) => [b.action_id, b.value])).toEqual([
      [ACTIONS.approve, '42'],
      [ACTIONS.override, '42'],
      [ACTIONS.ignore, '42'],
    ]);
    expect(shown[0]?.style).toBe('primary');
  });

  it('ends with the buttons', () => {
    const blocks = message().blocks;
    expect(blocks[blocks.length - 1]?.type).toBe('actions');
    expect(actionsBlocks(blocks)).toHaveLength(1);
  });

  it('offers no Approve when there is no suggestion', () => {
    const shown = buttons(message({ suggestion: [] }).blocks);
    expect(shown.map((b) => b.action_id)).toEqual([ACTIONS.override, ACTIONS.ignore]);
    expect(allText(message({ suggestion: [] }).blocks)).toContain('No suggested fix');
  });

  it('asks for confirmation before approving a financial write, and says so', () => {
    const approve = buttons(
      message({ suggestion: [{ system: 'stripe', object: 'customers', id: 'cus_123', field: 'amount', to: 1200, financial: true }] }).blocks,
    )[0];
    expect(approve?.confirm?.text.text).toContain('financial');
    expect(approve?.confirm?.text.text).toContain('Stripe amount to 1200');
  });

  it('asks no confirmation for a write that is not financial', () => {
    expect(buttons(message().blocks)[0]?.confirm).toBeUndefined();
  });

  it('lists every candidate of an ambiguous match', () => {
    const candidate = (id: string) => ({ system: 'hubspot', object: 'deals', id, field: '', value: null, email: `${id}@example.com`, url: `https://app.hubspot.com/deal/${id}` });
    const text = allText(message({ reason: 'ambiguous_match', target: null, suggestion: [], candidates: [candidate('1'), candidate('2')] }).blocks);
    expect(text).toContain('*Candidates (2):*');
    expect(text).toContain('<https://app.hubspot.com/deal/1|HubSpot deal 1> · 1@example.com');
    expect(text).toContain('<https://app.hubspot.com/deal/2|HubSpot deal 2>');
  });

  it('names the window the guard counts over when the item has one', () => {
    const held = { planned: 40, limit: 25, recordsRead: 500, window: '1h', byCategory: [{ category: 'paid_but_not_marked', count: 40 }], writes: [] };
    const text = allText(message({ reason: 'blast_radius', held, source: null, target: null, suggestion: [], explanation: '' }).blocks);
    expect(text).toContain('Recon held back *40 writes* of check payment-status: more than its guard of 25 fixes per 1h for 500 records read.');
  });

  it('shows the writes a blast-radius guard held back, with Release (confirmed) and Ignore only', () => {
    const write = { system: 'hubspot', object: 'deals', id: '10012', field: 'dealstage', to: 'closedwon', toLabel: 'Closed Won', financial: false };
    const held = { planned: 40, limit: 25, recordsRead: 500, byCategory: [{ category: 'paid_but_not_marked', count: 40 }], writes: [write] };
    const built = message({ reason: 'blast_radius', held, source: null, target: null, suggestion: [], explanation: '' });
    const text = allText(built.blocks);
    expect(text).toContain('Recon held back *40 writes* of check payment-status: more than its guard of 25 for 500 records read.');
    expect(text).toContain('*Held back:* Paid but not marked 40\n• HubSpot deal 10012: dealstage to *Closed Won*\n… and 39 more writes');
    const shown = buttons(built.blocks);
    expect(shown.map((b) => [b.action_id, b.value])).toEqual([[ACTIONS.release, '42'], [ACTIONS.ignore, '42']]);
    expect(shown[0]?.text.text).toBe('Release 40 writes');
    expect(shown[0]?.confirm?.text.text).toContain('each checked first against the record as it is');
  });

  it('says how long the item has waited, from the given now', () => {
    expect(allText(message().blocks)).toContain('(3 days ago)');
  });

  it('has a plain fallback text for notifications', () => {
    expect(message().text).toContain('Paid but not marked · payment-status: Stripe says *active*');
  });

  it('escapes <, > and & in user data', () => {
    const evil = escalation({
      explanation: 'Tom & Jerry <script> <!channel>',
      source: { ...escalation().source!, id: 'cus_<1>', value: 'a<b>&c', email: 'x&y@example.com' },
    });
    const text = allText(escalationMessage(evil, { now: NOW }).blocks);
    expect(text).toContain('Tom &amp; Jerry &lt;script&gt; &lt;!channel&gt;');
    expect(text).toContain('Stripe customer cus_&lt;1&gt;');
    expect(text).toContain('*a&lt;b&gt;&amp;c*');
    expect(text).not.toContain('<!channel>');
    expect(limitViolations(escalationMessage(evil, { now: NOW }) as never, 'message')).toEqual([]);
  });

  it('never links a URL that could break out of the link', () => {
    const source = { ...escalation().source!, url: 'javascript:alert(1)' };
    const text = allText(escalationMessage(escalation({ source }), { now: NOW }).blocks);
    expect(text).not.toContain('javascript:');
    expect(text).toContain('Stripe customer cus_123');
  });

  it('truncates very long values within the limits', () => {
    const long = 'x'.repeat(50_000);
    const view = escalation({
      check: long, category: long, explanation: long,
      source: { ...escalation().source!, value: long, email: long, id: long },
      suggestion: [{ system: 'hubspot', object: 'deals', id: '1', field: long, to: long, financial: true }],
    });
    const built = escalationMessage(view, { now: NOW });
    expect(limitViolations(built as never, 'message')).toEqual([]);
    expect(built.blocks[0]).toMatchObject({ text: { text: expect.stringMatching(/…$/) } });
    expect(JSON.stringify(built).length).toBeLessThan(LIMITS.messageText);
  });
});
