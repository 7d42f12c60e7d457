/**
 * One vendor budget shared by every replica: a rate limiter that asks a ledger all replicas share
 * (Recon's Postgres) before each request, on top of the process's own limiter.
 *
 * The ledger alone decides when a request may leave: a person's request may take the whole limit;
 * background requests stop short of a reserve and are paced fleet-wide, so a person on any replica
 * finds a free slot even while every replica's cycle runs at the limit. (A window kept in the
 * process as well would count requests still waiting for the ledger, and made a person wait
 * seconds behind its own replica's cycle.) A slot counts from when its response arrived, as in
 * limiter.ts, so a request slowed on its way cannot land in the vendor's next window early. A 429
 * seen by one replica pauses them all.
 *
 * When the ledger does not answer in time (the database slow or away), the limiter falls back to
 * a conservative share of its own (the limit divided by the replicas it last saw, never the whole
 * limit), says so once in the log and in `onFallback`, and asks the ledger again on the next
 * request: the first answer ends the fallback.
 *
 * @example
 * const limiter = createSharedRateLimiter({ key: 'hubspot:3f2a9c:general', limit: { requests: 100, perMs: 10_000 }, ledger, replica: 'host-1:4242' });
 * const release = await limiter.take('interactive'); // then send the request
 */
import { createHash } from 'node:crypto';
import { createRateLimiter, realClock, type LimiterClock, type Priority, type RateLimit, type RateLimiter, type RateLimiterOptions, type Release } from './limiter.ts';

/** Where replicas share their budgets (src/db/repositories/budget.ts on Postgres). */
export interface BudgetLedger {
  /**
   * Admits one request of `key` now, or says how long until a slot may free. `cap`: how many
   * requests of the window this caller may see taken. `rolling`: a rolling window (the vendor's
   * seconds), else a fixed one counted (a daily limit). `paceMs` > 0 paces the caller fleet-wide:
   * after a burst of `burst`, one every `paceMs` (background callers in long windows).
   */
  take(request: { key: string; replica: string; cap: number; windowMs: number; rolling: boolean; paceMs: number; burst: number }): Promise<{ waitMs: number; inWindow: number; replicas: number; admittedAt: number }>;
  /** The response of the request admitted at `admittedAt` arrived: its slot counts from now. */
  settle(request: { key: string; admittedAt: number }): Promise<void>;
  /**
   * The vendor counts `used` requests in its window (other apps share it): when that is more than
   * the ledger holds, the difference is booked as used now.
   */
  observe(request: { key: string; used: number; windowMs: number; rolling: boolean }): Promise<void>;
  /** Every replica waits until `ms` from now (a vendor's 429 with Retry-After). */
  pause(key: string, ms: number): Promise<void>;
  /** Records one 429 of `key`, for `recon status`. */
  throttled(key: string, replica: string): Promise<void>;
}

/** What a shared limiter reports, for `/metrics`. */
export interface BudgetObserver {
  /** A request was admitted (sent): by the ledger, or by the fallback share. */
  sent(key: string, priority: Priority): void;
  /** How long a caller waited for the shared budget, after its turn in this process. */
  waited(key: string, priority: Priority, ms: number): void;
  /** The vendor answered 429. */
  throttled(key: string): void;
  /** This replica's share of the window's requests (0..1), and the replicas alive. */
  share(key: string, share: number, replicas: number): void;
  /** The ledger stopped answering (true) or answers again (false). */
  fallback(key: string, on: boolean): void;
}

export interface SharedRateLimiterOptions {
  /** The budget: vendor, credential and which limit, e.g. `hubspot:3f2a9c:general`. */
  key: string;
  limit: RateLimit & Pick<RateLimiterOptions, 'marginMs' | 'interactiveReserve' | 'backgroundBurst'>;
  ledger: BudgetLedger;
  /** This process, as the ledger counts replicas. */
  replica: string;
  /** How long a ledger request may take before this replica falls back to its own share. Default 500 ms. */
  timeoutMs?: number;
  observer?: BudgetObserver;
  logger?: { warn(object: object, message: string): void; info(object: object, message: string): void };
  clock?: Partial<LimiterClock>;
}

/** Windows longer than this are counted in fixed windows (a daily limit), not as a log of sends. */
const LONGEST_ROLLING_MS = 60_000;

