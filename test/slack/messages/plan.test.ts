import { describe, expect, it } from 'vitest';
import { planPreviewMessage, planText, type CheckPlan } from '../../../src/slack/messages/index.ts';

const write = (i: number): CheckPlan['writes'][number] => ({
  system: 'hubspot', object: 'deals', id: String(1000 + i), field: 'dealstage', from: 'contractsent', to: 'closedwon', rule: 'source_of_truth', category: 'paid_but_not_marked',
});
const escalation = (i: number): CheckPlan['escalations'][number] => ({
  category: 'cancelled_but_still_active', explanation: 'the amount is above the high-value threshold',
  source: { system: 'stripe', object: 'customers', id: `cus_${i}`, value: 'canceled' }, target: { system: 'hubspot', object: 'deals', id: String(2000 + i), value: 'closedwon' },
});
const plan = (writes: number, escalations: number): CheckPlan => ({
  check: 'payment-status', writes: Array.from({ length: writes }, (_, i) => write(i)), escalations: Array.from({ length: escalations }, (_, i) => escalation(i)),
});

describe('a dry-run plan in Slack', () => {
  it('lists every write and escalation in the file, one line each, with before, after and rule', () => {
    const text = planText([plan(12, 7)]);
    expect(text.split('\n')[0]).toBe('Plan of payment-status: would write 12, would escalate 7');
    expect(text.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(19);
    expect(text).toContain('HubSpot deal 1011 · dealstage: contractsent → closedwon (source_of_truth, Paid but not marked)');
    expect(text).toContain('Stripe customer cus_6 = canceled / HubSpot deal 2006 = closedwon');
  });

  it('previews the first five of each kind and says how many more the file holds', () => {
    const message = planPreviewMessage([plan(12, 7)], 'C0REVIEW');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('would write 12 records and escalate 7 discrepancies');
    expect(text).toContain('HubSpot deal 1004');
    expect(text).not.toContain('HubSpot deal 1005');
    expect(text).toContain('…and 7 more writes');
    expect(text).toContain('…and 2 more escalations');
    expect(message.text).toBe('Dry-run plan. The whole plan is in <#C0REVIEW> as a file.');
  });

  it('points to the command line when the file could not be posted', () => {
    expect(planPreviewMessage([plan(1, 0)], null).text).toContain('`recon run --dry-run`');
  });

  it('says in one sentence that a dry run found nothing to do', () => {
    expect(planPreviewMessage([plan(0, 0)], null).text).toBe('The dry run found nothing to write or escalate.');
  });
});
