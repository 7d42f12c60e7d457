/**
 * HubSpot webhook signatures, v3: `X-HubSpot-Signature-v3` is base64 HMAC-SHA256, keyed with the
 * app's client secret, of method + URI + raw body + `X-HubSpot-Request-Timestamp` (epoch ms).
 * The URI is the one HubSpot called (Recon's public URL, not the address it listens on), with the
 * characters HubSpot's "Validating requests" guide lists URL-decoded before signing. Pure: the clock
 * is passed in.
 *
 * The older `X-HubSpot-Signature` (v1/v2, no timestamp) is not accepted: it cannot refuse a replay.
 */
import { WebhookVerificationError } from './errors.ts';
import { constantTimeEqual, hmacSha256Base64 } from '../../security/signature.ts';
import { checkWindow, headerValue, rawBytes } from './request.ts';
import type { RawBody, WebhookHeaders } from './request.ts';

/** HubSpot: "Reject the request if the timestamp is older than 5 minutes"; the same ahead, for skew. */
export const HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000;

/**
 * HubSpot's table of percent-encodings it decodes in the request URI before signing:
 * %3A : · %2F / · %3F ? · %40 @ · %21 ! · %24 $ · %27 ' · %28 ( · %29 ) · %2A * · %2C , · %3B ;
 * Everything else (%20, %25, %26, %3D, %2B, ...) stays encoded. One pass, so `%253A` stays `%253A`.
 * Hex digits in either case: `%3a` and `%3A` are the same encoding (RFC 3986, 2.1).
 */
const DECODED_BY_HUBSPOT = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

/** The URI as HubSpot signs it: the listed characters decoded, nothing else touched. */
export function hubSpotSignedUri(uri: string): string {
  return uri.replace(DECODED_BY_HUBSPOT, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * The URI HubSpot called: the public base URL (`RECON_PUBLIC_URL`, which may carry a path prefix)
 * joined with the request target as the server received it (path and query string).
 */
export function publicRequestUri(publicUrl: string, requestTarget: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}${requestTarget.startsWith('/') ? '' : '/'}${requestTarget}`;
}

export interface HubSpotWebhookRequest {
  /** `POST` for webhooks. */
  method: string;
  /** The full URI HubSpot called, e.g. `publicRequestUri(RECON_PUBLIC_URL, req.url)`; decoding is done here. */
  uri: string;
  rawBody: RawBody;
  headers: WebhookHeaders;
  /** The app's client secret (`HUBSPOT_CLIENT_SECRET`). */
  clientSecret: string;
  /** Milliseconds since the epoch. */
  now: () => number;
  maxAgeMs?: number;
}

export interface VerifiedHubSpotWebhook {
  /** `X-HubSpot-Request-Timestamp`, epoch milliseconds. */
  signedAt: number;
}

/** The `X-HubSpot-Signature-v3` value HubSpot would send for this request. */
export function signHubSpotRequest(input: { method: string; uri: string; rawBody: RawBody; timestamp: string | number; clientSecret: string }): string {
  return hubSpotSignature(input.clientSecret, input.method, input.uri, rawBytes(input.rawBody), String(input.timestamp));
}

function hubSpotSignature(clientSecret: string, method: string, uri: string, body: Buffer, timestamp: string): string {
  return hmacSha256Base64(clientSecret, `${method.toUpperCase()}${hubSpotSignedUri(uri)}`, body, timestamp);
}

/**
 * Throws a `WebhookVerificationError` unless the v3 signature matches the request under the client
 * secret and the timestamp is within five minutes of now, either way. The signature (which covers the
 * timestamp) is checked first, so `stale` and `future` are only said of genuine requests.
 */
export function verifyHubSpotWebhook(request: HubSpotWebhookRequest): VerifiedHubSpotWebhook {
  if (request.clientSecret === '') throw new TypeError('verifyHubSpotWebhook: no client secret configured');
  const signature = headerValue(request.headers, 'X-HubSpot-Signature-v3', 'hubspot');
  const timestamp = headerValue(request.headers, 'X-HubSpot-Request-Timestamp', 'hubspot');
  if (signature === undefined) throw new WebhookVerificationError('hubspot', 'webhook.missing_signature', 'HubSpot webhook has no X-HubSpot-Signature-v3 header');
  if (timestamp === undefined) throw new WebhookVerificationError('hubspot', 'webhook.missing_signature', 'HubSpot webhook has no X-HubSpot-Request-Timestamp header');
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('hubspot', 'webhook.malformed_header', 'X-HubSpot-Request-Timestamp is not epoch milliseconds');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(signature)) throw new WebhookVerificationError('hubspot', 'webhook.malformed_header', 'X-HubSpot-Signature-v3 is not a base64 SHA-256 digest');
  const expected = hubSpotSignature(request.clientSecret, request.method, request.uri, rawBytes(request.rawBody), timestamp);
  if (!constantTimeEqual(signature, expected)) {
    throw new WebhookVerificationError('hubspot', 'webhook.bad_signature', 'X-HubSpot-Signature-v3 does not match the request under the client secret', {
      hint: "HUBSPOT_CLIENT_SECRET must be the app's client secret, and RECON_PUBLIC_URL the base of the target URL set in the app exactly (scheme, host, port, path)",
    });
  }
  const signedAt = Number(timestamp);
  checkWindow('hubspot', 'X-HubSpot-Request-Timestamp', signedAt, request.now(), request.maxAgeMs ?? HUBSPOT_MAX_AGE_MS);
  return { signedAt };
}
