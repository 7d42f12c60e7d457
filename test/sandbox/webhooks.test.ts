import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { goHighLevelInboxEvents, hubSpotInboxEvents, stripeInboxEvents } from '../../src/fastloop/events.ts';
import { goHighLevelWebhookConfig, verifyGoHighLevelWebhook } from '../../src/fastloop/verify/gohighlevel.ts';
import { publicRequestUri, verifyHubSpotWebhook } from '../../src/fastloop/verify/hubspot.ts';
import { verifyStripeWebhook } from '../../src/fastloop/verify/stripe.ts';
import { applyHubSpotUpdate, changeStripeSubscription, createSandboxState } from '../../src/sandbox/state.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { startWebhookSender } from '../../src/sandbox/webhooks.ts';
import type { WebhookSender, WebhookSenderOptions } from '../../src/sandbox/webhooks.ts';
import { hubspot, sandboxWith, seedHubSpot, seedStripe } from './seed.ts';

interface Received { path: string; headers: IncomingHttpHeaders; body: Buffer }

/** Recon's side, as small as it gets: records each request and answers the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function world(options: Partial<WebhookSenderOptions> = {}, statuses: number[] = []) {
  const recon = await receiver(statuses);
  cleanup.push(() => new Promise((resolve) => {
    recon.server.close(() => resolve());
    recon.server.closeAllConnections();
  }));
  const state = createSandboxState();
  seedStripe(state, 16);
  seedHubSpot(state, 6);
  const sender = startWebhookSender(state, { url: recon.url, retryBaseMs: 5, ...options });
  cleanup.push(() => sender.close());
  return { state, sender, received: recon.received, url: recon.url };
}

const subscriptions = (state: SandboxState) => [...state.stripe.subscriptions.values()].filter((s) => s.status !== 'past_due' && s.status !== 'canceled');
const deals = (state: SandboxState) => [...state.hubspot.deals.values()];
/** `n` payments that failed: each records one Stripe event. */
const failPayments = (state: SandboxState, n: number) => {
  const due = subscriptions(state).slice(0, n);
  expect(due).toHaveLength(n);
  for (const subscription of due) changeStripeSubscription(state, subscription.id, { status: 'past_due' }, Date.now());
};
const stripeIds = (received: Received[]) => received.filter((r) => r.path === '/webhooks/stripe').map((r) => (JSON.parse(r.body.toString()) as { id: string }).id);

function verifiesAsStripe(sender: WebhookSender, request: Received) {
  return verifyStripeWebhook({ rawBody: request.body, headers: request.headers, secrets: sender.env().STRIPE_WEBHOOK_SECRET, now: Date.now });
}

