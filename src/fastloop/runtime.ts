/**
 * The fast loop as `recon serve` runs it: workers processing the inbox through the same rules as
 * the slow loop, missed Stripe events replayed on start and on a timer, and the escalations the
 * events raised posted to Slack soon after (debounced, through the same posting as a cycle's).
 */
import type { Db } from '../db/connect.ts';
import type { StoredEvent } from '../domain/events.ts';
import type { ConnectorsBySystem } from '../domain/ports.ts';
import type { Logger } from '../log.ts';
import type { EventResult } from '../reconcile/event.ts';
import { replayMissedEvents } from './replay.ts';
import { startInboxWorker, type InboxWorker } from './worker.ts';

/** How often missed Stripe events are looked for while serving. */
export const REPLAY_EVERY_MS = 10 * 60_000;
/** Escalations raised by events within this wait are posted together. */
export const POST_DEBOUNCE_MS = 2_000;

export interface FastLoopDeps {
  db: Db;
  connectors: ConnectorsBySystem;
  logger: Logger;
  process: (event: StoredEvent) => Promise<EventResult>;
  /** What an event is about, so several events about one record are processed once. */
  subjectKey?: (event: StoredEvent) => string | null;
  /** Systems whose missed events can be replayed (Stripe, when its webhooks are on). */
  replaySystems: readonly string[];
  /** Posts open escalations not yet posted; called after events escalated. */
  postEscalations?: () => Promise<unknown>;
  onProcessed?: (event: StoredEvent, result: EventResult | null, error: unknown) => void;
}

export interface FastLoop {
  /** Wakes the workers: an event was stored. */
  notify(): void;
  stop(): Promise<void>;
}

/** A webhook stored within this is "pouring in": the workers wait this long before their next batch. */
const BUSY_MS = 25;

export function startFastLoop(deps: FastLoopDeps): FastLoop {
  let lastStored = 0;
  let postTimer: NodeJS.Timeout | null = null;
  let posting: Promise<unknown> = Promise.resolve();
  const schedulePost = () => {
    if (!deps.postEscalations || postTimer) return;
    postTimer = setTimeout(() => {
      postTimer = null;
      posting = posting
        .then(() => deps.postEscalations?.())
        .catch((error: unknown) => deps.logger.error({ err: error }, 'fast loop: escalations not posted; the next cycle posts them'));
    }, POST_DEBOUNCE_MS);
  };
  const worker: InboxWorker = startInboxWorker({
    db: deps.db,
    process: deps.process,
    logger: deps.logger,
    deferMs: () => (Date.now() - lastStored < BUSY_MS ? BUSY_MS : 0),
    ...(deps.subjectKey ? { subjectKey: deps.subjectKey } : {}),
    onProcessed: (event, result, error) => {
      deps.onProcessed?.(event, result, error);
      if (result?.outcome === 'written') deps.logger.info({ event: `${event.provider}:${event.eventId}`, type: event.type, wroteTo: result.wroteTo, afterMs: Date.now() - event.receivedAt.getTime() }, 'fast loop: the change is written');
      if (result?.outcome === 'escalated') {
        deps.logger.info({ event: `${event.provider}:${event.eventId}`, type: event.type }, 'fast loop: escalated for a person');
        schedulePost();
      }
    },
  });

  let replaying: Promise<unknown> = Promise.resolve();
  const replay = () => {
    if (deps.replaySystems.length === 0) return;
    replaying = replaying
      .then(() => replayMissedEvents({ db: deps.db, connectors: deps.connectors, logger: deps.logger, systems: deps.replaySystems }))
      .then((tally) => {
        if (Object.values(tally).some((t) => t.stored > 0)) worker.notify();
      })
      .catch((error: unknown) => deps.logger.error({ err: error }, 'fast loop: could not replay missed events; tried again later'));
  };
  replay();
  const replayTimer = setInterval(replay, REPLAY_EVERY_MS);
  replayTimer.unref();

  return {
    notify: () => {
      lastStored = Date.now();
      worker.notify();
    },
    async stop() {
      clearInterval(replayTimer);
      if (postTimer) clearTimeout(postTimer);
      await worker.stop();
      await replaying;
      await posting;
    },
  };
}
