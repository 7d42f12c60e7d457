import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleCalendarConnector, type GoogleCalendarConnectorOptions } from '../../../src/connectors/google_calendar/adapter.ts';
import type { GoogleEvent } from '../../../src/connectors/google_calendar/schemas.ts';
import type { FieldWrite } from '../../../src/domain/ports.ts';
import { newServiceAccountKey } from '../../../src/sandbox/google-calendar-auth.ts';
import { allRecords } from '../../support/pages.ts';
import { fixture } from '../fixtures.ts';
import { calendarEvent } from './events.ts';

const API = 'http://calendar.test';
const TOKEN_URI = 'http://oauth.test/token';
const CALENDAR = 'bookings@acme.example';
const EVENTS = `${API}/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events`;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const DAY = 86_400_000;
const { key } = newServiceAccountKey({ tokenUri: TOKEN_URI, clientEmail: 'recon@acme-project.iam.gserviceaccount.com' });

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Every calendar request's query, and every token exchange's form, in order. */
let queries: URLSearchParams[] = [];
let exchanges: URLSearchParams[] = [];

/**
 * Answers the token endpoint, and events.list from `answer` (a body, or a status and a body). The
 * default answer pages `all` by `maxResults`, the page token being an offset, and ends with `sync-2`.
 */
function calendarApi(answer: (query: URLSearchParams) => { status?: number; body: unknown }) {
  queries = [];
  exchanges = [];
  server.use(
    http.post(TOKEN_URI, async ({ request }) => {
      exchanges.push(new URLSearchParams(await request.text()));
      return HttpResponse.json({ access_token: `ya29.test-${exchanges.length}`, expires_in: 3599, token_type: 'Bearer' });
    }),
    http.get(EVENTS, ({ request }) => {
      const query = new URL(request.url).searchParams;
      queries.push(query);
      const { status, body } = answer(query);
      return HttpResponse.json(body as Record<string, unknown>, { status: status ?? 200 });
    }),
  );
}

function page(items: GoogleEvent[], query: URLSearchParams, syncToken = 'sync-2') {
  const size = Number(query.get('maxResults') ?? 250);
  const offset = Number(query.get('pageToken') ?? 0);
  const more = offset + size < items.length;
  return {
    body: {
      kind: 'calendar#events', etag: '"p1"', summary: 'Bookings', updated: '2026-11-30T10:00:00.000Z', timeZone: 'Europe/Berlin', accessRole: 'reader', defaultReminders: [],
      items: items.slice(offset, offset + size),
      ...(more ? { nextPageToken: String(offset + size) } : { nextSyncToken: syncToken }),
    },
  };
}

/** Answers as a calendar holding `all` would: sync token reads give `changed`; `q` and `privateExtendedProperty` filter. */
function calendarOf(all: GoogleEvent[], changed: GoogleEvent[] = []) {
  return (query: URLSearchParams) => {
    if (query.has('syncToken')) return page(changed, query, 'sync-3');
    const q = query.get('q');
    const property = query.get('privateExtendedProperty');
    return page(all.filter((e) => (q === null || e.attendees?.some((a) => a.email === q))
      && (property === null || Object.entries(e.extendedProperties?.private ?? {}).some(([k, v]) => `${k}=${v}` === property))), query);
  };
}

function connector(options: Partial<GoogleCalendarConnectorOptions> = {}) {
  const sleeps: number[] = [];
  let clock = 0;
  const calendar = createGoogleCalendarConnector({
    key, calendarId: CALENDAR, apiUrl: API, now: () => NOW,
    rateLimit: { requests: 10_000, perMs: 60_000 },
    limiterClock: { now: () => clock, sleep: async (ms) => void (clock += ms) },
    ...options,
    retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...options.retry },
  });
  return { calendar, sleeps };
}

const cursorOf = (fields: Partial<{ syncToken: string; readAt: number; nextStartAt: number | null; events: number }> = {}) =>
  JSON.stringify({ v: 1, syncToken: 'sync-1', readAt: NOW - DAY, nextStartAt: null, events: 10, ...fields });

async function listed(calendar: ReturnType<typeof connector>['calendar'], since?: string) {
  const pages = [];
  for await (const p of calendar.list('bookings', ['booking_status'], { since: since ?? null })) pages.push(p);
  return { records: pages.flatMap((p) => p.records), modes: [...new Set(pages.map((p) => p.mode))], cursor: pages.at(-1)?.cursor ?? null };
}

const ada = [{ email: 'ada@example.com' }];
const grace = [{ email: 'grace@example.com' }];

