import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../src/util/limiter.ts';
import { ApiError, backoffDelay, parseRetryAfter, withRetry, type RetryOptions } from '../../../src/connectors/http/retry.ts';

const request = { system: 'hubspot' as const, method: 'GET', path: '/crm/v3/objects/deals' };

function httpError(status: number, extra: Partial<ConstructorParameters<typeof ApiError>[0]> = {}): ApiError {
  return new ApiError({ ...request, kind: 'http', status, vendorMessage: `vendor says ${status}`, ...extra });
}

/** Sleeps recorded, never waited for; random fixed at the middle. */
function harness(extra: RetryOptions = {}) {
  const sleeps: number[] = [];
  const options: RetryOptions = { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, baseDelayMs: 100, ...extra };
  return { sleeps, options };
}

/** An attempt function that fails with `errors` in turn, then answers 'ok'. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const attempt = async () => {
    const error = errors[calls++];
    if (error !== undefined) throw error;
    return 'ok';
  };
  return { attempt, calls: () => calls };
}

describe('withRetry', () => {
  it('returns the first success without sleeping', async () => {
    const { sleeps, options } = harness();
    await expect(withRetry(request, async () => 'ok', options)).resolves.toBe('ok');
    expect(sleeps).toEqual([]);
  });

  it('retries a 503 with growing backoff', async () => {
    const { sleeps, options } = harness();
    const { attempt } = failing(httpError(503), httpError(502), httpError(500));
    await expect(withRetry(request, attempt, options)).resolves.toBe('ok');
    expect(sleeps).toEqual([75, 150, 300]);
  });

  it('waits as long as Retry-After says on a 429', async () => {
    const { sleeps, options } = harness();
    const { attempt } = failing(httpError(429, { retryAfterMs: 7000 }));
    await withRetry(request, attempt, options);
    expect(sleeps).toEqual([7000]);
  });

  it('pauses the shared limiter for everyone on a 429', async () => {
    let now = 0;
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, clock: { now: () => now, sleep: async (ms) => void (now += ms) } });
    const { attempt } = failing(httpError(429, { retryAfterMs: 3000 }));
    await withRetry({ ...request, limiter }, attempt, { sleep: async () => undefined });
    expect(now).toBe(3000);
  });

  it('treats a 403 the vendor marks as a rate limit like a 429: retried, and the limiter paused', async () => {
    let now = 0;
    const limiter = createRateLimiter({ requests: 100, perMs: 10_000, clock: { now: () => now, sleep: async (ms) => void (now += ms) } });
    const { attempt, calls } = failing(httpError(403, { rateLimited: true, vendorCode: 'rateLimitExceeded', retryAfterMs: 2000 }));
    await expect(withRetry({ ...request, limiter }, attempt, { sleep: async () => undefined })).resolves.toBe('ok');
    expect(calls()).toBe(2);
    expect(now).toBe(2000);
  });

  it('never retries a 403 that is not a rate limit', async () => {
    const { options } = harness();
    const { attempt, calls } = failing(httpError(403, { vendorCode: 'forbidden' }));
    await expect(withRetry(request, attempt, options)).rejects.toMatchObject({ code: 'api.forbidden', rateLimited: false });
    expect(calls()).toBe(1);
  });

  it('retries network errors and timeouts of reads', async () => {
    const { options } = harness();
    const { attempt, calls } = failing(
      new ApiError({ ...request, kind: 'network', status: null, vendorMessage: 'ECONNRESET' }),
      new ApiError({ ...request, kind: 'timeout', status: null, vendorMessage: 'timed out' }),
    );
    await expect(withRetry(request, attempt, options)).resolves.toBe('ok');
    expect(calls()).toBe(3);
  });

  it('does not retry a 400 and names system, method, path, status and the vendor message', async () => {
    const { options } = harness();
    const { attempt, calls } = failing(httpError(400));
    await expect(withRetry(request, attempt, options)).rejects.toThrow(
      'hubspot GET /crm/v3/objects/deals failed: HTTP 400: vendor says 400 (after 1 attempt)',
    );
    expect(calls()).toBe(1);
  });

  it('does not retry a 409 unless the vendor says to', async () => {
    const { options } = harness();
    const plain = failing(httpError(409));
    await expect(withRetry(request, plain.attempt, options)).rejects.toThrow(/HTTP 409/);
    const lockConflict = failing(httpError(409, { vendorSaysRetry: true }));
    await expect(withRetry(request, lockConflict.attempt, options)).resolves.toBe('ok');
  });

  it('gives up after the last attempt and says how many were made', async () => {
    const { options } = harness({ maxAttempts: 3 });
    const { attempt, calls } = failing(httpError(500), httpError(500), httpError(500), httpError(500));
    await expect(withRetry(request, attempt, options)).rejects.toThrow('(after 3 attempts)');
    expect(calls()).toBe(3);
  });

  it('retries a rate-limited-only write after a 429 but not after a 500', async () => {
    const { options } = harness();
    const afterRateLimit = failing(httpError(429));
    await expect(withRetry({ ...request, mode: 'rate-limited-only' }, afterRateLimit.attempt, options)).resolves.toBe('ok');
    const afterServerError = failing(httpError(500));
    await expect(withRetry({ ...request, mode: 'rate-limited-only' }, afterServerError.attempt, options)).rejects.toThrow(/HTTP 500/);
    expect(afterServerError.calls()).toBe(1);
  });

  it('fails at once when Retry-After is longer than it is willing to wait', async () => {
    const { sleeps, options } = harness({ maxRetryAfterMs: 60_000 });
    const { attempt } = failing(httpError(429, { retryAfterMs: 3_600_000 }));
    await expect(withRetry(request, attempt, options)).rejects.toThrow(/HTTP 429/);
    expect(sleeps).toEqual([]);
  });

  it('passes errors that are not vendor failures straight through', async () => {
    const { options } = harness();
    const bug = new TypeError('undefined is not a function');
    const { attempt, calls } = failing(bug);
    await expect(withRetry(request, attempt, options)).rejects.toBe(bug);
    expect(calls()).toBe(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000);
  });

  it('ignores a value it cannot read', () => {
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });
});

describe('backoffDelay', () => {
  it('stays between half and all of the capped exponential step', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 };
    expect(backoffDelay(1, { ...options, random: () => 0 })).toBe(50);
    expect(backoffDelay(10, options)).toBeLessThanOrEqual(1000);
    expect(backoffDelay(10, { ...options, random: () => 0 })).toBe(500);
  });
});
