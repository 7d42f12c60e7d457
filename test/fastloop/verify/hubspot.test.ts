import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hubSpotSignedUri, publicRequestUri, signHubSpotRequest, verifyHubSpotWebhook } from '../../../src/fastloop/verify/hubspot.ts';
import type { HubSpotWebhookRequest } from '../../../src/fastloop/verify/hubspot.ts';
import { outcome } from './outcome.ts';

const SECRET = 'test-client-secret-0000-0000-000000000000';
const NOW = 1_717_000_000_000;
const URI = 'https://recon.example.com/webhooks/hubspot';
const BODY = JSON.stringify([{ eventId: 100, subscriptionId: 2001, portalId: 4242, appId: 1010, occurredAt: NOW - 1000, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId: 10001, propertyName: 'dealstage', propertyValue: 'closedwon', changeSource: 'CRM_UI', sourceId: 'userId:7001' }]);

/** HubSpot's v3 scheme written out here: base64 HMAC-SHA256 of method + URI (as HubSpot signs it) + body + timestamp. */
function v3(signedUri: string, body = BODY, timestamp = String(NOW), secret = SECRET): string {
  return createHmac('sha256', secret).update(`POST${signedUri}${body}${timestamp}`).digest('base64');
}

function request(change: Partial<HubSpotWebhookRequest> & { signature?: string | undefined; timestamp?: string | undefined; nowMs?: number } = {}): HubSpotWebhookRequest {
  const signature = 'signature' in change ? change.signature : v3(URI);
  const timestamp = 'timestamp' in change ? change.timestamp : String(NOW);
  const headers: Record<string, string> = {};
  if (signature !== undefined) headers['x-hubspot-signature-v3'] = signature;
  if (timestamp !== undefined) headers['x-hubspot-request-timestamp'] = timestamp;
  return {
    method: change.method ?? 'POST',
    uri: change.uri ?? URI,
    rawBody: change.rawBody ?? BODY,
    headers: change.headers ?? headers,
    clientSecret: change.clientSecret ?? SECRET,
    now: () => change.nowMs ?? NOW,
  };
}

describe('verifyHubSpotWebhook', () => {
  it('accepts a batch signed with the client secret over method, URI, body and timestamp', () => {
    expect(outcome(() => verifyHubSpotWebhook(request()))).toBe('accepted');
  });

  it('returns the request timestamp in milliseconds', () => {
    expect(verifyHubSpotWebhook(request())).toEqual({ signedAt: NOW });
  });

  it('rejects a batch checked with another client secret', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ clientSecret: 'another-client-secret' })))).toBe('webhook.bad_signature');
  });

  it('rejects a batch changed after it was signed', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ rawBody: BODY.replace('closedwon', 'closedlost') })))).toBe('webhook.bad_signature');
  });

  it('rejects a batch signed for another URI', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ uri: 'http://127.0.0.1:3000/webhooks/hubspot' })))).toBe('webhook.bad_signature');
  });

  it('rejects a signature moved to another timestamp', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ timestamp: String(NOW + 1) })))).toBe('webhook.bad_signature');
  });

  it('rejects a request without X-HubSpot-Signature-v3', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ signature: undefined })))).toBe('webhook.missing_signature');
  });

  it('rejects a request without X-HubSpot-Request-Timestamp', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ timestamp: undefined })))).toBe('webhook.missing_signature');
  });

  it('rejects a timestamp that is not epoch milliseconds', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ timestamp: '2024-05-29T16:26:40Z' })))).toBe('webhook.malformed_header');
  });

  it('rejects a signature that is not a base64 SHA-256 digest', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ signature: `sha256=${'ab'.repeat(32)}` })))).toBe('webhook.malformed_header');
  });

  it('accepts a request signed exactly five minutes ago', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ nowMs: NOW + 300_000 })))).toBe('accepted');
  });

  it('refuses a request signed more than five minutes ago as stale', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ nowMs: NOW + 300_001 })))).toBe('webhook.stale');
  });

  it('refuses a request signed more than five minutes in the future', () => {
    expect(outcome(() => verifyHubSpotWebhook(request({ nowMs: NOW - 300_001 })))).toBe('webhook.future');
  });

  it('accepts a URI whose query HubSpot decoded before signing', () => {
    const received = `${URI}?next=https%3A%2F%2Fexample.com%2Fa%40b%3Bc`;
    const signedByHubSpot = `${URI}?next=https://example.com/a@b;c`;
    expect(outcome(() => verifyHubSpotWebhook(request({ uri: received, signature: v3(signedByHubSpot) })))).toBe('accepted');
  });

  it('keeps encodings HubSpot does not decode, such as a space, an ampersand and an equals sign', () => {
    const received = `${URI}?name=a%20b%26c%3Dd`;
    expect(outcome(() => verifyHubSpotWebhook(request({ uri: received, signature: v3(received) })))).toBe('accepted');
    expect(outcome(() => verifyHubSpotWebhook(request({ uri: received, signature: v3(`${URI}?name=a b&c=d`) })))).toBe('webhook.bad_signature');
  });

  it("decodes each character of HubSpot's table, and nothing else", () => {
    expect(hubSpotSignedUri('/x?%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B')).toBe("/x?:/?@!$'()*,;");
    expect(hubSpotSignedUri('/x?%20%22%23%25%26%2B%3D%5B%5D')).toBe('/x?%20%22%23%25%26%2B%3D%5B%5D');
  });

  it('decodes lower-case hex digits like upper-case ones', () => {
    expect(hubSpotSignedUri('/x?u=https%3a%2f%2fexample.com')).toBe('/x?u=https://example.com');
  });

  it('decodes once: an encoded percent sign before 3A stays as it is', () => {
    expect(hubSpotSignedUri('/x?u=%253A')).toBe('/x?u=%253A');
  });

  it('signs as HubSpot does', () => {
    expect(signHubSpotRequest({ method: 'POST', uri: `${URI}?a=%40`, rawBody: BODY, timestamp: NOW, clientSecret: SECRET })).toBe(v3(`${URI}?a=@`));
  });
});

describe('publicRequestUri', () => {
  it('joins the public base URL and the request target', () => {
    expect(publicRequestUri('https://recon.example.com/', '/webhooks/hubspot?x=1')).toBe('https://recon.example.com/webhooks/hubspot?x=1');
  });

  it('keeps a path prefix of the public URL', () => {
    expect(publicRequestUri('https://example.com/recon', '/webhooks/hubspot')).toBe('https://example.com/recon/webhooks/hubspot');
  });
});
