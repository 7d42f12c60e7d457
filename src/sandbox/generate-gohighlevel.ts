/**
 * A seeded world of customers across Stripe and GoHighLevel with known drift of every kind and
 * category the example policy (examples/recon.config.gohighlevel.yml) names, and the list of what
 * was injected, so a run can be checked against it. Pure: no I/O, no clock (pass `now`).
 *
 * GoHighLevel keeps no per-field history: a person's edit shows only as the opportunity's
 * `updatedAt`. Drift meant to be fixed is planted on opportunities last updated long before the
 * Stripe change; the person's edit is planted as an update hours ago, after it.
 */
import type { Injected, Scenario, ScenarioOptions } from './generate.ts';
import {
  addGoHighLevelContact, addGoHighLevelOpportunity, GHL_PARTNER_PIPELINE, GHL_SALES_PIPELINE, GHL_STRIPE_ID_FIELD,
  type GhlOpportunityStatus,
} from './gohighlevel-objects.ts';
import { seededRandom } from './random.ts';
import { addStripeCustomer, addStripeSubscription, createSandboxState, type StripeSubscriptionStatus } from './state.ts';

export const GHL_DRIFT_KINDS = [
  'paid_but_not_marked', 'cancelled_but_still_active', 'cancelled_still_open', 'recent_human_edit', 'high_value',
  'amount_mismatch', 'unknown_status', 'ambiguous_email', 'unmatched_customer', 'unmatched_opportunity', 'stage_outside_pipeline',
] as const;
export type GhlDriftKind = (typeof GHL_DRIFT_KINDS)[number];

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'ken', 'margaret', 'donald', 'frances', 'john', 'radia', 'leslie'];
const LAST = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'thompson', 'hamilton', 'knuth', 'allen', 'backus', 'perlman', 'lamport'];

const STAGES = GHL_SALES_PIPELINE.stages;

/** The sales stage that agrees with a Stripe status under the example policy's customer-stage check. */
function agreeingStage(status: StripeSubscriptionStatus | null): string {
  return status === 'canceled' || status === 'unpaid' ? STAGES.churned : STAGES.customer;
}

