import { ReconError } from '../../domain/errors.ts';
import type { SystemName } from '../../domain/records.ts';
import type { Logger } from '../../log.ts';
import type { Priority, RateLimiter } from '../../util/limiter.ts';

/** Which request failed, for error messages. `path` carries no query string. */
export interface RequestInfo {
  system: SystemName;
  method: string;
  path: string;
}

export type ApiErrorKind = 'http' | 'network' | 'timeout';

export interface ApiErrorInit extends RequestInfo {
  kind: ApiErrorKind;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** What the vendor said (its error message), or the network error's message. */
  vendorMessage: string;
  /** The vendor's error code (`resource_missing`, `VALIDATION_ERROR`, ...), when it gave one. */
  vendorCode?: string | undefined;
  /** The vendor's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number | null | undefined;
  /** The vendor's own verdict on retrying (Stripe's `Stripe-Should-Retry`), when it gave one. */
  vendorSaysRetry?: boolean | undefined;
  /**
   * The vendor refused for its rate limit whatever the status: Google answers 403 with the reason
   * `rateLimitExceeded` as well as 429. Every 429 counts as one without saying so.
   */
  rateLimited?: boolean | undefined;
  /** Attempts made before giving up; 1 when the error was not retried. */
  attempts?: number | undefined;
}

/**
 * A failed vendor request, named well enough to act on:
 * `stripe GET /v1/customers failed: HTTP 400: Invalid limit (after 1 attempt)`.
 */
export class ApiError extends ReconError {
  override readonly name = 'ApiError';
  readonly system: SystemName;
  readonly method: string;
  readonly path: string;
  readonly kind: ApiErrorKind;
  readonly status: number | null;
  readonly vendorMessage: string;
  readonly vendorCode: string | undefined;
  readonly retryAfterMs: number | null;
  readonly vendorSaysRetry: boolean | undefined;
  /** A 429, or a vendor's rate-limit refusal under another status (Google's 403 `rateLimitExceeded`). */
  readonly rateLimited: boolean;
  readonly attempts: number;

