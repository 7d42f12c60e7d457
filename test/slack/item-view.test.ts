import { describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../src/db/schema.ts';
import { escalationView } from '../../src/slack/item-view.ts';

const AT = new Date('2026-12-07T10:00:00Z');
const write = { system: 'hubspot', object: 'deals', id: '10012', field: 'dealstage', from: 'closedwon', to: 'closedlost', financial: false };
/** A closed guard item as the database holds it. */
const guardItem = (status: ReviewItem['status'], decision: unknown, decidedBy: string | null): ReviewItem => ({
  id: '22', fingerprint: 'guard:payment-status', check_name: 'payment-status', kind: 'guard', category: 'mass_auto_fix', reason: 'blast_radius',
  presentation: 'message', entity_key: 'check:payment-status', source: null, target: null,
  suggestion: { explanation: '31 fixes held', writes: [], candidates: [], held: { planned: 1, limit: 25, recordsRead: 101, window: '1h', orders: [{ write, fingerprint: 'f', rule: 'source_of_truth', reason: 'r', category: 'cancelled_but_still_active' }] } },
  status, opened_run_id: '1', last_seen_run_id: '2', opened_at: AT, updated_at: AT, decided_by: decidedBy, decided_at: decidedBy ? AT : null, decision,
  slack_channel: null, slack_ts: null, posted_at: null, closed_at: AT, message_synced_at: null, claimed_at: null, post_claimed_at: null, claim_renewed_at: null,
});

describe('a closed guard item as a person reads it', () => {
  it('says a dismissal wrote nothing and that the same fixes would be held again', () => {
    const view = escalationView(guardItem('ignored', { action: 'ignore', until: null, reason: 'bad import' }, 'U0OPSLEAD'));
    expect(view.outcome?.summary).toBe('Dismissed: nothing held was written; a later pass that finds the same fixes holds them again. Reason: bad import');
  });

  it('says it closed because every held record agrees, with the counts', () => {
    const view = escalationView(guardItem('resolved_elsewhere', { closedBecause: 'held_records_agree', agreed: 12, handedOver: 2 }, null));
    expect(view.outcome?.summary).toBe('Closed: every held record was read again and needs no write (12 already agree, 2 wait for a person on their own)');
  });
});
