import { describe, expect, it } from 'vitest';
import { applyEvents, knownRecord, knownSubscription, newestObjects, trimCustomer, type KnownCustomer } from '../../../src/connectors/stripe/known.ts';
import type { StripeEvent } from '../../../src/connectors/stripe/schemas.ts';
import { fixture } from '../fixtures.ts';

const NOW = Date.parse('2023-11-01T00:00:00Z');
const context = { crmSystem: 'hubspot' as const, dashboardUrl: 'https://dashboard.stripe.com/test', now: NOW };
const CUSTOMER = 'cus_Oaxlz8kB0PJWGa';
const INVOICE = 'in_1NnmX4GPxmnHQRkJyyhHiHYa';

const event = (id: string, type: string, object: Record<string, unknown>, created = NOW / 1000 - 60): StripeEvent =>
  ({ id, object: 'event', type, created, data: { object }, livemode: false, pending_webhooks: 0, request: { id: null, idempotency_key: null }, api_version: '2023-08-16' }) as unknown as StripeEvent;
/** A subscription as an event carries it: customer and latest invoice are ids. */
const subscription = (id: string, status: string, created = 1694109743) =>
  ({ ...fixture('stripe/subscription'), id, status, created, customer: CUSTOMER, latest_invoice: INVOICE });
/** What a full pass left known of the fixture customer: one active subscription, its invoice paid. */
function knownCustomer(): KnownCustomer {
  return { customer: trimCustomer(fixture('stripe/customer')), subscriptions: [knownSubscription(fixture('stripe/subscription'), NOW)] };
}

describe('what the Stripe connector knows, brought up to date by events', () => {
  it('takes the newest event of a subscription, whatever older ones said', () => {
    const newest = newestObjects([
      event('evt_2', 'customer.subscription.deleted', subscription('sub_1NnmX4GPxmnHQRkJrhGrFloA', 'canceled'), NOW / 1000 - 10),
      event('evt_1', 'customer.subscription.updated', subscription('sub_1NnmX4GPxmnHQRkJrhGrFloA', 'past_due'), NOW / 1000 - 20),
    ]);
    const outcome = applyEvents(knownCustomer(), CUSTOMER, newest, NOW);
    if (outcome.kind !== 'known') throw new Error(`expected known, got ${outcome.kind}`);
    expect(knownRecord(outcome.entry, ['subscription_status'], context).fields.subscription_status).toBe('canceled');
  });

  it("keeps the latest invoice's status known when a subscription event names the same invoice", () => {
    const newest = newestObjects([event('evt_1', 'customer.subscription.updated', subscription('sub_1NnmX4GPxmnHQRkJrhGrFloA', 'past_due'))]);
    const outcome = applyEvents(knownCustomer(), CUSTOMER, newest, NOW);
    if (outcome.kind !== 'known') throw new Error(`expected known, got ${outcome.kind}`);
    expect(knownRecord(outcome.entry, [], context).fields.invoice_status).toBe('paid');
  });

  it('lets a customer another active subscription speaks for stay active when one is cancelled', () => {
    const known = knownCustomer();
    known.subscriptions.push(knownSubscription({ ...fixture('stripe/subscription'), id: 'sub_second', created: 1694000000 }, NOW));
    const newest = newestObjects([event('evt_1', 'customer.subscription.deleted', subscription('sub_second', 'canceled', 1694000000))]);
    const outcome = applyEvents(known, CUSTOMER, newest, NOW);
    if (outcome.kind !== 'known') throw new Error(`expected known, got ${outcome.kind}`);
    expect(knownRecord(outcome.entry, [], context).fields).toMatchObject({ subscription_status: 'active', subscription_id: 'sub_1NnmX4GPxmnHQRkJrhGrFloA' });
  });

  it("updates the subscription's invoice status from an event of its latest invoice", () => {
    const newest = newestObjects([event('evt_1', 'invoice.marked_uncollectible', { ...fixture('stripe/invoice'), status: 'uncollectible' })]);
    const outcome = applyEvents(knownCustomer(), CUSTOMER, newest, NOW);
    if (outcome.kind !== 'known') throw new Error(`expected known, got ${outcome.kind}`);
    expect(knownRecord(outcome.entry, [], context).fields.invoice_status).toBe('uncollectible');
  });

  it('takes the customer from its own event: a changed email and metadata', () => {
    const newest = newestObjects([event('evt_1', 'customer.updated', { ...fixture('stripe/customer'), email: 'Grace@Example.com', metadata: { crm_id: '42' } })]);
    const outcome = applyEvents(knownCustomer(), CUSTOMER, newest, NOW);
    if (outcome.kind !== 'known') throw new Error(`expected known, got ${outcome.kind}`);
    const record = knownRecord(outcome.entry, ['email'], context);
    expect([record.email, record.refs.hubspot, record.fields.subscription_status]).toEqual(['grace@example.com', '42', 'active']);
  });

  it('says a customer deleted by its newest event is gone', () => {
    const newest = newestObjects([event('evt_1', 'customer.deleted', { ...fixture('stripe/customer'), deleted: true })]);
    expect(applyEvents(knownCustomer(), CUSTOMER, newest, NOW).kind).toBe('deleted');
  });

  it('asks for a read when a subscription event names a customer nothing tells of', () => {
    const newest = newestObjects([event('evt_1', 'customer.subscription.updated', subscription('sub_1NnmX4GPxmnHQRkJrhGrFloA', 'past_due'))]);
    expect(applyEvents(undefined, CUSTOMER, newest, NOW)).toEqual({ kind: 'lacking', what: 'the customer' });
  });

  it('asks for a read when a subscription names a latest invoice that neither an event nor the last pass gave', () => {
    const newest = newestObjects([event('evt_1', 'customer.subscription.updated', { ...subscription('sub_1NnmX4GPxmnHQRkJrhGrFloA', 'active'), latest_invoice: 'in_new' })]);
    expect(applyEvents(knownCustomer(), CUSTOMER, newest, NOW).kind).toBe('lacking');
  });
});
