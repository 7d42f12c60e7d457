/**
 * The inbox's workers: claim stored events (several replicas share them, none waits for another's
 * rows), process each through the same rules as the slow loop, and retry a failure with backoff
 * until it becomes a dead letter a person can retry. Events about one record are processed in
 * the order they were stored; others side by side.
 */
import { processIsRunning } from '../util/process.ts';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connect.ts';
import { claimEvents, completeEvent, failEvent, releaseDeadClaims } from '../db/repositories/inbox.ts';
import { errorMessage } from '../domain/errors.ts';
import type { StoredEvent } from '../domain/events.ts';
import type { Logger } from '../log.ts';
import type { EventResult } from '../reconcile/event.ts';
import { mapConcurrent } from '../util/concurrency.ts';

/** The longest a batch is held off while webhooks pour in: a burst is stored (and answered) first, then worked through. */
const MAX_DEFER_MS = 5_000;

export const WORKER_ID = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export interface WorkerOptions {
  db: Db;
  process: (event: StoredEvent) => Promise<EventResult>;
  logger: Logger;
  /** Records processed side by side. Default 8. */
  concurrency?: number;
  /** Events claimed at a time. Default 50. */
  batch?: number;
  /** Attempts before an event becomes a dead letter. Default 8. */
  maxAttempts?: number;
  /** A claim older than this was left by a process that died. Default five minutes. */
  leaseMs?: number;
  /** How long an idle worker waits before looking again (a new event wakes it at once). Default 1 s. */
  idleMs?: number;
  /**
   * The record an event is about (`stripe:customers:cus_1`), to process several events about one
   * record once; null for an event about nothing known. Default: the event's own object.
   */
  subjectKey?: (event: StoredEvent) => string | null;
  /** How long to hold off claiming the next batch (webhooks arriving now); 0 to go on. */
  deferMs?: () => number;
  /** Called after each event, for metrics. */
  onProcessed?: (event: StoredEvent, result: EventResult | null, error: unknown) => void;
  worker?: string;
}

/** The wait before attempt `attempt + 1`: 5 s, 10 s, 20 s, ... at most an hour, with a little jitter. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + random() * 0.4));
}

export interface InboxWorker {
  /** Wakes the worker: an event was just stored. */
  notify(): void;
  /** Processes what is due now, once; returns how many events it handled (for tests and benchmarks). */
  drainOnce(): Promise<number>;
  /** Stops taking new events and waits for those under way. */
  stop(): Promise<void>;
}

export function startInboxWorker(options: WorkerOptions, run = true): InboxWorker {
  const worker = options.worker ?? WORKER_ID;
  const batch = options.batch ?? 50;
  const maxAttempts = options.maxAttempts ?? 8;
  const leaseMs = options.leaseMs ?? 300_000;
  let stopped = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;

  const fail = async (event: StoredEvent, error: unknown) => {
    const dead = event.attempts >= maxAttempts;
    await failEvent(options.db, event.id, worker, errorMessage(error), dead ? null : new Date(Date.now() + retryDelayMs(event.attempts)));
    options.logger[dead ? 'error' : 'warn']({ err: error, event: `${event.provider}:${event.eventId}`, attempt: event.attempts }, dead ? 'event became a dead letter' : 'event failed; it will be retried');
    options.onProcessed?.(event, null, error);
  };

  /**
   * Several events about one record: processing reads the record as it is now, so the newest one
   * processed covers the changes of those before it, which are done as `superseded`. Recon's own
   * write coming back (an echo) covers nothing: the next older one is processed then.
   */
  const handleRecord = async (events: StoredEvent[]) => {
    const newestFirst = [...events].sort((a, b) => Number(b.id) - Number(a.id));
    for (const [index, event] of newestFirst.entries()) {
      let result: EventResult;
      try {
        result = await options.process(event);
      } catch (error) {
        // Tried again together: none of them was processed.
        for (const pending of newestFirst.slice(index)) await fail(pending, error);
        return;
      }
      await completeEvent(options.db, event.id, worker, result.outcome, result.wroteTo.join(',') || null);
      options.onProcessed?.(event, result, null);
      if (result.outcome === 'echo') continue;
      const covered: EventResult = { outcome: 'superseded', wroteTo: [] };
      for (const older of newestFirst.slice(index + 1)) {
        await completeEvent(options.db, older.id, worker, covered.outcome, null);
        options.onProcessed?.(older, covered, null);
      }
      return;
    }
  };

  const drainOnce = async (): Promise<number> => {
    const events = await claimEvents(options.db, worker, batch, leaseMs);
    // One record's events together; different records side by side.
    const byRecord = new Map<string, StoredEvent[]>();
    for (const event of events) {
      const key = options.subjectKey?.(event) ?? `${event.provider}:${event.objectType ?? ''}:${event.objectId ?? event.eventId}`;
      byRecord.set(key, [...(byRecord.get(key) ?? []), event]);
    }
    // A few records at a time: the vendors' rate limits pace the reads anyway, and the database
    // stays free for the webhooks coming in.
    await mapConcurrent([...byRecord.values()], options.concurrency ?? 8, handleRecord);
    return events.length;
  };

  const loop = (async () => {
    if (!run) return;
    try {
      const released = await releaseDeadClaims(options.db, worker, processIsRunning);
      if (released > 0) options.logger.warn({ released }, 'took back events a process of this host claimed before it stopped');
    } catch (error) {
      options.logger.warn({ err: error }, 'could not look for events claimed by stopped processes; their lease expires');
    }
    while (!stopped) {
      let handled = 0;
      // Webhooks first: while they pour in, a new batch waits a moment (never long) so the
      // answers stay quick; what is stored is processed as soon as the burst thins.
      for (let waited = 0, pause = options.deferMs?.() ?? 0; pause > 0 && waited < MAX_DEFER_MS && !stopped; pause = options.deferMs?.() ?? 0) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        waited += pause;
      }
      try {
        handled = await drainOnce();
      } catch (error) {
        options.logger.error({ err: error }, 'the inbox could not be read; trying again shortly');
      }
      if (handled > 0 || stopped) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.idleMs ?? 1_000);
      });
      if (timer) clearTimeout(timer);
      wake = null;
    }
  })();

  return {
    notify: () => wake?.(),
    drainOnce,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
