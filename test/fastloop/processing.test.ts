import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toInboxEvent } from '../../src/connectors/stripe/adapter.ts';
import { insertEvents, retryDead } from '../../src/db/repositories/inbox.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import type { InboxEvent } from '../../src/domain/events.ts';
import { startInboxWorker } from '../../src/fastloop/worker.ts';
import { silentLogger } from '../../src/log.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { applyHubSpotUpdate, changeStripeSubscription, type StripeEvent } from '../../src/sandbox/state.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

// As `recon serve` runs it: what each system has is described once, not for every event.
let descriptions: ReturnType<typeof cachedDescriptions>;
beforeEach(() => {
  descriptions = cachedDescriptions(world.connectors);
});
const deps = () => ({ store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger, describe: descriptions });
/** A worker that processes what is stored now, in this test, and stops. */
const drain = async () => {
  const worker = startInboxWorker({ db: database.db, process: (event) => processEvent(deps(), event), subjectKey, logger: silentLogger, maxAttempts: 2 }, false);
  let total = 0;
  for (let handled = await worker.drainOnce(); handled > 0; handled = await worker.drainOnce()) total += handled;
  return total;
};
const inbox = () => database.db.selectFrom('inbox').selectAll().orderBy('id').execute();
const lastStripeEvent = (): StripeEvent => [...world.scenario.state.stripe.events.values()].at(-1) as StripeEvent;

/** A customer paying for a won deal, untouched by the generator's drift: its link kind as asked. */
function cleanPair(link: 'crm_id' | 'email' = 'crm_id') {
  const { stripe, hubspot } = world.scenario.state;
  for (const subscription of stripe.subscriptions.values()) {
    if (subscription.status !== 'active') continue;
    const customer = stripe.customers.get(String(subscription.customer));
    if (!customer || world.scenario.injected.some((i) => i.sourceId === customer.id)) continue;
    const deal = link === 'crm_id'
      ? hubspot.deals.get(customer.metadata.crm_id ?? '')
      : [...hubspot.deals.values()].find((d) => !d.properties.stripe_customer_id && !customer.metadata.crm_id && d.associations.contacts.some((c) => hubspot.contacts.get(c)?.properties.email === customer.email));
    if (deal && deal.properties.dealstage === 'closedwon' && !world.scenario.injected.some((i) => i.targetId === deal.id)) return { customer, subscription, deal };
  }
  throw new Error(`no clean ${link} pair`);
}

const hubspotEvent = (dealId: string, occurredAt: number, changeSource: string, n: number): InboxEvent => ({
  provider: 'hubspot', eventId: `hs-${dealId}-${n}`, type: 'deal.propertyChange', objectType: 'deal', objectId: dealId, occurredAt,
  payload: { eventId: n, subscriptionType: 'deal.propertyChange', objectId: Number(dealId), propertyName: 'dealstage', changeSource, occurredAt },
});

