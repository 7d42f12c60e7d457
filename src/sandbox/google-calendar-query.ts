/**
 * The query of `events.list` (and `events.watch`), validated as strictly as Google does: unknown
 * parameters refused, types and ranges checked, and the parameters a sync token excludes refused
 * with it. Pure.
 */

/** Google's error body for a calendar call: `{ error: { errors: [{ domain, reason, message }], code, message } }`. */
export class GoogleApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extra: { domain?: string; status?: string; location?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }

  toResponse(): { status: number; body: unknown; headers?: Record<string, string> } {
    const detail: Record<string, string> = { domain: this.extra.domain ?? 'global', reason: this.reason, message: this.message };
    if (this.extra.location) {
      detail.location = this.extra.location;
      detail.locationType = this.extra.location === 'Authorization' ? 'header' : 'parameter';
    }
    const error: Record<string, unknown> = { errors: [detail], code: this.status, message: this.message };
    if (this.extra.status) error.status = this.extra.status;
    return { status: this.status, body: { error }, ...(this.extra.headers ? { headers: this.extra.headers } : {}) };
  }
}

export const googleErrors = {
  invalid: (message: string, parameter?: string) => new GoogleApiError(400, 'invalid', message, parameter ? { location: parameter } : {}),
  unknownParameter: (name: string) => new GoogleApiError(
    400, 'badRequest',
    `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
    { status: 'INVALID_ARGUMENT' },
  ),
  syncTokenGone: () => new GoogleApiError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.'),
  notFound: () => new GoogleApiError(404, 'notFound', 'Not Found'),
  loginRequired: () => new GoogleApiError(
    401, 'required',
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { location: 'Authorization', status: 'UNAUTHENTICATED', headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' } },
  ),
  invalidCredentials: () => new GoogleApiError(
    401, 'authError',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { location: 'Authorization', status: 'UNAUTHENTICATED', headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' } },
  ),
  insufficientScope: () => new GoogleApiError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', { status: 'PERMISSION_DENIED' }),
  userRateLimited: () => new GoogleApiError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', { domain: 'usageLimits' }),
  rateLimited: () => new GoogleApiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', { domain: 'usageLimits', status: 'RESOURCE_EXHAUSTED' }),
  backendError: (status: number) => new GoogleApiError(status, 'backendError', status === 503 ? 'The service is currently unavailable.' : 'Backend Error'),
};

/** The query parameters every Google API method accepts (the discovery document's top-level `parameters`). */
const STANDARD_PARAMETERS = ['alt', 'fields', 'key', 'oauth_token', 'prettyPrint', 'quotaUser', 'userIp'];

/** `events.list` and `events.watch` query parameters (calendarId is in the path). */
const LIST_PARAMETERS = [
  'alwaysIncludeEmail', 'iCalUID', 'maxAttendees', 'maxResults', 'orderBy', 'pageToken', 'privateExtendedProperty', 'q',
  'sharedExtendedProperty', 'showDeleted', 'showHiddenInvitations', 'singleEvents', 'syncToken', 'timeMax', 'timeMin', 'timeZone', 'updatedMin',
];
const REPEATED = new Set(['privateExtendedProperty', 'sharedExtendedProperty']);
const BOOLEANS = ['alwaysIncludeEmail', 'showDeleted', 'showHiddenInvitations', 'singleEvents', 'prettyPrint'];
/** "There are several query parameters that cannot be specified together with nextSyncToken." */
const NOT_WITH_SYNC_TOKEN = ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
export const MAX_RESULTS = 2500;

export interface EventsQuery {
  maxResults: number;
  pageToken: string | null;
  syncToken: string | null;
  showDeleted: boolean;
  singleEvents: boolean;
  orderBy: 'startTime' | 'updated' | null;
  q: string[];
  privateProperties: [string, string][];
  sharedProperties: [string, string][];
  iCalUID: string | null;
  timeMin: number | null;
  timeMax: number | null;
  updatedMin: number | null;
  maxAttendees: number | null;
  /** The query without its page token, to tie a page token to the query that made it. */
  signature: string;
}

function property(value: string, name: string): [string, string] {
  const at = value.indexOf('=');
  if (at <= 0) throw googleErrors.invalid(`Invalid ${name} value: expected propertyName=value, got "${value}"`, name);
  return [value.slice(0, at), value.slice(at + 1)];
}

/** Parses and checks an `events.list` query; throws a {@link GoogleApiError} (400) as Google would. */
export function parseEventsQuery(query: URLSearchParams): EventsQuery {
  const allowed = new Set([...STANDARD_PARAMETERS, ...LIST_PARAMETERS]);
  for (const name of new Set(query.keys())) {
    if (!allowed.has(name)) throw googleErrors.unknownParameter(name);
    if (!REPEATED.has(name) && query.getAll(name).length > 1) throw googleErrors.invalid(`Parameter ${name} may be given only once`, name);
  }
  for (const name of BOOLEANS) {
    const value = query.get(name);
    if (value !== null && value !== 'true' && value !== 'false') throw googleErrors.invalid(`Invalid boolean value for ${name}: "${value}"`, name);
  }
  const integer = (name: string, min: number, max: number, fallback: number | null): number | null => {
    const raw = query.get(name);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) throw googleErrors.invalid(`Invalid value for ${name}: ${raw}; expected an integer from ${min} to ${max}`, name);
    return value;
  };
  const time = (name: string): number | null => {
    const raw = query.get(name);
    if (raw === null) return null;
    if (!RFC3339.test(raw) || Number.isNaN(Date.parse(raw))) throw googleErrors.invalid(`Bad Request: ${name} must be an RFC3339 timestamp with a time zone offset, got "${raw}"`, name);
    return Date.parse(raw);
  };
  const orderBy = query.get('orderBy');
  if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated') throw googleErrors.invalid(`Invalid value for orderBy: "${orderBy}"`, 'orderBy');
  const singleEvents = query.get('singleEvents') === 'true';
  if (orderBy === 'startTime' && !singleEvents) throw googleErrors.invalid('The requested ordering is not available for the particular query.', 'orderBy');
  const syncToken = query.get('syncToken');
  if (syncToken !== null) {
    const excluded = NOT_WITH_SYNC_TOKEN.find((name) => query.has(name));
    if (excluded) throw googleErrors.invalid(`Invalid parameter: ${excluded} cannot be used together with syncToken`, excluded);
    if (query.get('showDeleted') === 'false') throw googleErrors.invalid('Invalid parameter: showDeleted cannot be false with syncToken; deleted events are always returned', 'showDeleted');
  }
  const timeMin = time('timeMin');
  const timeMax = time('timeMax');
  if (timeMin !== null && timeMax !== null && timeMax <= timeMin) throw googleErrors.invalid('The specified time range is empty.', 'timeMax');
  const signatureQuery = new URLSearchParams([...query.entries()].filter(([name]) => name !== 'pageToken').sort(([a], [b]) => a.localeCompare(b)));
  return {
    maxResults: integer('maxResults', 1, MAX_RESULTS, 250) as number,
    pageToken: query.get('pageToken'),
    syncToken,
    showDeleted: syncToken !== null || query.get('showDeleted') === 'true',
    singleEvents,
    orderBy,
    q: (query.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    privateProperties: query.getAll('privateExtendedProperty').map((v) => property(v, 'privateExtendedProperty')),
    sharedProperties: query.getAll('sharedExtendedProperty').map((v) => property(v, 'sharedExtendedProperty')),
    iCalUID: query.get('iCalUID'),
    timeMin,
    timeMax,
    updatedMin: time('updatedMin'),
    maxAttendees: integer('maxAttendees', 1, Number.MAX_SAFE_INTEGER, null),
    signature: signatureQuery.toString(),
  };
}
