/**
 * Stripe webhook signatures: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`,
 * where each v1 is hex HMAC-SHA256 of `${t}.${raw body}` keyed with an endpoint secret (`whsec_...`).
 * While an endpoint secret is being rolled, Stripe sends one v1 per active secret; Recon may likewise
 * hold the old and the new secret. v0 is a test-mode scheme Stripe no longer relies on: ignored.
 * Pure: the clock is passed in.
 */
import { WebhookVerificationError } from './errors.ts';
import { constantTimeEqual, hmacSha256Hex } from '../../security/signature.ts';
import { checkWindow, headerValue, rawBytes } from './request.ts';
import type { RawBody, WebhookHeaders } from './request.ts';

/** Stripe's own default tolerance, either way. */
export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeWebhookRequest {
  rawBody: RawBody;
  headers: WebhookHeaders;
  /** The endpoint secret, or several while one is being rolled (old and new). */
  secrets: string | readonly string[];
  /** Milliseconds since the epoch. */
  now: () => number;
  toleranceSeconds?: number;
}

export interface VerifiedStripeWebhook {
  /** `t` of the header, in epoch milliseconds: when Stripe signed this attempt. */
  signedAt: number;
  /** Which of `secrets` matched (0 for a single secret): tells when the old secret can go. */
  secretIndex: number;
}

/**
 * The endpoint secrets in `STRIPE_WEBHOOK_SECRET`: one, or the old and the new separated by commas
 * while a secret is rolled (`whsec_old,whsec_new`).
 */
export function stripeWebhookSecrets(value: string): string[] {
  return value.split(',').map((secret) => secret.trim()).filter((secret) => secret !== '');
}

/** The `Stripe-Signature` value for `rawBody` signed at `timestampSeconds`, one v1 per secret. */
export function signStripePayload(rawBody: RawBody, secrets: string | readonly string[], timestampSeconds: number): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${timestampSeconds}`, ...list.map((secret) => `v1=${stripeSignature(secret, String(timestampSeconds), rawBytes(rawBody))}`)].join(',');
}

function stripeSignature(secret: string, timestamp: string, body: Buffer): string {
  return hmacSha256Hex(secret, `${timestamp}.`, body);
}

/** `t` and every `v1` of the header; throws `webhook.malformed_header` when either is missing. */
export function parseStripeSignatureHeader(header: string): { timestamp: string; v1: string[] } {
  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) throw new WebhookVerificationError('stripe', 'webhook.malformed_header', 'Stripe-Signature carries t= more than once');
      timestamp = value;
    } else if (key === 'v1') v1.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookVerificationError('stripe', 'webhook.malformed_header', 'Stripe-Signature has no t=<unix seconds>');
  }
  if (v1.length === 0) throw new WebhookVerificationError('stripe', 'webhook.malformed_header', 'Stripe-Signature has no v1= signature (v0 alone is not accepted)');
  return { timestamp, v1 };
}

/**
 * Throws a `WebhookVerificationError` unless some v1 of `Stripe-Signature` is the signature of the raw
 * body under one of `secrets`, signed within the tolerance of now. The signature is checked before the
 * time, so a forged request is always `bad_signature` and `stale` means a genuine one came back late.
 */
export function verifyStripeWebhook(request: StripeWebhookRequest): VerifiedStripeWebhook {
  const header = headerValue(request.headers, 'Stripe-Signature', 'stripe');
  if (header === undefined) throw new WebhookVerificationError('stripe', 'webhook.missing_signature', 'Stripe webhook has no Stripe-Signature header');
  const secrets = typeof request.secrets === 'string' ? [request.secrets] : [...request.secrets];
  if (secrets.length === 0 || secrets.some((secret) => secret === '')) throw new TypeError('verifyStripeWebhook: no endpoint secret configured');
  const { timestamp, v1 } = parseStripeSignatureHeader(header);
  const body = rawBytes(request.rawBody);
  let secretIndex = -1;
  secrets.forEach((secret, index) => {
    const expected = stripeSignature(secret, timestamp, body);
    // Every candidate is compared, so the time taken does not say which one matched.
    const matched = v1.map((given) => constantTimeEqual(given, expected)).includes(true);
    if (matched && secretIndex === -1) secretIndex = index;
  });
  if (secretIndex === -1) {
    throw new WebhookVerificationError('stripe', 'webhook.bad_signature', `no v1 signature of Stripe-Signature matches the body under the ${secrets.length === 1 ? 'endpoint secret' : `${secrets.length} endpoint secrets`}`, {
      hint: 'STRIPE_WEBHOOK_SECRET must be the signing secret of this endpoint (whsec_...), not the API key',
    });
  }
  const signedAt = Number(timestamp) * 1000;
  checkWindow('stripe', 'Stripe-Signature t=', signedAt, request.now(), (request.toleranceSeconds ?? STRIPE_TOLERANCE_SECONDS) * 1000);
  return { signedAt, secretIndex };
}
