import type { z } from 'zod';
import type { Logger } from '../../log.ts';
import { combineLimiters, type Priority, type RateLimiter } from '../../util/limiter.ts';
import { ApiError, parseRetryAfter, withRetry, type RetryMode, type RetryOptions } from '../http/retry.ts';
import { jsonOf, sendJson } from '../http/json.ts';
import { parseRaw } from '../raw.ts';
import { ghlErrorBodySchema } from './schemas.ts';
import { GHL_API_VERSION } from './declaration.ts';
export { GHL_API_VERSION };

export const GHL_DEFAULT_API_URL = 'https://services.leadconnectorhq.com';

export interface GoHighLevelClientOptions {
  /** A Private Integration token (or an OAuth access token) of the sub-account. */
  accessToken: string;
  /** `GHL_API_URL`; default {@link GHL_DEFAULT_API_URL}. */
  apiUrl?: string | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
  /** The burst limit (requests per 10 s) and the daily limit; each request takes both. */
  limiters: { burst: RateLimiter; daily: RateLimiter };
  retry?: RetryOptions | undefined;
  fetch?: typeof fetch | undefined;
  logger: Logger;
  now?: (() => number) | undefined;
}

export interface GoHighLevelRequest<S extends z.ZodType> {
  method: 'GET' | 'PUT';
  /** Path without query, e.g. `/opportunities/search`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Parses a successful (2xx) body; a mismatch names `kind` and the path in the body. */
  schema: S;
  kind: string;
  /** Default `idempotent`; writes are `rate-limited-only`. */
  mode?: RetryMode;
  retry?: RetryOptions;
  priority?: Priority | undefined;
}

type Info = { system: 'gohighlevel'; method: string; path: string };

/**
 * GoHighLevel's API v2 over fetch: bearer token, `Version: 2021-07-28`, JSON, a timeout per
 * attempt, every attempt paced by the burst and daily limiters, failed idempotent calls retried.
 * Counts every HTTP request it sends.
 */
export class GoHighLevelClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly limiter: RateLimiter;
  private sent = 0;

  constructor(private readonly options: GoHighLevelClientOptions) {
    if (!options.accessToken) throw new Error('gohighlevel: an access token is required (GHL_ACCESS_TOKEN)');
    this.baseUrl = (options.apiUrl ?? GHL_DEFAULT_API_URL).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.limiter = combineLimiters(options.limiters.burst, options.limiters.daily);
  }

  /** HTTP requests sent so far, retries included. */
  requestCount(): number {
    return this.sent;
  }

  request<S extends z.ZodType>(request: GoHighLevelRequest<S>): Promise<z.output<S>> {
    const info: Info = { system: 'gohighlevel', method: request.method, path: request.path };
    return withRetry(
      { ...info, mode: request.mode ?? 'idempotent', limiter: this.limiter, priority: request.priority },
      () => this.attempt(request, info),
      { logger: this.options.logger, now: this.now, ...this.options.retry, ...request.retry },
    );
  }

  private async attempt<S extends z.ZodType>(request: GoHighLevelRequest<S>, info: Info): Promise<z.output<S>> {
    this.sent++;
    const { response, text } = await sendJson(this.fetchImpl, info, {
      baseUrl: this.baseUrl, method: request.method, path: request.path, query: request.query, body: request.body,
      headers: { authorization: `Bearer ${this.options.accessToken}`, version: GHL_API_VERSION },
      timeoutMs: this.options.timeoutMs ?? 30_000,
    });
    const dailyRemaining = this.observeRateLimitHeaders(response.headers);
    if (!response.ok) throw this.errorFrom(info, response, text, dailyRemaining);
    return parseRaw('gohighlevel', request.kind, request.schema, jsonOf(info, response.status, text));
  }

  /**
   * GoHighLevel's rate-limit headers (documented on its Rate Limits page, not in the OpenAPI
   * specs) are authoritative: other integrations of the location share the daily budget.
   * Returns the daily remaining count, when sent.
   */
  private observeRateLimitHeaders(headers: Headers): number | null {
    const count = (name: string): number | null => {
      const value = headers.get(name)?.trim();
      return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
    };
    const burst = count('x-ratelimit-remaining');
    const daily = count('x-ratelimit-daily-remaining');
    if (burst !== null) this.options.limiters.burst.observeRemaining(burst);
    if (daily !== null) this.options.limiters.daily.observeRemaining(daily);
    return daily;
  }

  private errorFrom(info: Info, response: Response, text: string, dailyRemaining: number | null): ApiError {
    let message = text.slice(0, 500) || response.statusText || 'no message';
    try {
      const parsed = ghlErrorBodySchema.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.message !== undefined) {
        message = Array.isArray(parsed.data.message) ? parsed.data.message.join('; ') : parsed.data.message;
      }
    } catch {
      // Not JSON: the raw text is the message.
    }
    return new ApiError({
      ...info,
      kind: 'http',
      status: response.status,
      vendorMessage: message,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.now()),
      // The daily budget is spent: waiting seconds does not help.
      vendorSaysRetry: response.status === 429 && dailyRemaining === 0 ? false : undefined,
    });
  }
}
