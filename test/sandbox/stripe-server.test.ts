import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSandbox, SandboxState } from '../../src/sandbox/index.ts';
import { changeStripeSubscription, recordStripeEvent } from '../../src/sandbox/state.ts';
import { sandboxWith, seedStripe, stripeClient, T0 } from './seed.ts';

let running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.map((sandbox) => sandbox.close()));
  running = [];
});

async function world(customers: number, options?: Parameters<typeof sandboxWith>[1]): Promise<{ state: SandboxState; stripe: Stripe; sandbox: RunningSandbox }> {
  const { state, sandbox } = await sandboxWith((s) => seedStripe(s, customers), options);
  running.push(sandbox);
  return { state, sandbox, stripe: stripeClient(sandbox) };
}

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the request to fail');
}

describe('Stripe sandbox', () => {
  it('auto-paginates customers.list({ limit: 100 }) over every customer exactly once', async () => {
    const { state, stripe, sandbox } = await world(250);
    const ids: string[] = [];
    for await (const customer of stripe.customers.list({ limit: 100 })) ids.push(customer.id);
    expect(ids).toHaveLength(250);
    expect(new Set(ids)).toEqual(new Set(state.stripe.customers.keys()));
    expect(sandbox.requests().stripe).toBe(3);
  });

  it('answers in the API version the request names, else its default', async () => {
    const { sandbox } = await world(1);
    const get = (headers: Record<string, string>) => fetch(`${sandbox.stripeUrl}/v1/customers?limit=1`, { headers: { authorization: 'Bearer sk_test_x', ...headers } });
    expect((await get({ 'stripe-version': '2026-10-28.endive' })).headers.get('stripe-version')).toBe('2026-10-28.endive');
    expect((await get({})).headers.get('stripe-version')).toBe('2023-08-16');
  });

  it('lists customers newest first, later-created first within the same second', async () => {
    const { stripe, state } = await world(7);
    const page = await stripe.customers.list({ limit: 100 });
    const inserted = [...state.stripe.customers.keys()];
    expect(page.data.map((customer) => customer.id)).toEqual([...inserted].reverse());
    expect(page).toMatchObject({ object: 'list', url: '/v1/customers', has_more: false });
  });

  it('pages back towards newer customers with ending_before', async () => {
    const { stripe } = await world(10);
    const all = (await stripe.customers.list({ limit: 100 })).data.map((c) => c.id);
    const page = await stripe.customers.list({ limit: 3, ending_before: all[6] });
    expect(page.data.map((c) => c.id)).toEqual(all.slice(3, 6));
    expect(page.has_more).toBe(true);
  });

  it('filters customers by email and by a created range', async () => {
    const { stripe } = await world(12);
    const byEmail = await stripe.customers.list({ email: 'customer4@example.com' });
    expect(byEmail.data.map((c) => c.email)).toEqual(['customer4@example.com']);
    const byCreated = await stripe.customers.list({ created: { gte: T0 + 1, lt: T0 + 3 } });
    expect(byCreated.data).toHaveLength(6);
  });

  it('leaves canceled subscriptions out of subscriptions.list unless status is given', async () => {
    const { stripe } = await world(16);
    const defaults = await stripe.subscriptions.list({ limit: 100 });
    const all = await stripe.subscriptions.list({ limit: 100, status: 'all' });
    expect(defaults.data.some((s) => s.status === 'canceled')).toBe(false);
    expect(all.data).toHaveLength(16);
    expect(defaults.data).toHaveLength(14);
  });

  it('replaces latest_invoice and customer ids by their objects when expanded in a list', async () => {
    const { stripe } = await world(8);
    const page = await stripe.subscriptions.list({ status: 'all', expand: ['data.latest_invoice', 'data.customer'] });
    for (const subscription of page.data) {
      const invoice = subscription.latest_invoice as Stripe.Invoice;
      const customer = subscription.customer as Stripe.Customer;
      expect(invoice.object).toBe('invoice');
      expect(customer.object).toBe('customer');
      expect((invoice as unknown as { subscription: string }).subscription).toBe(subscription.id);
    }
  });

  it('keeps ids in place when nothing is expanded', async () => {
    const { stripe } = await world(2);
    const subscription = (await stripe.subscriptions.list({ status: 'all' })).data[0];
    expect(subscription?.latest_invoice).toMatch(/^in_/);
    expect(subscription?.customer).toMatch(/^cus_/);
  });

  it('expands latest_invoice on subscriptions.retrieve', async () => {
    const { stripe, state } = await world(3);
    const id = [...state.stripe.subscriptions.keys()][0] ?? '';
    const subscription = await stripe.subscriptions.retrieve(id, { expand: ['latest_invoice'] });
    expect((subscription.latest_invoice as Stripe.Invoice).id).toBe(state.stripe.subscriptions.get(id)?.latest_invoice);
  });

  it('refuses to expand a list field without the data. prefix', async () => {
    const { stripe } = await world(2);
    const error = await rejection(stripe.subscriptions.list({ expand: ['latest_invoice'] }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.message).toContain("try expanding 'data.latest_invoice'");
  });

  it('filters invoices by customer, subscription and status', async () => {
    const { stripe, state } = await world(16);
    const subscription = [...state.stripe.subscriptions.values()].find((s) => s.status === 'past_due');
    const byCustomer = await stripe.invoices.list({ customer: subscription?.customer as string });
    const bySubscription = await stripe.invoices.list({ subscription: subscription?.id });
    const open = await stripe.invoices.list({ status: 'open', limit: 100 });
    expect(byCustomer.data.map((i) => i.id)).toEqual([subscription?.latest_invoice]);
    expect(bySubscription.data.map((i) => i.id)).toEqual([subscription?.latest_invoice]);
    expect(open.data.every((i) => i.status === 'open')).toBe(true);
    expect(open.data.length).toBeGreaterThan(0);
  });

  it('merges metadata on customers.update and records the write once', async () => {
    const { stripe, state } = await world(1);
    const id = [...state.stripe.customers.keys()][0] ?? '';
    const updated = await stripe.customers.update(id, { metadata: { crm_id: '901' } });
    expect(updated.metadata).toEqual({ n: '0', crm_id: '901' });
    expect(state.writes).toEqual([{ system: 'stripe', object: 'customers', id, properties: { metadata: { crm_id: '901' } }, at: expect.any(Number) }]);
  });

  it('unsets a metadata key posted with an empty value', async () => {
    const { stripe, state } = await world(1);
    const id = [...state.stripe.customers.keys()][0] ?? '';
    const updated = await stripe.customers.update(id, { metadata: { n: '' } });
    expect(updated.metadata).toEqual({});
  });

  it('replays the stored response for a repeated idempotency key and writes once', async () => {
    const { stripe, state } = await world(1);
    const id = [...state.stripe.customers.keys()][0] ?? '';
    const first = await stripe.customers.update(id, { metadata: { crm_id: '901' } }, { idempotencyKey: 'decision-1' });
    state.stripe.customers.get(id)!.metadata.crm_id = 'changed meanwhile';
    const second = await stripe.customers.update(id, { metadata: { crm_id: '901' } }, { idempotencyKey: 'decision-1' });
    expect(second).toEqual(first);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(state.writes).toHaveLength(1);
  });

  it('refuses an idempotency key reused with other parameters with StripeIdempotencyError', async () => {
    const { stripe, state } = await world(1);
    const id = [...state.stripe.customers.keys()][0] ?? '';
    await stripe.customers.update(id, { metadata: { crm_id: '901' } }, { idempotencyKey: 'decision-2' });
    const error = await rejection(stripe.customers.update(id, { metadata: { crm_id: '902' } }, { idempotencyKey: 'decision-2' }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.statusCode).toBe(400);
  });

  it('answers a missing customer with StripeInvalidRequestError resource_missing', async () => {
    const { stripe } = await world(1);
    const error = await rejection(stripe.customers.retrieve('cus_doesnotexist00'));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_doesnotexist00'" });
  });

  it('refuses a limit above 100 with a 400 naming the limit parameter', async () => {
    const { stripe } = await world(1);
    const error = await rejection(stripe.customers.list({ limit: 101 }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, param: 'limit' });
  });

  it('refuses an unknown parameter like Stripe does', async () => {
    const { stripe, state } = await world(1);
    const id = [...state.stripe.customers.keys()][0] ?? '';
    const error = await rejection(stripe.customers.update(id, { coupon: 'X' } as Stripe.CustomerUpdateParams));
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'coupon' });
    expect(state.writes).toEqual([]);
  });

  it('answers a request without a test key with StripeAuthenticationError', async () => {
    const { sandbox } = await world(1);
    const error = await rejection(stripeClient(sandbox, 'sk_live_abcdefghijkl').customers.list());
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const bare = await fetch(`${sandbox.stripeUrl}/v1/customers`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('answers 429 rate_limit past the per-second limit, surfacing as StripeRateLimitError', async () => {
    const { stripe, sandbox } = await world(1, { rateLimits: { stripePerSecond: 3 } });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => stripe.customers.list()));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Stripe.errors.StripeError] : []));
    expect(refused).toHaveLength(2);
    expect(refused[0]).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(refused[0]).toMatchObject({ statusCode: 429, code: 'rate_limit', type: 'StripeRateLimitError' });
    expect(sandbox.requests()).toEqual({ stripe: 5, hubspot: 0, rateLimited: 2 });
  });

  it('lists events newest first, each carrying its object as it was when the event happened', async () => {
    const { state, stripe } = await world(1);
    const subscription = [...state.stripe.subscriptions.values()][0];
    if (!subscription) throw new Error('no subscription seeded');
    const now = Date.now();
    changeStripeSubscription(state, subscription.id, { status: 'past_due' }, now - 2000);
    changeStripeSubscription(state, subscription.id, { status: 'canceled' }, now - 1000);
    const page = await stripe.events.list({ limit: 100, types: ['customer.subscription.updated', 'customer.subscription.deleted'] });
    expect(page.data.map((event) => [event.type, (event.data.object as { status: string }).status])).toEqual([
      ['customer.subscription.deleted', 'canceled'],
      ['customer.subscription.updated', 'past_due'],
    ]);
  });

  it('lists only the last 30 days of events, as Stripe keeps them', async () => {
    const { state, stripe } = await world(1);
    const customer = [...state.stripe.customers.values()][0];
    if (!customer) throw new Error('no customer seeded');
    recordStripeEvent(state, 'customer.updated', customer, Date.now() - 31 * 86_400_000);
    const recent = recordStripeEvent(state, 'customer.updated', customer, Date.now() - 29 * 86_400_000);
    const page = await stripe.events.list({ limit: 100, created: { gte: 0 } });
    expect(page.data.map((event) => event.id)).toEqual([recent.id]);
  });
});