export function generateGoHighLevelScenario(options: ScenarioOptions): Scenario {
  const rand = seededRandom(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const state = createSandboxState();
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

  interface CustomerSpec {
    status: StripeSubscriptionStatus | null;
    amountMajor: number;
    startedAt: number;
    canceledAt?: number;
    /** How Recon can pair them: Stripe `metadata.crm_id` holding the opportunity id or its contact id, the opportunity's custom field, or email. */
    link: 'opportunity_id' | 'contact_id' | 'custom_field' | 'email' | 'none';
    opportunity: {
      status: GhlOpportunityStatus; updatedAt: number; monetaryValue?: number; pipelineId?: string; stage?: string;
    } | null;
  }

  /** One customer and (usually) their opportunity; returns both ids. */
  const plant = (spec: CustomerSpec): { customer: string; opportunity: string | null } => {
    const who = person();
    const created = spec.startedAt - 2 * DAY;
    const customerId = `cus_${String(serial).padStart(14, '0')}`;
    let opportunityId: string | null = null;
    let contactId: string | null = null;
    if (spec.opportunity) {
      const contact = addGoHighLevelContact(state, { email: who.email, firstName: who.first, lastName: who.last, dateAdded: iso(created - 30 * DAY) });
      const opportunity = addGoHighLevelOpportunity(state, {
        name: `${who.first} ${who.last} subscription`, contactId: contact.id,
        pipelineId: spec.opportunity.pipelineId, pipelineStageId: spec.opportunity.stage ?? agreeingStage(spec.status),
        status: spec.opportunity.status, monetaryValue: spec.opportunity.monetaryValue ?? spec.amountMajor,
        createdAt: iso(created - 30 * DAY), updatedAt: iso(spec.opportunity.updatedAt),
        customFields: spec.link === 'custom_field' ? [{ id: GHL_STRIPE_ID_FIELD, fieldValue: customerId }] : [],
      });
      opportunityId = opportunity.id;
      contactId = contact.id;
    }
    const crmId = spec.link === 'opportunity_id' ? opportunityId : spec.link === 'contact_id' ? contactId : null;
    addStripeCustomer(state, { id: customerId, email: who.email, name: `${who.first} ${who.last}`, metadata: crmId ? { crm_id: crmId } : {}, created: secs(created) });
    if (spec.status) {
      addStripeSubscription(state, {
        customer: customerId, status: spec.status, unitAmount: Math.round(spec.amountMajor * 100),
        created: secs(spec.startedAt), startDate: secs(spec.startedAt),
        canceledAt: spec.canceledAt ? secs(spec.canceledAt) : null, endedAt: spec.canceledAt ? secs(spec.canceledAt) : null,
      });
    }
    return { customer: customerId, opportunity: opportunityId };
  };

  /** An opportunity with its own contact and no Stripe customer. */
  const lonely = (email: string, status: GhlOpportunityStatus, stage: string, createdAt: number, name: string): string => {
    const contact = addGoHighLevelContact(state, { email, dateAdded: iso(createdAt) });
    return addGoHighLevelOpportunity(state, { name, contactId: contact.id, pipelineStageId: stage, status, monetaryValue: 500, createdAt: iso(createdAt) }).id;
  };

  const smallAmount = () => pick([29, 49, 99, 199, 499, 1200]);
  const linkKind = (): CustomerSpec['link'] => {
    const r = rand();
    return r < 0.45 ? 'opportunity_id' : r < 0.6 ? 'contact_id' : r < 0.85 ? 'custom_field' : 'email';
  };
  const perKind = Math.max(1, Math.round(options.customers * (options.driftRate ?? 0.005)));
  const note = (entry: Omit<Injected, 'sourceId' | 'targetId'> & { drift: GhlDriftKind }, ids: { customer: string | null; opportunity: string | null }) =>
    injected.push({ ...entry, sourceId: ids.customer, targetId: ids.opportunity });

  for (let n = 0; n < perKind; n++) {
    const started = now - (10 + Math.floor(rand() * 20)) * DAY;
    const longAgo = started - 40 * DAY;
    // Paid in Stripe, still open in GoHighLevel since long before: safe to fix.
    note({ drift: 'paid_but_not_marked', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'auto_fix' },
      plant({ status: pick(['active', 'trialing'] as const), amountMajor: smallAmount(), startedAt: started, link: linkKind(), opportunity: { status: 'open', updatedAt: longAgo } }));
    // Cancelled in Stripe five days ago, still won in GoHighLevel: safe to fix.
    note({ drift: 'cancelled_but_still_active', check: 'payment-status', kind: 'value_mismatch', category: 'cancelled_but_still_active', expected: 'auto_fix' },
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started - 60 * DAY, canceledAt: now - 5 * DAY, link: linkKind(), opportunity: { status: 'won', updatedAt: started - 60 * DAY } }));
    // Cancelled, the opportunity never closed: a mismatch no category names.
    note({ drift: 'cancelled_still_open', check: 'payment-status', kind: 'value_mismatch', category: 'value_mismatch', expected: 'auto_fix' },
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started - 60 * DAY, canceledAt: now - 3 * DAY, link: 'opportunity_id', opportunity: { status: 'open', updatedAt: started - 70 * DAY } }));
    // A person marked it lost three hours ago, after Stripe's last change: only updatedAt says so.
    note({ drift: 'recent_human_edit', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'escalate:recent_human_edit' },
      plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'opportunity_id', opportunity: { status: 'lost', updatedAt: now - 3 * HOUR } }));
    // A big customer: always a person's call.
    note({ drift: 'high_value', check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', expected: 'escalate:high_value' },
      plant({ status: 'active', amountMajor: pick([12_000, 25_000, 48_000]), startedAt: started, link: 'opportunity_id', opportunity: { status: 'open', updatedAt: longAgo } }));
    // The opportunity's value disagrees with what Stripe bills: financial, never auto-written.
    const billed = smallAmount();
    note({ drift: 'amount_mismatch', check: 'deal-amount', kind: 'value_mismatch', category: 'value_mismatch', expected: 'escalate:financial' },
      plant({ status: 'active', amountMajor: billed, startedAt: started, link: 'opportunity_id', opportunity: { status: 'won', monetaryValue: billed * 2, updatedAt: started } }));
    // A status the payment-status map does not know (schema drift on our side).
    note({ drift: 'unknown_status', check: 'payment-status', kind: 'mapping_gap', category: 'mapping_gap', expected: 'escalate:mapping_gap' },
      plant({ status: 'paused', amountMajor: smallAmount(), startedAt: started, link: 'opportunity_id', opportunity: { status: 'won', updatedAt: started } }));
    // One Stripe customer, two opportunities whose contacts share the email: never a guess.
    const shared = plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'email', opportunity: { status: 'won', updatedAt: started } });
    const twinEmail = state.stripe.customers.get(shared.customer)?.email?.toUpperCase() ?? 'twin@example.com';
    lonely(twinEmail, 'open', STAGES.proposalSent, longAgo, 'Duplicate opportunity');
    note({ drift: 'ambiguous_email', check: 'payment-status', kind: 'ambiguous_match', category: 'ambiguous_match', expected: 'escalate:ambiguous_match' }, { customer: shared.customer, opportunity: null });
    // A paying customer with no opportunity at all.
    note({ drift: 'unmatched_customer', check: 'payment-status', kind: 'missing_in_target', category: 'missing_in_target', expected: 'escalate:unmatched' },
      plant({ status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'none', opportunity: null }));
    // A won opportunity nobody pays for.
    const orphan = person();
    note({ drift: 'unmatched_opportunity', check: 'payment-status', kind: 'missing_in_source', category: 'missing_in_source', expected: 'escalate:unmatched' },
      { customer: null, opportunity: lonely(`orphan.${orphan.email}`, 'won', STAGES.customer, longAgo, `${orphan.first} ${orphan.last} (no payment)`) });
    // A paying partner whose opportunity sits in the partner pipeline, which has no "Customer" stage to write.
    note({ drift: 'stage_outside_pipeline', check: 'customer-stage', kind: 'value_mismatch', category: 'paid_but_not_a_customer', expected: 'escalate:mapping_gap' },
      plant({
        status: 'active', amountMajor: smallAmount(), startedAt: started, link: 'opportunity_id',
        opportunity: { status: 'won', updatedAt: started, pipelineId: GHL_PARTNER_PIPELINE.id, stage: GHL_PARTNER_PIPELINE.stages.activePartner },
      }));
  }

  // Customers in agreement, matched every way Recon matches, plus records with nothing to check.
  let clean = 0;
  while (state.stripe.customers.size < options.customers) {
    const started = now - (30 + Math.floor(rand() * 300)) * DAY;
    const roll = rand();
    if (roll < 0.05) {
      plant({ status: null, amountMajor: 0, startedAt: started, link: 'none', opportunity: null }); // a customer who never subscribed
    } else if (roll < 0.2) {
      plant({ status: 'canceled', amountMajor: smallAmount(), startedAt: started, canceledAt: started + 20 * DAY, link: linkKind(), opportunity: { status: 'lost', updatedAt: started + 21 * DAY } });
    } else {
      plant({ status: pick(['active', 'active', 'active', 'trialing', 'past_due'] as const), amountMajor: smallAmount(), startedAt: started, link: linkKind(), opportunity: { status: 'won', updatedAt: started } });
    }
    clean++;
  }
  // Opportunities still in the pipeline, with nobody paying yet: nothing to reconcile.
  for (let n = 0; n < Math.max(1, Math.round(options.customers * 0.05)); n++) {
    const lead = person();
    lonely(`lead.${lead.email}`, 'open', STAGES.newLead, now - 5 * DAY, `${lead.first} ${lead.last} lead`);
  }
  return { state, injected, clean };
}