export function createSharedRateLimiter(options: SharedRateLimiterOptions): RateLimiter {
  const clock: LimiterClock = { ...realClock, ...options.clock };
  const { key, ledger, replica, observer, logger } = options;
  const limit = options.limit;
  let pausedUntil = 0;
  const queues: Record<Priority, Promise<unknown>> = { interactive: Promise.resolve(), background: Promise.resolve() };
  const requests = Math.floor(limit.requests);
  const windowMs = limit.perMs + (limit.marginMs ?? Math.max(50, Math.ceil(limit.perMs * 0.01)));
  const reserve = Math.min(requests - 1, Math.max(0, Math.floor(limit.interactiveReserve ?? (limit.perMs > 1000 ? Math.max(1, Math.round(requests * 0.02)) : 0))));
  const rolling = limit.perMs <= LONGEST_ROLLING_MS;
  // As the process's own limiter paces a cycle (limiter.ts), but across every replica: slots then
  // free all through a long window, and a person on any replica finds one within a second.
  const burst = Math.max(1, limit.backgroundBurst ?? (limit.perMs > 1000 ? Math.max(1, Math.round(requests * 0.1)) : Infinity));
  const paceMs = rolling && Number.isFinite(burst) ? windowMs / (requests - reserve) : 0;
  const timeoutMs = options.timeoutMs ?? 500;

  let replicasSeen = 1;
  let fallback: RateLimiter | null = null;
  let fallbackFor = 0;
  /** Requests this replica sent in the last window, for its share. */
  const mine: number[] = [];

  const fallbackLimiter = (): RateLimiter => {
    if (!fallback || fallbackFor !== replicasSeen) {
      fallbackFor = replicasSeen;
      fallback = createRateLimiter({ ...limit, requests: Math.max(1, Math.floor(requests / replicasSeen)), clock });
    }
    return fallback;
  };

  let fallingBack = false;
  const enterFallback = (error: unknown) => {
    if (fallingBack) return;
    fallingBack = true;
    observer?.fallback(key, true);
    logger?.warn(
      { budget: key, replicas: replicasSeen, share: Math.max(1, Math.floor(requests / replicasSeen)), error: error instanceof Error ? error.message : String(error) },
      'the shared rate-limit budget did not answer in time; using this replica\'s share of the limit until it does',
    );
  };
  const leaveFallback = () => {
    if (!fallingBack) return;
    fallingBack = false;
    observer?.fallback(key, false);
    logger?.info({ budget: key }, 'the shared rate-limit budget answers again');
  };

  const withTimeout = <T>(work: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  };

  const noteSent = (priority: Priority, inWindow: number | null) => {
    const now = clock.now();
    mine.push(now);
    while (mine.length > 0 && (mine[0] as number) <= now - windowMs) mine.shift();
    observer?.sent(key, priority);
    if (inWindow !== null && inWindow > 0) observer?.share(key, Math.min(1, mine.length / inWindow), replicasSeen);
  };

  /** Admission by the ledger: asked again until it lets the request through, or falls silent. */
  async function admit(priority: Priority): Promise<Release | null> {
    const cap = priority === 'interactive' ? requests : requests - reserve;
    const started = clock.now();
    for (;;) {
      const paused = pausedUntil - clock.now();
      if (paused > 0) {
        await clock.sleep(paused);
        continue;
      }
      let answer: { waitMs: number; inWindow: number; replicas: number; admittedAt: number };
      try {
        answer = await withTimeout(ledger.take({ key, replica, cap, windowMs, rolling, paceMs: priority === 'interactive' ? 0 : paceMs, burst: Number.isFinite(burst) ? burst : 0 }));
      } catch (error) {
        enterFallback(error);
        return null;
      }
      leaveFallback();
      replicasSeen = Math.max(1, answer.replicas);
      if (answer.waitMs <= 0) {
        observer?.waited(key, priority, clock.now() - started);
        noteSent(priority, answer.inWindow);
        let released = false;
        return () => {
          if (released || !rolling) return;
          released = true;
          void withTimeout(ledger.settle({ key, admittedAt: answer.admittedAt })).catch(() => undefined);
        };
      }
      // A person's wait is short (the reserve is theirs); a cycle's is up to the next free slot.
      await clock.sleep(Math.max(1, Math.min(answer.waitMs, priority === 'interactive' ? 50 : windowMs)));
    }
  }

  return {
    limit: { requests, perMs: limit.perMs },
    take(priority: Priority = 'background') {
      // One caller of each priority asks the ledger at a time, in arrival order: no herd of
      // callers polling it, and a person never queues behind a cycle.
      const turn = queues[priority].then(async () => {
        const admitted = await admit(priority);
        if (admitted) return admitted;
        // The ledger is away: this replica's share, counted on its own.
        const release = await fallbackLimiter().take(priority);
        noteSent(priority, null);
        return release;
      });
      queues[priority] = turn.catch(() => undefined);
      return turn;
    },
    pauseFor(ms) {
      if (!(ms > 0)) return;
      pausedUntil = Math.max(pausedUntil, clock.now() + ms);
      fallback?.pauseFor(ms);
      observer?.throttled(key);
      // Best effort: the next ledger answer carries the pause to the other replicas.
      void withTimeout(Promise.all([ledger.pause(key, ms), ledger.throttled(key, replica)])).catch(() => undefined);
    },
    observeRemaining(remaining) {
      // Into the ledger, not this process's limiter: the vendor's count holds every replica's requests.
      if (!Number.isFinite(remaining) || remaining < 0 || remaining >= requests) return;
      void withTimeout(ledger.observe({ key, used: requests - remaining, windowMs, rolling })).catch(() => undefined);
    },
  };
}

/**
 * Makes the limiters a connector asks for: local to this process (the embedded database, one
 * process) or shared through a ledger (several replicas on one Postgres).
 */
export type LimiterFactory = (budget: { system: string; credential: string; name: string }, limit: SharedRateLimiterOptions['limit'] & { clock?: Partial<LimiterClock> }) => RateLimiter;

/** Today's path: one limiter per budget, in this process. */
export const localLimiters: LimiterFactory = (_budget, limit) => createRateLimiter(limit);

/** A budget's name in the ledger: the vendor, a short digest of the credential (never the credential), and which limit. */
export function budgetKey(budget: { system: string; credential: string; name: string }): string {
  return `${budget.system}:${createHash('sha256').update(budget.credential).digest('hex').slice(0, 12)}:${budget.name}`;
}
