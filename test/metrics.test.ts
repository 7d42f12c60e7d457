import { describe, expect, it } from 'vitest';
import { insertEvents } from '../src/db/repositories/inbox.ts';
import { createMetrics } from '../src/metrics.ts';
import { useTestDatabase } from './support/db.ts';

const database = useTestDatabase();
const event = (id: string) => ({ provider: 'stripe', eventId: id, type: 'customer.subscription.updated', objectType: 'subscription', objectId: 'sub_1', occurredAt: 0, payload: {} });

describe('GET /metrics', () => {
  it('counts webhook receipts by provider, type and outcome', async () => {
    const metrics = createMetrics({ db: database.db, connectors: {}, defaults: false });
    metrics.webhookReceived('stripe', 'invoice.paid', 'stored');
    metrics.webhookReceived('stripe', 'invoice.paid', 'duplicate');
    metrics.webhookReceived('hubspot', '', 'unauthorized');
    const text = await metrics.render();
    expect(text).toContain('recon_webhook_events_received_total{provider="stripe",type="invoice.paid",outcome="stored"} 1');
    expect(text).toContain('recon_webhook_events_received_total{provider="stripe",type="invoice.paid",outcome="duplicate"} 1');
    expect(text).toContain('recon_webhook_events_received_total{provider="hubspot",type="none",outcome="unauthorized"} 1');
  });

  it('shows each vendor budget: requests by priority, 429s, time waited, share and fallback', async () => {
    const metrics = createMetrics({ db: database.db, connectors: {}, defaults: false });
    const budget = 'hubspot:3f2a9c41d0e2:general';
    metrics.budgets.sent(budget, 'background');
    metrics.budgets.sent(budget, 'interactive');
    metrics.budgets.throttled(budget);
    metrics.budgets.waited(budget, 'interactive', 30);
    metrics.budgets.share(budget, 0.25, 3);
    metrics.budgets.fallback(budget, true);
    const text = await metrics.render();
    expect(text).toContain(`recon_vendor_requests_total{budget="${budget}",priority="background"} 1`);
    expect(text).toContain(`recon_vendor_requests_total{budget="${budget}",priority="interactive"} 1`);
    expect(text).toContain(`recon_vendor_throttled_total{budget="${budget}"} 1`);
    expect(text).toContain(`recon_budget_wait_seconds_count{budget="${budget}",priority="interactive"} 1`);
    expect(text).toContain(`recon_budget_share{budget="${budget}"} 0.25`);
    expect(text).toContain(`recon_budget_replicas{budget="${budget}"} 3`);
    expect(text).toContain(`recon_budget_fallback{budget="${budget}"} 1`);
  });

  it('reads the inbox depth and the dead letters from the database when scraped', async () => {
    await insertEvents(database.db, [event('evt_1'), event('evt_2')]);
    await database.db.updateTable('inbox').set({ status: 'dead' }).where('event_id', '=', 'evt_2').execute();
    const text = await createMetrics({ db: database.db, connectors: {}, defaults: false }).render();
    expect(text).toMatch(/^recon_inbox_depth 1$/m);
    expect(text).toMatch(/^recon_inbox_dead_letters 1$/m);
  });

  it('times an event from its receipt to its write', async () => {
    const metrics = createMetrics({ db: database.db, connectors: {}, defaults: false });
    const receivedAt = new Date(1_000_000);
    metrics.eventProcessed({ ...event('evt_3'), id: '1', attempts: 1, receivedAt }, { outcome: 'written', wroteTo: ['hubspot'] }, null, 1_000_300);
    const text = await metrics.render();
    expect(text).toContain('recon_fastloop_events_processed_total{provider="stripe",outcome="written"} 1');
    expect(text).toContain('recon_fastloop_receipt_to_write_seconds_bucket{le="0.5",provider="stripe"} 1');
    expect(text).toContain('recon_fastloop_receipt_to_write_seconds_bucket{le="0.25",provider="stripe"} 0');
  });

  it('gives time to consistency per loop, p50 and p95, from the writes of the last day', async () => {
    const now = Date.now();
    for (const [n, [actor, seconds]] of ([['fast-loop', 3], ['fast-loop', 5], ['fast-loop', 60], ['auto', 7200]] as const).entries()) {
      await database.db.insertInto('changes').values({
        at: new Date(now - 1000), actor, origin: 'run:1', run_id: null, check_name: 'payment-status', fingerprint: null, system: 'hubspot', object: 'deals', external_id: String(n),
        field: 'dealstage', before: '"a"', after: '"b"', rule: null, reason: null, outcome: 'applied', error: null, idempotency_key: `k${n}`, source_changed_at: new Date(now - 1000 - seconds * 1000),
      }).execute();
    }
    const text = await createMetrics({ db: database.db, connectors: {}, defaults: false }).render();
    expect(text).toContain('recon_time_to_consistency_seconds{loop="fast",quantile="0.5"} 5');
    expect(text).toContain('recon_time_to_consistency_seconds{loop="fast",quantile="0.95"} 60');
    expect(text).toContain('recon_time_to_consistency_seconds{loop="slow",quantile="0.95"} 7200');
    expect(text).toContain('recon_time_to_consistency_writes{loop="fast"} 3');
  });
});
