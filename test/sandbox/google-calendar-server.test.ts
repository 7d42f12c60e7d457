import { createSign } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newServiceAccountKey, type ServiceAccountKeyFile } from '../../src/sandbox/google-calendar-auth.ts';
import {
  addCalendarEvent, cancelCalendarEvent, deleteCalendarEvent, expireCalendarSyncTokens, updateCalendarEvent,
} from '../../src/sandbox/google-calendar-state.ts';
import { createSandboxState, startSandbox, type RunningSandbox, type SandboxState } from '../../src/sandbox/index.ts';
import { discoveryShapeProblems, loadDiscovery } from '../support/discovery.ts';

const calendarSpec = loadDiscovery('google-calendar/calendar-v3.json');
const NOW = Date.now();
const HOUR = 3_600_000;
const READ_SCOPE = 'https://www.googleapis.com/auth/calendar.events.readonly';

let state: SandboxState;
let sandbox: RunningSandbox;
let key: ServiceAccountKeyFile;
let token: string;
let eventsPath: string;

/** A JWT assertion signed with `signer` (default: the registered key), claims as given over sensible ones. */
function assertion(claims: Record<string, unknown> = {}, signer: string = key.private_key, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const iat = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode(header)}.${encode({ iss: key.client_email, scope: READ_SCOPE, aud: 'https://oauth2.googleapis.com/token', iat, exp: iat + 3600, ...claims })}`;
  const signature = createSign('RSA-SHA256').update(body).sign(signer).toString('base64url');
  return `${body}.${signature}`;
}

async function exchange(jwt: string, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
  const response = await fetch(`${sandbox.urls.google_calendar}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: grantType, assertion: jwt }),
  });
  return { status: response.status, body: await response.json() as any };
}

async function get(path: string, query: Record<string, string | string[]> = {}, bearer: string | null = token) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) for (const v of [value].flat()) params.append(name, v);
  const response = await fetch(`${sandbox.urls.google_calendar}${path}${params.size ? `?${params}` : ''}`, {
    headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
  });
  return { status: response.status, body: await response.json() as any };
}

const list = (query: Record<string, string | string[]> = {}) => get(eventsPath, { singleEvents: 'true', showDeleted: 'true', ...query });

function seed(s: SandboxState, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addCalendarEvent(s.calendar, {
    summary: `Intro call ${i}`, start: NOW + (i - count / 2) * HOUR, createdAt: NOW - 10 * 24 * HOUR,
    attendees: [{ email: `person${i}@example.com`, displayName: `Person ${i}` }],
    ...(i % 2 === 0 ? { privateProperties: { crm_id: String(900 + i) } } : {}),
  }).id);
}

beforeAll(async () => {
  state = createSandboxState();
  sandbox = await startSandbox(state, { rateLimits: false });
  const made = newServiceAccountKey({ tokenUri: `${sandbox.urls.google_calendar}/token` });
  key = made.key;
  state.calendar.serviceAccounts.set(key.client_email, made.publicKeyPem);
  token = (await exchange(assertion())).body.access_token;
  eventsPath = `/calendar/v3/calendars/${encodeURIComponent(state.calendar.calendarId)}/events`;
});
afterAll(() => sandbox.close());
beforeEach(() => {
  state.calendar.events.clear();
  state.calendar.changeSeq = 0;
  state.calendar.syncTokenMaxChanges = 100_000;
  sandbox.faults.set({});
});

describe('the sandbox token endpoint', () => {
  it('exchanges a JWT signed by a known service account for a bearer token', async () => {
    const { status, body } = await exchange(assertion());
    expect(status).toBe(200);
    expect(body).toEqual({ access_token: expect.stringMatching(/^ya29\./), expires_in: 3599, token_type: 'Bearer' });
  });

  it('refuses an assertion signed by another key', async () => {
    const stranger = newServiceAccountKey({ tokenUri: 'http://127.0.0.1/token' }).key.private_key;
    expect(await exchange(assertion({}, stranger))).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
  });

  it('refuses an account it does not know, an expired assertion, another algorithm and another grant type', async () => {
    expect((await exchange(assertion({ iss: 'someone@else.iam.gserviceaccount.com' }))).body.error_description).toBe('Invalid grant: account not found');
    const old = Math.floor(Date.now() / 1000) - 7200;
    expect((await exchange(assertion({ iat: old, exp: old + 3600 }))).body.error_description).toMatch(/short-lived token/);
    expect((await exchange(assertion({}, key.private_key, { alg: 'HS256' }))).body.error_description).toMatch(/RS256/);
    expect((await exchange(assertion(), 'password')).body.error).toBe('unsupported_grant_type');
  });

  it('refuses an assertion meant for another audience', async () => {
    expect((await exchange(assertion({ aud: 'https://example.com/token' }))).body.error).toBe('invalid_grant');
  });
});

