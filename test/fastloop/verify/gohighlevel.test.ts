import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.ts';
import { GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY, goHighLevelWebhookConfig, verifyGoHighLevelWebhook } from '../../../src/fastloop/verify/gohighlevel.ts';
import type { GoHighLevelWebhookRequest } from '../../../src/fastloop/verify/gohighlevel.ts';
import { SPECS_DIR } from '../../support/openapi-shape.ts';
import { outcome } from './outcome.ts';

// Keys made for this test only: GoHighLevel's private keys are, rightly, nowhere to be had. `legacy`
// stands in for the RSA key GoHighLevel published, which the verifier is handed as `keys.rsa`.
const ed = generateKeyPairSync('ed25519');
const legacy = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = { ed: generateKeyPairSync('ed25519'), rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }) };

const NOW = Date.parse('2025-01-28T14:35:00Z');
const BODY = JSON.stringify({
  type: 'OpportunityStageUpdate', locationId: 've9EPM428h8vShlRW1KT', id: 'wWhVuzqpRuOA1ZVWi4FC', pipelineStageId: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69',
  status: 'open', appId: '6578278e879ad2646715ba9c', timestamp: '2025-01-28T14:35:00Z', webhookId: 'abc123xyz',
});

const edSignature = (body: string | Buffer, key: KeyObject = ed.privateKey) => sign(null, Buffer.from(body), key).toString('base64');
const rsaSignature = (body: string | Buffer, key: KeyObject = legacy.privateKey) => sign('sha256', Buffer.from(body), key).toString('base64');

function request(change: { body?: string | Buffer; headers?: Record<string, string>; appId?: string; nowMs?: number } = {}): GoHighLevelWebhookRequest {
  const body = change.body ?? BODY;
  return {
    rawBody: body,
    headers: change.headers ?? { 'x-ghl-signature': edSignature(body) },
    keys: { ed25519: ed.publicKey, rsa: legacy.publicKey },
    appId: change.appId,
    now: () => change.nowMs ?? NOW,
  };
}

describe('verifyGoHighLevelWebhook', () => {
  it('accepts a body signed with Ed25519 in X-GHL-Signature by the holder of the key', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request()))).toBe('accepted');
  });

  it('returns the scheme, the webhook id, the time it was sent and the parsed body', () => {
    expect(verifyGoHighLevelWebhook(request())).toMatchObject({ scheme: 'ed25519', webhookId: 'abc123xyz', sentAt: NOW, body: { type: 'OpportunityStageUpdate' } });
  });

  it('rejects a body signed with another Ed25519 key', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-ghl-signature': edSignature(BODY, stranger.ed.privateKey) } })))).toBe('webhook.bad_signature');
  });

  it('rejects a body changed after it was signed', () => {
    const headers = { 'x-ghl-signature': edSignature(BODY) };
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body: BODY.replace('open', 'won'), headers })))).toBe('webhook.bad_signature');
  });

  it('checks the signature before reading the body: a changed body that is not JSON is a bad signature', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body: `${BODY}}`, headers: { 'x-ghl-signature': edSignature(BODY) } })))).toBe('webhook.bad_signature');
  });

  it('rejects an X-GHL-Signature of the wrong length as a bad signature', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-ghl-signature': Buffer.alloc(32).toString('base64') } })))).toBe('webhook.bad_signature');
  });

  it('rejects a request without a signature header', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: {} })))).toBe('webhook.missing_signature');
  });

  it('rejects a signature header that is not base64', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-ghl-signature': 'not a signature!' } })))).toBe('webhook.malformed_header');
  });

  it('refuses a body sent more than five minutes ago', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ nowMs: NOW + 300_001 })))).toBe('webhook.stale');
  });

  it('refuses a body dated more than five minutes in the future', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ nowMs: NOW - 300_001 })))).toBe('webhook.future');
  });

  it('calls a signed body that is not JSON malformed', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body: 'type=ContactUpdate' })))).toBe('webhook.malformed');
  });

  it('calls a signed body without a webhookId malformed', () => {
    const body = JSON.stringify({ type: 'ContactUpdate', id: 'c1', timestamp: '2025-01-28T14:35:00Z' });
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body })))).toBe('webhook.malformed');
  });

  it('calls a signed body without an ISO timestamp malformed', () => {
    const body = JSON.stringify({ type: 'ContactUpdate', id: 'c1', webhookId: 'w1', timestamp: 1738074900000 });
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body })))).toBe('webhook.malformed');
  });

  it('calls a signed body whose timestamp names no time zone malformed', () => {
    const body = JSON.stringify({ type: 'ContactUpdate', id: 'c1', webhookId: 'w1', timestamp: '2025-01-28T14:35:00' });
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body })))).toBe('webhook.malformed');
  });

  it('accepts a body naming the app GHL_APP_ID names', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ appId: '6578278e879ad2646715ba9c' })))).toBe('accepted');
  });

  it("refuses another app's event when GHL_APP_ID is set", () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ appId: '65f0c0ffee0000000000beef' })))).toBe('webhook.foreign_app');
  });

  it('refuses an event that names no app when GHL_APP_ID is set', () => {
    const body = JSON.stringify({ ...JSON.parse(BODY), appId: undefined });
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body, appId: '6578278e879ad2646715ba9c' })))).toBe('webhook.foreign_app');
  });

  it('accepts a body signed only with the legacy RSA x-wh-signature by the holder of the published key', () => {
    const verified = verifyGoHighLevelWebhook(request({ headers: { 'x-wh-signature': rsaSignature(BODY) } }));
    expect(verified.scheme).toBe('rsa-sha256');
  });

  it('rejects a legacy RSA signature made with another key', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-wh-signature': rsaSignature(BODY, stranger.rsa.privateKey) } })))).toBe('webhook.bad_signature');
  });

  it('judges a body carrying both headers by X-GHL-Signature: a good RSA signature does not rescue a bad Ed25519 one', () => {
    const headers = { 'x-ghl-signature': edSignature(BODY, stranger.ed.privateKey), 'x-wh-signature': rsaSignature(BODY) };
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers })))).toBe('webhook.bad_signature');
  });

  it('judges a body carrying both headers by X-GHL-Signature: a bad RSA signature beside a good Ed25519 one is ignored', () => {
    const headers = { 'x-ghl-signature': edSignature(BODY), 'x-wh-signature': rsaSignature(BODY, stranger.rsa.privateKey) };
    expect(verifyGoHighLevelWebhook(request({ headers })).scheme).toBe('ed25519');
  });
});

