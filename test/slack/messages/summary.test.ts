import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.ts';
import { cycleSummaryMessage, exceptionsReportMessage } from '../../../src/slack/messages/summary.ts';
import { limitViolations } from './check-limits.ts';
import { allText, buttons, escalation } from './fixtures.ts';

const many = (n: number, category: string) => Array.from({ length: n }, (_, i) => escalation({ itemId: `${category}-${i}`, category }));

describe('cycleSummaryMessage', () => {
  const summary = () =>
    cycleSummaryMessage({
      escalations: [...many(20, 'paid_but_not_marked'), ...many(17, 'mapping_gap')],
      posted: 5,
      exceptions: 3,
      checks: [{ name: 'payment-status', found: 40, autoFixed: 3, escalated: 37 }],
    });

  it('counts the escalations by category, largest first', () => {
    expect(allText(summary().blocks)).toContain('*By category*\n• Paid but not marked: *20*\n• Mapping gap: *17*');
  });

  it('gives each check’s figures', () => {
    expect(allText(summary().blocks)).toContain('*payment-status*: found 40, auto-fixed 3, escalated 37');
  });

  it('says how many follow as messages and where the rest wait', () => {
    const text = allText(summary().blocks);
    expect(text).toContain('The first 5 items follow as their own messages.');
    expect(text).toContain('The other 32 items wait in `/recon queue` and on the app\'s Home tab, with their buttons.');
    expect(text).toContain('3 unmatched records are listed in the exceptions report.');
  });

  it('offers a button to the queue', () => {
    expect(buttons(summary().blocks).map((b) => b.action_id)).toEqual([ACTIONS.openQueue]);
  });

  it('stays within the limits with hundreds of categories', () => {
    const escalations = Array.from({ length: 300 }, (_, i) => escalation({ itemId: String(i), category: `category_${i}_${'y'.repeat(200)}` }));
    expect(limitViolations(cycleSummaryMessage({ escalations, posted: 5, exceptions: 0, checks: [] }) as never, 'message')).toEqual([]);
  });
});

describe('exceptionsReportMessage', () => {
  const unmatched = (i: number) =>
    escalation({ itemId: String(i), reason: 'unmatched', target: null, suggestion: [], explanation: 'No HubSpot deal has this email.' });

  it('lists each unmatched record with its link, value and why', () => {
    const text = allText(exceptionsReportMessage([unmatched(1)]).blocks);
    expect(text).toContain('Exceptions report: 1 record without a counterpart');
    expect(text).toContain('• <https://dashboard.stripe.com/customers/cus_123|Stripe customer cus_123> · ada@example.com · status *active*: No HubSpot deal has this email. (payment-status)');
  });

  it('says how many more there are when they do not fit', () => {
    const built = exceptionsReportMessage(Array.from({ length: 500 }, (_, i) => unmatched(i)));
    expect(allText(built.blocks)).toMatch(/… and 4\d\d more: see `\/recon queue`/);
    expect(limitViolations(built as never, 'message')).toEqual([]);
  });
});

describe('cycleSummaryMessage with the App Home address', () => {
  it('links the queue button to App Home', () => {
    const url = 'slack://app?team=T1&id=A1&tab=home';
    const built = cycleSummaryMessage({ escalations: [escalation()], posted: 0, exceptions: 0, checks: [], appHomeUrl: url });
    expect(buttons(built.blocks)[0]?.url).toBe(url);
  });
});
