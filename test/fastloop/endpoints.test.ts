/**
 * The webhook endpoints over HTTP, as `recon serve` mounts them on its route table: correctly and
 * wrongly signed requests for each provider, and what each answer leaves in the inbox.
 */
import { createPublicKey } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/config/load-policy.ts';
import type { Policy } from '../../src/config/policy.ts';
import { webhookSecrets, type WebhookSecrets } from '../../src/fastloop/ingest.ts';
import { webhookRoutes } from '../../src/fastloop/routes.ts';
import { closeServer, createRouteServer, listen } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/log.ts';
import { createGoHighLevelSigner, hubSpotSignatureHeaders, stripeSignatureHeader } from '../../src/sandbox/webhook-signing.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY, GOHIGHLEVEL_POLICY } from '../support/world.ts';

const database = useTestDatabase();
const STRIPE_SECRET = 'whsec_test_endpoints';
const HUBSPOT_SECRET = 'hubspot-client-secret-test';
const PUBLIC_URL = 'https://recon.example.com';
const ghl = createGoHighLevelSigner();
const legacyGhl = createGoHighLevelSigner({ legacyRsa: true });
const seconds = () => Math.floor(Date.now() / 1000);

let hubspotPolicy: Policy;
let ghlPolicy: Policy;
const servers: Server[] = [];
const wakes = { count: 0 };

async function serve(policy: Policy, env: Record<string, string>): Promise<string> {
  const { secrets } = webhookSecrets(env, policy.checks.flatMap((c) => [c.source.system, c.target.system]));
  return serveWith(policy, secrets);
}