describe('goHighLevelWebhookConfig', () => {
  const pem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const raw = ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);

  it('is off (no config) when GHL_WEBHOOK_PUBLIC_KEY is not set', () => {
    expect(goHighLevelWebhookConfig({}).config).toBeUndefined();
  });

  it.each([
    ['PEM', pem],
    ['PEM on one line with its breaks written as \\n', pem.replaceAll('\n', '\\n')],
    ['raw base64', raw.toString('base64')],
    ['hex', raw.toString('hex')],
    ['the PEM body without its armour', ed.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
  ])('reads GHL_WEBHOOK_PUBLIC_KEY given as %s', (_form, value) => {
    expect(goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: value }).config?.keys.ed25519.equals(ed.publicKey)).toBe(true);
  });

  it('checks legacy RSA signatures only against the key GoHighLevel publishes, which node:crypto loads as a 4096-bit RSA key', () => {
    const { rsa } = goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: pem }).config?.keys ?? {};
    expect(rsa?.asymmetricKeyType).toBe('rsa');
    expect(rsa?.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(rsa?.equals(createPublicKey(GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY))).toBe(true);
  });

  it('holds the same RSA key as the authentication guide copied in the repo', () => {
    const guide = readFileSync(join(SPECS_DIR, 'gohighlevel/WebhookAuthentication.md'), 'utf8');
    const published = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(guide)?.[0] ?? '';
    const der = (key: string) => createPublicKey(key).export({ type: 'spki', format: 'der' });
    expect(der(GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY).equals(der(published))).toBe(true);
  });

  it('carries GHL_APP_ID as the app events must name', () => {
    expect(goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: pem, GHL_APP_ID: 'app_1' }).config?.appId).toBe('app_1');
  });

  it('names the variable and the forms it expects when a key cannot be read', () => {
    expect(() => goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: 'MIICIjAN' })).toThrow(ConfigError);
    expect(() => goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: 'MIICIjAN' })).toThrow(/GHL_WEBHOOK_PUBLIC_KEY .*PEM .*base64 .*hex/);
  });

  it('refuses an RSA key in GHL_WEBHOOK_PUBLIC_KEY, saying the legacy key is built in', () => {
    expect(() => goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY })).toThrow(/GHL_WEBHOOK_PUBLIC_KEY is a key of type rsa, not Ed25519.*built in/);
  });

  it('still reads the deprecated GHL_WEBHOOK_ED25519_PUBLIC_KEY, and says it is deprecated', () => {
    const { config, problems } = goHighLevelWebhookConfig({ GHL_WEBHOOK_ED25519_PUBLIC_KEY: pem });
    expect(config?.keys.ed25519.equals(ed.publicKey)).toBe(true);
    expect(problems).toEqual([expect.stringMatching(/GHL_WEBHOOK_ED25519_PUBLIC_KEY is deprecated: rename it to GHL_WEBHOOK_PUBLIC_KEY/)]);
  });

  it('prefers GHL_WEBHOOK_PUBLIC_KEY to the deprecated variable, and says the latter is ignored', () => {
    const { config, problems } = goHighLevelWebhookConfig({ GHL_WEBHOOK_PUBLIC_KEY: pem, GHL_WEBHOOK_ED25519_PUBLIC_KEY: stranger.ed.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    expect(config?.keys.ed25519.equals(ed.publicKey)).toBe(true);
    expect(problems).toEqual([expect.stringMatching(/deprecated and ignored/)]);
  });
});
