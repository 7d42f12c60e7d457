import type { z } from 'zod';
import type { Logger } from '../../log.ts';
import type { Priority, RateLimiter } from '../../util/limiter.ts';
import { ApiError, parseRetryAfter, withRetry, type RetryMode, type RetryOptions } from '../http/retry.ts';
import { jsonOf, sendJson } from '../http/json.ts';
import { parseRaw } from '../raw.ts';
import { hubspotErrorBodySchema } from './schemas.ts';

export interface HubSpotClientOptions {
  accessToken: string;
  /** `HUBSPOT_API_URL`; default `https://api.hubapi.com`. */
  apiUrl?: string | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
  limiter: RateLimiter;
  retry?: RetryOptions | undefined;
  fetch?: typeof fetch | undefined;
  logger: Logger;
  now?: (() => number) | undefined;
}

export interface HubSpotRequest<S extends z.ZodType> {
  method: 'GET' | 'POST';
  /** Path without query, e.g. `/crm/v3/objects/deals`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Parses a successful (2xx) body; a mismatch names `kind` and the path in the body. */
  schema: S;
  kind: string;
  /** What the request is for, as {@link HubSpotClient.requestsByKind} counts it; `kind` when absent. */
  counted?: string;
  /** The records the request carried or brought (a batch's inputs, a search page's results), counted beside it. */
  items?: number | ((body: z.output<S>) => number);
  /** Default `idempotent`; batch/update is `rate-limited-only`. */
  mode?: RetryMode;
  retry?: RetryOptions;
  /** A person's call (a click, `doctor`) goes ahead of a cycle's in the limiter. */
  priority?: Priority | undefined;
}

interface RequestCounter {
  sent: number;
  byKind: Map<string, number>;
  items: Map<string, number>;
}

/** The response of a successful request: 200, or 207 for a batch with per-record errors. */
export interface HubSpotResponse<T> {
  status: number;
  body: T;
}

/**
 * HubSpot's CRM v3 over fetch: bearer token, JSON, a timeout per attempt, every attempt paced by
 * the shared limiter, failed idempotent calls retried. Counts every HTTP request it sends.
 */
export class HubSpotClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly counter: RequestCounter;

  constructor(private readonly options: HubSpotClientOptions, counter: RequestCounter = { sent: 0, byKind: new Map(), items: new Map() }) {
    this.counter = counter;
    if (!options.accessToken) throw new Error('hubspot: an access token is required (HUBSPOT_ACCESS_TOKEN)');
    this.baseUrl = (options.apiUrl ?? 'https://api.hubapi.com').replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  /** HTTP requests sent so far, retries included (by this client and those made with {@link withLimiter}). */
  requestCount(): number {
    return this.counter.sent;
  }

  /** The same requests by what they were for (`deals search pages`, `contacts batch reads`...), retries included. */
  requestsByKind(): Record<string, number> {
    return Object.fromEntries(this.counter.byKind);
  }

  /** The records those requests carried or brought, by the same kinds (where a request says). */
  itemsByKind(): Record<string, number> {
    return Object.fromEntries(this.counter.items);
  }

  /** The same client paced by another limiter (search's own limit on top of the app's), counting into the same total. */
  withLimiter(limiter: RateLimiter): HubSpotClient {
    return new HubSpotClient({ ...this.options, limiter }, this.counter);
  }

  request<S extends z.ZodType>(request: HubSpotRequest<S>): Promise<HubSpotResponse<z.output<S>>> {
    const info = { system: 'hubspot' as const, method: request.method, path: request.path };
    return withRetry(
      { ...info, mode: request.mode ?? 'idempotent', limiter: this.options.limiter, priority: request.priority },
      () => this.attempt(request),
      { logger: this.options.logger, now: this.now, ...this.options.retry, ...request.retry },
    );
  }

  private async attempt<S extends z.ZodType>(request: HubSpotRequest<S>): Promise<HubSpotResponse<z.output<S>>> {
    const info = { system: 'hubspot' as const, method: request.method, path: request.path };
    this.counter.sent++;
    const counted = request.counted ?? request.kind;
    this.counter.byKind.set(counted, (this.counter.byKind.get(counted) ?? 0) + 1);
    const { response, text } = await sendJson(this.fetchImpl, info, {
      baseUrl: this.baseUrl, method: request.method, path: request.path, query: request.query, body: request.body,
      headers: { authorization: `Bearer ${this.options.accessToken}` },
      timeoutMs: this.options.timeoutMs ?? 30_000,
    });
    this.observeRateLimitHeaders(response.headers);
    if (!response.ok) throw this.errorFrom(info, response, text);
    const body = parseRaw('hubspot', request.kind, request.schema, jsonOf(info, response.status, text));
    if (request.items !== undefined) {
      const items = typeof request.items === 'number' ? request.items : request.items(body);
      this.counter.items.set(counted, (this.counter.items.get(counted) ?? 0) + items);
    }
    return { status: response.status, body };
  }

  /** Keeps our limiter at or below what HubSpot says remains in its window (shared with other apps). */
  private observeRateLimitHeaders(headers: Headers): void {
    const remaining = headers.get('x-hubspot-ratelimit-remaining');
    if (remaining !== null && /^\d+$/.test(remaining.trim())) this.options.limiter.observeRemaining(Number(remaining));
  }

  private errorFrom(info: { system: 'hubspot'; method: string; path: string }, response: Response, text: string): ApiError {
    let message = text.slice(0, 500) || response.statusText || 'no message';
    let category: string | undefined;
    let policyName: string | undefined;
    try {
      const parsed = hubspotErrorBodySchema.safeParse(JSON.parse(text));
      if (parsed.success) {
        const details = parsed.data.errors?.map((detail) => detail.message).filter((m) => m && m !== parsed.data.message) ?? [];
        message = [parsed.data.message, ...details].join('; ');
        category = parsed.data.category;
        policyName = parsed.data.policyName;
      }
    } catch {
      // Not JSON: the raw text is the message.
    }
    return new ApiError({
      ...info,
      kind: 'http',
      status: response.status,
      vendorMessage: message,
      vendorCode: category,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.now()),
      // The daily limit resets at midnight in the account's time zone: waiting is pointless.
      vendorSaysRetry: response.status === 429 && policyName === 'DAILY' ? false : undefined,
    });
  }
}