  constructor(init: ApiErrorInit) {
    const what = init.kind === 'http' ? `HTTP ${init.status}` : init.kind === 'timeout' ? 'timed out' : 'network error';
    const attempts = init.attempts ?? 1;
    super(
      apiErrorCode(init),
      `${init.system} ${init.method} ${init.path} failed: ${what}: ${init.vendorMessage}` +
        ` (after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      { hint: apiErrorHint(init) },
    );
    this.system = init.system;
    this.method = init.method;
    this.path = init.path;
    this.kind = init.kind;
    this.status = init.status;
    this.vendorMessage = init.vendorMessage;
    this.vendorCode = init.vendorCode;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.vendorSaysRetry = init.vendorSaysRetry;
    this.rateLimited = init.status === 429 || init.rateLimited === true;
    this.attempts = attempts;
  }

  /** Whether trying again later may succeed: rate limits, server errors, network trouble. */
  get retryable(): boolean {
    if (this.vendorSaysRetry !== undefined) return this.vendorSaysRetry;
    if (this.kind !== 'http') return true;
    return this.rateLimited || (this.status !== null && this.status >= 500);
  }

  withAttempts(attempts: number): ApiError {
    return new ApiError({ ...this.init(), attempts });
  }

  private init(): ApiErrorInit {
    return {
      system: this.system, method: this.method, path: this.path, kind: this.kind, status: this.status,
      vendorMessage: this.vendorMessage, vendorCode: this.vendorCode, retryAfterMs: this.retryAfterMs,
      vendorSaysRetry: this.vendorSaysRetry, rateLimited: this.rateLimited, attempts: this.attempts,
    };
  }
}

/** `api.unauthorized`, `api.forbidden`, `api.rate_limited`, `api.server`, `api.network`, ... from what happened. */
function apiErrorCode(init: ApiErrorInit): string {
  if (init.kind !== 'http') return `api.${init.kind}`;
  if (init.rateLimited) return 'api.rate_limited';
  switch (init.status) {
    case 401: return 'api.unauthorized';
    case 403: return 'api.forbidden';
    case 404: return 'api.not_found';
    case 429: return 'api.rate_limited';
    default: return init.status !== null && init.status >= 500 ? 'api.server' : 'api.refused';
  }
}

/** What a person can do about a failed call, where the status says it. */
function apiErrorHint(init: ApiErrorInit): string | undefined {
  if (init.kind === 'network') return `check that ${init.system}'s API URL is right and reachable from here`;
  if (init.kind === 'timeout') return `${init.system} did not answer in time; try again, and check its status page if it persists`;
  if (init.status === 401) return `the ${init.system} credentials are wrong or revoked: set a valid key and run \`recon doctor\``;
  if (init.status === 403 && !init.rateLimited) return `the ${init.system} credentials lack a permission or scope Recon needs: see README, "Connect your real systems"`;
  return undefined;
}

/**
 * `idempotent`: safe to send again (reads, HubSpot batch/read, Stripe writes with an idempotency key).
 * `rate-limited-only`: a write that is retried only after a 429, which the vendor guarantees was not
 * applied (HubSpot batch/update); a 5xx or a timeout may have applied it, so it is left to the caller.
 */
export type RetryMode = 'idempotent' | 'rate-limited-only';

export interface RetryOptions {
  /** Total attempts, the first included. Default 6. */
  maxAttempts?: number;
  /** First backoff step; doubles each attempt. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff step. Default 30 s. */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the request fails now. Default 60 s. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1). */
  random?: () => number;
  /** Current time in ms, to read Retry-After given as an HTTP date. */
  now?: () => number;
  logger?: Logger;
}

export interface RetryCall extends RequestInfo {
  mode?: RetryMode;
  /** Taken before every attempt; paused for everyone on a rate limit. */
  limiter?: RateLimiter | undefined;
  /** Whose call it is: a person's goes ahead of a cycle's in the limiter. */
  priority?: Priority | undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Whether `error` may be sent again under `mode`. 4xx other than a rate limit never is, unless the vendor says so (Stripe's 409 lock conflicts). */
export function shouldRetry(error: ApiError, mode: RetryMode): boolean {
  if (error.vendorSaysRetry === false) return false;
  if (error.rateLimited) return true;
  if (mode === 'rate-limited-only') return false;
  if (error.vendorSaysRetry === true) return true;
  if (error.kind !== 'http') return true;
  return error.status !== null && error.status >= 500;
}

/**
 * Reads `Retry-After` as seconds or as an HTTP date; null when absent or unreadable.
 * @example parseRetryAfter('2', 0) === 2000
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** Equal jitter: half the exponential step, plus a random part of the other half. */
export function backoffDelay(attempt: number, options: { baseDelayMs: number; maxDelayMs: number; random: () => number }): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + options.random() * (step / 2));
}

/**
 * Runs `attempt` until it succeeds, fails for good, or runs out of attempts. `attempt` must throw
 * an {@link ApiError} for vendor failures; any other error (a schema mismatch, a bug) is not retried.
 */
export async function withRetry<T>(call: RetryCall, attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const mode = call.mode ?? 'idempotent';
  const backoff = { baseDelayMs: options.baseDelayMs ?? 500, maxDelayMs: options.maxDelayMs ?? 30_000, random };

  for (let n = 1; ; n++) {
    const release = await call.limiter?.take(call.priority);
    try {
      return await attempt(n);
    } catch (error) {
      release?.();
      if (!(error instanceof ApiError)) throw error;
      const retryAfterTooLong = error.retryAfterMs !== null && error.retryAfterMs > maxRetryAfterMs;
      if (n >= maxAttempts || retryAfterTooLong || !shouldRetry(error, mode)) throw error.withAttempts(n);
      const delay = error.retryAfterMs ?? backoffDelay(n, backoff);
      // A rate limit means the vendor's window is full for every caller, not just this one.
      if (error.rateLimited) call.limiter?.pauseFor(delay);
      options.logger?.warn(
        { system: call.system, method: call.method, path: call.path, status: error.status, attempt: n, delayMs: delay },
        'vendor request failed; retrying',
      );
      await sleep(delay);
    } finally {
      release?.();
    }
  }
}
