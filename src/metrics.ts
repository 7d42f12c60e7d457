/**
 * What `recon serve` exposes at `GET /metrics` (Prometheus text format, with prom-client): webhook
 * receipts by provider, type and outcome; events processed and the time from receipt to write;
 * the inbox's depth and dead letters; cycles, discrepancies, fixes and escalations; the review
 * queue; API calls per system; the vendor budgets (requests sent, 429s, time waited for budget by
 * priority, this replica's share, a fallback in force). Figures that live in the database are read
 * when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './db/connect.ts';
import { inboxFigures } from './db/repositories/inbox.ts';
import { timeToConsistency } from './db/repositories/consistency.ts';
import { heldOf, openGuardItems } from './db/repositories/guard.ts';
import { queueFigures } from './db/repositories/review-items.ts';
import type { StoredEvent } from './domain/events.ts';
import type { ConnectorsBySystem } from './domain/ports.ts';
import type { ReceiptOutcome } from './fastloop/ingest.ts';
import type { CycleResult } from './reconcile/cycle.ts';
import type { EventResult } from './reconcile/event.ts';
import type { BudgetObserver } from './util/shared-limiter.ts';

export interface Metrics {
  readonly registry: Registry;
  /** A webhook request's outcome, per event once it was read. */
  webhookReceived(provider: string, type: string, outcome: ReceiptOutcome): void;
  /** An inbox event processed (or failed), as the worker reports it. */
  eventProcessed(event: StoredEvent, result: EventResult | null, error: unknown, now?: number): void;
  cycleFinished(result: CycleResult): void;
  /** Where the vendor budgets report (main.ts `sharedBudgets`). */
  readonly budgets: BudgetObserver;
  /** The text `/metrics` answers with. */
  render(): Promise<string>;
}

