import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { toInboxEvent } from '../../src/connectors/stripe/adapter.ts';
import { parsePolicy } from '../../src/config/load-policy.ts';
import type { Policy } from '../../src/config/policy.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import { insertEvents } from '../../src/db/repositories/inbox.ts';
import type { HeldWrites } from '../../src/domain/store.ts';
import { startInboxWorker } from '../../src/fastloop/worker.ts';
import type { Env } from '../../src/config/env.ts';
import { silentLogger } from '../../src/log.ts';
import { buildConnectors } from '../../src/main.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { applyHubSpotUpdate, changeStripeSubscription, type StripeEvent } from '../../src/sandbox/state.ts';
import { recon, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY, startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const example = readFileSync(EXAMPLE_POLICY, 'utf8');
const withGuard = (guards: string): Policy => parsePolicy(example.replace('    humanEditWindow: 24h', `    humanEditWindow: 24h\n    guards: ${guards}`));
const cycle = (w: World, policy: Policy, options: Parameters<typeof runCycle>[1]) =>
  runCycle({ store: w.store, connectors: w.connectors, policy, logger: silentLogger }, options);
const guardItems = () => database.db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').orderBy('id').execute();
const heldOf = (item: { suggestion: unknown }) => (item.suggestion as { held: HeldWrites }).held;
const heldDeals = (item: { suggestion: unknown }) => heldOf(item).orders.map((o) => o.write.id).sort();
const hubspotWrites = (w: World) => w.scenario.state.writes.filter((x) => x.system === 'hubspot');

describe('the blast-radius guard over time', () => {
  it('keeps the writes it held through a cycle that reads none of them, and Release writes only those that still disagree', async () => {
    // 101 customers, 15 of each payment drift: 30 safe fixes, more than the default guard of 25.
    world = await startWorld(database, { customers: 101, driftRate: 0.15, seed: 5 });
    const w = world;
    const first = await cycle(w, w.policy, { full: true, checks: ['payment-status'] });
    const held = first.checks[0]?.heldByGuard ?? 0;
    expect(held).toBeGreaterThan(25);
    expect(first.checks[0]?.autoFixed).toBe(0);
    const [item] = await guardItems();
    expect(item).toMatchObject({ status: 'open', check_name: 'payment-status' });
    const deals = heldDeals(item as never);
    expect(deals).toHaveLength(held);

    // Nothing changed: the incremental cycle reads none of the held records and keeps them all.
    const second = await cycle(w, w.policy, { checks: ['payment-status'] });
    expect(second.checks[0]?.mode).toBe('incremental');
    const [still] = await guardItems();
    expect(still).toMatchObject({ id: item?.id, status: 'open' });
    expect(heldDeals(still as never)).toEqual(deals);

    // The queue and the status show what is held, and how to release it.
    const queue = await recon(['queue'], worldOverrides(w, database));
    expect(queue.stdout).toMatch(new RegExp(`${item?.id} +open +payment-status +mass_auto_fix +blast_radius +${held} writes held`));
    const status = await recon(['status'], worldOverrides(w, database));
    expect(status.stdout).toContain(`Held by the blast-radius guard: ${held} writes of payment-status (item ${item?.id}; \`recon decide ${item?.id} release\` makes them).`);

    // A person fixes one of them by hand before the release: Release must not count it as its own.
    const fixedByHand = heldOf(item as never).orders[0]?.write;
    const deal = w.scenario.state.hubspot.deals.get(fixedByHand?.id ?? '');
    if (!deal || !fixedByHand) throw new Error('no held deal');
    applyHubSpotUpdate(w.scenario.state, 'deals', deal, { dealstage: String(fixedByHand.to) }, new Date(), 'person');
    const before = hubspotWrites(w).length;

    const released = await recon(['decide', String(item?.id), 'release', '--as', 'U0OPSLEAD'], worldOverrides(w, database));
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`Released: ${held - 1} of ${held} writes applied (1 already held the value)`);
    const written = hubspotWrites(w).slice(before).map((x) => x.id).sort();
    expect(written).toEqual(deals.filter((id) => id !== fixedByHand.id));

    const third = await cycle(w, w.policy, { full: true, checks: ['payment-status'] });
    expect(third.checks[0]).toMatchObject({ autoFixed: 0, heldByGuard: 0 });
    expect(hubspotWrites(w).length).toBe(before + held - 1);
    expect((await guardItems()).map((i) => i.status)).toEqual(['approved']);
  });

  it('plans in a dry run what the guard lets through, as the real run then does', async () => {
    world = await startWorld(database, { customers: 101, driftRate: 0.15, seed: 5 });
    const w = world;
    const dry = await cycle(w, w.policy, { full: true, dryRun: true, checks: ['payment-status'] });
    expect(dry.checks[0]?.wouldWrite).toBe(0);
    expect(dry.checks[0]?.warnings.join(' ')).toMatch(/the blast-radius guard \(25 fixes per 1h\) would hold \d+ of \d+ writes of this check/);
    const real = await cycle(w, w.policy, { full: true, checks: ['payment-status'] });
    expect(real.checks[0]?.autoFixed).toBe(0);
    const again = await cycle(w, w.policy, { full: true, dryRun: true, checks: ['payment-status'] });
    expect(again.checks[0]?.wouldWrite).toBe(0);
  });

  it('closes its item, saying so, once a full read shows every held record already agrees', async () => {
    world = await startWorld(database, { customers: 101, driftRate: 0.15, seed: 5 });
    const w = world;
    await cycle(w, w.policy, { full: true, checks: ['payment-status'] });
    const [item] = await guardItems();
    for (const order of heldOf(item as never).orders) {
      const deal = w.scenario.state.hubspot.deals.get(order.write.id);
      if (deal) applyHubSpotUpdate(w.scenario.state, 'deals', deal, { dealstage: String(order.write.to) }, new Date(), 'person');
    }
    await cycle(w, w.policy, { full: true, checks: ['payment-status'] });
    const [closed] = await guardItems();
    expect(closed).toMatchObject({ id: item?.id, status: 'resolved_elsewhere' });
    expect(closed?.decision).toMatchObject({ closedBecause: 'held_records_agree', agreed: heldOf(item as never).orders.length });
  });

  it('holds every further fix of the check while its item waits, even after the window has room again', async () => {
    world = await startWorld(database, { customers: 200, driftRate: 0.08, seed: 5 });
    const w = world;
    const policy = withGuard('{ maxAutoFixes: 25, window: 1s }');
    await cycle(w, policy, { full: true, checks: ['payment-status'] });
    const [item] = await guardItems();
    const clean = cleanWonDeals(w, 1)[0];
    if (!clean) throw new Error('no clean pair');
    changeStripeSubscription(w.scenario.state, clean.subscription, { status: 'canceled' }, Date.now());
    await new Promise((r) => setTimeout(r, 1_100));
    const next = await cycle(w, policy, { full: true, checks: ['payment-status'] });
    expect(next.checks[0]?.autoFixed).toBe(0);
    const [still] = await guardItems();
    expect(still?.id).toBe(item?.id);
    expect(heldDeals(still as never)).toContain(clean.deal);
  });
});

