import { readFileSync } from 'node:fs';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { JWT, type gaxios } from 'google-auth-library';
import { ConfigError } from '../../domain/errors.ts';
import { ApiError, parseRetryAfter, type RequestInfo } from '../http/retry.ts';
import { formatPath } from '../raw.ts';
import {
  googleErrorBodySchema, googleTokenErrorSchema, serviceAccountKeySchema, type ServiceAccountCredentials, type ServiceAccountKey,
} from './schemas.ts';

/** Where google-auth-library always sends the token exchange; a key file's `token_uri` overrides it here. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** Read-only access to events is all Recon needs: `events.list`, `events.watch` and `channels.stop` accept it. */
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar.events.readonly';

/**
 * Reasons Google gives for a rate limit, with 403 as well as 429 ("rateLimitExceeded ... can return
 * either 403 or 429 error codes ... should be responded to in the same way").
 */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/** Reads and checks the service account key file that `GOOGLE_APPLICATION_CREDENTIALS` names. */
export function readServiceAccountKey(path: string): ServiceAccountKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: cannot read ${path}: ${(error as Error).message}`, {
      code: 'config.missing_env', hint: 'point it at the JSON key of the service account the calendar is shared with',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: ${path} is not JSON; expected a service account key file`);
  }
  const parsed = serviceAccountKeySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: ${path}: ${formatPath(issue?.path ?? []) || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface GoogleCalendarClientOptions {
  key: ServiceAccountCredentials;
  /** `GOOGLE_API_URL`: another root for calendar calls (the sandbox); Google's own when absent. */
  apiUrl?: string | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
}

export interface GoogleCalendarClient {
  calendar: calendar_v3.Calendar;
  auth: JWT;
  /** HTTP requests sent so far: calendar calls and token exchanges. */
  requestCount(): number;
  /** Forgets the access token, so the next call exchanges the key again (after a 401). */
  forgetToken(): void;
}

/**
 * The Calendar client, authenticated as the service account with a JWT. google-auth-library sends
 * the token exchange to Google's fixed URL; the key file's `token_uri` is honoured by rewriting that
 * one URL in the transport, so a key made for the sandbox never reaches Google. Retries are ours
 * (`retry: false`), so each attempt is one request and counted once.
 */
export function createCalendarClient(options: GoogleCalendarClientOptions): GoogleCalendarClient {
  const tokenUri = options.key.token_uri ?? GOOGLE_TOKEN_URL;
  let sent = 0;
  const adapter = <T>(request: gaxios.GaxiosOptionsPrepared, send: (request: gaxios.GaxiosOptionsPrepared) => gaxios.GaxiosPromise<T>) => {
    sent++;
    if (tokenUri !== GOOGLE_TOKEN_URL && String(request.url) === GOOGLE_TOKEN_URL) return send({ ...request, url: new URL(tokenUri) });
    return send(request);
  };
  const auth = new JWT({
    email: options.key.client_email,
    key: options.key.private_key,
    keyId: options.key.private_key_id,
    scopes: [CALENDAR_SCOPE],
    transporterOptions: { adapter },
  });
  const client = calendar({
    version: 'v3',
    auth,
    ...(options.apiUrl ? { rootUrl: options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/` } : {}),
    retry: false,
    timeout: options.timeoutMs ?? 30_000,
  });
  return {
    calendar: client,
    auth,
    requestCount: () => sent,
    // As a new JWT client starts: expired, so the next call makes a fresh exchange (and no cached token is reused).
    forgetToken: () => {
      auth.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
    },
  };
}

interface GaxiosLike {
  message: string;
  status?: number;
  code?: string | number;
  config?: { url?: string | URL };
  response?: { status: number; data?: unknown; headers?: Headers | Record<string, string> };
}

/** gaxios errors, whichever copy of gaxios threw them (googleapis-common and google-auth-library each bring one). */
function isGaxiosError(error: unknown): error is GaxiosLike {
  return error instanceof Error && ('config' in error || 'response' in error);
}

function headerOf(headers: Headers | Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (headers as Record<string, string>)[key];
}

/**
 * Turns what the client threw into an {@link ApiError}: Google's error body gives the message and
 * the first reason (`fullSyncRequired`, `rateLimitExceeded`, ...); a refused token exchange is named
 * as such. Anything that is not a gaxios error (a bug) is returned unchanged.
 */
export function toApiError(error: unknown, request: RequestInfo, nowMs: number): unknown {
  if (!isGaxiosError(error)) return error;
  const url = error.config?.url ? String(error.config.url) : '';
  const tokenExchange = url !== '' && !url.includes('/calendar/v3/');
  const info = tokenExchange ? { ...request, method: 'POST', path: `${new URL(url).pathname} (token exchange)` } : request;
  const response = error.response;
  if (!response) {
    const timedOut = error.code === 'TimeoutError' || error.code === 'ETIMEDOUT' || /timeout|timed out|aborted/i.test(error.message);
    return new ApiError({ ...info, kind: timedOut ? 'timeout' : 'network', status: null, vendorMessage: error.message });
  }
  let vendorMessage = error.message;
  let reason: string | undefined;
  const body = googleErrorBodySchema.safeParse(response.data);
  const tokenError = googleTokenErrorSchema.safeParse(response.data);
  if (body.success) {
    vendorMessage = body.data.error.message ?? vendorMessage;
    reason = body.data.error.errors?.find((e) => e.reason)?.reason ?? body.data.error.status;
  } else if (tokenError.success) {
    vendorMessage = `${tokenError.data.error}${tokenError.data.error_description ? `: ${tokenError.data.error_description}` : ''}`;
    reason = tokenError.data.error;
  }
  const rateLimited = response.status === 429 || (response.status === 403 && reason !== undefined && RATE_LIMIT_REASONS.has(reason));
  return new ApiError({
    ...info,
    kind: 'http',
    status: response.status,
    vendorMessage,
    vendorCode: reason,
    retryAfterMs: parseRetryAfter(headerOf(response.headers, 'retry-after'), nowMs),
    rateLimited,
  });
}
