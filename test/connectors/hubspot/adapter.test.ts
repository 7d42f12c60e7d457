import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector, type HubSpotConnectorOptions } from '../../../src/connectors/hubspot/adapter.ts';
import type { FieldWrite } from '../../../src/domain/ports.ts';
import { allRecords } from '../../support/pages.ts';
import { fixture } from '../fixtures.ts';

const API = 'http://hubspot.test';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A connector whose waiting (retry backoff, limiter pauses) only moves a fake clock. */
function connector(options: Partial<HubSpotConnectorOptions> = {}) {
  const sleeps: number[] = [];
  let fakeNow = 0;
  const hubspot = createHubSpotConnector({
    accessToken: 'pat-na1-test',
    apiUrl: API,
    portalId: 62515,
    ownSourceId: '1234567',
    rateLimit: { requests: 10_000, perMs: 10_000 },
    limiterClock: { now: () => fakeNow, sleep: async (ms) => void (fakeNow += ms) },
    ...options,
    retry: {
      sleep: async (ms) => {
        sleeps.push(ms);
        fakeNow += ms;
      },
      random: () => 0.5,
      ...options.retry,
    },
  });
  return { hubspot, sleeps, clock: () => fakeNow };
}

/** `count` deals shaped like the fixture, each with its own contact `c<i>`. */
function deals(count: number) {
  const template = fixture('hubspot/deals-page-1').results[0];
  return Array.from({ length: count }, (_, i) => ({
    ...template,
    id: String(1000 + i),
    properties: { ...template.properties, hs_object_id: String(1000 + i), stripe_customer_id: `cus_${i}` },
    associations: { contacts: { results: [{ id: `c${i}`, type: 'deal_to_contact' }] } },
  }));
}

/** Answers the list endpoint from `all`, honouring `limit` and `after` (an index here). */
function pageAnswer(all: unknown[], request: Request) {
  const params = new URL(request.url).searchParams;
  const limit = Number(params.get('limit') ?? 10);
  const start = Number(params.get('after') ?? 0);
  const next = start + limit;
  return HttpResponse.json({
    results: all.slice(start, next),
    ...(next < all.length ? { paging: { next: { after: String(next), link: `${API}/crm/v3/objects/deals?after=${next}` } } } : {}),
  });
}

/** Answers batch/read of contacts: every id has an email. */
function contactsAnswer(body: { inputs: { id: string }[] }) {
  const template = fixture('hubspot/contacts-batch-read');
  const contact = template.results[2];
  return HttpResponse.json({
    ...template,
    results: body.inputs.map(({ id }) => ({ ...contact, id, properties: { ...contact.properties, hs_object_id: id, email: `${id}@example.com` } })),
  });
}

const write = (id: string, field = 'dealstage', value: FieldWrite['value'] = 'closedwon'): FieldWrite =>
  ({ object: 'deals', id, field, value, idempotencyKey: `k-${id}-${field}` });

