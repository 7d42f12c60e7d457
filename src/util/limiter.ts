/**
 * A rolling-window rate limiter shared by every request a connector sends.
 *
 * Why a rolling window and not a token bucket: vendors state their limits as "N requests per
 * window" (HubSpot: 100 per rolling 10 s). A bucket of N that refills N per window lets up to 2N
 * through in one window (a full burst, then the refill), which is exactly the 429 storm we avoid.
 * The log holds at most `requests` timestamps, so it stays tiny.
 *
 * People go first: a caller that a person waits for (`take('interactive')`: a click's
 * compare-and-set, `doctor`) is served ahead of a cycle's background reads. Where the window is
 * long (HubSpot's 10 s), that is not enough: a slot frees exactly one window after it was used, so
 * a cycle that filled the window in a burst keeps filling it in bursts, and a person arriving in
 * between waits for the next burst's slots, up to the whole window. So there a small share of the
 * window is kept free for people, and while people are about (one asked within the last window)
 * background callers are paced: after a short burst, one every window ÷ their share of it. Slots
 * then free every tenth of a second or so, and a decision's calls go through within a second even
 * while a full cycle runs at the rate limit. While no person is about, a cycle bursts: it fills its
 * share of the window at once, and so of every window after (what the limit allows, no less); the
 * first person to ask takes a kept slot at once, and from then on the cycle is paced, so the slots
 * it frees go to people first.
 *
 * @example
 * const limiter = createRateLimiter({ requests: 100, perMs: 10_000 });
 * const release = await limiter.take(); // then send the request
 * release(); // once the response arrived
 */

export interface RateLimit {
  /** Requests allowed in any window of `perMs`. */
  requests: number;
  perMs: number;
}

export type Release = () => void;

/** Who waits: a person (`interactive`) or a cycle (`background`, the default). */
export type Priority = 'interactive' | 'background';

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RateLimiterOptions extends RateLimit {
  /**
   * Added to the window so that requests sent exactly `perMs` apart cannot land inside one window
   * on the vendor's side when network latency and event-loop delays vary. Default: 1% of `perMs`,
   * at least 50 ms.
   */
  marginMs?: number;
  /**
   * Slots of each window background callers leave to interactive ones. Default: none where the
   * window is a second or less (a slot frees within it anyway), else 2% of `requests`, at least 1.
   */
  interactiveReserve?: number;
  /**
   * Background requests sent at once before pacing starts (one every window ÷ their share of it),
   * while people are about. Default: no pacing where the window is a second or less, else 10% of
   * `requests`, at least 1. `Infinity` turns pacing off.
   */
  backgroundBurst?: number;
  /**
   * How long after a person's last request background callers stay paced. Default: one window
   * (with its margin). `Infinity` paces them always, as if a person were always about.
   */
  peopleAboutMs?: number;
  /** Injected clock and sleep, for tests. Defaults to `Date.now` and `setTimeout`. */
  clock?: Partial<LimiterClock>;
}

export interface RateLimiter {
  /**
   * Resolves when one more request may be sent now; the caller must send it right away, and call
   * the returned `release` when the response arrived. The slot then counts from that moment: the
   * vendor counts arrivals, and a request held up on our side (a busy event loop) must not let
   * the next window's requests land inside the vendor's window. Callers of one priority are served
   * in arrival order; interactive callers never queue behind background ones.
   */
  take(priority?: Priority): Promise<Release>;
  /** Stops every caller until `ms` from now (a 429 with Retry-After, seen by any caller). */
  pauseFor(ms: number): void;
  /**
   * The vendor said how many requests remain in its current window (HubSpot's
   * `X-HubSpot-RateLimit-Remaining`). Other apps share that budget, so when the vendor counts
   * fewer remaining than we do, the difference is booked as used now.
   */
  observeRemaining(remaining: number): void;
  readonly limit: RateLimit;
}