describe('Google Calendar connector: a full pass', () => {
  it('asks for every instance, cancelled ones too, 2,500 a page', async () => {
    calendarApi(calendarOf([calendarEvent({ id: 'e1', start: NOW + DAY, attendees: ada })]));
    await listed(connector().calendar);
    expect([...(queries[0] as URLSearchParams).entries()].sort()).toEqual([['maxResults', '2500'], ['showDeleted', 'true'], ['singleEvents', 'true']]);
  });

  it('reads every page once and keeps the sync token of the last', async () => {
    const all = Array.from({ length: 5001 }, (_, i) => calendarEvent({ id: `e${i}`, start: NOW + DAY, attendees: [{ email: `p${i}@example.com` }] }));
    calendarApi(calendarOf(all));
    const { calendar } = connector();
    const { records, modes, cursor } = await listed(calendar);
    expect(queries.map((q) => q.get('pageToken'))).toEqual([null, '2500', '5000']);
    expect([records.length, modes]).toEqual([5001, ['full']]);
    expect(JSON.parse(cursor as string)).toMatchObject({ syncToken: 'sync-2', readAt: NOW, events: 5001, nextStartAt: NOW + DAY });
    expect(calendar.apiCalls()).toBe(3 + 1);
  });

  it('derives one record per person from all of their events', async () => {
    calendarApi(calendarOf([
      calendarEvent({ id: 'held', start: NOW - 9 * DAY, private: { crm_id: '901' }, attendees: ada }),
      calendarEvent({ id: 'cancelled', start: NOW + DAY, status: 'cancelled', attendees: ada }),
      calendarEvent({ id: 'rebooked', start: NOW + 3 * DAY, attendees: ada }),
      calendarEvent({ id: 'other', start: NOW + 2 * DAY, status: 'cancelled', attendees: grace }),
    ]));
    const { records } = await listed(connector().calendar);
    expect(records.map((r) => [r.id, r.fields.booking_status, r.fields.event_id, r.refs])).toEqual([
      ['901', 'upcoming_confirmed', 'rebooked', { hubspot: '901' }],
      ['grace@example.com', 'cancelled', 'other', {}],
    ]);
  });

  it('exchanges the service account key at the key file\'s token_uri and sends the token as a bearer', async () => {
    let authorization: string | null = null;
    calendarApi(calendarOf([]));
    server.use(http.get(EVENTS, ({ request }) => {
      authorization = request.headers.get('authorization');
      return HttpResponse.json(page([], new URL(request.url).searchParams).body);
    }));
    await listed(connector().calendar);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const claims = JSON.parse(Buffer.from((exchanges[0]?.get('assertion') ?? '').split('.')[1] as string, 'base64url').toString());
    expect(claims).toMatchObject({ iss: key.client_email, scope: 'https://www.googleapis.com/auth/calendar.events.readonly' });
    expect(authorization).toBe('Bearer ya29.test-1');
  });

  it('gives each record the link of the event that decides it', async () => {
    const event = calendarEvent({ id: 'e1', start: NOW + DAY, attendees: ada });
    calendarApi(calendarOf([event]));
    const { calendar } = connector();
    await listed(calendar);
    expect(calendar.recordUrl('bookings', 'ada@example.com')).toBe(event.htmlLink);
  });
});

