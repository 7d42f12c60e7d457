/**
 * The Google Calendar v3 subset Recon uses, and Google's OAuth token endpoint: `events.list` (full,
 * filtered and incremental by sync token, with 410 for a token no longer valid), `events.get`,
 * `events.watch` and `channels.stop`, behind bearer tokens issued for a service account's signed
 * JWT. Strict like Google: unknown parameters and forbidden combinations are refused.
 */
import { randomBytes } from 'node:crypto';
import { bearerToken, parseJson, Router } from './http.ts';
import type { ApiContext, SandboxRequest, SandboxResponse } from './http.ts';
import { checkAssertion, GOOGLE_TOKEN_AUDIENCE, SANDBOX_TOKEN_PATH } from './google-calendar-auth.ts';
import type { CalendarChannel, CalendarEventResource, StoredCalendarEvent } from './google-calendar-objects.ts';
import { googleErrors, GoogleApiError, parseEventsQuery, type EventsQuery } from './google-calendar-query.ts';
import type { CalendarState } from './google-calendar-state.ts';
import type { SandboxState } from './state.ts';

const SCOPES = 'https://www.googleapis.com/auth/calendar';
/** Scopes that allow reading events (`events.list`, `events.get`, `events.watch`), per the discovery document. */
const READ_SCOPES = [SCOPES, `${SCOPES}.events`, `${SCOPES}.events.readonly`, `${SCOPES}.readonly`];
/** `channels.stop` also accepts the settings scope. */
const STOP_SCOPES = [...READ_SCOPES, `${SCOPES}.settings.readonly`];
const MAX_REQUEST_LOG = 10_000;
/** Google's default lifetime of an events channel: one week. */
const CHANNEL_TTL_MS = 7 * 86_400_000;

/** A sync token names the change it was issued at and the generation of tokens it belongs to. */
function syncTokenFor(calendar: CalendarState, seq: number): string {
  return Buffer.from(`sync|${calendar.syncGeneration}|${seq}`).toString('base64url');
}

/** The change a sync token was issued at, or null when it is not one or no longer valid. */
function syncTokenSeq(calendar: CalendarState, token: string): number | null {
  const match = /^sync\|(\d+)\|(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) return null;
  const [generation, seq] = [Number(match[1]), Number(match[2])];
  if (generation !== calendar.syncGeneration || seq > calendar.changeSeq || calendar.changeSeq - seq > calendar.syncTokenMaxChanges) return null;
  return seq;
}

/** A page token: where the page starts, the change the listing started at, and the query it belongs to. */
interface PageToken {
  offset: number;
  startSeq: number;
  signature: string;
}

function readPageToken(raw: string, query: EventsQuery): PageToken {
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PageToken>;
    if (typeof token.offset === 'number' && typeof token.startSeq === 'number' && token.signature === query.signature) return token as PageToken;
  } catch {
    // Refused below.
  }
  throw googleErrors.invalid('Invalid page token value: it does not belong to this query', 'pageToken');
}

/** When any event of the calendar last changed, in ms. */
function lastUpdate(calendar: CalendarState): number {
  let latest = 0;
  for (const { resource } of calendar.events.values()) latest = Math.max(latest, Date.parse(resource.updated));
  return latest;
}

const startOf = (event: CalendarEventResource) => Date.parse(event.start.dateTime ?? `${event.start.date}T00:00:00Z`);
const endOf = (event: CalendarEventResource) => Date.parse(event.end.dateTime ?? `${event.end.date}T00:00:00Z`);

/** Whether an event matches the free-text terms, as `q` searches: summary, description, location, people. */
function matchesText(event: CalendarEventResource, terms: readonly string[]): boolean {
  if (terms.length === 0) return true;
  const text = [
    event.summary, event.description, event.location, event.organizer.email, event.organizer.displayName, event.creator.email,
    ...(event.attendees ?? []).flatMap((a) => [a.email, a.displayName]),
  ].filter(Boolean).join(' ').toLowerCase();
  return terms.every((term) => text.includes(term));
}

function matchesFilters(stored: StoredCalendarEvent, query: EventsQuery): boolean {
  const event = stored.resource;
  const cancelled = event.status === 'cancelled';
  if (cancelled && !query.showDeleted && query.updatedMin === null) return false;
  if (stored.deleted && (query.q.length > 0 || query.privateProperties.length > 0 || query.sharedProperties.length > 0)) return false;
  if (query.iCalUID !== null && event.iCalUID !== query.iCalUID) return false;
  if (query.timeMin !== null && endOf(event) <= query.timeMin) return false;
  if (query.timeMax !== null && startOf(event) >= query.timeMax) return false;
  if (query.updatedMin !== null && Date.parse(event.updated) < query.updatedMin) return false;
  if (!query.privateProperties.every(([k, v]) => event.extendedProperties?.private?.[k] === v)) return false;
  if (!query.sharedProperties.every(([k, v]) => event.extendedProperties?.shared?.[k] === v)) return false;
  return matchesText(event, query.q);
}