describe('the sandbox Calendar API: authentication', () => {
  it('answers 401 with Google\'s body without a bearer token, and with an unknown one', async () => {
    const missing = await get(eventsPath, {}, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error.errors[0]).toMatchObject({ reason: 'required', location: 'Authorization' });
    const unknown = await get(eventsPath, {}, 'ya29.forged');
    expect([unknown.status, unknown.body.error.errors[0].reason]).toEqual([401, 'authError']);
  });

  it('answers 404 for a calendar the account cannot see', async () => {
    const { status, body } = await get('/calendar/v3/calendars/someone%40example.com/events');
    expect([status, body.error.errors[0].reason]).toEqual([404, 'notFound']);
  });
});

describe('the sandbox Calendar API: shapes from calendar-v3.json', () => {
  it('lists events as an Events collection of Event resources', async () => {
    seed(state, 3);
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body.items).toHaveLength(3);
    expect(discoveryShapeProblems(calendarSpec, 'Events', body)).toEqual([]);
  });

  it('lists a cancelled event with its details and a deleted one with only its id', async () => {
    const [cancelled, deleted] = seed(state, 2) as [string, string];
    cancelCalendarEvent(state.calendar, cancelled, NOW);
    deleteCalendarEvent(state.calendar, deleted, NOW);
    const { body } = await list();
    expect(body.items.find((e: any) => e.id === cancelled)).toMatchObject({ status: 'cancelled', attendees: expect.any(Array) });
    expect(body.items.find((e: any) => e.id === deleted)).toEqual({ kind: 'calendar#event', etag: expect.any(String), id: deleted, status: 'cancelled' });
    expect(discoveryShapeProblems(calendarSpec, 'Events', body)).toEqual([]);
  });

  it('answers events.watch with a Channel and channels.stop with 204', async () => {
    const watched = await fetch(`${sandbox.urls.google_calendar}${eventsPath}/watch`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'recon-channel-1', type: 'web_hook', address: 'https://recon.example.com/webhooks/google-calendar', token: 'channel-secret' }),
    });
    const channel = await watched.json() as any;
    expect(watched.status).toBe(200);
    expect(channel).toMatchObject({ kind: 'api#channel', id: 'recon-channel-1', token: 'channel-secret', resourceId: expect.any(String) });
    expect(discoveryShapeProblems(calendarSpec, 'Channel', channel)).toEqual([]);
    const stopped = await fetch(`${sandbox.urls.google_calendar}/calendar/v3/channels/stop`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: channel.id, resourceId: channel.resourceId }),
    });
    expect([stopped.status, await stopped.text()]).toEqual([204, '']);
  });

  it('errors have Google\'s error body', async () => {
    const { body } = await list({ maxResults: '2501' });
    expect(body).toEqual({ error: { code: 400, message: expect.any(String), errors: [{ domain: 'global', reason: 'invalid', message: expect.any(String), location: 'maxResults', locationType: 'parameter' }] } });
  });
});

describe('the sandbox Calendar API: paging and sync tokens', () => {
  it('pages with nextPageToken and gives nextSyncToken on the last page only', async () => {
    const ids = seed(state, 5);
    const first = await list({ maxResults: '2' });
    expect([first.body.items.length, first.body.nextSyncToken]).toEqual([2, undefined]);
    const second = await list({ maxResults: '2', pageToken: first.body.nextPageToken });
    const third = await list({ maxResults: '2', pageToken: second.body.nextPageToken });
    expect([third.body.nextPageToken, typeof third.body.nextSyncToken]).toEqual([undefined, 'string']);
    expect([...first.body.items, ...second.body.items, ...third.body.items].map((e: any) => e.id)).toEqual(ids);
  });

  it('refuses a page token used with another query', async () => {
    seed(state, 3);
    const first = await list({ maxResults: '1' });
    expect((await list({ maxResults: '1', q: 'person', pageToken: first.body.nextPageToken })).status).toBe(400);
  });

  it('lists only what changed since a sync token, cancellations included', async () => {
    const [a, b, c] = seed(state, 3) as [string, string, string];
    const syncToken = (await list()).body.nextSyncToken;
    cancelCalendarEvent(state.calendar, a, NOW);
    updateCalendarEvent(state.calendar, b, { start: NOW + 48 * HOUR }, NOW);
    const changed = await list({ syncToken });
    expect(changed.body.items.map((e: any) => [e.id, e.status])).toEqual([[a, 'cancelled'], [b, 'confirmed']]);
    expect(changed.body.items.map((e: any) => e.id)).not.toContain(c);
    const nothing = await list({ syncToken: changed.body.nextSyncToken });
    expect(nothing.body.items).toEqual([]);
  });

  it('answers 410 fullSyncRequired for an expired or an unknown sync token', async () => {
    seed(state, 2);
    const syncToken = (await list()).body.nextSyncToken;
    expireCalendarSyncTokens(state.calendar);
    const gone = await list({ syncToken });
    expect(gone).toEqual({
      status: 410,
      body: { error: { code: 410, message: 'Sync token is no longer valid, a full sync is required.', errors: [{ domain: 'global', reason: 'fullSyncRequired', message: 'Sync token is no longer valid, a full sync is required.' }] } },
    });
    expect((await list({ syncToken: 'not-a-token' })).status).toBe(410);
  });

  it('expires a sync token once too many changes were made after it', async () => {
    const [a] = seed(state, 1) as [string];
    const syncToken = (await list()).body.nextSyncToken;
    state.calendar.syncTokenMaxChanges = 2;
    for (let i = 0; i < 3; i++) updateCalendarEvent(state.calendar, a, { start: NOW + i * HOUR }, NOW);
    expect((await list({ syncToken })).status).toBe(410);
  });
});

