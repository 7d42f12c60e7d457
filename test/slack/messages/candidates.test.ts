import type { StaticSelect } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.ts';
import { parsePickValue } from '../../../src/slack/messages/candidates.ts';
import { escalationMessage } from '../../../src/slack/messages/escalation.ts';
import type { RecordView } from '../../../src/slack/messages/views.ts';
import { limitViolations } from './check-limits.ts';
import { NOW, actionsBlocks, allText, buttons, escalation } from './fixtures.ts';

const customer = (id: string): RecordView => ({ system: 'stripe', object: 'customers', id, field: 'subscription_status', value: 'active', email: 'ada@example.com', url: `https://dashboard.stripe.com/customers/${id}` });
const deal = (id: string, stage: string, label: string): RecordView => ({
  system: 'hubspot', object: 'deals', id, field: 'dealstage', value: stage, valueLabel: label, email: 'ada@example.com', url: `https://app.hubspot.com/deal/${id}`,
});

/** One Stripe customer, two HubSpot deals whose contacts share its email. */
const ambiguous = (candidates = [customer('cus_1'), deal('10045', 'closedwon', 'Closed Won'), deal('10046', 'qualifiedtobuy', 'Qualified To Buy')]) =>
  escalation({
    reason: 'ambiguous_match', category: 'ambiguous_match', suggestion: [], candidates,
    explanation: '1 stripe customer and 2 hubspot deals share the email ada@example.com; Recon does not guess which belong together',
    // As a cycle stores it: the first candidate of each side.
    source: candidates.find((c) => c.system === 'stripe') ?? null, target: candidates.find((c) => c.system === 'hubspot') ?? null,
  });

const select = (view = ambiguous()) => actionsBlocks(escalationMessage(view, { now: NOW }).blocks)[0]?.elements.find((e): e is StaticSelect => e.type === 'static_select');

describe('an ambiguous match in Slack', () => {
  it('says which record matches how many, not two values that do not belong together', () => {
    const text = allText(escalationMessage(ambiguous(), { now: NOW }).blocks);
    expect(text).toContain('<https://dashboard.stripe.com/customers/cus_1|Stripe customer cus_1> (subscription status *active*) matches 2 HubSpot deals.');
    expect(text).not.toContain('HubSpot deal is at');
  });

  it('lists each candidate with its link, its value and its email', () => {
    const text = allText(escalationMessage(ambiguous(), { now: NOW }).blocks);
    expect(text).toContain('• <https://app.hubspot.com/deal/10045|HubSpot deal 10045> · dealstage *Closed Won* (closedwon) · ada@example.com');
    expect(text).toContain('• <https://app.hubspot.com/deal/10046|HubSpot deal 10046> · dealstage *Qualified To Buy* (qualifiedtobuy) · ada@example.com');
  });

  it('lists only the records to pick from: the one they all match is in the headline', () => {
    const text = allText(escalationMessage(ambiguous(), { now: NOW }).blocks);
    expect(text).toContain('*Candidates (2):*');
    expect(text).not.toContain('• <https://dashboard.stripe.com/customers/cus_1');
  });

  it('offers a select with one option per candidate deal, each naming the item and both records', () => {
    const options = select()?.options ?? [];
    expect(options.map((o) => o.text.text)).toEqual(['HubSpot deal 10045 · Closed Won', 'HubSpot deal 10046 · Qualified To Buy']);
    expect(options.map((o) => parsePickValue(o.value))).toEqual([
      { itemId: '42', source: 'cus_1', target: '10045' },
      { itemId: '42', source: 'cus_1', target: '10046' },
    ]);
    expect(select()?.action_id).toBe(ACTIONS.pick);
  });

  it('asks to confirm a pick, saying the usual rules still apply', () => {
    expect(select()?.confirm?.text.text).toContain('a financial, high-value or recently edited change still comes back to a person');
  });

  it('offers Ignore beside the pick, and neither Approve nor Override', () => {
    expect(buttons(escalationMessage(ambiguous(), { now: NOW }).blocks).map((b) => b.action_id)).toEqual([ACTIONS.ignore]);
  });

  it('names both records in an option when both sides have several', () => {
    const options = select(ambiguous([customer('cus_1'), customer('cus_2'), deal('1', 'closedwon', 'Closed Won'), deal('2', 'closedwon', 'Closed Won')]))?.options ?? [];
    expect(options.map((o) => o.text.text)).toEqual(['Stripe customer cus_1 ↔ HubSpot deal 1', 'Stripe customer cus_1 ↔ HubSpot deal 2', 'Stripe customer cus_2 ↔ HubSpot deal 1', 'Stripe customer cus_2 ↔ HubSpot deal 2']);
  });

  it('offers at most 100 pairs and stays within Slack’s limits', () => {
    const many = [customer('cus_1'), customer('cus_2'), ...Array.from({ length: 80 }, (_, i) => deal(String(i), 'closedwon', 'Closed Won'))];
    const built = escalationMessage(ambiguous(many), { now: NOW });
    expect(select(ambiguous(many))?.options).toHaveLength(100);
    expect(limitViolations(built as never, 'message')).toEqual([]);
  });

  it('reads back no pick from a value it did not draw', () => {
    expect(parsePickValue('{"itemId":"42"}')).toBeNull();
    expect(parsePickValue('not json')).toBeNull();
    expect(parsePickValue(undefined)).toBeNull();
  });
});