async function serveWith(policy: Policy, secrets: WebhookSecrets): Promise<string> {
  const routes = webhookRoutes({ db: database.db, policy, secrets, logger: silentLogger, stored: () => wakes.count++ });
  const server = await listen(createRouteServer(routes, { logger: silentLogger }), 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let withSecrets: string;
let withoutSecrets: string;
let gohighlevel: string;
let gohighlevelOff: string;
const ghlKeyForms: Record<string, string> = {};
let gohighlevelOneApp: string;
let gohighlevelHoldingLegacyKey: string;
beforeAll(async () => {
  hubspotPolicy = await loadPolicy(EXAMPLE_POLICY);
  ghlPolicy = await loadPolicy(GOHIGHLEVEL_POLICY);
  withSecrets = await serve(hubspotPolicy, { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET, RECON_PUBLIC_URL: PUBLIC_URL });
  withoutSecrets = await serve(hubspotPolicy, {});
  gohighlevel = await serve(ghlPolicy, { GHL_WEBHOOK_PUBLIC_KEY: ghl.publicKeyPem });
  gohighlevelOff = await serve(ghlPolicy, {});
  const raw = Buffer.from(ghl.publicKeyBase64, 'base64');
  for (const [form, key] of [['PEM', ghl.publicKeyPem], ['raw base64', ghl.publicKeyBase64], ['hex', raw.toString('hex')]] as const) {
    ghlKeyForms[form] = await serve(ghlPolicy, { GHL_WEBHOOK_PUBLIC_KEY: key });
  }
  gohighlevelOneApp = await serve(ghlPolicy, { GHL_WEBHOOK_PUBLIC_KEY: ghl.publicKeyBase64, GHL_APP_ID: 'app_recon' });
  // GoHighLevel's RSA private key is nowhere to be had: this endpoint holds the legacy signer's key
  // where the published one goes, as if the sandbox were GoHighLevel before 1 July 2026.
  const { secrets } = webhookSecrets({ GHL_WEBHOOK_PUBLIC_KEY: ghl.publicKeyPem }, ['gohighlevel']);
  gohighlevelHoldingLegacyKey = await serveWith(ghlPolicy, { gohighlevel: { ...secrets.gohighlevel!, keys: { ...secrets.gohighlevel!.keys, rsa: createPublicKey(legacyGhl.legacyRsaPublicKeyPem!) } } });
});
afterAll(async () => {
  for (const server of servers) await closeServer(server);
});
beforeEach(() => {
  wakes.count = 0;
});

const inbox = () => database.db.selectFrom('inbox').select(['provider', 'event_id', 'type', 'object_id']).orderBy('id').execute();
const dropped = () => database.db.selectFrom('inbox_dropped').select(['provider', 'type', 'count']).execute();

let n = 0;
function stripeEvent(type = 'customer.subscription.updated') {
  n++;
  return JSON.stringify({
    id: `evt_endpoint_${n}`, object: 'event', api_version: '2026-10-28.endive', created: seconds(), livemode: false, pending_webhooks: 1, type,
    request: { id: null, idempotency_key: null },
    data: { object: { id: `sub_${n}`, object: 'subscription', customer: `cus_${n}`, status: 'active' } },
  });
}

const post = (base: string, path: string, body: string, headers: Record<string, string>) =>
  fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const postStripe = (body: string, signedAt = seconds(), secret = STRIPE_SECRET, base = withSecrets) =>
  post(base, '/webhooks/stripe', body, { 'stripe-signature': stripeSignatureHeader(body, [secret], signedAt) });

describe('POST /webhooks/stripe', () => {
  it('stores a correctly signed event and answers 200 once it is stored', async () => {
    const body = stripeEvent();
    const response = await postStripe(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, stored: 1, duplicates: 0, dropped: 0 });
    expect(await inbox()).toEqual([{ provider: 'stripe', event_id: JSON.parse(body).id, type: 'customer.subscription.updated', object_id: expect.any(String) }]);
    expect(wakes.count).toBe(1);
  });

  it('answers a duplicate 200 and keeps one copy', async () => {
    const body = stripeEvent();
    await postStripe(body);
    const again = await postStripe(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await inbox()).toHaveLength(1);
  });

  it('refuses a wrong signature with 401 and stores nothing', async () => {
    const response = await postStripe(stripeEvent(), seconds(), 'whsec_someone_else');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error: 'webhook.bad_signature' });
    expect(await inbox()).toEqual([]);
  });

  it('refuses a missing signature with 401', async () => {
    const response = await post(withSecrets, '/webhooks/stripe', stripeEvent(), {});
    expect(response.status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('refuses a replayed request signed more than five minutes ago with 401', async () => {
    const response = await postStripe(stripeEvent(), seconds() - 301);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error: 'webhook.stale' });
    expect(await inbox()).toEqual([]);
  });

  it('refuses a request signed more than five minutes in the future with 401', async () => {
    const response = await postStripe(stripeEvent(), seconds() + 600);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error: 'webhook.future' });
  });

  it('answers a signed body that is not an event with 400 and stores nothing', async () => {
    const response = await postStripe(JSON.stringify({ hello: 'world' }));
    expect(response.status).toBe(400);
    expect(await inbox()).toEqual([]);
  });

  it('answers an event type no check reads with 200, drops it and counts it', async () => {
    const response = await postStripe(stripeEvent('payment_intent.created'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ stored: 0, dropped: 1 });
    expect(await inbox()).toEqual([]);
    expect(await dropped()).toEqual([{ provider: 'stripe', type: 'payment_intent.created', count: '1' }]);
  });

  it('has no endpoint without STRIPE_WEBHOOK_SECRET: 404', async () => {
    const response = await postStripe(stripeEvent(), seconds(), STRIPE_SECRET, withoutSecrets);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_configured' });
  });
});

function hubspotBatch(propertyName = 'dealstage') {
  n++;
  return JSON.stringify([{
    eventId: 100 + n, subscriptionId: 7, portalId: 62515, appId: 4242, occurredAt: Date.now(), subscriptionType: 'deal.propertyChange',
    attemptNumber: 0, objectId: 900 + n, propertyName, propertyValue: 'closedwon', changeSource: 'CRM_UI', sourceId: 'userId:7001',
  }]);
}
const postHubSpot = (body: string, timestampMs = Date.now(), secret = HUBSPOT_SECRET, base = withSecrets) =>
  post(base, '/webhooks/hubspot', body, hubSpotSignatureHeaders({ uri: `${PUBLIC_URL}/webhooks/hubspot`, body, clientSecret: secret, timestampMs }));

