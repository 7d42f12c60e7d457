import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStripeConnector, type StripeConnectorOptions } from '../../../src/connectors/stripe/adapter.ts';
import { STRIPE_API_VERSION } from '../../../src/connectors/stripe/client.ts';
import { fixture } from '../fixtures.ts';
import { allRecords } from '../../support/pages.ts';

const API = 'http://127.0.0.1:4010';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A connector whose waiting (retry backoff, limiter pauses) only moves a fake clock. */
function connector(options: Partial<StripeConnectorOptions> = {}) {
  const sleeps: number[] = [];
  let fakeNow = 0;
  const clock = () => fakeNow;
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    fakeNow += ms;
  };
  const stripe = createStripeConnector({
    secretKey: 'sk_test_recon',
    apiUrl: API,
    rateLimit: { requests: 10_000, perMs: 1000 },
    limiterClock: { now: () => fakeNow, sleep: async (ms) => void (fakeNow += ms) },
    now: () => Date.parse('2023-11-01T00:00:00Z'),
    ...options,
    retry: { sleep, random: () => 0.5, ...options.retry },
  });
  return { stripe, sleeps, clock };
}

function customers(count: number) {
  return Array.from({ length: count }, (_, i) => ({ ...fixture('stripe/customer'), id: `cus_${String(i).padStart(4, '0')}`, email: `c${i}@example.com` }));
}

function subscriptionFor(customerId: string, id: string) {
  return { ...fixture('stripe/subscription'), id, customer: customerId };
}

/** Answers a Stripe list endpoint from `all`, honouring `limit` and `starting_after`. */
function listAnswer(all: { id: string }[], url: string, request: Request) {
  const params = new URL(request.url).searchParams;
  const limit = Number(params.get('limit') ?? 10);
  const after = params.get('starting_after');
  const start = after ? all.findIndex((o) => o.id === after) + 1 : 0;
  const data = all.slice(start, start + limit);
  return HttpResponse.json({ object: 'list', data, has_more: start + limit < all.length, url });
}

const stripeError = (name: string, status: number, headers: Record<string, string> = {}) =>
  HttpResponse.json(fixture(name), { status, headers });

