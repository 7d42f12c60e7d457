import { describe, expect, it } from 'vitest';
import type { Discrepancy } from '../../src/domain/discrepancy.ts';
import type { SystemRecord } from '../../src/domain/records.ts';
import type { Check } from '../../src/domain/check.ts';
import { decide } from '../../src/engine/rules.ts';
import { checkFromYaml, customer, DAY, deal, diffOf, NOW, paymentStatusCheck } from '../support/records.ts';

const HOUR = 3_600_000;
const check = paymentStatusCheck();
const none = { suppressions: new Map<string, number | null>(), now: NOW };

function discrepancy(c: Check, source: SystemRecord, target: SystemRecord): Discrepancy {
  const found = diffOf(c, [{ ...source, refs: { [target.system]: target.id } }], [target]);
  if (!found[0]) throw new Error('expected a discrepancy');
  return found[0];
}

const paid = (extra: Partial<SystemRecord> = {}) =>
  customer('cus_1', { subscription_status: 'active' }, { history: { subscription_status: { changedAt: NOW - 10 * DAY, changedBy: 'unknown' } }, ...extra });
const openDeal = (extra: Partial<SystemRecord> = {}, amount = 500) => deal('900', { dealstage: 'qualifiedtobuy', amount }, extra);

describe('deciding a discrepancy', () => {
  it('auto-fixes a safe source_of_truth mismatch with the map write value', () => {
    const r = decide(check, discrepancy(check, paid(), openDeal()), none);
    expect(r).toMatchObject({ type: 'auto_fix', rule: 'source_of_truth', writes: [{ system: 'hubspot', id: '900', field: 'dealstage', from: 'qualifiedtobuy', to: 'closedwon', financial: false }] });
  });

  it('suppresses an ignored mapping gap instead of escalating it again', () => {
    const d = discrepancy(check, customer('cus_1', { subscription_status: 'paused' }), openDeal());
    expect(decide(check, d, { suppressions: new Map([[d.fingerprint, null]]), now: NOW }).type).toBe('suppressed');
  });

  it('escalates a mapping gap', () => {
    const d = discrepancy(check, customer('cus_1', { subscription_status: 'paused' }), openDeal());
    expect(decide(check, d, none)).toMatchObject({ type: 'escalate', reason: 'mapping_gap' });
  });

  it('sends unmatched records to the exceptions report', () => {
    const [d] = diffOf(check, [paid()], []);
    expect(decide(check, d as Discrepancy, none)).toMatchObject({ type: 'escalate', reason: 'unmatched', presentation: 'exceptions' });
  });

  it('escalates a missing record that a stored link says existed', () => {
    const links = { source: new Map([['cus_1', '1']]), target: new Map([['900', '1']]) };
    const [d] = diffOf(check, [paid()], [], links);
    expect(decide(check, d as Discrepancy, none)).toMatchObject({ type: 'escalate', reason: 'linked_record_missing', presentation: 'message' });
  });

  it('suppresses a fingerprint with an Ignore in force', () => {
    const d = discrepancy(check, paid(), openDeal());
    expect(decide(check, d, { suppressions: new Map([[d.fingerprint, NOW + DAY]]), now: NOW })).toEqual({ type: 'suppressed', until: NOW + DAY });
  });

  it('decides again once a snooze has expired', () => {
    const d = discrepancy(check, paid(), openDeal());
    expect(decide(check, d, { suppressions: new Map([[d.fingerprint, NOW - 1]]), now: NOW }).type).toBe('auto_fix');
  });

  it('escalates every mismatch of an escalate-rule check with the suggestion', () => {
    const c: Check = { ...paymentStatusCheck(), rule: 'escalate' };
    expect(decide(c, discrepancy(c, paid(), openDeal()), none)).toMatchObject({ type: 'escalate', reason: 'policy', suggestion: [{ to: 'closedwon' }] });
  });

  it('escalates a write into a field the policy marks financial', () => {
    const c = checkFromYaml(`
  - name: deal-amount
    source: { system: stripe, field: subscription_amount }
    target: { system: hubspot, object: deals, field: amount, financial: true }
    rule: source_of_truth`);
    const d = discrepancy(c, customer('cus_1', { subscription_amount: 49 }), deal('900', { amount: 98 }));
    expect(decide(c, d, none)).toMatchObject({ type: 'escalate', reason: 'financial', suggestion: [{ field: 'amount', to: 49, financial: true }] });
  });

  it('escalates any write into Stripe as financial', () => {
    const c = checkFromYaml(`
  - name: email
    source: { system: hubspot, object: deals, field: email }
    target: { system: stripe, field: email }
    rule: source_of_truth`);
    const d = discrepancy(c, deal('900', { email: 'a@example.com' }), customer('cus_1', { email: 'b@example.com' }));
    expect(decide(c, d, none)).toMatchObject({ type: 'escalate', reason: 'financial' });
  });

  it('escalates a deal at or above the high-value threshold', () => {
    expect(decide(check, discrepancy(check, paid(), openDeal({}, 10_000)), none)).toMatchObject({ type: 'escalate', reason: 'high_value' });
  });

  it('escalates when a person edited the target after the source changed', () => {
    const target = openDeal({ history: { dealstage: { changedAt: NOW - 5 * DAY, changedBy: 'human', sourceType: 'CRM_UI' } } });
    expect(decide(check, discrepancy(check, paid(), target), none)).toMatchObject({ type: 'escalate', reason: 'recent_human_edit' });
  });

  it('escalates when a person edited the target within the human-edit window', () => {
    const source = paid({ history: { subscription_status: { changedAt: NOW - HOUR, changedBy: 'unknown' } } });
    const target = openDeal({ history: { dealstage: { changedAt: NOW - 2 * HOUR, changedBy: 'human' } } });
    expect(decide(check, discrepancy(check, source, target), none)).toMatchObject({ type: 'escalate', reason: 'recent_human_edit' });
  });

  it('auto-fixes over an old human edit made before the source changed', () => {
    const target = openDeal({ history: { dealstage: { changedAt: NOW - 40 * DAY, changedBy: 'human' } } });
    expect(decide(check, discrepancy(check, paid(), target), none).type).toBe('auto_fix');
  });

  it('auto-fixes over a recent edit made by an integration', () => {
    const target = openDeal({ history: { dealstage: { changedAt: NOW - HOUR, changedBy: 'integration' } } });
    expect(decide(check, discrepancy(check, paid(), target), none).type).toBe('auto_fix');
  });

  describe('recency', () => {
    const recency = checkFromYaml(`
  - name: contact-name
    source: { system: hubspot, object: deals, field: dealname }
    target: { system: hubspot, object: contacts, field: name }
    rule: recency
    clockSkew: 5m`);
    const contact = (name: string, changedAt: number | null): SystemRecord => ({
      system: 'hubspot', object: 'contacts', id: '501', fields: { name }, email: null, refs: {}, aliases: [], updatedAt: NOW,
      history: changedAt === null ? {} : { name: { changedAt, changedBy: 'human' } }, url: null,
    });
    const hs = (name: string, changedAt: number | null) =>
      deal('900', { dealname: name }, { updatedAt: NOW, history: changedAt === null ? {} : { dealname: { changedAt, changedBy: 'human' } } });

    it('writes the newer value into the older side', () => {
      const d = discrepancy(recency, hs('New', NOW - HOUR), contact('Old', NOW - DAY));
      expect(decide(recency, d, none)).toMatchObject({ type: 'auto_fix', writes: [{ object: 'contacts', to: 'New' }] });
    });

    it('writes back into the source when the target is newer', () => {
      const d = discrepancy(recency, hs('Old', NOW - DAY), contact('New', NOW - HOUR));
      expect(decide(recency, d, none)).toMatchObject({ type: 'auto_fix', writes: [{ object: 'deals', to: 'New' }] });
    });

    it('escalates when both sides changed within the clock-skew tolerance', () => {
      const d = discrepancy(recency, hs('A', NOW - 60_000), contact('B', NOW - 120_000));
      expect(decide(recency, d, none)).toMatchObject({ type: 'escalate', reason: 'ambiguous_recency' });
    });

    it('does not take a record-level timestamp for the field changing', () => {
      const d = discrepancy(recency, hs('A', null), contact('B', NOW - DAY));
      expect(decide(recency, d, none)).toMatchObject({ type: 'escalate', reason: 'ambiguous_recency' });
    });

    it('escalates when a side has no timestamp', () => {
      const d = discrepancy(recency, hs('A', null), contact('B', NOW));
      expect(decide(recency, d, none)).toMatchObject({ type: 'escalate', reason: 'ambiguous_recency' });
    });
  });

  it('merges list fields to their union on both sides, only adding', () => {
    const merge = checkFromYaml(`
  - name: tags
    source: { system: hubspot, object: deals, field: tags }
    target: { system: hubspot, object: contacts, field: tags }
    rule: merge`);
    const target: SystemRecord = { system: 'hubspot', object: 'contacts', id: '501', fields: { tags: ['b', 'c'] }, email: null, refs: {}, aliases: [], updatedAt: NOW, history: {}, url: null };
    const d = discrepancy(merge, deal('900', { tags: ['a', 'b'] }), target);
    expect(decide(merge, d, none)).toMatchObject({
      type: 'auto_fix',
      writes: [{ object: 'deals', to: ['a', 'b', 'c'] }, { object: 'contacts', to: ['a', 'b', 'c'] }],
    });
  });
});