describe('processing a webhook event', () => {
  it('writes a payment’s consequence to the CRM, one way, from the system that owns the fact', async () => {
    const { subscription, deal } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    expect(await drain()).toBe(1);
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
    expect((await inbox())[0]).toMatchObject({ status: 'done', outcome: 'written', wrote_to: 'hubspot' });
    const change = await database.db.selectFrom('changes').selectAll().where('external_id', '=', deal.id).executeTakeFirstOrThrow();
    expect(change).toMatchObject({ actor: 'fast-loop', outcome: 'applied' });
  });

  it('processes a duplicate once', async () => {
    const { subscription } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    const event = toInboxEvent(lastStripeEvent() as never);
    expect(await insertEvents(database.db, [event, event])).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await insertEvents(database.db, [event])).toMatchObject({ stored: 0, duplicates: 1 });
    await drain();
    expect(world.scenario.state.writes).toHaveLength(1);
  });

  it('finds the deal of a customer no cycle has seen through the id Stripe holds for it', async () => {
    const { subscription, deal } = cleanPair('crm_id');
    expect(await database.db.selectFrom('links').selectAll().execute()).toEqual([]);
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    await drain();
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
  });

  it('finds the deal of a customer known only by email, through HubSpot’s search', async () => {
    const { subscription, deal } = cleanPair('email');
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    await drain();
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
  });

  it('takes Recon’s own write coming back as a webhook for no new work', async () => {
    const { subscription, deal } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    await drain();
    const written = world.scenario.state.writes.at(-1)?.at ?? Date.now();
    await insertEvents(database.db, [hubspotEvent(deal.id, written, 'INTEGRATION', 1)]);
    await drain();
    expect((await inbox()).at(-1)).toMatchObject({ outcome: 'echo' });
  });

  it('leaves a person’s edit in the CRM to a person', async () => {
    const { deal } = cleanPair();
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'contractsent' }, new Date(), 'person');
    await insertEvents(database.db, [hubspotEvent(deal.id, Date.now(), 'CRM_UI', 1)]);
    await drain();
    expect((await inbox())[0]).toMatchObject({ outcome: 'escalated' });
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('contractsent');
    expect(await database.db.selectFrom('review_items').select('reason').where('entity_key', 'like', `%:${deal.id}`).execute()).toEqual([{ reason: 'recent_human_edit' }]);
  });

  it('retries a failure with backoff and keeps it as a dead letter after its last attempt', async () => {
    const { subscription } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    const failing = startInboxWorker({ db: database.db, process: async () => { throw new Error('hubspot GET failed: HTTP 503'); }, logger: silentLogger, maxAttempts: 2 }, false);
    await failing.drainOnce();
    const first = (await inbox())[0];
    expect(first).toMatchObject({ status: 'pending', attempts: 1, last_error: 'hubspot GET failed: HTTP 503' });
    expect(new Date(first?.next_attempt_at as Date).getTime()).toBeGreaterThan(Date.now() + 3_000);
    await database.db.updateTable('inbox').set({ next_attempt_at: new Date() }).execute();
    await failing.drainOnce();
    expect((await inbox())[0]).toMatchObject({ status: 'dead', attempts: 2 });
    expect(await retryDead(database.db)).toBe(1);
    await drain();
    expect((await inbox())[0]).toMatchObject({ status: 'done', outcome: 'written' });
  });

  it('processes several events about one customer once, the older ones covered by the newest', async () => {
    const { subscription, deal } = cleanPair();
    const at = Date.now();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'past_due' }, at);
    const first = toInboxEvent(lastStripeEvent() as never);
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, at + 1000);
    await insertEvents(database.db, [first, toInboxEvent(lastStripeEvent() as never)]);
    const reads = world.sandbox.requests().stripe ?? 0;
    await drain();
    expect((await inbox()).map((e) => e.outcome)).toEqual(['superseded', 'written']);
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
    expect((world.sandbox.requests().stripe ?? 0) - reads).toBeLessThanOrEqual(3);
  });

  it('processes after a restart an event a process stored but did not process', async () => {
    const { subscription, deal } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    // A process that claimed it and died: its lease runs out, and the next worker takes it back.
    await database.db.updateTable('inbox').set({ status: 'processing', claimed_by: 'dead-replica', claimed_at: new Date(Date.now() - 600_000) }).execute();
    await drain();
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
  });
});

describe('duplicated and reordered events', () => {
  it('end with the CRM in the state of the newest source event, each change written once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('canceled', 'active', 'past_due'), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1_000 }), async (statuses, seed) => {
        await database.reset();
        const { subscription, deal } = cleanPair();
        const before = world.scenario.state.writes.length;
        const events: InboxEvent[] = [];
        let now = Date.now();
        for (const status of statuses) {
          changeStripeSubscription(world.scenario.state, subscription.id, { status: status as 'canceled' }, (now += 1000));
          events.push(toInboxEvent(lastStripeEvent() as never));
        }
        // Each event twice, in a shuffled order.
        const delivered = [...events, ...events].map((e, i) => ({ e, k: (i * 7919 + seed) % 97 })).sort((a, b) => a.k - b.k).map((x) => x.e);
        for (const event of delivered) await insertEvents(database.db, [event]);
        await drain();
        const final = statuses.at(-1) === 'canceled' ? 'closedlost' : 'closedwon';
        const stage = world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage;
        const writes = world.scenario.state.writes.slice(before).filter((w) => w.id === deal.id);
        // Restore the pair for the next run.
        changeStripeSubscription(world.scenario.state, subscription.id, { status: 'active' }, (now += 1000));
        if (stage !== 'closedwon') applyHubSpotUpdate(world.scenario.state, 'deals', world.scenario.state.hubspot.deals.get(deal.id) as never, { dealstage: 'closedwon' }, new Date(now - 40 * 86_400_000));
        return stage === final && writes.length === (final === 'closedlost' ? 1 : 0);
      }),
      { numRuns: 8 },
    );
  });
});
