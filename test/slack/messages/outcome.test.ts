import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.ts';
import { itemMessage } from '../../../src/slack/messages/item-message.ts';
import { outcomeMessage } from '../../../src/slack/messages/outcome.ts';
import type { EscalationView } from '../../../src/slack/messages/views.ts';
import { limitViolations } from './check-limits.ts';
import { actionsBlocks, allText, buttons, escalation } from './fixtures.ts';

const AT = new Date('2026-11-23T10:15:00Z');
const decided = (status: EscalationView['status'], summary: string, extra: Partial<NonNullable<EscalationView['outcome']>> = {}) =>
  outcomeMessage(escalation({ status, outcome: { by: 'U123ABC', at: AT, summary, ...extra } }));

describe('outcomeMessage', () => {
  it('removes the buttons once approved', () => {
    expect(actionsBlocks(decided('approved', 'Approved: dealstage set to Closed Won').blocks)).toEqual([]);
  });

  it('says who approved what and when', () => {
    const text = allText(decided('approved', 'Approved: dealstage set to Closed Won').blocks);
    expect(text).toContain(`:white_check_mark: Approved: dealstage set to Closed Won · by <@U123ABC> · <!date^${AT.getTime() / 1000}^`);
  });

  it('says what an override wrote and why', () => {
    const text = allText(decided('overridden', 'Overridden: dealstage set to Closed Lost (customer churned)').blocks);
    expect(text).toContain('Overridden: dealstage set to Closed Lost (customer churned) · by <@U123ABC>');
  });

  it('says until when an item is ignored', () => {
    expect(allText(decided('ignored', 'Ignored until 2026-12-01').blocks)).toContain(':no_bell: Ignored until 2026-12-01');
  });

  it('says a superseded item was taken over by a newer one, with no buttons', () => {
    const built = outcomeMessage(escalation({ status: 'superseded', outcome: { by: null, at: AT, summary: '' } }));
    expect(allText(built.blocks)).toContain('Superseded by a newer item');
    expect(buttons(built.blocks)).toEqual([]);
  });

  it('says an item resolved elsewhere was closed by Recon when nobody decided it', () => {
    const view = escalation({ status: 'resolved_elsewhere', outcome: { by: null, at: AT, summary: 'Resolved: the records agree now' } });
    expect(allText(outcomeMessage(view).blocks)).toContain('Resolved: the records agree now · by Recon');
  });

  it('shows the error with Retry, Override and Ignore after a failed write', () => {
    const built = decided('failed', 'The write failed: dealstage set to Closed Won', { error: 'HubSpot answered 409 <conflict> & more' });
    expect(buttons(built.blocks).map((b) => [b.action_id, b.value])).toEqual([[ACTIONS.retry, '42'], [ACTIONS.override, '42'], [ACTIONS.ignore, '42']]);
    expect(allText(built.blocks)).toContain('HubSpot answered 409 &lt;conflict&gt; &amp; more');
  });

  it('escapes a decider who is not a Slack user id', () => {
    const view = escalation({ status: 'approved', outcome: { by: 'cli:<ada>', at: AT, summary: 'Approved' } });
    expect(allText(outcomeMessage(view).blocks)).toContain('by cli:&lt;ada&gt;');
  });

  it('drops the proposal that no longer applies once decided', () => {
    const text = allText(decided('overridden', 'Overridden to Contract Sent: dealstage set to Contract Sent').blocks);
    expect(text).not.toContain('Suggested fix');
    expect(text).not.toContain('Why it waits');
  });

  it('keeps what the item was about: the title, what disagreed and both records', () => {
    const text = allText(decided('approved', 'Approved: dealstage set to Closed Won').blocks);
    expect(text).toContain('Stripe says *active*; HubSpot deal is at *Presentation Scheduled*.');
    expect(text).toContain('HubSpot deal 10012');
  });

  it('says who found the record changed and when, without buttons, when a decision wrote nothing', () => {
    const view = escalation({ status: 'open', outcome: { by: 'U123ABC', at: AT, summary: 'Approve wrote nothing: the record changed since this was raised' } });
    const built = itemMessage(view, { now: AT });
    const text = allText(built.blocks);
    expect(text).toContain(':arrows_counterclockwise: Approve wrote nothing: the record changed since this was raised · by <@U123ABC>');
    expect(text).toContain('The next cycle reads the records again');
    expect(text).not.toContain('Suggested fix');
    expect(buttons(built.blocks)).toEqual([]);
  });

  it('draws an open item with no outcome as its proposal with the buttons', () => {
    expect(buttons(itemMessage(escalation(), { now: AT }).blocks).map((b) => b.action_id)).toEqual([ACTIONS.approve, ACTIONS.override, ACTIONS.ignore]);
  });

  it('offers Retry and Ignore, not Override, when releasing held writes failed', () => {
    const held = { planned: 40, limit: 25, recordsRead: 500, byCategory: [{ category: 'paid_but_not_marked', count: 40 }], writes: [] };
    const built = outcomeMessage(escalation({ status: 'failed', held, source: null, target: null, suggestion: [], outcome: { by: 'U123ABC', at: AT, summary: 'Release failed', error: 'HubSpot answered 500' } }));
    expect(buttons(built.blocks).map((b) => b.action_id)).toEqual([ACTIONS.retry, ACTIONS.ignore]);
  });

  it('stays within the limits with a very long error', () => {
    expect(limitViolations(decided('failed', 'x'.repeat(10_000), { error: '`'.repeat(10_000) }) as never, 'message')).toEqual([]);
  });
});
