import fc from 'fast-check';
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
      exceptions: many(3, 'missing_in_target'),
      checks: [{ name: 'payment-status', found: 40, autoFixed: 3, escalated: 37 }],
    });

  it('says the total as the sum of where each escalation went', () => {
    expect(allText(summary().blocks)).toContain(
      '*40 new escalations* = *5* posted below, one message each + *32* only in `/recon queue` and on the Home tab + *3* in the exceptions report',
    );
  });

  it('puts the same total in the header and the notification text', () => {
    const built = summary();
    expect(built.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Recon: 40 new escalations need a person' } });
    expect(built.text).toBe('Recon: 40 new escalations need a person: 40 new escalations = 5 posted below, one message each + 32 only in /recon queue and on the Home tab + 3 in the exceptions report.');
  });

  it('leaves out a part with nothing in it', () => {
    const text = allText(cycleSummaryMessage({ escalations: many(6, 'paid_but_not_marked'), posted: 5, exceptions: [], checks: [] }).blocks);
    expect(text).toContain('*6 new escalations* = *5* posted below, one message each + *1* only in `/recon queue` and on the Home tab');
    expect(text).not.toContain('exceptions report');
  });

  it('counts the escalations by category, largest first, unmatched records included', () => {
    expect(allText(summary().blocks)).toContain('*By category*\n• Paid but not marked: *20*\n• Mapping gap: *17*\n• Missing in target: *3*');
  });

  it('counts the escalations by check', () => {
    expect(allText(summary().blocks)).toContain('*By check*\n• payment-status: *40*');
  });

  it('gives each check’s cycle figures apart, saying they count items already waiting', () => {
    expect(allText(summary().blocks)).toContain('This cycle, counting items already waiting: payment-status: found 40, auto-fixed 3, held for a person 37');
  });

  it('offers a button to the queue', () => {
    expect(buttons(summary().blocks).map((b) => b.action_id)).toEqual([ACTIONS.openQueue]);
  });

  it('stays within the limits with hundreds of categories', () => {
    const escalations = Array.from({ length: 300 }, (_, i) => escalation({ itemId: String(i), category: `category_${i}_${'y'.repeat(200)}` }));
    expect(limitViolations(cycleSummaryMessage({ escalations, posted: 5, exceptions: [], checks: [] }) as never, 'message')).toEqual([]);
  });
});

/** Every "*N*" figure of a line, in order. */
const figures = (line: string) => [...line.matchAll(/\*(\d[\d,]*)[^*]*\*/g)].map((m) => Number((m[1] as string).replace(/,/g, '')));

describe('the summary’s numbers, for any counts', () => {
  const counts = fc.record({ messages: fc.nat({ max: 400 }), posted: fc.integer({ min: -3, max: 500 }), exceptions: fc.nat({ max: 400 }), categories: fc.integer({ min: 1, max: 30 }) });

  it('add up: posted + only in the queue + in the exceptions report = the total, each escalation counted once', () => {
    fc.assert(
      fc.property(counts, ({ messages, posted, exceptions, categories }) => {
        const input = {
          escalations: Array.from({ length: messages }, (_, i) => escalation({ itemId: `m${i}`, category: `c${i % categories}` })),
          posted,
          exceptions: Array.from({ length: exceptions }, (_, i) => escalation({ itemId: `x${i}`, reason: 'unmatched', category: 'missing_in_target' })),
          checks: [],
        };
        const built = cycleSummaryMessage(input);
        if (messages + exceptions === 0) {
          expect(allText([built.blocks[1]])).toBe('No new escalations.');
          return;
        }
        const [total = -1, ...parts] = figures(allText([built.blocks[1]]));
        const expected = { posted: Math.min(Math.max(posted, 0), messages), exceptions };
        expect(total).toBe(messages + exceptions);
        expect(parts.reduce((sum, n) => sum + n, 0)).toBe(total);
        expect(parts).toEqual([expected.posted, messages - expected.posted, exceptions].filter((n) => n > 0));
        expect(built.blocks[0]).toMatchObject({ text: { text: expect.stringContaining(`${total.toLocaleString('en-US')} new escalation`) } });
      }),
      { numRuns: 300, examples: [[{ messages: 0, posted: 0, exceptions: 0, categories: 1 }], [{ messages: 6, posted: 5, exceptions: 0, categories: 1 }]] },
    );
  });

  it('by category and by check add up to the same total', () => {
    fc.assert(
      fc.property(counts, fc.integer({ min: 1, max: 30 }), ({ messages, posted, exceptions, categories }, checks) => {
        const built = cycleSummaryMessage({
          escalations: Array.from({ length: messages }, (_, i) => escalation({ itemId: `m${i}`, category: `c${i % categories}`, check: `check-${i % checks}` })),
          posted,
          exceptions: Array.from({ length: exceptions }, (_, i) => escalation({ itemId: `x${i}`, category: 'missing_in_target', check: `check-${i % checks}` })),
          checks: [],
        });
        const sectionOf = (heading: string) => allText(built.blocks.filter((b) => allText([b]).startsWith(heading)));
        const sum = (text: string) => figures(text.split('\n').slice(1).join('\n')).reduce((a, n) => a + n, 0);
        expect(sum(sectionOf('*By category*'))).toBe(messages + exceptions);
        if (messages + exceptions > 0) expect(sum(sectionOf('*By check*'))).toBe(messages + exceptions);
      }),
      { numRuns: 200 },
    );
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
    const built = cycleSummaryMessage({ escalations: [escalation()], posted: 0, exceptions: [], checks: [], appHomeUrl: url });
    expect(buttons(built.blocks)[0]?.url).toBe(url);
  });
});
