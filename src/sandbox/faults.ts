/** Fault injection shared by the sandbox servers. Everything is off unless asked for. */
import { seededRandom } from './random.ts';

/** A system the sandbox fakes: `stripe`, `hubspot`, `gohighlevel`, `google_calendar`. */
export type SandboxSystem = string;

/** Runs before a write is applied; throw (or reject) to make the write fail with a 500 unapplied. */
export type BeforeWriteHook = (system: SandboxSystem, object: string, id: string) => void | Promise<void>;

export interface FaultOptions {
  /** Added to every request before it is handled, in milliseconds. */
  latencyMs?: number;
  /** Probability (0..1) that a read (GET, HubSpot batch/read) answers a 5xx. */
  readErrorRate?: number;
  /** The statuses such a read error picks from; default 500, 502 and 503. */
  readErrorStatuses?: (500 | 502 | 503)[];
  /** Seed of the generator behind `readErrorRate`, so a run fails the same requests every time. */
  seed?: number;
  /** The next N requests answer 429 with `Retry-After`: N for either system, or per system. */
  rateLimitNext?: number | Record<SandboxSystem, number>;
  /** `Retry-After` of injected 429s, in seconds; default 1. */
  retryAfterSeconds?: number;
  /** Called before each write is applied, e.g. to kill a client process mid-apply. */
  beforeWrite?: BeforeWriteHook;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'server_error'; status: 500 | 502 | 503 };

/** The live fault settings of a running sandbox; tests may change them between requests. */
export class FaultInjector {
  private options: FaultOptions = {};
  private random: () => number = seededRandom(1);
  private pending = new Map<string, number>();

  constructor(options: FaultOptions = {}) {
    this.set(options);
  }

  /** Replaces every setting (and resets the seeded generator and pending 429s). */
  set(options: FaultOptions): void {
    const rate = options.readErrorRate ?? 0;
    if (rate < 0 || rate > 1) throw new Error(`faults.readErrorRate must be between 0 and 1, got ${rate}`);
    this.options = { ...options };
    this.random = seededRandom(options.seed ?? 1);
    this.pending = new Map();
    const next = options.rateLimitNext;
    if (typeof next === 'number') this.pending.set('', next);
    else if (next) for (const [system, count] of Object.entries(next)) this.pending.set(system, count);
  }

  /** Makes the next `count` requests (of `system`, or of either) answer 429 with Retry-After. */
  rateLimitNext(count: number, system?: SandboxSystem): void {
    const key = system ?? '';
    this.pending.set(key, (this.pending.get(key) ?? 0) + count);
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** What, if anything, goes wrong with this request. Consumes one pending 429 when it applies. */
  decide(system: SandboxSystem, isRead: boolean): FaultDecision {
    const retryAfterSeconds = this.options.retryAfterSeconds ?? 1;
    for (const key of [system, '']) {
      const left = this.pending.get(key) ?? 0;
      if (left > 0) {
        this.pending.set(key, left - 1);
        return { kind: 'rate_limit', retryAfterSeconds };
      }
    }
    const rate = this.options.readErrorRate ?? 0;
    if (isRead && rate > 0 && this.random() < rate) {
      const statuses = this.options.readErrorStatuses ?? [500, 502, 503];
      const status = statuses[Math.floor(this.random() * statuses.length)] ?? 500;
      return { kind: 'server_error', status };
    }
    return { kind: 'none' };
  }

  async beforeWrite(system: SandboxSystem, object: string, id: string): Promise<void> {
    await this.options.beforeWrite?.(system, object, id);
  }
}