/** Customers paying for a won deal, untouched by the generator's drift. */
function cleanWonDeals(w: World, count: number): { subscription: string; deal: string }[] {
  const { stripe, hubspot } = w.scenario.state;
  const pairs: { subscription: string; deal: string }[] = [];
  for (const subscription of stripe.subscriptions.values()) {
    if (pairs.length === count) break;
    if (subscription.status !== 'active') continue;
    const customer = stripe.customers.get(String(subscription.customer));
    if (!customer || w.scenario.injected.some((i) => i.sourceId === customer.id)) continue;
    const deal = hubspot.deals.get(customer.metadata.crm_id ?? '');
    if (deal?.properties.dealstage === 'closedwon' && !w.scenario.injected.some((i) => i.targetId === deal.id)) pairs.push({ subscription: subscription.id, deal: deal.id });
  }
  return pairs;
}

describe('the blast-radius guard over the fast loop', () => {
  it('writes 25 of 60 cancellations arriving as webhooks under a guard of 25, holds 35 in one item, and a cycle that follows holds them too', async () => {
    world = await startWorld(database, { customers: 300, driftRate: 0, seed: 9 });
    const w = world;
    const policy = withGuard('{ maxAutoFixes: 25 }');
    const pairs = cleanWonDeals(w, 60);
    expect(pairs).toHaveLength(60);
    const events = pairs.map(({ subscription }) => {
      changeStripeSubscription(w.scenario.state, subscription, { status: 'canceled' }, Date.now());
      return toInboxEvent([...w.scenario.state.stripe.events.values()].at(-1) as StripeEvent as never);
    });
    await insertEvents(database.db, events);
    // The sandbox answers every request here; paced at HubSpot's 100 per 10 s, 60 events would take half a minute.
    const connectors = buildConnectors({ ...w.env, HUBSPOT_RATE_LIMIT: 1_000 } as Env, policy, silentLogger);
    const descriptions = cachedDescriptions(connectors);
    const worker = startInboxWorker({
      db: database.db, subjectKey, logger: silentLogger, maxAttempts: 2,
      process: (event) => processEvent({ store: w.store, connectors, policy, logger: silentLogger, describe: descriptions }, event),
    }, false);
    while ((await worker.drainOnce()) > 0) { /* until the inbox is empty */ }

    const cancelled = new Set(pairs.map((p) => p.deal));
    const written = hubspotWrites(w).filter((x) => cancelled.has(x.id));
    expect(written).toHaveLength(25);
    const items = await guardItems();
    expect(items).toHaveLength(1);
    const held = heldDeals(items[0] as never);
    expect(held).toHaveLength(35);
    expect(new Set([...held, ...written.map((x) => x.id)])).toEqual(cancelled);
    expect(heldOf(items[0] as never).orders.every((o) => o.origin?.startsWith('event:stripe:') && o.heldAt)).toBe(true);

    const after = await cycle(w, policy, { full: true, checks: ['payment-status'] });
    expect(after.checks[0]?.autoFixed).toBe(0);
    expect(hubspotWrites(w).filter((x) => cancelled.has(x.id))).toHaveLength(25);
    const [still] = await guardItems();
    expect(still?.id).toBe(items[0]?.id);
    expect(heldDeals(still as never)).toEqual(expect.arrayContaining(held));
  });
});
