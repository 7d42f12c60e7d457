/**
 * A seeded world of customers across Stripe and HubSpot with known drift of every kind and
 * category the example policy (examples/recon.config.hubspot.yml) names, and the list of what was
 * injected, so a run can be checked against it. Pure: no I/O, no clock (pass `now`).
 */
import type { EscalationReason } from '../domain/discrepancy.ts';
import { seededRandom } from './random.ts';
import { renewalsPipeline } from './hubspot-objects.ts';
import {
  addHubSpotContact, addHubSpotDeal, addStripeCustomer, addStripeSubscription, createSandboxState,
  type HubSpotHistoryEntry, type SandboxState, type StripeSubscriptionStatus,
} from './state.ts';

export type Expected = 'auto_fix' | `escalate:${EscalationReason}`;

/** One discrepancy the generator planted, and what a correct engine does with it. */
export interface Injected {
  drift: string;
  /** The check of the example policy that should find it. */
  check: string;
  kind: 'value_mismatch' | 'missing_in_target' | 'missing_in_source' | 'ambiguous_match' | 'mapping_gap';
  category: string;
  expected: Expected;
  /** The ids of the check's source record (a Stripe customer) and target record (a HubSpot deal), when there is one on that side. */
  sourceId: string | null;
  targetId: string | null;
}

export const DRIFT_KINDS = [
  'paid_but_not_marked', 'cancelled_but_still_active', 'cancelled_other_stage', 'recent_human_edit',
  'human_edit_after_source', 'high_value', 'amount_mismatch', 'unknown_status', 'ambiguous_email',
  'unmatched_customer', 'unmatched_deal', 'stage_of_another_pipeline',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface ScenarioOptions {
  /** Stripe customers in all (clean and drifted). */
  customers: number;
  seed?: number;
  /** Epoch milliseconds that "now" is for the generated timestamps. */
  now: number;
  /** Share of customers per drift kind; at least one of each kind is planted. Default 0.005. */
  driftRate?: number;
}

export interface Scenario {
  state: SandboxState;
  injected: Injected[];
  clean: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

const FIRST = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'ken', 'margaret', 'donald', 'frances', 'john', 'radia', 'leslie'];
const LAST = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'thompson', 'hamilton', 'knuth', 'allen', 'backus', 'perlman', 'lamport'];