describe('Google Calendar connector: an incremental pass', () => {
  it('makes one call and yields nothing when nothing changed', async () => {
    calendarApi(calendarOf([], []));
    const { calendar } = connector();
    const { records, modes, cursor } = await listed(calendar, cursorOf());
    expect([records, modes, queries.length]).toEqual([[], ['incremental'], 1]);
    expect([...(queries[0] as URLSearchParams).entries()].sort()).toEqual([['maxResults', '2500'], ['showDeleted', 'true'], ['singleEvents', 'true'], ['syncToken', 'sync-1']]);
    expect(JSON.parse(cursor as string)).toMatchObject({ syncToken: 'sync-3', readAt: NOW });
  });

  it('reads a changed person again whole, by their id and their email, and yields only them', async () => {
    const held = calendarEvent({ id: 'held', start: NOW + 4 * DAY, attendees: ada });
    const cancelled = calendarEvent({ id: 'cancelled', start: NOW + DAY, status: 'cancelled', private: { crm_id: '901' }, attendees: ada });
    const bystander = calendarEvent({ id: 'other', start: NOW + DAY, attendees: grace });
    calendarApi(calendarOf([held, cancelled, bystander], [cancelled]));
    const { records, modes } = await listed(connector({ maxTargetedReads: 10 }).calendar, cursorOf());
    expect(records.map((r) => [r.id, r.fields.booking_status, r.fields.event_id])).toEqual([['901', 'upcoming_confirmed', 'held']]);
    expect(modes).toEqual(['incremental']);
    expect(queries.slice(1).map((q) => q.get('q') ?? q.get('privateExtendedProperty')).sort()).toEqual(['ada@example.com', 'crm_id=901']);
    for (const q of queries.slice(1)) expect([q.get('singleEvents'), q.get('showDeleted'), q.get('maxResults'), q.has('syncToken')]).toEqual(['true', 'true', '2500', false]);
  });

  it('follows the ids a person\'s other events reveal until the person is complete', async () => {
    const byHand = calendarEvent({ id: 'by-hand', start: NOW - DAY, attendees: ada });
    const tagged = calendarEvent({ id: 'tagged', start: NOW + 2 * DAY, private: { crm_id: '901' }, attendees: ada });
    const taggedOtherEmail = calendarEvent({ id: 'work-email', start: NOW + DAY, private: { crm_id: '901' }, attendees: [{ email: 'ada@work.example' }] });
    calendarApi(calendarOf([byHand, tagged, taggedOtherEmail], [byHand]));
    const { records } = await listed(connector({ maxTargetedReads: 10 }).calendar, cursorOf());
    expect(queries.slice(1).map((q) => q.get('q') ?? q.get('privateExtendedProperty'))).toEqual(['ada@example.com', 'crm_id=901', 'ada@work.example']);
    expect(records.map((r) => [r.id, r.fields.booking_status, r.fields.event_id])).toEqual([['901', 'upcoming_confirmed', 'work-email']]);
  });

  it('reads the whole calendar instead when that is cheaper, still yielding only the changed people', async () => {
    const changed = [calendarEvent({ id: 'a', start: NOW + DAY, attendees: ada }), calendarEvent({ id: 'b', start: NOW + DAY, attendees: grace })];
    const all = [...changed, calendarEvent({ id: 'c', start: NOW + DAY, attendees: [{ email: 'alan@example.com' }] })];
    calendarApi(calendarOf(all, changed));
    const { records, modes, cursor } = await listed(connector().calendar, cursorOf({ events: 3 }));
    expect(queries.map((q) => [...q.keys()].sort().join())).toEqual(['maxResults,showDeleted,singleEvents,syncToken', 'maxResults,showDeleted,singleEvents']);
    expect([records.map((r) => r.id).sort(), modes]).toEqual([['ada@example.com', 'grace@example.com'], ['incremental']]);
    expect(JSON.parse(cursor as string).syncToken).toBe('sync-3');
  });

  it('reads the people whose confirmed booking started since the last pass: their status changed by itself', async () => {
    const started = calendarEvent({ id: 'started', start: NOW - 2 * 3_600_000, attendees: ada });
    const next = calendarEvent({ id: 'next', start: NOW + 5 * DAY, attendees: grace });
    calendarApi((query) => (query.has('syncToken') ? page([], query, 'sync-3') : query.has('orderBy') ? page([started, next], query) : calendarOf([started, next])(query)));
    const { records, cursor } = await listed(connector({ maxTargetedReads: 10 }).calendar, cursorOf({ readAt: NOW - DAY, nextStartAt: NOW - 2 * 3_600_000 }));
    const window = queries[1] as URLSearchParams;
    expect([...window.entries()].sort()).toEqual([['maxResults', '2500'], ['orderBy', 'startTime'], ['singleEvents', 'true'], ['timeMin', new Date(NOW - DAY).toISOString()]]);
    expect(records.map((r) => [r.id, r.fields.booking_status])).toEqual([['ada@example.com', 'past']]);
    expect(JSON.parse(cursor as string).nextStartAt).toBe(NOW + 5 * DAY);
  });

  it('does a full pass when the sync token is no longer valid (410)', async () => {
    calendarApi((query) => (query.has('syncToken') ? { status: 410, body: fixture('google_calendar/error-sync-token-gone') } : calendarOf([calendarEvent({ id: 'e1', start: NOW + DAY, attendees: ada })])(query)));
    const { records, modes, cursor } = await listed(connector().calendar, cursorOf());
    expect([records.map((r) => r.id), modes]).toEqual([['ada@example.com'], ['full']]);
    expect(queries.map((q) => q.has('syncToken'))).toEqual([true, false]);
    expect(JSON.parse(cursor as string).syncToken).toBe('sync-2');
  });

  it('does a full pass when a deleted event comes without its attendees', async () => {
    const everyone = [calendarEvent({ id: 'e1', start: NOW + DAY, attendees: ada }), calendarEvent({ id: 'e2', start: NOW + DAY, attendees: grace })];
    calendarApi(calendarOf(everyone, [{ kind: 'calendar#event', id: 'gone', status: 'cancelled' }]));
    const { records, modes } = await listed(connector().calendar, cursorOf());
    expect([records.length, modes]).toEqual([2, ['full']]);
  });
});

