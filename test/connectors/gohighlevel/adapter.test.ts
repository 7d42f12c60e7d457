import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGoHighLevelConnector, type GoHighLevelConnectorOptions } from '../../../src/connectors/gohighlevel/adapter.ts';
import type { FieldWrite } from '../../../src/domain/ports.ts';
import { allPages, allRecords } from '../../support/pages.ts';
import { fixture } from '../fixtures.ts';

const API = 'http://gohighlevel.test';
const LOCATION = 've9EPM428h8vShlRW1KT';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A connector whose waiting (retry backoff, limiter pauses) only moves a fake clock. */
function connector(options: Partial<GoHighLevelConnectorOptions> = {}) {
  const sleeps: number[] = [];
  let fakeNow = 0;
  const ghl = createGoHighLevelConnector({
    accessToken: 'pit-00000000-test-0000-0000-000000000000',
    locationId: LOCATION,
    apiUrl: API,
    stripeIdField: 'MgobCB14YMVKuE4Ka8p1',
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
  return { ghl, sleeps, clock: () => fakeNow };
}

/** `count` opportunities shaped like the fixture, oldest first, each with its own contact. */
function opportunities(count: number) {
  const template = fixture('gohighlevel/opportunities-search-page-1').opportunities[0];
  return Array.from({ length: count }, (_, i) => ({
    ...template,
    id: `opp${String(i).padStart(17, '0')}`,
    createdAt: new Date(Date.UTC(2023, 0, 1) + i * 1000).toISOString(),
    contactId: `c${i}`,
    contact: { ...template.contact, id: `c${i}`, email: `c${i}@example.com` },
    customFields: [{ id: 'MgobCB14YMVKuE4Ka8p1', fieldValue: `cus_${i}` }],
  }));
}

/** Answers the search from `all`, oldest first, honouring `limit` and the startAfter/startAfterId keyset. */
function searchAnswer(all: ReturnType<typeof opportunities>, request: Request) {
  const params = new URL(request.url).searchParams;
  const limit = Number(params.get('limit') ?? 20);
  const afterId = params.get('startAfterId');
  const start = afterId === null ? 0 : all.findIndex((o) => o.id === afterId) + 1;
  const page = all.slice(start, start + limit);
  const last = page.at(-1);
  const more = start + limit < all.length;
  return HttpResponse.json({
    opportunities: page,
    meta: more && last
      ? { total: all.length, startAfterId: last.id, startAfter: Date.parse(last.createdAt), currentPage: 1, nextPage: 2 }
      : { total: all.length, currentPage: 1 },
  });
}

const write = (id: string, field = 'status', value: FieldWrite['value'] = 'won'): FieldWrite =>
  ({ object: 'opportunities', id, field, value, idempotencyKey: `k-${id}-${field}` });

describe('GoHighLevel connector: list', () => {
  it('reads every page of 100 once and gives each opportunity its contact email, Stripe id and contact alias', async () => {
    const all = opportunities(250);
    const queries: URLSearchParams[] = [];
    server.use(http.get(`${API}/opportunities/search`, ({ request }) => {
      queries.push(new URL(request.url).searchParams);
      return searchAnswer(all, request);
    }));
    const { ghl } = connector();
    const records = await allRecords(ghl.list('opportunities', ['status', 'monetaryValue']));
    expect(records.map((r) => r.id)).toEqual(all.map((o) => o.id));
    expect(records[7]).toMatchObject({ email: 'c7@example.com', refs: { stripe: 'cus_7' }, aliases: ['c7'], fields: { status: 'open', monetaryValue: 1200 } });
    expect(queries.map((q) => q.get('startAfterId'))).toEqual([null, all[99]?.id, all[199]?.id]);
    expect(queries[1]?.get('startAfter')).toBe(String(Date.parse(all[99]?.createdAt ?? '')));
    expect(Object.fromEntries(queries[0] ?? [])).toEqual({ location_id: LOCATION, status: 'all', order: 'added_asc', limit: '100' });
    expect(ghl.apiCalls()).toBe(3);
  });

  it('sends the token as a bearer token and the API version GoHighLevel requires', async () => {
    let headers: Headers | null = null;
    server.use(http.get(`${API}/opportunities/search`, ({ request }) => {
      headers = request.headers;
      return HttpResponse.json(fixture('gohighlevel/opportunities-search-page-2'));
    }));
    await allRecords(connector().ghl.list('opportunities', []));
    expect((headers as Headers | null)?.get('authorization')).toBe('Bearer pit-00000000-test-0000-0000-000000000000');
    expect((headers as Headers | null)?.get('version')).toBe('2021-07-28');
  });

  it('reads everything even when given a cursor: GoHighLevel cannot list by update time', async () => {
    const queries: URLSearchParams[] = [];
    server.use(http.get(`${API}/opportunities/search`, ({ request }) => {
      queries.push(new URL(request.url).searchParams);
      return HttpResponse.json(fixture('gohighlevel/opportunities-search-page-2'));
    }));
    const pages = await allPages(connector().ghl.list('opportunities', ['status'], { since: '{"ts":1700000000000}' }));
    expect(pages.map((p) => [p.mode, p.cursor])).toEqual([['full', null]]);
    expect([...(queries[0]?.keys() ?? [])].sort()).toEqual(['limit', 'location_id', 'order', 'status']);
  });

  it('pages contacts through GET /contacts/ after the last contact when the answer has no meta', async () => {
    const template = fixture('gohighlevel/contacts-page').contacts[0];
    const all = Array.from({ length: 130 }, (_, i) => ({ ...template, id: `con${i}`, email: `p${i}@example.com`, dateAdded: new Date(Date.UTC(2023, 0, 1) + i * 1000).toISOString() }));
    const queries: URLSearchParams[] = [];
    server.use(http.get(`${API}/contacts/`, ({ request }) => {
      const params = new URL(request.url).searchParams;
      queries.push(params);
      const start = params.get('startAfterId') === null ? 0 : all.findIndex((c) => c.id === params.get('startAfterId')) + 1;
      return HttpResponse.json({ contacts: all.slice(start, start + 100), count: all.length });
    }));
    const records = await allRecords(connector().ghl.list('contacts', ['email']));
    expect(records).toHaveLength(130);
    expect(records[129]?.email).toBe('p129@example.com');
    expect(queries[1]?.get('startAfterId')).toBe('con99');
    expect(queries[1]?.get('startAfter')).toBe(String(Date.parse(all[99]?.dateAdded ?? '')));
    expect(queries[0]?.get('locationId')).toBe(LOCATION);
  });

  it('fails with the opportunity id and path when a raw opportunity is malformed', async () => {
    const page = fixture('gohighlevel/opportunities-search-page-2');
    page.opportunities[0].monetaryValue = '12';
    server.use(http.get(`${API}/opportunities/search`, () => HttpResponse.json(page)));
    await expect(allRecords(connector().ghl.list('opportunities', []))).rejects.toThrow(/gohighlevel opportunity wWhVuzqpRuOA1ZVWi4FC .*: monetaryValue: /);
  });
});

describe('GoHighLevel connector: limits, retries and timeouts', () => {
  it('waits as long as Retry-After says after a 429, then retries', async () => {
    let calls = 0;
    server.use(http.get(`${API}/opportunities/search`, () =>
      ++calls === 1
        ? HttpResponse.json(fixture('gohighlevel/error-rate-limit'), { status: 429, headers: { 'Retry-After': '3' } })
        : HttpResponse.json(fixture('gohighlevel/opportunities-search-page-2'))));
    const { ghl, sleeps } = connector();
    await expect(allRecords(ghl.list('opportunities', []))).resolves.toHaveLength(1);
    expect(sleeps).toEqual([3000]);
    expect(ghl.apiCalls()).toBe(2);
  });

  it('does not retry once the daily limit is spent', async () => {
    let calls = 0;
    server.use(http.get(`${API}/opportunities/search`, () => {
      calls++;
      return HttpResponse.json(fixture('gohighlevel/error-rate-limit'), { status: 429, headers: { 'X-RateLimit-Daily-Remaining': '0', 'X-RateLimit-Remaining': '80' } });
    }));
    await expect(allRecords(connector().ghl.list('opportunities', []))).rejects.toThrow(/HTTP 429: Too Many Requests/);
    expect(calls).toBe(1);
  });

  it('retries a server error on a read', async () => {
    let calls = 0;
    server.use(http.get(`${API}/opportunities/:id`, () =>
      ++calls === 1 ? HttpResponse.json({ statusCode: 502, message: 'Bad Gateway' }, { status: 502 }) : HttpResponse.json(fixture('gohighlevel/opportunity'))));
    const { ghl, sleeps } = connector();
    await expect(ghl.read('opportunities', ['yWQobCRIhRguQtD2llvk'], ['status'])).resolves.toHaveLength(1);
    expect(sleeps).toHaveLength(1);
  });

  it('gives up on a read that keeps timing out, saying so', async () => {
    server.use(http.get(`${API}/opportunities/:id`, () => new Promise<never>(() => {})));
    const { ghl } = connector({ timeoutMs: 20, retry: { maxAttempts: 2 } });
    await expect(ghl.read('opportunities', ['yWQobCRIhRguQtD2llvk'], ['status'])).rejects.toThrow(/timed out.*after 2 attempts/);
    expect(ghl.apiCalls()).toBe(2);
  });

  it('slows down when GoHighLevel says the burst window is used up', async () => {
    let calls = 0;
    const all = opportunities(150);
    server.use(http.get(`${API}/opportunities/search`, ({ request }) => {
      calls++;
      const answer = searchAnswer(all, request);
      answer.headers.set('X-RateLimit-Remaining', '0');
      answer.headers.set('X-RateLimit-Max', '100');
      answer.headers.set('X-RateLimit-Interval-Milliseconds', '10000');
      return answer;
    }));
    const { ghl, clock } = connector({ rateLimit: { requests: 100, perMs: 10_000 } });
    await allRecords(ghl.list('opportunities', []));
    expect(calls).toBe(2);
    expect(clock()).toBeGreaterThanOrEqual(10_000);
  });
});

describe('GoHighLevel connector: read', () => {
  it('reads each id with GET /opportunities/{id} and leaves out ids GoHighLevel does not know', async () => {
    const asked: string[] = [];
    server.use(http.get(`${API}/opportunities/:id`, ({ params }) => {
      asked.push(String(params.id));
      return params.id === 'yWQobCRIhRguQtD2llvk'
        ? HttpResponse.json(fixture('gohighlevel/opportunity'))
        : HttpResponse.json(fixture('gohighlevel/error-bad-request'), { status: 400 });
    }));
    const records = await connector().ghl.read('opportunities', ['yWQobCRIhRguQtD2llvk', 'gone000000000000000', 'yWQobCRIhRguQtD2llvk'], ['status']);
    expect(asked.sort()).toEqual(['gone000000000000000', 'yWQobCRIhRguQtD2llvk']);
    expect(records.map((r) => [r.id, r.fields.status, r.email])).toEqual([['yWQobCRIhRguQtD2llvk', 'open', 'ada@lovelace.example']]);
  });
});

describe('GoHighLevel connector: write', () => {
  it('sends one PUT per opportunity with every field and custom field written to it', async () => {
    const bodies: unknown[] = [];
    server.use(http.put(`${API}/opportunities/:id`, async ({ request }) => {
      bodies.push(await request.json());
      return HttpResponse.json(fixture('gohighlevel/opportunity'));
    }));
    const outcomes = await connector().ghl.write([write('o1', 'monetaryValue', 250), write('o1', 'customFields.MgobCB14YMVKuE4Ka8p1', 'cus_9')]);
    expect(bodies).toEqual([{ monetaryValue: 250, customFields: [{ id: 'MgobCB14YMVKuE4Ka8p1', field_value: 'cus_9' }] }]);
    expect(outcomes).toEqual([{ id: 'o1', field: 'monetaryValue', ok: true }, { id: 'o1', field: 'customFields.MgobCB14YMVKuE4Ka8p1', ok: true }]);
  });

  it('writes a status through PUT /opportunities/{id}/status', async () => {
    const sent: { path: string; body: unknown }[] = [];
    server.use(http.put(`${API}/opportunities/:id/status`, async ({ request }) => {
      sent.push({ path: new URL(request.url).pathname, body: await request.json() });
      return HttpResponse.json(fixture('gohighlevel/status-updated'));
    }));
    const outcomes = await connector().ghl.write([write('o1', 'status', 'lost')]);
    expect(sent).toEqual([{ path: '/opportunities/o1/status', body: { status: 'lost' } }]);
    expect(outcomes).toEqual([{ id: 'o1', field: 'status', ok: true }]);
  });

  it('fails only the record GoHighLevel refuses, with its message, and writes the others', async () => {
    server.use(http.put(`${API}/opportunities/:id/status`, ({ params }) =>
      params.id === 'bad'
        ? HttpResponse.json(fixture('gohighlevel/error-unprocessable'), { status: 422 })
        : HttpResponse.json(fixture('gohighlevel/status-updated'))));
    const outcomes = await connector().ghl.write([write('a'), write('bad'), write('c')]);
    expect(outcomes[1]).toMatchObject({ id: 'bad', ok: false, retryable: false, error: expect.stringContaining('status must be one of the following values') });
    expect([outcomes[0], outcomes[2]]).toEqual([{ id: 'a', field: 'status', ok: true }, { id: 'c', field: 'status', ok: true }]);
  });

  it('does not resend a write after a server error, and marks it retryable', async () => {
    let calls = 0;
    server.use(http.put(`${API}/opportunities/:id/status`, () => {
      calls++;
      return HttpResponse.json({ statusCode: 500, message: 'Internal server error' }, { status: 500 });
    }));
    const [outcome] = await connector().ghl.write([write('o1')]);
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ ok: false, retryable: true });
  });

  it('resends a write after a 429, which GoHighLevel did not apply', async () => {
    let calls = 0;
    server.use(http.put(`${API}/opportunities/:id/status`, () =>
      ++calls === 1 ? HttpResponse.json(fixture('gohighlevel/error-rate-limit'), { status: 429 }) : HttpResponse.json(fixture('gohighlevel/status-updated'))));
    const [outcome] = await connector().ghl.write([write('o1')]);
    expect(calls).toBe(2);
    expect(outcome).toEqual({ id: 'o1', field: 'status', ok: true });
  });

  it('refuses a value or an object it cannot write, without calling GoHighLevel', async () => {
    const { ghl } = connector();
    const outcomes = await ghl.write([write('o1', 'status', 'all'), { ...write('o2'), object: 'tasks' }, write('o3', 'updatedAt', 'x')]);
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, false]);
    expect(ghl.apiCalls()).toBe(0);
  });
});