describe('Stripe connector: list', () => {
  it('reads every page and builds one record per customer', async () => {
    const allCustomers = customers(250);
    const allSubscriptions = allCustomers.slice(0, 120).map((c, i) => subscriptionFor(c.id, `sub_${i}`));
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => listAnswer(allCustomers, '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer(allSubscriptions, '/v1/subscriptions', request)),
    );
    const { stripe } = connector();
    const records = await allRecords(stripe.list('customers', ['subscription_status']));
    expect(records).toHaveLength(250);
    expect(new Set(records.map((r) => r.id)).size).toBe(250);
    expect(records.filter((r) => r.fields.subscription_status === 'active')).toHaveLength(120);
    expect(stripe.apiCalls()).toBe(3 + 2);
  });

  it('asks for 100 per page, every status, and the latest invoice expanded', async () => {
    let customerQuery = new URLSearchParams();
    let subscriptionQuery = new URLSearchParams();
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => {
        customerQuery = new URL(request.url).searchParams;
        return listAnswer([], '/v1/customers', request);
      }),
      http.get(`${API}/v1/subscriptions`, ({ request }) => {
        subscriptionQuery = new URL(request.url).searchParams;
        return listAnswer([], '/v1/subscriptions', request);
      }),
    );
    await allRecords(connector().stripe.list('customers', []));
    expect(customerQuery.get('limit')).toBe('100');
    expect(subscriptionQuery.get('limit')).toBe('100');
    expect(subscriptionQuery.get('status')).toBe('all');
    // stripe-node writes arrays as expand[0]=...; Stripe reads it like expand[]=...
    const expand = [...subscriptionQuery.entries()].filter(([key]) => key.startsWith('expand['));
    expect(expand.map(([, value]) => value)).toEqual(['data.latest_invoice']);
  });

  it("names the pinned API version in every request's Stripe-Version header", async () => {
    const versions: (string | null)[] = [];
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => {
        versions.push(request.headers.get('stripe-version'));
        return listAnswer(customers(3), '/v1/customers', request);
      }),
      http.get(`${API}/v1/subscriptions`, ({ request }) => {
        versions.push(request.headers.get('stripe-version'));
        return listAnswer([], '/v1/subscriptions', request);
      }),
    );
    await allRecords(connector().stripe.list('customers', []));
    expect(versions.length).toBeGreaterThan(1);
    expect(new Set(versions)).toEqual(new Set([STRIPE_API_VERSION]));
    expect(STRIPE_API_VERSION).toBe('2026-10-28.endive');
  });

  it('reports progress after every page', async () => {
    const allCustomers = customers(150);
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => listAnswer(allCustomers, '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([], '/v1/subscriptions', request)),
    );
    const events: string[] = [];
    await allRecords(connector().stripe.list('customers', [], { progress: (e) => events.push(`${e.object}:${e.fetched}`) }));
    expect(events.filter((e) => e.startsWith('customers'))).toEqual(['customers:100', 'customers:150']);
  });

  it('paces a test-mode key at 25 requests per second, as Stripe documents', async () => {
    const allCustomers = customers(3000);
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => listAnswer(allCustomers, '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([], '/v1/subscriptions', request)),
    );
    const { stripe, clock } = connector({ rateLimit: undefined });
    await allRecords(stripe.list('customers', []));
    expect(stripe.apiCalls()).toBe(31);
    expect(clock()).toBeGreaterThanOrEqual(1000);
    expect(clock()).toBeLessThan(2000);
  });

  it('waits as long as Retry-After says after a 429, then retries', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) =>
        ++calls === 1 ? stripeError('stripe/error-rate-limit', 429, { 'Retry-After': '2' }) : listAnswer(customers(1), '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([], '/v1/subscriptions', request)),
    );
    const { stripe, sleeps } = connector();
    await expect(allRecords(stripe.list('customers', []))).resolves.toHaveLength(1);
    expect(sleeps).toEqual([2000]);
    expect(stripe.apiCalls()).toBe(3);
  });

  it('retries a server error on a read', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) =>
        ++calls === 1
          ? HttpResponse.json({ error: { type: 'api_error', message: 'Something went wrong on our end.' } }, { status: 500 })
          : listAnswer(customers(1), '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([], '/v1/subscriptions', request)),
    );
    const { stripe, sleeps } = connector();
    await expect(allRecords(stripe.list('customers', []))).resolves.toHaveLength(1);
    expect(sleeps).toHaveLength(1);
  });

  it('does not retry a 400 and names Stripe, the request and its message', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/v1/customers`, () => {
        calls++;
        return stripeError('stripe/error-invalid-request', 400);
      }),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([], '/v1/subscriptions', request)),
    );
    await expect(allRecords(connector().stripe.list('customers', []))).rejects.toThrow(
      'stripe GET /v1/customers failed: HTTP 400: Invalid integer: abc (after 1 attempt)',
    );
    expect(calls).toBe(1);
  });

  it('fails with the object id and path when a raw object is malformed', async () => {
    const broken = subscriptionFor('cus_0000', 'sub_broken');
    broken.status = 42;
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => listAnswer(customers(1), '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([broken], '/v1/subscriptions', request)),
    );
    await expect(allRecords(connector().stripe.list('customers', []))).rejects.toThrow(/stripe subscription sub_broken .*: status: /);
  });

  it('refuses an object it does not know', async () => {
    await expect(allRecords(connector().stripe.list('charges', []))).rejects.toThrow(/unknown object "charges"/);
  });
});

describe('Stripe connector: read', () => {
  it('reads each customer with its subscriptions in one call and leaves out missing and deleted ones', async () => {
    const subscriptionQueries: URLSearchParams[] = [];
    server.use(
      http.get(`${API}/v1/customers/:id`, ({ params }) => {
        if (params.id === 'cus_deleted') return HttpResponse.json({ id: 'cus_deleted', object: 'customer', deleted: true });
        return stripeError('stripe/error-resource-missing', 404);
      }),
      http.get(`${API}/v1/subscriptions`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        subscriptionQueries.push(query);
        if (query.get('customer') === 'cus_Oaxlz8kB0PJWGa') {
          return listAnswer([{ ...fixture('stripe/subscription'), customer: fixture('stripe/customer') }], '/v1/subscriptions', request);
        }
        if (query.get('customer') === 'cus_deleted') return listAnswer([], '/v1/subscriptions', request);
        return stripeError('stripe/error-resource-missing', 404);
      }),
    );
    const { stripe } = connector();
    const records = await stripe.read('customers', ['cus_gone', 'cus_Oaxlz8kB0PJWGa', 'cus_deleted'], ['subscription_status']);
    expect(records.map((r) => [r.id, r.fields.subscription_status, r.email])).toEqual([['cus_Oaxlz8kB0PJWGa', 'active', 'ada.lovelace@example.com']]);
    const asked = subscriptionQueries.find((q) => q.get('customer') === 'cus_Oaxlz8kB0PJWGa');
    expect(asked?.get('status')).toBe('all');
    expect([...(asked?.entries() ?? [])].filter(([key]) => key.startsWith('expand[')).map(([, v]) => v)).toEqual(['data.latest_invoice', 'data.customer']);
    // One call for a customer with subscriptions, two for one without, one for one that is gone.
    expect(stripe.apiCalls()).toBe(1 + 2 + 1);
  });
});

describe('Stripe connector: incremental list', () => {
  const event = (id: string, created: number, object: Record<string, unknown>, type = 'customer.subscription.updated') =>
    ({ id, object: 'event', type, created, data: { object }, livemode: false, pending_webhooks: 0, request: null, api_version: '2023-08-16' });
  const now = Date.parse('2023-11-01T00:00:00Z');
  const since = (t: number, ids: string[] = []) => JSON.stringify({ t, ids });

  it('reads only the customers named by events since the cursor and moves the cursor on', async () => {
    const eventQueries: URLSearchParams[] = [];
    const events = [
      event('evt_3', now / 1000 - 10, { id: 'sub_1', object: 'subscription', customer: 'cus_Oaxlz8kB0PJWGa' }),
      event('evt_2', now / 1000 - 20, { id: 'in_1', object: 'invoice', customer: 'cus_Oaxlz8kB0PJWGa' }, 'invoice.paid'),
    ];
    server.use(
      http.get(`${API}/v1/events`, ({ request }) => {
        eventQueries.push(new URL(request.url).searchParams);
        return listAnswer(events, '/v1/events', request);
      }),
      http.get(`${API}/v1/subscriptions`, ({ request }) =>
        listAnswer([{ ...fixture('stripe/subscription'), customer: fixture('stripe/customer') }], '/v1/subscriptions', request)),
    );
    const { stripe } = connector();
    const pages = [];
    for await (const page of stripe.list('customers', ['subscription_status'], { since: since(now / 1000 - 3600) })) pages.push(page);
    expect(pages.map((p) => p.mode)).toEqual(['incremental']);
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(['cus_Oaxlz8kB0PJWGa']);
    expect(JSON.parse(pages.at(-1)?.cursor ?? '{}')).toEqual({ t: now / 1000 - 10, ids: ['evt_3'] });
    expect(eventQueries[0]?.get('created[gte]')).toBe(String(now / 1000 - 3600));
    expect(stripe.apiCalls()).toBe(2);
  });

  it('skips the events it already saw at the cursor second', async () => {
    const events = [event('evt_1', now / 1000 - 10, { id: 'cus_Oaxlz8kB0PJWGa', object: 'customer' }, 'customer.updated')];
    server.use(http.get(`${API}/v1/events`, ({ request }) => listAnswer(events, '/v1/events', request)));
    const { stripe } = connector();
    const pages = [];
    for await (const page of stripe.list('customers', [], { since: since(now / 1000 - 10, ['evt_1']) })) pages.push(page);
    expect(pages.flatMap((p) => p.records)).toEqual([]);
    expect(stripe.apiCalls()).toBe(1);
  });

  it('makes one call when nothing changed', async () => {
    server.use(http.get(`${API}/v1/events`, ({ request }) => listAnswer([], '/v1/events', request)));
    const { stripe } = connector();
    for await (const page of stripe.list('customers', [], { since: since(now / 1000 - 60) })) expect(page.mode).toBe('incremental');
    expect(stripe.apiCalls()).toBe(1);
  });

  /** A full pass over the fixture customer and its one active subscription (latest invoice paid), then its cursor. */
  async function afterFullPass(stripe: ReturnType<typeof connector>['stripe']): Promise<string> {
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => listAnswer([fixture('stripe/customer')], '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([fixture('stripe/subscription')], '/v1/subscriptions', request)),
    );
    let cursor = '';
    for await (const page of stripe.list('customers', ['subscription_status'])) cursor = page.cursor ?? '';
    return cursor;
  }
  /** A subscription as an event carries it: customer and latest invoice are ids. */
  const cancelled = () => ({ ...fixture('stripe/subscription'), status: 'canceled', customer: 'cus_Oaxlz8kB0PJWGa', latest_invoice: 'in_1NnmX4GPxmnHQRkJyyhHiHYa' });

  it('after a full pass, takes a changed subscription from its event without reading the customer', async () => {
    const { stripe } = connector({ rememberFullPass: true });
    const cursor = await afterFullPass(stripe);
    const before = stripe.apiCalls();
    server.use(http.get(`${API}/v1/events`, ({ request }) =>
      listAnswer([event('evt_1', now / 1000 - 10, cancelled(), 'customer.subscription.deleted')], '/v1/events', request)));
    const pages = [];
    for await (const page of stripe.list('customers', ['subscription_status'], { since: cursor })) pages.push(page);
    expect(pages.flatMap((p) => p.records.map((r) => [r.id, r.fields.subscription_status, r.fields.invoice_status]))).toEqual([['cus_Oaxlz8kB0PJWGa', 'canceled', 'paid']]);
    expect(stripe.apiCalls() - before).toBe(1);
    expect(stripe.apiCallsByKind()['GET /v1/events']).toBe(1);
  });

  it('reads a changed customer the full pass did not know, in one call', async () => {
    const { stripe } = connector({ rememberFullPass: true });
    const cursor = await afterFullPass(stripe);
    const before = stripe.apiCalls();
    server.use(
      http.get(`${API}/v1/events`, ({ request }) =>
        listAnswer([event('evt_1', now / 1000 - 10, { ...cancelled(), id: 'sub_new', customer: 'cus_new' }, 'customer.subscription.created')], '/v1/events', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) =>
        listAnswer([{ ...fixture('stripe/subscription'), id: 'sub_new', customer: { ...fixture('stripe/customer'), id: 'cus_new' } }], '/v1/subscriptions', request)),
    );
    const pages = [];
    for await (const page of stripe.list('customers', ['subscription_status'], { since: cursor })) pages.push(page);
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(['cus_new']);
    expect(stripe.apiCalls() - before).toBe(2);
  });

  it("answers a counterpart asked for as listed from the last pass and its events, and reads it otherwise", async () => {
    const { stripe } = connector({ rememberFullPass: true });
    await afterFullPass(stripe);
    const before = stripe.apiCalls();
    const listed = await stripe.read('customers', ['cus_Oaxlz8kB0PJWGa'], ['subscription_status'], { asListed: true });
    expect(listed.map((r) => [r.id, r.fields.subscription_status])).toEqual([['cus_Oaxlz8kB0PJWGa', 'active']]);
    expect(stripe.apiCalls()).toBe(before);
    server.use(http.get(`${API}/v1/subscriptions`, ({ request }) =>
      listAnswer([{ ...fixture('stripe/subscription'), status: 'past_due', customer: fixture('stripe/customer') }], '/v1/subscriptions', request)));
    const current = await stripe.read('customers', ['cus_Oaxlz8kB0PJWGa'], ['subscription_status']);
    expect(current.map((r) => r.fields.subscription_status)).toEqual(['past_due']);
    expect(stripe.apiCalls()).toBe(before + 1);
  });

  it('reads each changed customer after a full pass when it does not keep what the pass read (the default)', async () => {
    const { stripe } = connector();
    const cursor = await afterFullPass(stripe);
    const before = stripe.apiCalls();
    server.use(
      http.get(`${API}/v1/events`, ({ request }) => listAnswer([event('evt_1', now / 1000 - 10, cancelled(), 'customer.subscription.deleted')], '/v1/events', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) =>
        listAnswer([{ ...fixture('stripe/subscription'), status: 'canceled', customer: fixture('stripe/customer') }], '/v1/subscriptions', request)),
    );
    const pages = [];
    for await (const page of stripe.list('customers', ['subscription_status'], { since: cursor })) pages.push(page);
    expect(pages.flatMap((p) => p.records).map((r) => r.fields.subscription_status)).toEqual(['canceled']);
    expect(stripe.apiCalls() - before).toBe(2);
  });

  it('reads each changed customer when its cursor starts after what the last pass applied (events in between are missing)', async () => {
    const { stripe } = connector({ rememberFullPass: true });
    await afterFullPass(stripe);
    server.use(
      http.get(`${API}/v1/events`, ({ request }) => listAnswer([event('evt_1', now / 1000 - 10, cancelled(), 'customer.subscription.deleted')], '/v1/events', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) =>
        listAnswer([{ ...fixture('stripe/subscription'), status: 'canceled', customer: fixture('stripe/customer') }], '/v1/subscriptions', request)),
    );
    const before = stripe.apiCalls();
    const pages = [];
    for await (const page of stripe.list('customers', ['subscription_status'], { since: since(now / 1000 + 60) })) pages.push(page);
    expect(pages.flatMap((p) => p.records.map((r) => r.fields.subscription_status))).toEqual(['canceled']);
    expect(stripe.apiCallsByKind()['GET /v1/subscriptions']).toBe(1 + 1);
    expect(stripe.apiCalls() - before).toBe(2);
  });

  it('falls back to a full pass when the cursor is older than the 30 days of events Stripe keeps', async () => {
    server.use(
      http.get(`${API}/v1/customers`, ({ request }) => listAnswer(customers(3), '/v1/customers', request)),
      http.get(`${API}/v1/subscriptions`, ({ request }) => listAnswer([], '/v1/subscriptions', request)),
    );
    const pages = [];
    for await (const page of connector().stripe.list('customers', [], { since: since(now / 1000 - 31 * 86_400) })) pages.push(page);
    expect(pages.map((p) => p.mode)).toEqual(['full']);
    expect(pages[0]?.records).toHaveLength(3);
  });
});

describe('Stripe connector: write', () => {
  it('sends the idempotency key and the metadata value', async () => {
    let key: string | null = null;
    let body = '';
    server.use(
      http.post(`${API}/v1/customers/:id`, async ({ request }) => {
        key = request.headers.get('Idempotency-Key');
        body = await request.text();
        return HttpResponse.json(fixture('stripe/customer'));
      }),
    );
    const outcomes = await connector().stripe.write([
      { object: 'customers', id: 'cus_Oaxlz8kB0PJWGa', field: 'metadata.crm_id', value: '902', idempotencyKey: 'decision-17' },
    ]);
    expect(outcomes).toEqual([{ id: 'cus_Oaxlz8kB0PJWGa', field: 'metadata.crm_id', ok: true }]);
    expect(key).toBe('decision-17');
    expect(new URLSearchParams(body).get('metadata[crm_id]')).toBe('902');
  });

  it('reports each failed write without throwing', async () => {
    server.use(
      http.post(`${API}/v1/customers/:id`, ({ params }) =>
        params.id === 'cus_gone' ? stripeError('stripe/error-resource-missing', 404) : HttpResponse.json(fixture('stripe/customer'))),
    );
    const outcomes = await connector().stripe.write([
      { object: 'customers', id: 'cus_gone', field: 'name', value: 'Ada', idempotencyKey: 'k1' },
      { object: 'customers', id: 'cus_Oaxlz8kB0PJWGa', field: 'email', value: 'ada@example.com', idempotencyKey: 'k2' },
    ]);
    expect(outcomes[0]).toMatchObject({ id: 'cus_gone', ok: false, retryable: false, error: expect.stringContaining("No such customer: 'cus_gone'") });
    expect(outcomes[1]).toEqual({ id: 'cus_Oaxlz8kB0PJWGa', field: 'email', ok: true });
  });

  it('marks a write that stayed rate limited as retryable', async () => {
    server.use(http.post(`${API}/v1/customers/:id`, () => stripeError('stripe/error-rate-limit', 429)));
    const { stripe } = connector({ retry: { maxAttempts: 2 } });
    const [outcome] = await stripe.write([{ object: 'customers', id: 'cus_1', field: 'name', value: 'Ada', idempotencyKey: 'k' }]);
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(stripe.apiCalls()).toBe(2);
  });

  it('refuses a field Recon does not write, without calling Stripe', async () => {
    const { stripe } = connector();
    const [outcome] = await stripe.write([{ object: 'customers', id: 'cus_1', field: 'subscription_status', value: 'active', idempotencyKey: 'k' }]);
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('not writable') });
    expect(stripe.apiCalls()).toBe(0);
  });
});

describe('Stripe connector: description and health', () => {
  it('describes the eight subscription statuses', async () => {
    const description = await connector().stripe.describe('customers');
    const status = description.fields.find((f) => f.name === 'subscription_status');
    expect(status?.options?.map((v) => v.value)).toEqual([
      'active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete', 'canceled', 'incomplete_expired',
    ]);
    expect(status?.options?.[2]).toEqual({ value: 'past_due', label: 'Past due' });
    expect(status?.writable).toBe(false);
  });

  it('describes free-text fields without a vocabulary, and metadata as open', async () => {
    const description = await connector().stripe.describe('customers');
    expect(description.fields.find((f) => f.name === 'email')).toMatchObject({ options: null, writable: true });
    expect(description.openPrefixes).toEqual(['metadata.']);
  });

  it('reports a failing connection without throwing or retrying', async () => {
    server.use(http.get(`${API}/v1/customers`, () => HttpResponse.json({ error: { type: 'api_error', message: 'down' } }, { status: 503 })));
    const { stripe } = connector();
    await expect(stripe.health()).resolves.toMatchObject({ system: 'stripe', ok: false, detail: expect.stringContaining('HTTP 503: down') });
    expect(stripe.apiCalls()).toBe(1);
  });

  it('reports a working connection', async () => {
    server.use(http.get(`${API}/v1/customers`, ({ request }) => listAnswer([], '/v1/customers', request)));
    await expect(connector().stripe.health()).resolves.toMatchObject({ system: 'stripe', ok: true });
  });
});
