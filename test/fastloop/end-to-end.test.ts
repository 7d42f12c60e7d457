/**
 * The fast loop end to end, in one process as `recon serve` runs it against `recon sandbox
 * --webhooks-to`: the sandbox signs and posts its webhooks (with duplicates and reordering), the
 * endpoints store them, the workers write the consequence to the CRM within seconds.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import { webhookSecrets } from '../../src/fastloop/ingest.ts';
import { webhookRoutes } from '../../src/fastloop/routes.ts';
import { startFastLoop, type FastLoop } from '../../src/fastloop/runtime.ts';
import { closeServer, createRouteServer, listen } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/log.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { changeStripeSubscription, startWebhookSender, type WebhookSender } from '../../src/sandbox/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
const STRIPE_SECRET = 'whsec_test_end_to_end';
const HUBSPOT_SECRET = 'hubspot-secret-end-to-end';
let world: World;
let server: Server;
let sender: WebhookSender;
let fastLoop: FastLoop;

beforeEach(async () => {
  world = await startWorld(database);
  await world.cycle({ full: true });
  const deps = { store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger, describe: cachedDescriptions(world.connectors) };
  fastLoop = startFastLoop({ db: database.db, connectors: world.connectors, logger: silentLogger, process: (event) => processEvent(deps, event), subjectKey, replaySystems: [] });
  const placeholder = 'http://127.0.0.1:1';
  const { secrets } = webhookSecrets({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET, RECON_PUBLIC_URL: placeholder }, ['stripe', 'hubspot']);
  server = await listen(createRouteServer(webhookRoutes({ db: database.db, policy: world.policy, get secrets() { return secrets; }, logger: silentLogger, stored: () => fastLoop.notify() }), { logger: silentLogger }), 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // HubSpot signs the URI it calls: the public URL is this server's.
  if (secrets.hubspot) secrets.hubspot.publicUrl = url;
  sender = startWebhookSender(world.scenario.state, { url, stripeSecret: STRIPE_SECRET, hubspotClientSecret: HUBSPOT_SECRET, duplicates: 0.5, reorder: 3, reorderHoldMs: 20, seed: 3 });
});
afterEach(async () => {
  await sender.close();
  await fastLoop.stop();
  await closeServer(server);
  await world.close();
});

/** Waits for `probe` to hold, checking every 50 ms; fails after `ms`. */
async function eventually(probe: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function cleanPair() {
  const { stripe, hubspot } = world.scenario.state;
  for (const subscription of stripe.subscriptions.values()) {
    if (subscription.status !== 'active') continue;
    const customer = stripe.customers.get(String(subscription.customer));
    const deal = hubspot.deals.get(customer?.metadata.crm_id ?? '');
    if (customer && deal?.properties.dealstage === 'closedwon' && !world.scenario.injected.some((i) => i.sourceId === customer.id || i.targetId === deal.id)) return { subscription, deal };
  }
  throw new Error('no clean pair');
}

describe('the fast loop against the sandbox’s webhooks', () => {
  it('brings a cancellation in Stripe to the CRM in seconds, written once though delivered twice', async () => {
    const { subscription, deal } = cleanPair();
    const writesBefore = world.scenario.state.writes.length;
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await eventually(() => world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage === 'closedlost', 'the deal marked lost');
    await sender.flush();
    await eventually(async () => (await database.db.selectFrom('inbox').select('id').where('status', '!=', 'done').execute()).length === 0, 'the inbox drained');
    expect(sender.stats().duplicated).toBeGreaterThan(0);
    expect(world.scenario.state.writes.slice(writesBefore).filter((w) => w.id === deal.id)).toHaveLength(1);
  });

  it('takes Recon’s own write coming back from HubSpot as no new work', async () => {
    const { subscription, deal } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await eventually(() => world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage === 'closedlost', 'the deal marked lost');
    await sender.flush();
    await eventually(async () => (await database.db.selectFrom('inbox').select('id').where('provider', '=', 'hubspot').where('status', '=', 'done').execute()).length > 0, 'HubSpot’s notification of the write processed');
    const hubspot = await database.db.selectFrom('inbox').select('outcome').where('provider', '=', 'hubspot').execute();
    expect(hubspot.every((e) => e.outcome === 'echo' || e.outcome === 'superseded')).toBe(true);
  });
});