export function createMetrics(deps: { db: Db; connectors: ConnectorsBySystem; defaults?: boolean }): Metrics {
  const registry = new Registry();
  if (deps.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'recon_process_' });

  const received = new Counter({
    name: 'recon_webhook_events_received_total',
    help: 'Webhook events received, by provider, event type and outcome (stored, duplicate, dropped: no check uses the type; or the request refused: unauthorized, malformed, not_configured, unavailable).',
    labelNames: ['provider', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const processed = new Counter({
    name: 'recon_fastloop_events_processed_total',
    help: 'Inbox events processed, by provider and outcome (written, escalated, agreed, echo, unmatched, gone, unused, error).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const receiptToWrite = new Histogram({
    name: 'recon_fastloop_receipt_to_write_seconds',
    help: 'From an event stored in the inbox to its write in the mirroring system.',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const cycles = new Counter({ name: 'recon_cycles_total', help: 'Reconciliation cycles run by this process.', registers: [registry] });
  const checkFigures = {
    discrepancies: new Counter({ name: 'recon_discrepancies_total', help: 'Discrepancies found by cycles, by check.', labelNames: ['check'] as const, registers: [registry] }),
    autoFixed: new Counter({ name: 'recon_auto_fixed_total', help: 'Writes applied by cycles, by check.', labelNames: ['check'] as const, registers: [registry] }),
    escalated: new Counter({ name: 'recon_escalated_total', help: 'Escalations raised by cycles, by check.', labelNames: ['check'] as const, registers: [registry] }),
    failed: new Counter({ name: 'recon_failed_writes_total', help: 'Writes a vendor refused, by check.', labelNames: ['check'] as const, registers: [registry] }),
    missed: new Counter({ name: 'recon_missed_by_fast_loop_total', help: 'Discrepancies a cycle found that a webhook should have fixed, by check.', labelNames: ['check'] as const, registers: [registry] }),
  };

  new Gauge({
    name: 'recon_inbox_depth',
    help: 'Inbox events waiting or being processed.',
    registers: [registry],
    async collect() {
      this.set((await inboxFigures(deps.db)).pending);
    },
  });
  new Gauge({
    name: 'recon_inbox_dead_letters',
    help: 'Inbox events that failed every attempt and wait for a person to retry them.',
    registers: [registry],
    async collect() {
      this.set((await inboxFigures(deps.db)).dead);
    },
  });
  new Gauge({
    name: 'recon_review_queue_open',
    help: 'Review items waiting for a person.',
    registers: [registry],
    async collect() {
      this.set((await queueFigures(deps.db)).open);
    },
  });
  new Gauge({
    name: 'recon_guard_held_writes',
    help: 'Writes the blast-radius guard holds for a person to release, by check.',
    labelNames: ['check'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const item of await openGuardItems(deps.db)) this.set({ check: item.check_name }, heldOf(item)?.orders.length ?? 0);
    },
  });
  /** The window time to consistency is measured over. */
  const CONSISTENCY_WINDOW_MS = 24 * 3_600_000;
  const consistency = () => timeToConsistency(deps.db, new Date(Date.now() - CONSISTENCY_WINDOW_MS), new Date(Date.now() + 1000));
  new Gauge({
    name: 'recon_time_to_consistency_seconds',
    help: 'From a source record\'s change to the write that made the other side agree, over the writes of the last 24 h, by loop (fast: webhooks, slow: cycles) and quantile (nearest rank).',
    labelNames: ['loop', 'quantile'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [loop, figure] of Object.entries(await consistency())) {
        if (!figure) continue;
        this.set({ loop, quantile: '0.5' }, figure.p50Seconds);
        this.set({ loop, quantile: '0.95' }, figure.p95Seconds);
      }
    },
  });
  new Gauge({
    name: 'recon_time_to_consistency_writes',
    help: 'Writes measured for recon_time_to_consistency_seconds (the last 24 h), by loop.',
    labelNames: ['loop'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [loop, figure] of Object.entries(await consistency())) this.set({ loop }, figure?.writes ?? 0);
    },
  });
  new Gauge({
    name: 'recon_api_calls',
    help: 'API calls this process made, by system, since it started.',
    labelNames: ['system'] as const,
    registers: [registry],
    collect() {
      for (const [system, connector] of Object.entries(deps.connectors)) if (connector) this.set({ system }, connector.apiCalls());
    },
  });

  const budgetSent = new Counter({ name: 'recon_vendor_requests_total', help: 'Vendor requests this process sent, by budget (vendor:credential digest:limit) and priority.', labelNames: ['budget', 'priority'] as const, registers: [registry] });
  const budgetThrottled = new Counter({ name: 'recon_vendor_throttled_total', help: '429 answers this process received, by budget.', labelNames: ['budget'] as const, registers: [registry] });
  const budgetWait = new Histogram({
    name: 'recon_budget_wait_seconds', help: 'Time a request waited for the shared vendor budget, by budget and priority (a person is interactive, a cycle background).',
    labelNames: ['budget', 'priority'] as const, buckets: [0.005, 0.02, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  const budgetShare = new Gauge({ name: 'recon_budget_share', help: "This replica's share of the requests in the budget's current window.", labelNames: ['budget'] as const, registers: [registry] });
  const budgetReplicas = new Gauge({ name: 'recon_budget_replicas', help: 'Replicas that asked the shared budget in the last 30 s, as this one last saw.', labelNames: ['budget'] as const, registers: [registry] });
  const budgetFallback = new Gauge({ name: 'recon_budget_fallback', help: '1 while the shared budget does not answer and this replica uses its own share of the limit.', labelNames: ['budget'] as const, registers: [registry] });
  const budgets: BudgetObserver = {
    sent: (budget, priority) => budgetSent.inc({ budget, priority }),
    waited: (budget, priority, ms) => budgetWait.observe({ budget, priority }, ms / 1000),
    throttled: (budget) => budgetThrottled.inc({ budget }),
    share: (budget, share, replicas) => {
      budgetShare.set({ budget }, share);
      budgetReplicas.set({ budget }, replicas);
    },
    fallback: (budget, on) => budgetFallback.set({ budget }, on ? 1 : 0),
  };

  return {
    registry,
    budgets,
    webhookReceived(provider, type, outcome) {
      received.inc({ provider, type: type || 'none', outcome });
    },
    eventProcessed(event, result, error, now = Date.now()) {
      const outcome = error ? 'error' : (result?.outcome ?? 'error');
      processed.inc({ provider: event.provider, outcome });
      if (outcome === 'written') receiptToWrite.observe({ provider: event.provider }, Math.max(0, now - event.receivedAt.getTime()) / 1000);
    },
    cycleFinished(result) {
      cycles.inc();
      for (const check of result.checks) {
        const labels = { check: check.check };
        checkFigures.discrepancies.inc(labels, check.discrepancies.total);
        checkFigures.autoFixed.inc(labels, check.autoFixed);
        checkFigures.escalated.inc(labels, check.escalated);
        checkFigures.failed.inc(labels, check.failed);
        checkFigures.missed.inc(labels, check.missedByFastLoop);
      }
    },
    render: () => registry.metrics(),
  };
}
