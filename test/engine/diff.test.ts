import { describe, expect, it } from 'vitest';
import { checkFromYaml, customer, deal, diffOf, paymentStatusCheck } from '../support/records.ts';

const check = paymentStatusCheck();
const pairDiff = (status: string | null, stage: string | null, c = check) =>
  diffOf(c, [customer('cus_1', { subscription_status: status }, { refs: { hubspot: '900' } })], [deal('900', { dealstage: stage })]);

describe('diffing a check', () => {
  it('finds nothing when the target holds an accepted value', () => {
    expect(pairDiff('active', 'closedwon')).toEqual([]);
  });

  it('names a paid customer whose deal is not won paid_but_not_marked', () => {
    const [d] = pairDiff('active', 'qualifiedtobuy');
    expect(d).toMatchObject({ kind: 'value_mismatch', category: 'paid_but_not_marked', sourceValue: 'active', targetValue: 'qualifiedtobuy' });
  });

  it('names a cancelled customer whose deal is still won cancelled_but_still_active', () => {
    expect(pairDiff('canceled', 'closedwon')[0]?.category).toBe('cancelled_but_still_active');
  });

  it('falls back to the kind when no category applies', () => {
    expect(pairDiff('canceled', 'appointmentscheduled')[0]?.category).toBe('value_mismatch');
  });

  it('reports a status the map does not know as a mapping gap', () => {
    expect(pairDiff('paused', 'closedwon')[0]).toMatchObject({ kind: 'mapping_gap', category: 'mapping_gap' });
  });

  it('ignores a customer with no subscription', () => {
    expect(pairDiff(null, 'appointmentscheduled')).toEqual([]);
  });

  it('reports a won deal with no Stripe customer as missing in source', () => {
    const found = diffOf(check, [], [deal('900', { dealstage: 'closedwon' })]);
    expect(found[0]).toMatchObject({ kind: 'missing_in_source', linked: false });
  });

  it('does not report an early-stage deal with no Stripe customer', () => {
    expect(diffOf(check, [], [deal('900', { dealstage: 'appointmentscheduled' })])).toEqual([]);
  });

  it('reports nothing unmatched when the check says another check does', () => {
    const quiet = checkFromYaml(`
  - name: deal-amount
    source: { system: stripe, field: subscription_amount }
    target: { system: hubspot, object: deals, field: amount, financial: true }
    rule: source_of_truth
    reportUnmatched: false`);
    expect(diffOf(quiet, [customer('cus_1', { subscription_amount: 49 })], [])).toEqual([]);
  });

  it('compares amounts without a map to the cent', () => {
    const amount = checkFromYaml(`
  - name: deal-amount
    source: { system: stripe, field: subscription_amount }
    target: { system: hubspot, object: deals, field: amount }
    rule: source_of_truth`);
    const run = (a: number, b: number) =>
      diffOf(amount, [customer('cus_1', { subscription_amount: a }, { refs: { hubspot: '900' } })], [deal('900', { amount: b })]);
    expect(run(49, 49.001)).toEqual([]);
    expect(run(49, 98)).toHaveLength(1);
  });

  it('gives the same fingerprint while nothing changes and a new one when a value does', () => {
    const [a] = pairDiff('active', 'qualifiedtobuy');
    const [b] = pairDiff('active', 'qualifiedtobuy');
    const [c] = pairDiff('active', 'contractsent');
    expect(a?.fingerprint).toBe(b?.fingerprint);
    expect(a?.fingerprint).not.toBe(c?.fingerprint);
  });
});