export const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!(options.requests >= 1) || !(options.perMs > 0)) {
    throw new Error(`rate limit must allow at least 1 request per positive window, got ${options.requests} per ${options.perMs} ms`);
  }
  const clock: LimiterClock = { ...realClock, ...options.clock };
  const requests = Math.floor(options.requests);
  const windowMs = options.perMs + (options.marginMs ?? Math.max(50, Math.ceil(options.perMs * 0.01)));
  const reserve = Math.min(
    requests - 1,
    Math.max(0, Math.floor(options.interactiveReserve ?? (options.perMs > 1000 ? Math.max(1, Math.round(requests * 0.02)) : 0))),
  );
  /** How many slots of the window each priority may fill. */
  const capacity: Record<Priority, number> = { interactive: requests, background: requests - reserve };
  const burst = Math.max(1, options.backgroundBurst ?? (options.perMs > 1000 ? Math.max(1, Math.round(requests * 0.1)) : Infinity));
  /** Background pacing: a bucket of `burst` sends, refilled one per `paceMs`. */
  const paceMs = windowMs / capacity.background;
  let bucket = burst;
  let bucketAt = clock.now();
  const bucketLevel = (now: number) => Math.min(burst, bucket + (now - bucketAt) / paceMs);
  /** Send (then response) times of the requests inside the current window, oldest first. */
  const sent: number[] = [];
  let pausedUntil = 0;
  /** Each priority serves its callers one at a time, in arrival order, on its own chain. */
  const queues: Record<Priority, Promise<unknown>> = { interactive: Promise.resolve(), background: Promise.resolve() };
  let interactiveWaiting = 0;
  /** When a person last asked for a slot. */
  let personAskedAt = Number.NEGATIVE_INFINITY;
  const peopleAboutMs = options.peopleAboutMs ?? windowMs;
  const peopleAbout = (now: number) => interactiveWaiting > 0 || now - personAskedAt < peopleAboutMs;

  function forget(now: number): void {
    while (sent.length > 0 && (sent[0] as number) <= now - windowMs) sent.shift();
  }

  /** Moves a slot's time to when its response arrived; the list stays sorted. */
  function settle(at: number): void {
    const now = clock.now();
    const index = sent.indexOf(at);
    if (index < 0 || now <= at) return;
    sent.splice(index, 1);
    let i = sent.length;
    while (i > 0 && (sent[i - 1] as number) > now) i--;
    sent.splice(i, 0, now);
  }

  async function acquire(priority: Priority): Promise<Release> {
    for (;;) {
      const now = clock.now();
      if (pausedUntil > now) {
        await clock.sleep(pausedUntil - now);
        continue;
      }
      forget(now);
      // A background caller steps aside while a person waits for the same slot.
      const yielding = priority === 'background' && interactiveWaiting > 0;
      const pacing = priority === 'background' && Number.isFinite(burst) && peopleAbout(now);
      const paced = pacing && bucketLevel(now) < 1;
      if (sent.length < capacity[priority] && !yielding && !paced) {
        if (priority === 'background' && Number.isFinite(burst)) {
          // A burst with nobody about spends the short burst too: pacing, when a person comes, starts from empty.
          bucket = pacing ? bucketLevel(now) - 1 : 0;
          bucketAt = now;
        }
        sent.push(now);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          settle(now);
        };
      }
      // The slot this caller needs frees when enough of the oldest leave the window.
      const needed = sent.length - capacity[priority];
      const refillsAt = paced ? now + Math.ceil((1 - bucketLevel(now)) * paceMs) : now;
      const freesAt = Math.max(refillsAt, needed >= 0 && !yielding ? (sent[needed] as number) + windowMs : yielding ? now + Math.max(1, Math.ceil(windowMs / requests)) : now);
      await clock.sleep(Math.max(1, freesAt - now));
    }
  }

  return {
    limit: { requests, perMs: options.perMs },
    take(priority: Priority = 'background') {
      if (priority === 'interactive') {
        interactiveWaiting++;
        personAskedAt = clock.now();
      }
      const turn = queues[priority].then(() => acquire(priority));
      queues[priority] = turn.catch(() => undefined);
      if (priority === 'interactive') void turn.finally(() => interactiveWaiting--).catch(() => undefined);
      return turn;
    },
    pauseFor(ms) {
      if (!(ms > 0)) return;
      pausedUntil = Math.max(pausedUntil, clock.now() + ms);
    },
    observeRemaining(remaining) {
      if (!Number.isFinite(remaining) || remaining < 0) return;
      const now = clock.now();
      forget(now);
      const ours = requests - sent.length;
      for (let i = remaining; i < ours; i++) sent.push(now);
    },
  };
}

/**
 * One limiter made of several that must all agree, e.g. Stripe's per-endpoint limit and its
 * account-wide limit. They are taken in the order given, and only the last one's timestamp is the
 * real send time, so put first the one most likely to make callers wait. A pause and the vendor's
 * remaining count apply to all of them.
 */
export function combineLimiters(first: RateLimiter, ...others: RateLimiter[]): RateLimiter {
  const all = [first, ...others];
  return {
    limit: first.limit,
    async take(priority?: Priority) {
      const releases: Release[] = [];
      for (const limiter of all) releases.push(await limiter.take(priority));
      return () => {
        for (const release of releases) release();
      };
    },
    pauseFor(ms) {
      for (const limiter of all) limiter.pauseFor(ms);
    },
    observeRemaining(remaining) {
      for (const limiter of all) limiter.observeRemaining(remaining);
    },
  };
}