describe('Google Calendar connector: rate limits and failures', () => {
  const ok = (query: URLSearchParams) => calendarOf([calendarEvent({ id: 'e1', start: NOW + DAY, attendees: ada })])(query);

  it('retries a 429 and a 503 with backoff', async () => {
    const failures = [{ status: 429, body: { error: { code: 429, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }] } } },
      { status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }] } } }];
    calendarApi((query) => failures.shift() ?? ok(query));
    const { calendar, sleeps } = connector();
    expect((await listed(calendar)).records).toHaveLength(1);
    expect(sleeps).toEqual([375, 750]);
  });

  it('honours Google\'s 403 rateLimitExceeded as a rate limit', async () => {
    let refused = false;
    calendarApi((query) => (refused ? ok(query) : ((refused = true), { status: 403, body: fixture('google_calendar/error-rate-limit') })));
    const { calendar, sleeps } = connector();
    expect((await listed(calendar)).records).toHaveLength(1);
    expect(sleeps).toHaveLength(1);
  });

  it('gives up at once on a 403 that is not a rate limit, naming Google\'s reason', async () => {
    calendarApi(() => ({ status: 403, body: fixture('google_calendar/error-forbidden') }));
    const { calendar, sleeps } = connector();
    await expect(listed(calendar)).rejects.toMatchObject({ code: 'api.forbidden', vendorCode: 'forbidden', status: 403 });
    expect(sleeps).toEqual([]);
  });

  it('exchanges the key again after a 401 and tries once more', async () => {
    let first = true;
    calendarApi((query) => (first ? ((first = false), { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', errors: [{ domain: 'global', reason: 'authError', message: 'Invalid Credentials' }] } } }) : ok(query)));
    const { calendar } = connector();
    expect((await listed(calendar)).records).toHaveLength(1);
    expect(exchanges).toHaveLength(2);
  });

  it('names a refused token exchange as such', async () => {
    server.use(http.post(TOKEN_URI, () => HttpResponse.json({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, { status: 400 })));
    const { calendar } = connector({ retry: { maxAttempts: 1 } });
    await expect(listed(calendar)).rejects.toThrow(/POST \/token \(token exchange\) failed: HTTP 400: invalid_grant: Invalid JWT Signature/);
  });
});

describe('Google Calendar connector: reads, writes and health', () => {
  it('reads people by their CRM id, Stripe id or email, each derived from all of their events', async () => {
    calendarApi(calendarOf([
      calendarEvent({ id: 'e1', start: NOW + DAY, private: { crm_id: '901' }, attendees: ada }),
      calendarEvent({ id: 'e2', start: NOW - DAY, attendees: grace }),
      calendarEvent({ id: 'e3', start: NOW + DAY, status: 'cancelled', private: { stripe_customer_id: 'cus_9' }, attendees: [{ email: 'alan@example.com' }] }),
    ]));
    const records = await connector({ maxTargetedReads: 10 }).calendar.read('bookings', ['901', 'grace@example.com', 'cus_9', 'nobody@example.com'], ['booking_status']);
    expect(records.map((r) => [r.id, r.fields.booking_status]).sort()).toEqual([['901', 'upcoming_confirmed'], ['cus_9', 'cancelled'], ['grace@example.com', 'past']]);
    expect(queries.map((q) => q.get('q') ?? q.get('privateExtendedProperty')).sort()).toEqual(
      ['ada@example.com', 'alan@example.com', 'crm_id=901', 'grace@example.com', 'nobody@example.com', 'stripe_customer_id=cus_9'],
    );
  });

  it('refuses every write without a call', async () => {
    calendarApi(calendarOf([]));
    const { calendar } = connector();
    const write: FieldWrite = { object: 'bookings', id: '901', field: 'booking_status', value: 'cancelled', idempotencyKey: 'k' };
    expect(await calendar.write([write])).toEqual([{ id: '901', field: 'booking_status', ok: false, retryable: false, error: expect.stringMatching(/never writes to Google Calendar/) }]);
    expect([calendar.apiCalls(), queries.length, exchanges.length]).toEqual([0, 0, 0]);
  });

  it('describes bookings: a read-only status with four values', async () => {
    const described = await connector().calendar.describe('bookings');
    expect(described.fields.find((f) => f.name === 'booking_status')).toMatchObject({
      type: 'enumeration', writable: false, options: ['upcoming_confirmed', 'cancelled', 'past', 'none'].map((value) => ({ value, label: expect.any(String) })),
    });
    expect(described.fields.every((f) => !f.writable)).toBe(true);
  });

  it('reports its health from one small read', async () => {
    calendarApi(calendarOf([]));
    expect(await connector().calendar.health()).toMatchObject({ ok: true });
    expect(queries[0]?.get('maxResults')).toBe('1');
  });
});
