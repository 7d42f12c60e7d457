import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.ts';
import { GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY, goHighLevelKeys, verifyGoHighLevelWebhook } from '../../../src/fastloop/verify/gohighlevel.ts';
import type { GoHighLevelWebhookRequest } from '../../../src/fastloop/verify/gohighlevel.ts';
import { SPECS_DIR } from '../../support/openapi-shape.ts';
import { outcome } from './outcome.ts';

// Keys made for this test only: GoHighLevel's private key is, rightly, nowhere to be had.
const ghl = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');

const NOW = Date.parse('2025-01-28T14:35:00Z');
const BODY = JSON.stringify({
  type: 'OpportunityStageUpdate', locationId: 've9EPM428h8vShlRW1KT', id: 'wWhVuzqpRuOA1ZVWi4FC', pipelineStageId: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69',
  status: 'open', timestamp: '2025-01-28T14:35:00Z', webhookId: 'abc123xyz',
});

const rsaSignature = (body: string | Buffer, key: KeyObject = ghl.privateKey) => sign('sha256', Buffer.from(body), key).toString('base64');
const edSignature = (body: string | Buffer, key: KeyObject = ed.privateKey) => sign(null, Buffer.from(body), key).toString('base64');

function request(change: { body?: string | Buffer; headers?: Record<string, string>; withEd25519Key?: boolean; nowMs?: number } = {}): GoHighLevelWebhookRequest {
  const body = change.body ?? BODY;
  return {
    rawBody: body,
    headers: change.headers ?? { 'x-wh-signature': rsaSignature(body) },
    keys: { rsa: ghl.publicKey, ed25519: change.withEd25519Key ? ed.publicKey : undefined },
    now: () => change.nowMs ?? NOW,
  };
}

describe('verifyGoHighLevelWebhook', () => {
  it('accepts a body signed with RSA-SHA256 by the holder of the key', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request()))).toBe('accepted');
  });

  it('returns the webhook id, the time it was sent and the parsed body', () => {
    const verified = verifyGoHighLevelWebhook(request());
    expect(verified).toMatchObject({ scheme: 'rsa-sha256', webhookId: 'abc123xyz', sentAt: NOW, body: { type: 'OpportunityStageUpdate' } });
  });

  it('rejects a body signed with another key', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-wh-signature': rsaSignature(BODY, stranger.privateKey) } })))).toBe('webhook.bad_signature');
  });

  it('rejects a body changed after it was signed', () => {
    const headers = { 'x-wh-signature': rsaSignature(BODY) };
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body: BODY.replace('open', 'won'), headers })))).toBe('webhook.bad_signature');
  });

  it('checks the signature before reading the body: a changed body that is not JSON is a bad signature', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ body: `${BODY}}`, headers: { 'x-wh-signature': rsaSignature(BODY) } })))).toBe('webhook.bad_signature');
  });

  it('rejects a request without a signature header', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: {} })))).toBe('webhook.missing_signature');
  });

  it('rejects a signature header that is not base64', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-wh-signature': 'not a signature!' } })))).toBe('webhook.malformed_header');
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

  it('accepts an Ed25519 X-GHL-Signature when its key is configured', () => {
    const verified = verifyGoHighLevelWebhook(request({ withEd25519Key: true, headers: { 'x-ghl-signature': edSignature(BODY) } }));
    expect(verified.scheme).toBe('ed25519');
  });

  it('lets a failed Ed25519 signature decide even when the RSA one is good', () => {
    const headers = { 'x-ghl-signature': edSignature(BODY, generateKeyPairSync('ed25519').privateKey), 'x-wh-signature': rsaSignature(BODY) };
    expect(outcome(() => verifyGoHighLevelWebhook(request({ withEd25519Key: true, headers })))).toBe('webhook.bad_signature');
  });

  it('falls back to the RSA signature when no Ed25519 key is configured', () => {
    const headers = { 'x-ghl-signature': edSignature(BODY), 'x-wh-signature': rsaSignature(BODY) };
    expect(verifyGoHighLevelWebhook(request({ headers })).scheme).toBe('rsa-sha256');
  });

  it('refuses a body signed only with Ed25519 when no Ed25519 key is configured', () => {
    expect(outcome(() => verifyGoHighLevelWebhook(request({ headers: { 'x-ghl-signature': edSignature(BODY) } })))).toBe('webhook.missing_signature');
  });
});

describe('goHighLevelKeys', () => {
  it('defaults to the key GoHighLevel publishes, which node:crypto loads as a 4096-bit RSA key', () => {
    const { rsa, ed25519 } = goHighLevelKeys({});
    expect(rsa.asymmetricKeyType).toBe('rsa');
    expect(rsa.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(ed25519).toBeUndefined();
  });

  it('holds the same key as the authentication guide copied in the repo', () => {
    const guide = readFileSync(join(SPECS_DIR, 'gohighlevel/WebhookAuthentication.md'), 'utf8');
    const published = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(guide)?.[0] ?? '';
    const der = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });
    expect(der(GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY).equals(der(published))).toBe(true);
  });

  it('takes GHL_WEBHOOK_PUBLIC_KEY instead, with its line breaks written as \\n', () => {
    const pem = ghl.publicKey.export({ type: 'spki', format: 'pem' }).toString().replaceAll('\n', '\\n');
    const { rsa } = goHighLevelKeys({ GHL_WEBHOOK_PUBLIC_KEY: pem });
    expect(rsa.equals(ghl.publicKey)).toBe(true);
  });

  it('reads GHL_WEBHOOK_ED25519_PUBLIC_KEY when set', () => {
    const { ed25519 } = goHighLevelKeys({ GHL_WEBHOOK_ED25519_PUBLIC_KEY: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    expect(ed25519?.equals(ed.publicKey)).toBe(true);
  });

  it('names the variable when a key cannot be read', () => {
    expect(() => goHighLevelKeys({ GHL_WEBHOOK_PUBLIC_KEY: 'MIICIjAN' })).toThrow(ConfigError);
    expect(() => goHighLevelKeys({ GHL_WEBHOOK_PUBLIC_KEY: 'MIICIjAN' })).toThrow(/GHL_WEBHOOK_PUBLIC_KEY/);
  });

  it('refuses an RSA key given as the Ed25519 key', () => {
    expect(() => goHighLevelKeys({ GHL_WEBHOOK_ED25519_PUBLIC_KEY: GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY })).toThrow(/expected ed25519/);
  });
});
