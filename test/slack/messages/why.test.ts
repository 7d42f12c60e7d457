import { describe, expect, it } from 'vitest';
import { ESCALATION_REASONS, type EscalationReason } from '../../../src/domain/discrepancy.ts';
import { escalationMessage } from '../../../src/slack/messages/escalation.ts';
import { reasonWords } from '../../../src/slack/messages/format.ts';
import { outcomeMessage } from '../../../src/slack/messages/outcome.ts';
import { queueBlocks } from '../../../src/slack/messages/queue.ts';
import { NOW, allText, escalation } from './fixtures.ts';

/** What the engine (src/engine/rules.ts, the blast-radius guard in the cycle) says for each reason. */
const ENGINE_SAYS: Record<EscalationReason, string> = {
  mapping_gap: '"paused" is not in the map of check payment-status; add it to the policy',
  unmatched: 'no hubspot deal matches it by id or email',
  linked_record_missing: 'the hubspot deal linked to this record is gone (deleted or archived)',
  ambiguous_match: '1 stripe customer and 2 hubspot deals share the email ada@example.com; Recon does not guess which belong together',
  policy: 'check payment-status always asks a person',
  financial: 'stripe amount is a financial field; only a financial approver may change it',
  high_value: 'amount 25000 reaches the high-value threshold of 10000',
  recent_human_edit: 'a person set dealstage in hubspot on 2026-11-22 08:00 UTC, after stripe last changed',
  ambiguous_recency: 'Recon cannot tell which side is newer: both sides changed within the clock-skew tolerance',
  write_refused: 'hubspot refused the write of dealstage closedwon: closedwon was not one of the allowed options: [1001, 1002, 1003]',
  blast_radius: 'this cycle would fix 40 records of check payment-status on its own, more than its guard of 25; nothing was written. Release the writes if they are right.',
};

const occurrences = (text: string, part: string) => text.toLowerCase().split(part.toLowerCase()).length - 1;
/** A stretch of the explanation that says the item's facts; counted whatever its capitals (systems are named `HubSpot`, not `hubspot`). */
const core = (explanation: string) => explanation.slice(10, 40);

describe('the why of an escalation, once', () => {
  for (const reason of ESCALATION_REASONS) {
    it(`says why a ${reason} item waits in one line, without the reason's stock words beside it`, () => {
      const view = escalation({ reason, explanation: ENGINE_SAYS[reason] });
      const text = allText(escalationMessage(view, { now: NOW }).blocks);
      expect(occurrences(text, 'Why it waits')).toBe(1);
      expect(occurrences(text, core(ENGINE_SAYS[reason]))).toBe(1);
      expect(text).not.toContain(reasonWords(view));
    });

    it(`says why a ${reason} item waits once when the engine gave no explanation`, () => {
      const view = escalation({ reason, explanation: '' });
      const text = allText(escalationMessage(view, { now: NOW }).blocks);
      expect(occurrences(text, 'Why it waits')).toBe(1);
      expect(occurrences(text, reasonWords(view))).toBe(1);
    });
  }

  it('says the why once in a decided item’s message too', () => {
    const view = escalation({ status: 'approved', outcome: { by: 'U123ABC', at: NOW, summary: 'Approved' }, explanation: ENGINE_SAYS.high_value });
    expect(occurrences(allText(outcomeMessage(view).blocks), core(ENGINE_SAYS.high_value))).toBe(1);
  });

  it('says the why once per item in the queue', () => {
    const text = allText(queueBlocks([escalation({ explanation: ENGINE_SAYS.recent_human_edit })], { now: NOW }).blocks);
    expect(occurrences(text, core(ENGINE_SAYS.recent_human_edit))).toBe(1);
    expect(text).not.toContain(reasonWords(escalation({ reason: 'recent_human_edit' })));
  });
});