describe('the sandbox webhook sender', () => {
  it("posts each Stripe event recorded after it started, signed so that Recon's verifier accepts it", async () => {
    const { state, sender, received } = await world();
    changeStripeSubscription(state, subscriptions(state)[0]?.id ?? '', { status: 'canceled' }, Date.now());
    await sender.flush();
    expect(received).toHaveLength(1);
    expect(() => verifiesAsStripe(sender, received[0] as Received)).not.toThrow();
    expect(stripeInboxEvents((received[0] as Received).body)[0]).toMatchObject({ type: 'customer.subscription.deleted', eventId: [...state.stripe.events.keys()][0] });
  });

  it('does not post events recorded before it started', async () => {
    const recon = await receiver();
    cleanup.push(() => new Promise((resolve) => recon.server.close(() => resolve())));
    const state = createSandboxState();
    seedStripe(state, 3);
    changeStripeSubscription(state, subscriptions(state)[0]?.id ?? '', { status: 'canceled' }, Date.now());
    const sender = startWebhookSender(state, { url: recon.url });
    cleanup.push(() => sender.close());
    await sender.flush();
    expect(recon.received).toHaveLength(0);
  });

  it('signs once per secret while a Stripe secret is rolled, and either secret verifies', async () => {
    const { state, sender, received } = await world({ stripeSecret: ['whsec_test_old', 'whsec_test_new'] });
    failPayments(state, 1);
    await sender.flush();
    const request = received[0] as Received;
    expect(String(request.headers['stripe-signature']).match(/v1=/g)).toHaveLength(2);
    for (const secret of ['whsec_test_old', 'whsec_test_new']) {
      expect(() => verifyStripeWebhook({ rawBody: request.body, headers: request.headers, secrets: secret, now: Date.now })).not.toThrow();
    }
  });

  it("posts a person's edit of a deal as deal.propertyChange from CRM_UI, signed for Recon's public URL", async () => {
    const { state, sender, received } = await world({ publicUrl: 'https://recon.example.com' });
    const deal = deals(state)[0];
    if (deal) applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedlost' }, new Date(), 'person');
    await sender.flush();
    const request = received[0] as Received;
    expect(request.path).toBe('/webhooks/hubspot');
    expect(() => verifyHubSpotWebhook({
      method: 'POST', uri: publicRequestUri(sender.env().RECON_PUBLIC_URL, request.path), rawBody: request.body, headers: request.headers,
      clientSecret: sender.env().HUBSPOT_CLIENT_SECRET, now: Date.now,
    })).not.toThrow();
    expect(hubSpotInboxEvents(request.body)).toMatchObject([{
      type: 'deal.propertyChange', objectType: 'deal', objectId: deal?.id,
      payload: { propertyName: 'dealstage', propertyValue: 'closedlost', changeSource: 'CRM_UI', sourceId: 'userId:7001', portalId: state.hubspot.portalId },
    }]);
  });

  it("posts Recon's own writes through the HubSpot API as changes from the integration, with the app as their source", async () => {
    const recon = await receiver();
    cleanup.push(() => new Promise((resolve) => recon.server.close(() => resolve())));
    const { state, sandbox } = await sandboxWith((s) => seedHubSpot(s, 2));
    cleanup.push(() => sandbox.close());
    const sender = startWebhookSender(state, { url: recon.url });
    cleanup.push(() => sender.close());
    const id = [...state.hubspot.deals.keys()][0] ?? '';
    expect((await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: { inputs: [{ id, properties: { dealstage: 'closedwon', amount: '900' } }] } })).status).toBe(200);
    await sender.flush();
    const events = recon.received.flatMap((request) => hubSpotInboxEvents(request.body));
    expect(events.map((event) => event.payload)).toMatchObject([
      { propertyName: 'dealstage', propertyValue: 'closedwon', changeSource: 'INTEGRATION', sourceId: String(state.hubspot.appId) },
      { propertyName: 'amount', propertyValue: '900', changeSource: 'INTEGRATION', sourceId: String(state.hubspot.appId) },
    ]);
  });

  it('batches HubSpot notifications, at most the batch size per request', async () => {
    const { state, sender, received } = await world({ hubspotBatchSize: 2 });
    for (const deal of deals(state).slice(0, 5)) applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedwon' }, new Date(), 'person');
    await sender.flush();
    expect(received.map((request) => (JSON.parse(request.body.toString()) as unknown[]).length)).toEqual([2, 2, 1]);
  });

  it('sends a copy of every event in a later request when duplicates is 1, with the same inbox key', async () => {
    const { state, sender, received } = await world({ duplicates: 1 });
    failPayments(state, 3);
    await sender.flush();
    const ids = stripeIds(received);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(3);
    expect(sender.stats()).toMatchObject({ events: 3, duplicated: 3, delivered: 6 });
  });

  it('puts the copy of a HubSpot notification in another batch than the original', async () => {
    const { state, sender, received } = await world({ duplicates: 1 });
    const deal = deals(state)[0];
    if (deal) applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedwon' }, new Date(), 'person');
    await sender.flush();
    const keys = received.map((request) => hubSpotInboxEvents(request.body).map((event) => event.eventId));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toEqual(keys[1]);
  });

  it('shuffles a window of events when asked to reorder, losing none', async () => {
    const { state, sender, received } = await world({ reorder: 8, seed: 7 });
    failPayments(state, 8);
    await sender.flush();
    const recorded = [...state.stripe.events.keys()];
    const ids = stripeIds(received);
    expect(ids).not.toEqual(recorded);
    expect([...ids].sort()).toEqual([...recorded].sort());
  });

  it('keeps the order events were recorded in by default', async () => {
    const { state, sender, received } = await world();
    failPayments(state, 8);
    await sender.flush();
    expect(stripeIds(received)).toEqual([...state.stripe.events.keys()]);
  });

  it('sends nothing of an event it drops', async () => {
    const { state, sender, received } = await world({ drop: 1 });
    failPayments(state, 3);
    await sender.flush();
    expect(received).toHaveLength(0);
    expect(sender.stats()).toMatchObject({ events: 3, dropped: 3 });
  });

  it('retries a request Recon answered with an error until it is taken, counting HubSpot attempts in the body', async () => {
    const { state, sender, received } = await world({}, [500, 503]);
    const deal = deals(state)[0];
    if (deal) applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'closedwon' }, new Date(), 'person');
    await sender.flush();
    expect(received.map((request) => (JSON.parse(request.body.toString()) as { attemptNumber: number }[])[0]?.attemptNumber)).toEqual([0, 1, 2]);
    expect(sender.stats()).toMatchObject({ attempts: 3, delivered: 1, failed: 0 });
  });

  it('gives a request up after the most attempts allowed, and flush still resolves', async () => {
    const { state, sender, received } = await world({ maxAttempts: 3 }, [500, 500, 500, 500, 500]);
    failPayments(state, 1);
    await sender.flush();
    expect(received).toHaveLength(3);
    expect(sender.stats()).toMatchObject({ attempts: 3, delivered: 0, failed: 1 });
  });

  it('counts a request Recon never answers as a failed attempt after the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => {
      silent.close(() => resolve());
      silent.closeAllConnections();
    }));
    const state = createSandboxState();
    seedStripe(state, 3);
    const sender = startWebhookSender(state, { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 50, maxAttempts: 2, retryBaseMs: 5 });
    cleanup.push(() => sender.close());
    failPayments(state, 1);
    await sender.flush();
    expect(sender.stats()).toMatchObject({ attempts: 2, delivered: 0, failed: 1 });
  });

  it('stops retrying once closed', async () => {
    const { state, sender, received } = await world({ retryBaseMs: 60_000 }, [500, 500]);
    failPayments(state, 1);
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await sender.close();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(received).toHaveLength(1);
    expect(sender.stats().abandoned).toBe(1);
  });

  it('posts GoHighLevel webhooks signed as GoHighLevel signs today, with X-GHL-Signature alone, which Recon verifies with the key it prints', async () => {
    const { sender, received } = await world();
    sender.sendGoHighLevel({ type: 'OpportunityStatusUpdate', locationId: 'loc1', id: 'opp1', status: 'won' });
    await sender.flush();
    const request = received[0] as Received;
    expect(request.headers['x-ghl-signature']).toBeDefined();
    expect(request.headers['x-wh-signature']).toBeUndefined();
    const { keys } = goHighLevelWebhookConfig(sender.env()).config!;
    const verified = verifyGoHighLevelWebhook({ rawBody: request.body, headers: request.headers, keys, now: Date.now });
    expect(verified.scheme).toBe('ed25519');
    expect(goHighLevelInboxEvents(verified.body)[0]).toMatchObject({ type: 'OpportunityStatusUpdate', objectId: 'opp1', eventId: verified.webhookId });
  });

  it('adds the legacy RSA x-wh-signature when asked, signed with its own RSA key, which Recon does not take for GoHighLevel\'s', async () => {
    const { sender, received } = await world({ ghlLegacyRsa: true });
    sender.sendGoHighLevel({ type: 'OpportunityStatusUpdate', locationId: 'loc1', id: 'opp1', status: 'won' });
    await sender.flush();
    const request = received[0] as Received;
    const { keys } = goHighLevelWebhookConfig(sender.env()).config!;
    const rsaOnly = { 'x-wh-signature': request.headers['x-wh-signature'] };
    expect(verifyGoHighLevelWebhook({ rawBody: request.body, headers: request.headers, keys, now: Date.now }).scheme).toBe('ed25519');
    expect(() => verifyGoHighLevelWebhook({ rawBody: request.body, headers: rsaOnly, keys, now: Date.now })).toThrow(/published RSA key/);
    const asIfPublished = { ...keys, rsa: createPublicKey(sender.goHighLevelSigner().legacyRsaPublicKeyPem!) };
    expect(verifyGoHighLevelWebhook({ rawBody: request.body, headers: rsaOnly, keys: asIfPublished, now: Date.now }).scheme).toBe('rsa-sha256');
  });

  it('names the app in GoHighLevel webhooks when given one', async () => {
    const { sender, received } = await world({ ghlAppId: 'app_sandbox' });
    sender.sendGoHighLevel({ type: 'OpportunityStatusUpdate', locationId: 'loc1', id: 'opp1', status: 'won' });
    await sender.flush();
    expect(JSON.parse((received[0] as Received).body.toString('utf8'))).toMatchObject({ appId: 'app_sandbox' });
  });

  it('resolves flush at once when nothing is queued', async () => {
    const { sender } = await world();
    await expect(sender.flush()).resolves.toBeUndefined();
  });

  it('refuses to send anywhere but loopback', () => {
    expect(() => startWebhookSender(createSandboxState(), { url: 'https://recon.example.com' })).toThrow(/loopback/);
  });
});
