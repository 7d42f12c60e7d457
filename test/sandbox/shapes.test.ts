/** The sandbox's answers hold to the vendors' published schemas (test/specs, copied from the vendors). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox, SandboxState } from '../../src/sandbox/index.ts';
import { changeStripeSubscription, recordStripeEvent } from '../../src/sandbox/state.ts';
import { loadSpec, ref, responseSchema, shapeProblems } from '../support/openapi-shape.ts';
import { hubspot, sandboxWith, seedHubSpot, seedStripe } from './seed.ts';

let state: SandboxState;
let sandbox: RunningSandbox;
beforeAll(async () => {
  ({ state, sandbox } = await sandboxWith((s) => {
    seedStripe(s, 16);
    seedHubSpot(s, 5);
  }));
});
afterAll(() => sandbox.close());

async function stripeGet(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sandbox.stripeUrl}${path}`, { headers: { authorization: 'Bearer sk_test_123' } });
  return { status: response.status, body: await response.json() };
}

describe('Stripe answers match spec3.json', () => {
  const spec = loadSpec('stripe/spec3.json');

  it('a customer is a customer', async () => {
    const id = [...state.stripe.customers.keys()][0];
    const { body } = await stripeGet(`/v1/customers/${id}`);
    expect(shapeProblems(spec, ref('customer'), body)).toEqual([]);
  });

  it('a customer list is the documented list object', async () => {
    const { body } = await stripeGet('/v1/customers?limit=3');
    expect(shapeProblems(spec, responseSchema(spec, '/v1/customers', 'get', '200'), body)).toEqual([]);
  });

  it('every subscription status, with latest_invoice and customer expanded, is a subscription list', async () => {
    const { body } = await stripeGet('/v1/subscriptions?status=all&limit=100&expand[]=data.latest_invoice&expand[]=data.customer');
    expect((body as { data: unknown[] }).data).toHaveLength(16);
    expect(shapeProblems(spec, responseSchema(spec, '/v1/subscriptions', 'get', '200'), body)).toEqual([]);
  });

  it('an invoice list with every invoice status is an invoice list', async () => {
    const { body } = await stripeGet('/v1/invoices?limit=100&expand[0]=data.subscription');
    expect(shapeProblems(spec, responseSchema(spec, '/v1/invoices', 'get', '200'), body)).toEqual([]);
  });

  it('an events list after subscription and customer changes is the documented NotificationEventList', async () => {
    const subscription = [...state.stripe.subscriptions.values()][0];
    const customer = [...state.stripe.customers.values()][0];
    if (!subscription || !customer) throw new Error('nothing seeded');
    changeStripeSubscription(state, subscription.id, { status: 'past_due' }, Date.now());
    recordStripeEvent(state, 'customer.updated', customer, Date.now());
    const { body } = await stripeGet('/v1/events?limit=100&types[0]=customer.subscription.updated&types[1]=customer.updated');
    expect((body as { data: unknown[] }).data).toHaveLength(2);
    expect(shapeProblems(spec, responseSchema(spec, '/v1/events', 'get', '200'), body)).toEqual([]);
  });

  it('errors are the documented error object', async () => {
    const missing = await stripeGet('/v1/customers/cus_missing');
    const badLimit = await stripeGet('/v1/customers?limit=101');
    const unauthenticated = await fetch(`${sandbox.stripeUrl}/v1/customers`).then((r) => r.json());
    for (const body of [missing.body, badLimit.body, unauthenticated]) expect(shapeProblems(spec, ref('error'), body)).toEqual([]);
  });
});

describe('HubSpot answers match deals-v3.json and contacts-v3.json', () => {
  const deals = loadSpec('hubspot/deals-v3.json');
  const contacts = loadSpec('hubspot/contacts-v3.json');
  const lenient = { nullableMapValues: true };

  it('a deal page with history and associations is a CollectionResponse of SimplePublicObjectWithAssociations', async () => {
    const { body } = await hubspot(sandbox, '/crm/v3/objects/0-3?limit=2&properties=dealstage,amount&propertiesWithHistory=dealstage&associations=contacts');
    expect(body.paging.next.after).toBeDefined();
    expect(body.results[0].associations).toBeDefined();
    expect(shapeProblems(deals, responseSchema(deals, '/crm/v3/objects/0-3', 'get', '200'), body, lenient)).toEqual([]);
  });

  it('one deal is a SimplePublicObjectWithAssociations', async () => {
    const id = [...state.hubspot.deals.keys()][0];
    const { body } = await hubspot(sandbox, `/crm/v3/objects/deals/${id}?associations=contacts&propertiesWithHistory=dealstage`);
    expect(shapeProblems(deals, ref('SimplePublicObjectWithAssociations'), body, lenient)).toEqual([]);
  });

  it('a contact page is the contacts collection response', async () => {
    const { body } = await hubspot(sandbox, '/crm/v3/objects/contacts?limit=2&associations=deals');
    expect(shapeProblems(contacts, responseSchema(contacts, '/crm/v3/objects/contacts', 'get', '200'), body, lenient)).toEqual([]);
  });

  it('batch/read answers a BatchResponseSimplePublicObject, or WithErrors for missing ids', async () => {
    const ids = [...state.hubspot.deals.keys()].slice(0, 2);
    const complete = await hubspot(sandbox, '/crm/v3/objects/0-3/batch/read', { body: { inputs: ids.map((id) => ({ id })), properties: ['dealstage'], propertiesWithHistory: ['dealstage'] } });
    const partial = await hubspot(sandbox, '/crm/v3/objects/0-3/batch/read', { body: { inputs: [{ id: '1' }], properties: [], propertiesWithHistory: [] } });
    expect(complete.status).toBe(200);
    expect(shapeProblems(deals, responseSchema(deals, '/crm/v3/objects/0-3/batch/read', 'post', '200'), complete.body, lenient)).toEqual([]);
    expect(partial.status).toBe(207);
    expect(shapeProblems(deals, responseSchema(deals, '/crm/v3/objects/0-3/batch/read', 'post', '207'), partial.body, lenient)).toEqual([]);
  });

  it('errors are the documented Error object', async () => {
    const unauthenticated = await hubspot(sandbox, '/crm/v3/objects/deals', { token: null });
    const invalid = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: { inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i), properties: {} })) } });
    for (const { body } of [unauthenticated, invalid]) expect(shapeProblems(deals, ref('Error'), body)).toEqual([]);
  });
});
