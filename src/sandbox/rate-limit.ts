/** A rolling-window rate limiter, per key (an API key or token), as both vendors enforce theirs. */

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  windowMs: number;
  /** When refused: how long until a slot frees up. */
  retryAfterMs: number;
}

/**
 * At most `limit` requests in any `windowMs` span (a sliding log, not fixed buckets, so a client
 * pacing itself exactly at the documented rate is never refused). Refused requests do not count.
 */
export class RollingWindowLimiter {
  private readonly logs = new Map<string, { times: number[]; head: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit > 0) || !(windowMs > 0)) throw new Error(`rate limit needs a positive limit and window, got ${limit} per ${windowMs} ms`);
  }

  take(key: string): RateLimitDecision {
    const now = this.now();
    let log = this.logs.get(key);
    if (!log) {
      log = { times: [], head: 0 };
      this.logs.set(key, log);
    }
    while (log.head < log.times.length && (log.times[log.head] ?? 0) <= now - this.windowMs) log.head += 1;
    if (log.head > 1024 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head);
      log.head = 0;
    }
    const used = log.times.length - log.head;
    if (used >= this.limit) {
      const oldest = log.times[log.head] ?? now;
      return { allowed: false, limit: this.limit, remaining: 0, windowMs: this.windowMs, retryAfterMs: Math.max(1, oldest + this.windowMs - now) };
    }
    log.times.push(now);
    return { allowed: true, limit: this.limit, remaining: this.limit - used - 1, windowMs: this.windowMs, retryAfterMs: 0 };
  }
}