describe('GoHighLevel connector: description and health', () => {
  it('describes opportunities from the location\'s pipelines', async () => {
    let query: URLSearchParams | null = null;
    server.use(http.get(`${API}/opportunities/pipelines`, ({ request }) => {
      query = new URL(request.url).searchParams;
      return HttpResponse.json(fixture('gohighlevel/pipelines'));
    }));
    const description = await connector().ghl.describe('opportunities');
    expect((query as URLSearchParams | null)?.get('locationId')).toBe(LOCATION);
    expect(description.fields.find((f) => f.name === 'pipelineStageId')?.scoped?.scopes.map((s) => s.id)).toEqual(['VDm7RPYC2GLUvdpKmBfC', 'aWdODOBVOlH1RUFKWQke']);
  });

  it('reports a bad token without throwing', async () => {
    server.use(http.get(`${API}/opportunities/pipelines`, () => HttpResponse.json(fixture('gohighlevel/error-unauthorized'), { status: 401 })));
    await expect(connector().ghl.health()).resolves.toMatchObject({ system: 'gohighlevel', ok: false, detail: expect.stringContaining('HTTP 401: Invalid JWT') });
  });

  it('reports a working connection with one cheap call', async () => {
    server.use(http.get(`${API}/opportunities/pipelines`, () => HttpResponse.json(fixture('gohighlevel/pipelines'))));
    const { ghl } = connector();
    await expect(ghl.health()).resolves.toMatchObject({ ok: true, detail: expect.stringContaining('2 pipelines') });
    expect(ghl.apiCalls()).toBe(1);
  });
});
