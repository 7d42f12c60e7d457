import { describe, expect, it } from 'vitest';
import {
  addHubSpotContact, addHubSpotDeal, addStripeCustomer, addStripeSubscription, applyHubSpotUpdate, changeStripeSubscription, createSandboxState, observeSandbox,
} from '../../src/sandbox/index.ts';
import type { SandboxChange, SandboxState, StripeSubscriptionStatus } from '../../src/sandbox/index.ts';

const T0 = 1_700_000_000;

function customerWith(state: SandboxState, status: StripeSubscriptionStatus) {
  const customer = addStripeCustomer(state, { email: 'ada@example.com', created: T0 });
  const subscription = addStripeSubscription(state, { customer: customer.id, status, unitAmount: 2_500, quantity: 2, created: T0 });
  return { customer, subscription, invoice: state.stripe.invoices.get(subscription.latest_invoice as string) };
}

describe('sandbox state', () => {
  it('starts with HubSpot portal 4242, app 1010 and the default deal pipeline', () => {
    const state = createSandboxState();
    expect(state.hubspot).toMatchObject({ portalId: 4242, appId: 1010 });
    expect(state.hubspot.pipelines.map((pipeline) => pipeline.id)).toEqual(['default']);
    expect(createSandboxState({ portalId: 1, appId: 2 }).hubspot).toMatchObject({ portalId: 1, appId: 2 });
  });

  it('generates the same Stripe-like ids for the same sequence of additions', () => {
    const [a, b] = [createSandboxState(), createSandboxState()].map((state) => customerWith(state, 'active'));
    expect(a?.customer.id).toBe(b?.customer.id);
    expect(a?.subscription.id).toBe(b?.subscription.id);
    expect(a?.customer.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(a?.subscription.id).toMatch(/^sub_[A-Za-z0-9]+$/);
    expect(a?.subscription.items.data[0]?.id).toMatch(/^si_/);
    expect(a?.subscription.items.data[0]?.price.id).toMatch(/^price_/);
  });

  it('gives each subscription its latest invoice, paid when active', () => {
    const { subscription, invoice } = customerWith(createSandboxState(), 'active');
    expect(subscription.latest_invoice).toBe(invoice?.id);
    expect(invoice).toMatchObject({ status: 'paid', paid: true, amount_paid: 5_000, subscription: subscription.id, customer: subscription.customer });
    expect(subscription.items.data[0]?.price).toMatchObject({ unit_amount: 2_500, currency: 'usd', recurring: { interval: 'month' } });
  });

  it('picks the invoice status Stripe would show for each subscription status', () => {
    const statusOf = (status: StripeSubscriptionStatus) => customerWith(createSandboxState(), status).invoice?.status;
    expect(['active', 'trialing', 'past_due', 'unpaid', 'canceled'].map((s) => statusOf(s as StripeSubscriptionStatus)))
      .toEqual(['paid', 'paid', 'open', 'open', 'void']);
  });

  it('refuses a subscription for a customer that does not exist', () => {
    expect(() => addStripeSubscription(createSandboxState(), { customer: 'cus_nobody', status: 'active', unitAmount: 1, created: T0 }))
      .toThrow(/unknown Stripe customer cus_nobody/);
  });

  it('gives each deal property a CRM_UI history entry and maintains the HubSpot-owned properties', () => {
    const state = createSandboxState();
    const deal = addHubSpotDeal(state, { properties: { dealstage: 'closedwon', amount: null }, createdAt: '2024-01-01T00:00:00.000Z' });
    expect(deal.history.dealstage).toEqual([{ value: 'closedwon', timestamp: '2024-01-01T00:00:00.000Z', sourceType: 'CRM_UI' }]);
    expect(deal.history.amount).toBeUndefined();
    expect(deal.properties).toMatchObject({ hs_object_id: deal.id, createdate: '2024-01-01T00:00:00.000Z', hs_lastmodifieddate: '2024-01-01T00:00:00.000Z' });
    expect(deal.id).toMatch(/^\d+$/);
  });

  it('keeps a given history and dates the deal by its newest entry', () => {
    const state = createSandboxState();
    const deal = addHubSpotDeal(state, {
      properties: { dealstage: 'closedwon' }, createdAt: '2024-01-01T00:00:00.000Z',
      history: { dealstage: [{ value: 'closedwon', timestamp: '2024-03-01T00:00:00.000Z', sourceType: 'CRM_UI', updatedByUserId: 7 }] },
    });
    expect(deal.history.dealstage?.[0]?.updatedByUserId).toBe(7);
    expect(deal.updatedAt).toBe('2024-03-01T00:00:00.000Z');
    expect(deal.properties.hs_lastmodifieddate).toBe('2024-03-01T00:00:00.000Z');
  });

  it('keeps contacts under lastmodifieddate, as HubSpot names it for contacts', () => {
    const contact = addHubSpotContact(createSandboxState(), { email: 'ada@example.com', createdAt: '2024-01-01T00:00:00.000Z' });
    expect(contact.properties).toMatchObject({ email: 'ada@example.com', lastmodifieddate: '2024-01-01T00:00:00.000Z' });
  });

  it('adds no history for an update that changes nothing', () => {
    const state = createSandboxState();
    const deal = addHubSpotDeal(state, { properties: { dealstage: 'closedwon' }, createdAt: '2024-01-01T00:00:00.000Z' });
    applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedwon' }, new Date('2024-05-01T00:00:00.000Z'));
    expect(deal.history.dealstage).toHaveLength(1);
    expect(deal.updatedAt).toBe('2024-01-01T00:00:00.000Z');
  });

  it('refuses an id that is already taken', () => {
    const state = createSandboxState();
    addHubSpotDeal(state, { id: '7', properties: {}, createdAt: '2024-01-01T00:00:00.000Z' });
    expect(() => addHubSpotDeal(state, { id: '7', properties: {}, createdAt: '2024-01-01T00:00:00.000Z' })).toThrow(/already exists/);
  });

  it('tells an observer of each Stripe event recorded and each HubSpot property changed, until it stops', () => {
    const state = createSandboxState();
    const { subscription } = customerWith(state, 'active');
    const deal = addHubSpotDeal(state, { properties: { dealstage: 'closedwon', amount: '10' }, createdAt: '2024-01-01T00:00:00.000Z' });
    const seen: SandboxChange[] = [];
    const stop = observeSandbox(state, (change) => seen.push(change));
    changeStripeSubscription(state, subscription.id, { status: 'canceled' }, 1_717_000_000_000);
    applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedlost', amount: '10' }, new Date(1_717_000_000_000), 'person');
    stop();
    applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedwon' }, new Date(1_717_000_000_000));
    expect(seen).toEqual([
      { system: 'stripe', event: [...state.stripe.events.values()][0] },
      { system: 'hubspot', objectType: 'deals', id: deal.id, changes: [{ name: 'dealstage', value: 'closedlost' }], at: 1_717_000_000_000, by: 'person' },
    ]);
  });
});