describe('the sandbox Calendar API: filters and strict parameters', () => {
  it('finds a person\'s events by a private extended property or by their email', async () => {
    seed(state, 4);
    const byId = await list({ privateExtendedProperty: 'crm_id=902' });
    expect(byId.body.items.map((e: any) => e.attendees[1].email)).toEqual(['person2@example.com']);
    const byEmail = await list({ q: 'person3@example.com' });
    expect(byEmail.body.items.map((e: any) => e.summary)).toEqual(['Intro call 3']);
  });

  it('orders by start time from timeMin when asked, without cancelled events', async () => {
    const ids = seed(state, 4);
    cancelCalendarEvent(state.calendar, ids[3] as string, NOW);
    const { body } = await get(eventsPath, { singleEvents: 'true', orderBy: 'startTime', timeMin: new Date(NOW - 90 * 60_000).toISOString() });
    expect(body.items.map((e: any) => e.id)).toEqual([ids[1], ids[2]]);
  });

  it('refuses parameters Google does not know', async () => {
    const { status, body } = await list({ limit: '10' });
    expect([status, body.error.message]).toEqual([400, expect.stringContaining('Unknown name "limit"')]);
  });

  it('refuses more than 2,500 events per page', async () => {
    expect((await list({ maxResults: '2501' })).status).toBe(400);
    expect((await list({ maxResults: '2500' })).status).toBe(200);
  });

  it('refuses the parameters a sync token excludes, and showDeleted=false with it', async () => {
    seed(state, 1);
    const syncToken = (await list()).body.nextSyncToken;
    const excluded: Record<string, string>[] = [{ timeMin: new Date(NOW).toISOString() }, { q: 'x' }, { privateExtendedProperty: 'crm_id=1' }, { orderBy: 'updated' }, { updatedMin: new Date(NOW).toISOString() }];
    for (const extra of excluded) {
      expect((await list({ syncToken, ...extra })).status, JSON.stringify(extra)).toBe(400);
    }
    expect((await get(eventsPath, { syncToken, showDeleted: 'false' })).status).toBe(400);
  });

  it('refuses ordering by start time unless recurring events are expanded', async () => {
    expect((await get(eventsPath, { orderBy: 'startTime' })).status).toBe(400);
  });
});

describe('the sandbox Calendar API: limits and faults', () => {
  it('answers injected rate limits with 429 rateLimitExceeded and server errors with backendError', async () => {
    sandbox.faults.rateLimitNext(1, 'google_calendar');
    const limited = await list();
    expect([limited.status, limited.body.error.errors[0].reason]).toEqual([429, 'rateLimitExceeded']);
    sandbox.faults.set({ readErrorRate: 1, readErrorStatuses: [503] });
    const failed = await list();
    expect([failed.status, failed.body.error.errors[0].reason]).toEqual([503, 'backendError']);
  });

  it('answers 403 userRateLimitExceeded past the per-user quota', async () => {
    const limitedState = createSandboxState();
    const small = await startSandbox(limitedState, { rateLimits: { perSystem: { google_calendar: 2 } } });
    try {
      limitedState.calendar.serviceAccounts.set(key.client_email, state.calendar.serviceAccounts.get(key.client_email) as string);
      const response = await fetch(`${small.urls.google_calendar}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion() }) });
      const bearer = ((await response.json()) as { access_token: string }).access_token;
      const path = `${small.urls.google_calendar}/calendar/v3/calendars/${encodeURIComponent(limitedState.calendar.calendarId)}/events`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(path, { headers: { authorization: `Bearer ${bearer}` } })).status);
      expect(statuses).toEqual([200, 200, 403]);
    } finally {
      await small.close();
    }
  });
});