describe('HubSpot connector: list', () => {
  it('reads every page of deals once and gives each deal its contact email', async () => {
    const all = deals(250);
    const contactBatches: number[] = [];
    server.use(
      http.get(`${API}/crm/v3/objects/deals`, ({ request }) => pageAnswer(all, request)),
      http.post(`${API}/crm/v3/objects/contacts/batch/read`, async ({ request }) => {
        const body = (await request.json()) as { inputs: { id: string }[] };
        contactBatches.push(body.inputs.length);
        return contactsAnswer(body);
      }),
    );
    const { hubspot } = connector();
    const records = await allRecords(hubspot.list('deals', ['dealstage', 'amount']));
    expect(records.map((r) => r.id)).toEqual(all.map((d) => d.id));
    expect(records[7]).toMatchObject({ email: 'c7@example.com', refs: { stripe: 'cus_7' }, aliases: ['c7'], fields: { amount: 40 } });
    expect(contactBatches).toEqual([100, 100, 50]);
    expect(hubspot.apiCalls()).toBe(3 + 3);
  });

  it('asks for 100 per page, the Stripe id property and the associated contacts', async () => {
    const queries: URLSearchParams[] = [];
    server.use(
      http.get(`${API}/crm/v3/objects/deals`, ({ request }) => {
        queries.push(new URL(request.url).searchParams);
        return pageAnswer(deals(150), request);
      }),
      http.post(`${API}/crm/v3/objects/contacts/batch/read`, async ({ request }) => contactsAnswer((await request.json()) as { inputs: { id: string }[] })),
    );
    await allRecords(connector().hubspot.list('deals', ['dealstage']));
    expect(queries.map((q) => q.get('after'))).toEqual([null, '100']);
    expect(queries[0]?.get('limit')).toBe('100');
    expect(queries[0]?.get('associations')).toBe('contacts');
    expect(queries[0]?.get('properties')?.split(',')).toEqual(['dealstage', 'stripe_customer_id', 'hs_lastmodifieddate']);
  });

  it('sends the access token as a bearer token', async () => {
    let authorization: string | null = null;
    server.use(
      http.get(`${API}/crm/v3/objects/contacts`, ({ request }) => {
        authorization = request.headers.get('authorization');
        return HttpResponse.json(fixture('hubspot/contacts-page'));
      }),
    );
    const records = await allRecords(connector().hubspot.list('contacts', ['firstname']));
    expect(authorization).toBe('Bearer pat-na1-test');
    expect(records.map((r) => r.email)).toEqual([null, 'ada@lovelace.example', 'grace@hopper.example']);
  });

  it('waits as long as Retry-After says after a 429, then retries', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/crm/v3/objects/contacts`, () =>
        ++calls === 1
          ? HttpResponse.json(fixture('hubspot/error-rate-limit'), { status: 429, headers: { 'Retry-After': '3' } })
          : HttpResponse.json(fixture('hubspot/contacts-page'))),
    );
    const { hubspot, sleeps } = connector();
    await expect(allRecords(hubspot.list('contacts', []))).resolves.toHaveLength(3);
    expect(sleeps).toEqual([3000]);
    expect(hubspot.apiCalls()).toBe(2);
  });

  it('does not retry after the daily limit is spent', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/crm/v3/objects/contacts`, () => {
        calls++;
        return HttpResponse.json({ ...fixture('hubspot/error-rate-limit'), message: 'You have reached your daily limit.', policyName: 'DAILY' }, { status: 429 });
      }),
    );
    await expect(allRecords(connector().hubspot.list('contacts', []))).rejects.toThrow(/HTTP 429: You have reached your daily limit/);
    expect(calls).toBe(1);
  });

  it('does not retry a 400 and names HubSpot, the request and its message', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/crm/v3/objects/deals`, () => {
        calls++;
        return HttpResponse.json(fixture('hubspot/error-validation'), { status: 400 });
      }),
    );
    await expect(allRecords(connector().hubspot.list('deals', []))).rejects.toThrow(
      /^hubspot GET \/crm\/v3\/objects\/deals failed: HTTP 400: Property values were not valid/,
    );
    expect(calls).toBe(1);
  });

  it('fails with the deal id and path when a raw deal is malformed', async () => {
    const page = fixture('hubspot/deals-page-2');
    page.results[0].properties.amount = 12;
    server.use(http.get(`${API}/crm/v3/objects/deals`, () => HttpResponse.json(page)));
    await expect(allRecords(connector().hubspot.list('deals', []))).rejects.toThrow(/hubspot deal 903 .*: properties\.amount: /);
  });

  it('slows down when HubSpot says the shared window is used up', async () => {
    let calls = 0;
    server.use(
      http.get(`${API}/crm/v3/objects/deals`, ({ request }) => {
        calls++;
        const answer = pageAnswer(deals(150), request);
        answer.headers.set('X-HubSpot-RateLimit-Remaining', '0');
        answer.headers.set('X-HubSpot-RateLimit-Interval-Milliseconds', '10000');
        return answer;
      }),
      http.post(`${API}/crm/v3/objects/contacts/batch/read`, async ({ request }) => contactsAnswer((await request.json()) as { inputs: { id: string }[] })),
    );
    const { hubspot, clock } = connector({ rateLimit: { requests: 100, perMs: 10_000 } });
    await allRecords(hubspot.list('deals', []));
    expect(calls).toBe(2);
    expect(clock()).toBeGreaterThanOrEqual(10_000);
  });
});

describe('HubSpot connector: read', () => {
  it('reads with history in batches of 50 and leaves out ids HubSpot does not know', async () => {
    const bodies: { inputs: { id: string }[]; properties: string[]; propertiesWithHistory: string[] }[] = [];
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/read`, async ({ request }) => {
        const body = (await request.json()) as (typeof bodies)[number];
        bodies.push(body);
        if (body.inputs.some((input) => input.id === '901')) return HttpResponse.json(fixture('hubspot/deals-batch-read-history'), { status: 207 });
        return HttpResponse.json({ ...fixture('hubspot/deals-batch-read-history'), results: [], errors: [] });
      }),
    );
    const ids = ['901', '999', ...Array.from({ length: 60 }, (_, i) => String(2000 + i))];
    const records = await connector().hubspot.read('deals', ids, ['dealstage', 'amount'], { withHistory: true });
    expect(bodies.map((b) => b.inputs.length)).toEqual([50, 12]);
    expect(bodies[0]?.propertiesWithHistory).toEqual(['dealstage', 'amount']);
    expect(records.map((r) => r.id)).toEqual(['901']);
    expect(records[0]?.history.dealstage).toEqual({ changedAt: Date.parse('2023-10-07T18:02:11.514Z'), changedBy: 'human', sourceType: 'CRM_UI' });
    expect(records[0]?.history.amount?.changedBy).toBe('recon');
  });

  it('reads without history in batches of 100', async () => {
    const sizes: number[] = [];
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/read`, async ({ request }) => {
        const body = (await request.json()) as { inputs: unknown[]; propertiesWithHistory: unknown[] };
        sizes.push(body.inputs.length);
        expect(body.propertiesWithHistory).toEqual([]);
        return HttpResponse.json({ ...fixture('hubspot/deals-batch-read-history'), results: [], errors: [] });
      }),
    );
    await connector().hubspot.read('deals', Array.from({ length: 250 }, (_, i) => String(i)), ['dealstage']);
    expect(sizes).toEqual([100, 100, 50]);
  });

  it('counts history reads and counterpart reads apart from plain batch reads', async () => {
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/read`, () => HttpResponse.json({ ...fixture('hubspot/deals-batch-read-history'), results: [], errors: [] })),
    );
    const { hubspot } = connector();
    await hubspot.read('deals', Array.from({ length: 60 }, (_, i) => String(i)), ['dealstage'], { withHistory: true });
    await hubspot.read('deals', ['1'], ['dealstage']);
    await hubspot.read('deals', ['2'], ['dealstage'], { asListed: true });
    expect(hubspot.apiCallsByKind()).toEqual({ 'deals history reads': 2, 'deals batch reads': 1, 'deals counterpart reads': 1 });
    expect(hubspot.apiCalls()).toBe(4);
  });

  it('retries a server error on a batch read', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/read`, () =>
        ++calls === 1
          ? HttpResponse.json({ status: 'error', message: 'internal error', category: 'INTERNAL_ERROR', correlationId: 'x' }, { status: 502 })
          : HttpResponse.json(fixture('hubspot/deals-batch-read-history'), { status: 207 })),
    );
    const { hubspot, sleeps } = connector();
    await expect(hubspot.read('deals', ['901'], ['dealstage'])).resolves.toHaveLength(1);
    expect(sleeps).toHaveLength(1);
  });
});

describe('HubSpot connector: write', () => {
  it('groups writes by deal into batch updates of at most 100, values as strings', async () => {
    const bodies: { inputs: { id: string; properties: Record<string, string> }[] }[] = [];
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/update`, async ({ request }) => {
        const body = (await request.json()) as (typeof bodies)[number];
        bodies.push(body);
        return HttpResponse.json({ ...fixture('hubspot/deals-batch-update-207'), errors: [], results: body.inputs.map(({ id }) => ({ ...fixture('hubspot/deals-batch-update-207').results[0], id })) });
      }),
    );
    const writes = [
      ...Array.from({ length: 250 }, (_, i) => write(String(i))),
      write('0', 'amount', 1200.5),
    ];
    const outcomes = await connector().hubspot.write(writes);
    expect(bodies.map((b) => b.inputs.length)).toEqual([100, 100, 50]);
    expect(bodies[0]?.inputs[0]).toEqual({ id: '0', properties: { dealstage: 'closedwon', amount: '1200.5' } });
    expect(outcomes).toHaveLength(251);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes[250]).toEqual({ id: '0', field: 'amount', ok: true });
  });

  it('maps a 207 answer to an outcome per write', async () => {
    server.use(http.post(`${API}/crm/v3/objects/deals/batch/update`, () => HttpResponse.json(fixture('hubspot/deals-batch-update-207'), { status: 207 })));
    const outcomes = await connector().hubspot.write([write('901'), write('999')]);
    expect(outcomes[0]).toEqual({ id: '901', field: 'dealstage', ok: true });
    expect(outcomes[1]).toMatchObject({ id: '999', ok: false, retryable: false, error: expect.stringContaining('OBJECT_NOT_FOUND') });
  });

  it('splits a batch HubSpot refuses for one record: the others are written, that one fails with the vendor message', async () => {
    const sent: string[][] = [];
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/update`, async ({ request }) => {
        const ids = ((await request.json()) as { inputs: { id: string }[] }).inputs.map((input) => input.id);
        sent.push(ids);
        if (ids.includes('901')) return HttpResponse.json(fixture('hubspot/error-validation'), { status: 400 });
        return HttpResponse.json({ status: 'COMPLETE', results: ids.map((id) => ({ id, properties: {}, createdAt: '2023-01-01T00:00:00Z', updatedAt: '2023-01-01T00:00:00Z', archived: false })), startedAt: 'x', completedAt: 'y' });
      }),
    );
    const outcomes = await connector().hubspot.write([write('901', 'dealstage', 'nope'), write('902'), write('903')]);
    expect(outcomes[0]).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('Property values were not valid') });
    expect(outcomes.slice(1)).toEqual([{ id: '902', field: 'dealstage', ok: true }, { id: '903', field: 'dealstage', ok: true }]);
    expect(sent).toEqual([['901', '902', '903'], ['901', '902'], ['901'], ['902'], ['903']]);
  });

  it('writes 99 of a batch of 100 with one invalid record, in a handful of calls', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/update`, async ({ request }) => {
        calls++;
        const ids = ((await request.json()) as { inputs: { id: string }[] }).inputs.map((input) => input.id);
        if (ids.includes('1042')) return HttpResponse.json(fixture('hubspot/error-validation'), { status: 400 });
        return HttpResponse.json({ status: 'COMPLETE', results: ids.map((id) => ({ id, properties: {}, createdAt: 'x', updatedAt: 'x', archived: false })), startedAt: 'x', completedAt: 'y' });
      }),
    );
    const outcomes = await connector().hubspot.write(Array.from({ length: 100 }, (_, i) => write(String(1000 + i))));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(99);
    expect(outcomes.find((o) => !o.ok)).toMatchObject({ id: '1042', ok: false });
    expect(calls).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
  });

  it('does not resend a batch update after a server error, and marks it retryable', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/update`, () => {
        calls++;
        return HttpResponse.json({ status: 'error', message: 'internal error', category: 'INTERNAL_ERROR', correlationId: 'x' }, { status: 500 });
      }),
    );
    const [outcome] = await connector().hubspot.write([write('901')]);
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ ok: false, retryable: true });
  });

  it('resends a batch update after a 429, which HubSpot did not apply', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/crm/v3/objects/deals/batch/update`, () =>
        ++calls === 1
          ? HttpResponse.json(fixture('hubspot/error-rate-limit'), { status: 429 })
          : HttpResponse.json({ ...fixture('hubspot/deals-batch-update-207'), errors: [] })),
    );
    const [outcome] = await connector().hubspot.write([write('901')]);
    expect(calls).toBe(2);
    expect(outcome).toEqual({ id: '901', field: 'dealstage', ok: true });
  });

  it('refuses an object it does not write, without calling HubSpot', async () => {
    const { hubspot } = connector();
    const [outcome] = await hubspot.write([{ ...write('1'), object: 'tickets' }]);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(hubspot.apiCalls()).toBe(0);
  });
});

