/**
 * How the vendors sign the webhooks they send, done on the vendors' side: the sandbox signs as
 * Stripe, HubSpot and GoHighLevel do, with its own code, so Recon's verifiers are checked against
 * an independent signer rather than against themselves.
 */
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** `Stripe-Signature` for `body` at `seconds`: one v1 per active endpoint secret, as Stripe sends while a secret is rolled. */
export function stripeSignatureHeader(body: string, secrets: readonly string[], seconds: number): string {
  const v1 = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex')}`);
  return [`t=${seconds}`, ...v1].join(',');
}

/** The characters HubSpot URL-decodes in the request URI before it signs (its "Validating requests" guide). */
const HUBSPOT_DECODED: Readonly<Record<string, string>> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

/** The headers HubSpot sends with a webhook batch: v3 (with its timestamp) and, for old receivers, v1. */
export function hubSpotSignatureHeaders(input: { uri: string; body: string; clientSecret: string; timestampMs: number }): Record<string, string> {
  const signedUri = input.uri.replace(/%[0-9A-Fa-f]{2}/g, (code) => HUBSPOT_DECODED[code.toUpperCase()] ?? code);
  const timestamp = String(input.timestampMs);
  return {
    'X-HubSpot-Signature-v3': createHmac('sha256', input.clientSecret).update(`POST${signedUri}${input.body}${timestamp}`).digest('base64'),
    'X-HubSpot-Request-Timestamp': timestamp,
    'X-HubSpot-Signature': createHash('sha256').update(`${input.clientSecret}${input.body}`).digest('hex'),
    'X-HubSpot-Signature-Version': 'v1',
  };
}

/** GoHighLevel's signing keys, as the sandbox holds them: made when first needed, never written anywhere. */
export interface GoHighLevelSigner {
  /** The Ed25519 key behind `X-GHL-Signature`, as GoHighLevel shows it: what Recon's `GHL_WEBHOOK_PUBLIC_KEY` must hold. */
  publicKeyPem: string;
  /** The same key's raw 32 bytes in base64: one line, so it prints without quoting. */
  publicKeyBase64: string;
  /** The RSA key behind the legacy `x-wh-signature` (only with `legacyRsa`): not GoHighLevel's, so Recon refuses what it signs. */
  legacyRsaPublicKeyPem: string | undefined;
  headers(body: string): Record<string, string>;
}

export interface GoHighLevelSignerOptions {
  /** Also send the legacy RSA `x-wh-signature`, as GoHighLevel did until 1 July 2026. Default false: Ed25519 only, as it signs today. */
  legacyRsa?: boolean;
}

export function createGoHighLevelSigner(options: GoHighLevelSignerOptions = {}): GoHighLevelSigner {
  const ed = generateKeyPairSync('ed25519');
  // 2048 bits, not GoHighLevel's 4096: the scheme is the same and the key is made in a few milliseconds.
  const rsa = options.legacyRsa ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : undefined;
  const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
  // The last 32 bytes of an Ed25519 SPKI are the key itself.
  const raw = ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return {
    publicKeyPem: pem(ed.publicKey),
    publicKeyBase64: raw.toString('base64'),
    legacyRsaPublicKeyPem: rsa ? pem(rsa.publicKey) : undefined,
    headers: (body) => ({
      'X-GHL-Signature': sign(null, Buffer.from(body), ed.privateKey).toString('base64'),
      ...(rsa ? { 'x-wh-signature': sign('sha256', Buffer.from(body), rsa.privateKey).toString('base64') } : {}),
    }),
  };
}

/** A secret for the sandbox's own use, visibly a test one. */
export function sandboxSecret(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}