/** An event as listed: a deleted one with only its id, attendees cut to the caller past `maxAttendees`. */
function view(stored: StoredCalendarEvent, maxAttendees: number | null): unknown {
  const event = stored.resource;
  if (stored.deleted) return { kind: event.kind, etag: event.etag, id: event.id, status: 'cancelled' };
  const copy: CalendarEventResource = structuredClone(event);
  if (maxAttendees !== null && (copy.attendees?.length ?? 0) > maxAttendees) {
    copy.attendees = (copy.attendees ?? []).filter((a) => a.self);
    copy.attendeesOmitted = true;
  }
  return copy;
}

export function createGoogleCalendarApi(state: SandboxState, context: ApiContext): (request: SandboxRequest) => Promise<SandboxResponse> {
  const calendar = state.calendar;

  const ownCalendar = (request: SandboxRequest): void => {
    if (request.params.calendarId !== calendar.calendarId) throw googleErrors.notFound();
  };

  const listEvents = (request: SandboxRequest): SandboxResponse => {
    ownCalendar(request);
    const query = parseEventsQuery(request.query);
    const page = query.pageToken === null ? null : readPageToken(query.pageToken, query);
    const startSeq = page?.startSeq ?? calendar.changeSeq;
    let items = [...calendar.events.values()];
    if (query.syncToken !== null) {
      const since = syncTokenSeq(calendar, query.syncToken);
      if (since === null) throw googleErrors.syncTokenGone();
      // What changed after the token and before this listing began; later changes come with the next token.
      items = items.filter((e) => e.seq > since && e.seq <= startSeq).sort((a, b) => a.seq - b.seq);
    } else {
      items = items.filter((e) => matchesFilters(e, query));
      if (query.orderBy === 'startTime') items.sort((a, b) => startOf(a.resource) - startOf(b.resource) || a.resource.id.localeCompare(b.resource.id));
      if (query.orderBy === 'updated') items.sort((a, b) => Date.parse(a.resource.updated) - Date.parse(b.resource.updated));
    }
    const offset = page?.offset ?? 0;
    const slice = items.slice(offset, offset + query.maxResults);
    const more = offset + query.maxResults < items.length;
    const body: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: `"p${startSeq}"`,
      summary: calendar.summary,
      updated: new Date(lastUpdate(calendar)).toISOString(),
      timeZone: calendar.timeZone,
      accessRole: 'reader',
      defaultReminders: [],
      items: slice.map((e) => view(e, query.maxAttendees)),
    };
    if (more) {
      body.nextPageToken = Buffer.from(JSON.stringify({ offset: offset + query.maxResults, startSeq, signature: query.signature } satisfies PageToken)).toString('base64url');
    } else {
      body.nextSyncToken = syncTokenFor(calendar, startSeq);
    }
    return { status: 200, body };
  };

  const getEvent = (request: SandboxRequest): SandboxResponse => {
    ownCalendar(request);
    for (const name of request.query.keys()) {
      if (!['alwaysIncludeEmail', 'maxAttendees', 'timeZone', 'alt', 'fields', 'key', 'oauth_token', 'prettyPrint', 'quotaUser', 'userIp'].includes(name)) throw googleErrors.unknownParameter(name);
    }
    const stored = calendar.events.get(request.params.eventId ?? '');
    if (!stored) throw googleErrors.notFound();
    return { status: 200, body: view({ ...stored, deleted: false }, null) };
  };

  const watch = (request: SandboxRequest): SandboxResponse => {
    ownCalendar(request);
    parseEventsQuery(request.query);
    const body = parseJson(request.body) as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') throw googleErrors.invalid('Parse Error: the request body must be a Channel resource');
    const { id, type, address, token, expiration, params } = body as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw googleErrors.invalid('Required: channel id', 'id');
    if (type !== 'web_hook' && type !== 'webhook') throw googleErrors.invalid(`Invalid channel type: ${JSON.stringify(type)}; expected web_hook`, 'type');
    if (typeof address !== 'string' || !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(address)) {
      throw googleErrors.invalid('WebHook callback must be HTTPS: ' + String(address), 'address');
    }
    if (token !== undefined && (typeof token !== 'string' || token.length > 256)) throw googleErrors.invalid('Invalid channel token: at most 256 characters', 'token');
    if ([...calendar.channels.values()].some((c) => c.id === id)) throw googleErrors.invalid(`Channel id ${id} not unique`, 'id');
    const ttl = (params as { ttl?: unknown } | undefined)?.ttl;
    const expiresAt = typeof expiration === 'string' && /^\d+$/.test(expiration) ? Number(expiration)
      : Date.now() + (typeof ttl === 'string' && /^\d+$/.test(ttl) ? Number(ttl) * 1000 : CHANNEL_TTL_MS);
    const channel: CalendarChannel = {
      kind: 'api#channel',
      id,
      resourceId: randomBytes(14).toString('base64url'),
      resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendar.calendarId)}/events?alt=json`,
      ...(typeof token === 'string' ? { token } : {}),
      expiration: String(expiresAt),
      address,
      type,
    };
    calendar.channels.set(channel.resourceId + id, channel);
    const { address: _address, type: _type, ...answer } = channel;
    return { status: 200, body: answer };
  };

  const stopChannel = (request: SandboxRequest): SandboxResponse => {
    for (const name of request.query.keys()) if (!['alt', 'fields', 'key', 'oauth_token', 'prettyPrint', 'quotaUser', 'userIp'].includes(name)) throw googleErrors.unknownParameter(name);
    const body = parseJson(request.body) as { id?: unknown; resourceId?: unknown } | undefined;
    const key = `${String(body?.resourceId)}${String(body?.id)}`;
    if (!calendar.channels.has(key)) throw new GoogleApiError(404, 'notFound', `Channel '${String(body?.id)}' not found for project '${calendar.calendarId}'`);
    calendar.channels.delete(key);
    return { status: 204, body: undefined };
  };

  const router = new Router<(request: SandboxRequest) => SandboxResponse>()
    .on('GET', '/calendar/v3/calendars/:calendarId/events', listEvents)
    .on('POST', '/calendar/v3/calendars/:calendarId/events/watch', watch)
    .on('GET', '/calendar/v3/calendars/:calendarId/events/:eventId', getEvent)
    .on('POST', '/calendar/v3/channels/stop', stopChannel);

  /** The token endpoint: a signed JWT for a known service account in, a bearer token out. */
  const exchangeToken = (request: SandboxRequest): SandboxResponse => {
    const form = new URLSearchParams(request.body);
    const grantType = form.get('grant_type');
    if (grantType !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${grantType ?? ''}` } };
    }
    const assertion = form.get('assertion');
    if (!assertion) return { status: 400, body: { error: 'invalid_request', error_description: 'Missing required parameter: assertion' } };
    const audiences = [GOOGLE_TOKEN_AUDIENCE, `http://${request.headers.host ?? '127.0.0.1'}${SANDBOX_TOKEN_PATH}`];
    const check = checkAssertion(assertion, calendar.serviceAccounts, audiences, Date.now());
    if (!check.ok) return { status: 400, body: { error: check.error, error_description: check.description } };
    const accessToken = `ya29.sandbox-${randomBytes(24).toString('base64url')}`;
    calendar.accessTokens.set(accessToken, { clientEmail: check.clientEmail, scope: check.scope, expiresAt: Date.now() + check.expiresInSeconds * 1000 });
    return { status: 200, body: { access_token: accessToken, expires_in: check.expiresInSeconds, token_type: 'Bearer' } };
  };

  const handle = (request: SandboxRequest): SandboxResponse => {
    if (request.path === SANDBOX_TOKEN_PATH) {
      if (request.method !== 'POST') return { status: 405, body: { error: 'invalid_request', error_description: 'Use POST' } };
      return exchangeToken(request);
    }
    const token = bearerToken(request.headers);
    if (token === null) throw googleErrors.loginRequired();
    const grant = calendar.accessTokens.get(token);
    if (!grant || grant.expiresAt <= Date.now()) throw googleErrors.invalidCredentials();
    const match = router.match(request.method, request.path);
    if (!match) throw googleErrors.notFound();
    const scopes = grant.scope.split(/\s+/);
    if (!scopes.some((s) => (request.path.endsWith('/channels/stop') ? STOP_SCOPES : READ_SCOPES).includes(s))) throw googleErrors.insufficientScope();
    const fault = context.faults.decide('google_calendar', request.method === 'GET');
    if (fault.kind === 'rate_limit') {
      const refusal = googleErrors.rateLimited().toResponse();
      return { ...refusal, headers: { 'Retry-After': String(fault.retryAfterSeconds) } };
    }
    // The per-user quota: Google answers 403 userRateLimitExceeded when one account goes past it.
    if (context.limiter && !context.limiter.take(grant.clientEmail).allowed) throw googleErrors.userRateLimited();
    if (fault.kind === 'server_error') throw googleErrors.backendError(fault.status);
    return match.handler({ ...request, params: match.params });
  };

  return async (request) => {
    calendar.requests.push({ method: request.method, path: request.path, query: [...request.query.entries()] });
    if (calendar.requests.length > MAX_REQUEST_LOG) calendar.requests.splice(0, calendar.requests.length - MAX_REQUEST_LOG);
    try {
      return handle(request);
    } catch (error) {
      if (error instanceof GoogleApiError) return error.toResponse();
      throw error;
    }
  };
}