describe('HubSpot connector: description and health', () => {
  const describeDeals = () => {
    server.use(
      http.get(`${API}/crm/v3/pipelines/deals`, () => HttpResponse.json(fixture('hubspot/pipelines-deals'))),
      http.get(`${API}/crm/v3/properties/deals`, () => HttpResponse.json(fixture('hubspot/properties-deals'))),
    );
    return connector().hubspot.describe('deals');
  };

  it('gives deal stages per pipeline, as HubSpot refuses a stage of another pipeline', async () => {
    const stage = (await describeDeals()).fields.find((f) => f.name === 'dealstage');
    expect(stage?.scoped?.by).toBe('pipeline');
    expect(stage?.scoped?.scopes.map((s) => [s.id, s.options.map((o) => o.value)])).toEqual([
      ['default', ['appointmentscheduled', 'closedwon', 'closedlost']],
      ['75e28846-ad0d-4be2-a027-5e1da6590b98', ['1234567']],
    ]);
  });

  it('marks calculated and read-only properties as not writable', async () => {
    const fields = (await describeDeals()).fields;
    expect(fields.find((f) => f.name === 'hs_lastmodifieddate')?.writable).toBe(false);
    expect(fields.find((f) => f.name === 'amount')).toMatchObject({ writable: true, type: 'number', options: null });
  });

  it('reports a bad token without throwing', async () => {
    server.use(
      http.get(`${API}/crm/v3/objects/deals`, () =>
        HttpResponse.json({ status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION', correlationId: 'x' }, { status: 401 })),
    );
    await expect(connector().hubspot.health()).resolves.toMatchObject({
      system: 'hubspot', ok: false, detail: expect.stringContaining('HTTP 401: Authentication credentials not found.'),
    });
  });

  it('reports a working connection with one cheap call', async () => {
    let limit: string | null = null;
    server.use(
      http.get(`${API}/crm/v3/objects/deals`, ({ request }) => {
        limit = new URL(request.url).searchParams.get('limit');
        return HttpResponse.json({ results: [] });
      }),
    );
    const { hubspot } = connector();
    await expect(hubspot.health()).resolves.toMatchObject({ ok: true });
    expect(limit).toBe('1');
    expect(hubspot.apiCalls()).toBe(1);
  });
});