describe('POST /webhooks/hubspot', () => {
  it('stores a batch signed with v3 over the public URI', async () => {
    const response = await postHubSpot(hubspotBatch());
    expect(response.status).toBe(200);
    expect(await inbox()).toEqual([expect.objectContaining({ provider: 'hubspot', type: 'deal.propertyChange' })]);
  });

  it('refuses a batch signed with another client secret with 401', async () => {
    expect((await postHubSpot(hubspotBatch(), Date.now(), 'not-the-secret')).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('refuses a batch older than five minutes with 401', async () => {
    const response = await postHubSpot(hubspotBatch(), Date.now() - 301_000);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error: 'webhook.stale' });
  });

  it('refuses a batch timestamped in the future with 401', async () => {
    expect((await postHubSpot(hubspotBatch(), Date.now() + 600_000)).status).toBe(401);
  });

  it('answers a signed body that is not a batch with 400', async () => {
    expect((await postHubSpot(JSON.stringify({ not: 'a batch' }))).status).toBe(400);
  });

  it('answers a batch delivered twice 200 both times and keeps one copy of each event', async () => {
    const body = hubspotBatch();
    expect((await postHubSpot(body)).status).toBe(200);
    expect((await postHubSpot(body)).status).toBe(200);
    expect(await inbox()).toHaveLength(1);
  });

  it('refuses a batch without its signature headers with 401 and stores nothing', async () => {
    expect((await post(withSecrets, '/webhooks/hubspot', hubspotBatch(), {})).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('answers a subscription type no check reads with 200, drops it and counts it', async () => {
    const body = JSON.stringify([{
      eventId: 9_001, subscriptionId: 7, portalId: 62515, appId: 4242, occurredAt: Date.now(), subscriptionType: 'company.creation',
      attemptNumber: 0, objectId: 77, changeSource: 'CRM_UI',
    }]);
    expect((await postHubSpot(body)).status).toBe(200);
    expect(await inbox()).toEqual([]);
    expect(await dropped()).toEqual([{ provider: 'hubspot', type: 'company.creation', count: '1' }]);
  });

  it('has no endpoint without HUBSPOT_CLIENT_SECRET: 404', async () => {
    expect((await postHubSpot(hubspotBatch(), Date.now(), HUBSPOT_SECRET, withoutSecrets)).status).toBe(404);
  });
});

function ghlEvent(type = 'OpportunityStatusUpdate', timestamp = new Date().toISOString(), appId?: string) {
  n++;
  return JSON.stringify({ type, locationId: 'loc_sandbox', id: `opp_${n}`, status: 'won', ...(appId ? { appId } : {}), timestamp, webhookId: `wh_${n}` });
}
const postGhl = (body: string, headers = ghl.headers(body), base = gohighlevel) => post(base, '/webhooks/gohighlevel', body, headers);

describe('POST /webhooks/gohighlevel', () => {
  it.each(['PEM', 'raw base64', 'hex'])('stores an event signed only with X-GHL-Signature when the key is given as %s', async (form) => {
    const body = ghlEvent();
    const headers = ghl.headers(body);
    expect(Object.keys(headers)).toEqual(['X-GHL-Signature']);
    expect((await postGhl(body, headers, ghlKeyForms[form])).status).toBe(200);
    expect(await inbox()).toEqual([expect.objectContaining({ provider: 'gohighlevel', type: 'OpportunityStatusUpdate' })]);
  });

  it('refuses a body changed after it was signed with 401 and stores nothing', async () => {
    const body = ghlEvent();
    expect((await postGhl(body.replace('"won"', '"lost"'), ghl.headers(body))).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('refuses a body signed by another key with 401 and stores nothing', async () => {
    const other = createGoHighLevelSigner();
    const body = ghlEvent();
    expect((await postGhl(body, other.headers(body))).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('refuses an event whose timestamp is past the replay window with 401 and stores nothing', async () => {
    expect((await postGhl(ghlEvent('OpportunityStatusUpdate', new Date(Date.now() - 600_000).toISOString()))).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it("refuses another app's event with 401 when GHL_APP_ID is set, and stores nothing", async () => {
    const body = ghlEvent('OpportunityStatusUpdate', undefined, 'app_someone_else');
    const response = await postGhl(body, ghl.headers(body), gohighlevelOneApp);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'webhook.foreign_app' });
    expect(await inbox()).toEqual([]);
  });

  it('stores an event of the app GHL_APP_ID names', async () => {
    const body = ghlEvent('OpportunityStatusUpdate', undefined, 'app_recon');
    expect((await postGhl(body, ghl.headers(body), gohighlevelOneApp)).status).toBe(200);
    expect(await inbox()).toHaveLength(1);
  });

  it('stores an event signed only with the legacy RSA x-wh-signature under the published key', async () => {
    const body = ghlEvent();
    const rsaOnly = { 'x-wh-signature': legacyGhl.headers(body)['x-wh-signature'] as string };
    expect((await postGhl(body, rsaOnly, gohighlevelHoldingLegacyKey)).status).toBe(200);
    expect(await inbox()).toHaveLength(1);
  });

  it('refuses an event signed only with RSA by a key other than the published one with 401 and stores nothing', async () => {
    const body = ghlEvent();
    expect((await postGhl(body, { 'x-wh-signature': legacyGhl.headers(body)['x-wh-signature'] as string })).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('judges an event carrying both headers by X-GHL-Signature: a good legacy RSA signature does not rescue a bad Ed25519 one', async () => {
    const body = ghlEvent();
    const headers = { 'X-GHL-Signature': createGoHighLevelSigner().headers(body)['X-GHL-Signature'] as string, 'x-wh-signature': legacyGhl.headers(body)['x-wh-signature'] as string };
    expect((await postGhl(body, headers, gohighlevelHoldingLegacyKey)).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('has no endpoint without GHL_WEBHOOK_PUBLIC_KEY: 404, and stores nothing', async () => {
    expect((await postGhl(ghlEvent(), undefined, gohighlevelOff)).status).toBe(404);
    expect(await inbox()).toEqual([]);
  });

  it('refuses an event timestamped in the future with 401', async () => {
    expect((await postGhl(ghlEvent('OpportunityStatusUpdate', new Date(Date.now() + 600_000).toISOString()))).status).toBe(401);
  });

  it('answers a signed event without its webhookId with 400 and stores nothing', async () => {
    const body = JSON.stringify({ type: 'OpportunityStatusUpdate', id: 'opp_x', timestamp: new Date().toISOString() });
    expect((await postGhl(body)).status).toBe(400);
    expect(await inbox()).toEqual([]);
  });

  it('answers an event delivered twice 200 both times and keeps one copy', async () => {
    const body = ghlEvent();
    expect((await postGhl(body)).status).toBe(200);
    expect((await postGhl(body)).status).toBe(200);
    expect(await inbox()).toHaveLength(1);
  });

  it('refuses an event without a signature with 401 and stores nothing', async () => {
    expect((await post(gohighlevel, '/webhooks/gohighlevel', ghlEvent(), {})).status).toBe(401);
    expect(await inbox()).toEqual([]);
  });

  it('drops an event type no check reads and counts it', async () => {
    const response = await postGhl(ghlEvent('InvoicePaid'));
    expect(response.status).toBe(200);
    expect(await dropped()).toEqual([{ provider: 'gohighlevel', type: 'InvoicePaid', count: '1' }]);
  });
});