export function generateScenario(options: ScenarioOptions): Scenario {
  const rand = seededRandom(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const state = createSandboxState();
  // A portal with a second pipeline, whose stages the policy's map does not name.
  const renewals = renewalsPipeline();
  state.hubspot.pipelines.push(renewals);
  const now = options.now;
  const iso = (ms: number) => new Date(ms).toISOString();
  const secs = (ms: number) => Math.floor(ms / 1000);
  const injected: Injected[] = [];
  let serial = 0;

  const person = () => {
    serial++;
    const first = pick(FIRST);
    const last = pick(LAST);
    return { first, last, email: `${first}.${last}.${serial}@example.com` };
  };
  const stageHistory = (stage: string, at: number, sourceType = 'CRM_UI'): Record<string, HubSpotHistoryEntry[]> => ({
    dealstage: [{ value: stage, timestamp: iso(at), sourceType, ...(sourceType === 'CRM_UI' ? { updatedByUserId: 7001 } : {}) }],
  });

  interface CustomerSpec {
    status: StripeSubscriptionStatus | null;
    amountMajor: number;
    startedAt: number;
    canceledAt?: number;
    email?: string;
    link: 'crm_id' | 'deal_property' | 'email' | 'none';
    deal: { stage: string; amountMajor?: number; stageSetAt: number; stageSetBy?: string; email?: string; pipeline?: string } | null;
  }

  /** One customer and (usually) their deal; returns both ids. */
  const plant = (spec: CustomerSpec): { customer: string; deal: string | null } => {
    const who = person();
    const email = spec.email ?? who.email;
    const created = spec.startedAt - 2 * DAY;
    let dealId: string | null = null;
    const customerId = `cus_${String(serial).padStart(14, '0')}`;
    if (spec.deal) {
      const contact = addHubSpotContact(state, { email: spec.deal.email ?? email, firstname: who.first, lastname: who.last, createdAt: iso(created - 30 * DAY) });
      const deal = addHubSpotDeal(state, {
        properties: {
          dealname: `${who.first} ${who.last} subscription`,
          pipeline: spec.deal.pipeline ?? 'default',
          dealstage: spec.deal.stage,
          amount: String(spec.deal.amountMajor ?? spec.amountMajor),
          stripe_customer_id: spec.link === 'deal_property' ? customerId : null,
        },
        contactIds: [contact.id],
        createdAt: iso(created - 30 * DAY),
        history: stageHistory(spec.deal.stage, spec.deal.stageSetAt, spec.deal.stageSetBy),
      });
      dealId = deal.id;
    }
    addStripeCustomer(state, {
      id: customerId,
      email,
      name: `${who.first} ${who.last}`,
      metadata: spec.link === 'crm_id' && dealId ? { crm_id: dealId } : {},
      created: secs(created),
    });
    if (spec.status) {
      addStripeSubscription(state, {
        customer: customerId,
        status: spec.status,
        unitAmount: Math.round(spec.amountMajor * 100),
        created: secs(spec.startedAt),
        startDate: secs(spec.startedAt),
        canceledAt: spec.canceledAt ? secs(spec.canceledAt) : null,
        endedAt: spec.canceledAt ? secs(spec.canceledAt) : null,
      });
    }
    return { customer: customerId, deal: dealId };
  };

  const smallAmount = () => pick([29, 49, 99, 199, 499, 1200]);
  const linkKind = (): CustomerSpec['link'] => {
    const r = rand();
    return r < 0.6 ? 'crm_id' : r < 0.85 ? 'deal_property' : 'email';
  };
  const rate = options.driftRate ?? 0.005;
  const perKind = Math.max(1, Math.round(options.customers * rate));
  const note = (entry: Omit<Injected, 'sourceId' | 'targetId'> & { drift: DriftKind }, ids: { customer: string | null; deal: string | null }) =>
    injected.push({ ...entry, sourceId: ids.customer, targetId: ids.deal });

  for (let n = 0; n < perKind; n++) {
    const started = now - (10 + Math.floor(rand() * 20)) * DAY;
    const longAgo = started - 40 * DAY;
    // Paid in Stripe, HubSpot still at an earlier stage set long before: safe to fix.
    note({ drift: 'paid_but_not_marked', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'auto_fix' },
      plant({ status: pick(['active', 'trialing'] as const), amountMajor: smallAmount(), startedAt: started, link: linkKind(), deal: { stage: pick(['qualifiedtobuy', 'contractsent']), stageSetAt: longAgo } }));
    // Cancelled in Stripe, still won in HubSpot: safe to fix.
    note({ drift: 'cancelled_but_still_active', check: 'payment-status', kind: 'value_mismatch', category: 'cancelled_but_still_active', expected: 'auto_fix' },
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started - 60 * DAY, canceledAt: now - 5 * DAY, link: linkKind(), deal: { stage: 'closedwon', stageSetAt: started - 60 * DAY, stageSetBy: 'INTEGRATION' } }));
    // Cancelled, deal at an early stage: a mismatch no category names.
    note({ drift: 'cancelled_other_stage', check: 'payment-status', kind: 'value_mismatch', category: 'value_mismatch', expected: 'auto_fix' },
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started - 60 * DAY, canceledAt: now - 3 * DAY, link: 'crm_id', deal: { stage: 'appointmentscheduled', stageSetAt: started - 70 * DAY } }));
    // A person moved the stage three hours ago: never overwritten by a machine.
    note({ drift: 'recent_human_edit', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'escalate:recent_human_edit' },
      plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'crm_id', deal: { stage: 'decisionmakerboughtin', stageSetAt: now - 3 * HOUR } }));
    // A person re-won the deal after Stripe cancelled it, days ago: still theirs to decide.
    note({ drift: 'human_edit_after_source', check: 'payment-status', kind: 'value_mismatch', category: 'cancelled_but_still_active', expected: 'escalate:recent_human_edit' },
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started - 90 * DAY, canceledAt: now - 10 * DAY, link: 'crm_id', deal: { stage: 'closedwon', stageSetAt: now - 4 * DAY } }));
    // A big customer: always a person's call.
    note({ drift: 'high_value', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'escalate:high_value' },
      plant({ status: 'active', amountMajor: pick([12_000, 25_000, 48_000]), startedAt: started, link: 'crm_id', deal: { stage: 'presentationscheduled', stageSetAt: longAgo } }));
    // The deal's amount disagrees with what Stripe bills: financial, never auto-written.
    const billed = smallAmount();
    note({ drift: 'amount_mismatch', check: 'deal-amount', kind: 'value_mismatch', category: 'value_mismatch', expected: 'escalate:financial' },
      plant({ status: 'active', amountMajor: billed, startedAt: started, link: 'crm_id', deal: { stage: 'closedwon', amountMajor: billed * 2, stageSetAt: started } }));
    // A status the map does not know (schema drift on our side).
    note({ drift: 'unknown_status', check: 'payment-status', kind: 'mapping_gap', category: 'mapping_gap', expected: 'escalate:mapping_gap' },
      plant({ status: 'paused', amountMajor: smallAmount(), startedAt: started, link: 'crm_id', deal: { stage: 'closedwon', stageSetAt: started } }));
    // One Stripe customer, two HubSpot deals whose contacts share the email: never a guess.
    const shared = plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'email', deal: { stage: 'closedwon', stageSetAt: started } });
    const twinEmail = state.stripe.customers.get(shared.customer)?.email ?? null;
    const twinContact = addHubSpotContact(state, { email: twinEmail?.toUpperCase() ?? null, createdAt: iso(longAgo) });
    addHubSpotDeal(state, { properties: { dealname: 'Duplicate deal', pipeline: 'default', dealstage: 'qualifiedtobuy', amount: '99' }, contactIds: [twinContact.id], createdAt: iso(longAgo) });
    note({ drift: 'ambiguous_email', check: 'payment-status', kind: 'ambiguous_match', category: 'ambiguous_match', expected: 'escalate:ambiguous_match' }, { customer: shared.customer, deal: null });
    // Paid, the deal in the Renewals pipeline, which has no `closedwon`: never sent, a mapping gap for a person.
    note({ drift: 'stage_of_another_pipeline', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'escalate:mapping_gap' },
      plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'crm_id', deal: { stage: '1001', pipeline: renewals.id, stageSetAt: longAgo } }));
    // A paying customer with no deal at all.
    note({ drift: 'unmatched_customer', check: 'payment-status', kind: 'missing_in_target', category: 'missing_in_target', expected: 'escalate:unmatched' },
      plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'none', deal: null }));
    // A won deal nobody pays for.
    const orphan = person();
    const orphanContact = addHubSpotContact(state, { email: `orphan.${orphan.email}`, createdAt: iso(longAgo) });
    const orphanDeal = addHubSpotDeal(state, { properties: { dealname: `${orphan.first} ${orphan.last} (no payment)`, pipeline: 'default', dealstage: 'closedwon', amount: '500' }, contactIds: [orphanContact.id], createdAt: iso(longAgo) });
    note({ drift: 'unmatched_deal', check: 'payment-status', kind: 'missing_in_source', category: 'missing_in_source', expected: 'escalate:unmatched' }, { customer: null, deal: orphanDeal.id });
  }

  // Customers in agreement, matched every way Recon matches, plus records with nothing to check.
  const drifted = state.stripe.customers.size;
  let clean = 0;
  while (state.stripe.customers.size < options.customers) {
    const started = now - (30 + Math.floor(rand() * 300)) * DAY;
    const roll = rand();
    if (roll < 0.05) {
      plant({ status: null, amountMajor: 0, startedAt: started, link: 'none', deal: null }); // a customer who never subscribed
    } else if (roll < 0.2) {
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started, canceledAt: started + 20 * DAY, link: linkKind(), deal: { stage: 'closedlost', stageSetAt: started + 21 * DAY, stageSetBy: 'INTEGRATION' } });
    } else {
      plant({ status: pick(['active', 'active', 'active', 'trialing', 'past_due'] as const), amountMajor: smallAmount(), startedAt: started, link: linkKind(), deal: { stage: 'closedwon', stageSetAt: started, stageSetBy: 'INTEGRATION' } });
    }
    clean++;
  }
  // Deals still in the pipeline, with nobody paying yet: nothing to reconcile.
  for (let n = 0; n < Math.max(1, Math.round(options.customers * 0.05)); n++) {
    const lead = person();
    const contact = addHubSpotContact(state, { email: `lead.${lead.email}`, createdAt: iso(now - 5 * DAY) });
    addHubSpotDeal(state, { properties: { dealname: `${lead.first} ${lead.last} lead`, pipeline: 'default', dealstage: 'appointmentscheduled', amount: '0' }, contactIds: [contact.id], createdAt: iso(now - 5 * DAY) });
  }
  void drifted;
  return { state, injected, clean };
}
