/**
 * GoHighLevel webhook signatures, as GoHighLevel signs today (its Webhook Integration Guide; its SDK
 * `@gohighlevel/api-client` 3.x): `X-GHL-Signature` is a base64 Ed25519 signature of the raw body,
 * checked against the app's public key from `GHL_WEBHOOK_PUBLIC_KEY`. The legacy `x-wh-signature`
 * (base64 RSA-SHA256, PKCS#1 v1.5), which GoHighLevel stopped sending on 1 July 2026, is read only
 * when no `X-GHL-Signature` came, and only against the RSA key GoHighLevel published: with both
 * headers, Ed25519 decides, and its failure is not rescued by the RSA one.
 *
 * Replay protection lives in the body (`timestamp`, `webhookId`), so the body is parsed only after
 * its signature is proven; so is `appId`, which ties an event to one marketplace app. Pure: the
 * clock and keys are passed in.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ConfigError } from '../../domain/errors.ts';
import { Ed25519KeyError, readEd25519PublicKey } from '../../util/ed25519-key.ts';
import { MalformedWebhookError, WebhookVerificationError } from './errors.ts';
import { checkWindow, headerValue, rawBytes } from './request.ts';
import type { RawBody, WebhookHeaders } from './request.ts';

/**
 * The RSA public key GoHighLevel publishes for the legacy `x-wh-signature`, copied from its Webhook
 * Authentication guide (test/specs/gohighlevel/WebhookAuthentication.md). The only key an RSA
 * signature is checked against: GoHighLevel stopped sending the header on 1 July 2026.
 */
export const GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
`;

/** GoHighLevel suggests five minutes, as Stripe and HubSpot allow; the same ahead, for clock skew. */
export const GOHIGHLEVEL_REPLAY_WINDOW_MS = 5 * 60 * 1000;

/** The variable that holds the Ed25519 key; the one before it, still read, says it is deprecated. */
export const GOHIGHLEVEL_KEY_VARIABLE = 'GHL_WEBHOOK_PUBLIC_KEY';
export const GOHIGHLEVEL_DEPRECATED_KEY_VARIABLE = 'GHL_WEBHOOK_ED25519_PUBLIC_KEY';

export interface GoHighLevelKeys {
  /** For `X-GHL-Signature`: the app's Ed25519 key. */
  ed25519: KeyObject;
  /** For the legacy `x-wh-signature`: GoHighLevel's published RSA key. */
  rsa: KeyObject;
}

/** What proves a GoHighLevel webhook: the keys, and the app its events must name when set. */
export interface GoHighLevelWebhookConfig {
  keys: GoHighLevelKeys;
  /** `GHL_APP_ID`: a body naming another `appId` (or none) is refused. */
  appId?: string | undefined;
}

export interface GoHighLevelWebhookRequest {
  rawBody: RawBody;
  headers: WebhookHeaders;
  keys: GoHighLevelKeys;
  /** When set, the body's `appId` must be this. */
  appId?: string | undefined;
  /** Milliseconds since the epoch. */
  now: () => number;
  replayWindowMs?: number;
}

export interface VerifiedGoHighLevelWebhook {
  /** Which header proved the body. */
  scheme: 'ed25519' | 'rsa-sha256';
  /** The body's `webhookId`: the key to refuse a second delivery. */
  webhookId: string;
  /** The body's `timestamp`, epoch milliseconds. */
  sentAt: number;
  /** The parsed body, so it is not parsed twice. */
  body: Record<string, unknown>;
}

let publishedRsaKey: KeyObject | undefined;

/** GoHighLevel's published RSA key, parsed once: a 4096-bit key costs more to parse than to check with. */
export function publishedGoHighLevelRsaKey(): KeyObject {
  return (publishedRsaKey ??= createPublicKey(GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY));
}

const text = (env: Readonly<Record<string, unknown>>, name: string) => (typeof env[name] === 'string' && env[name] !== '' ? (env[name] as string) : undefined);

/** The Ed25519 key in `name`, or a `ConfigError` naming it and saying what was expected. */
function ed25519Key(name: string, value: string): KeyObject {
  try {
    return readEd25519PublicKey(value);
  } catch (error) {
    if (!(error instanceof Ed25519KeyError)) throw error;
    const legacy = error.keyType === 'rsa'
      ? "; GoHighLevel's legacy RSA key is built in and needs no variable, and GoHighLevel has signed only with Ed25519 (X-GHL-Signature) since 1 July 2026"
      : '';
    throw new ConfigError(`${name} is ${error.message}${legacy}`, {
      code: 'config.env',
      hint: "copy the webhook public key from your GoHighLevel app's settings (Advanced settings, Webhooks) as it is shown",
    });
  }
}

/**
 * How to verify GoHighLevel webhooks, from the environment: undefined (the endpoint is off) when no
 * Ed25519 key is set. `problems` are lines to warn with (a deprecated variable). Throws a
 * `ConfigError` naming the variable when a key cannot be read. Parse once at start and reuse.
 */
export function goHighLevelWebhookConfig(env: Readonly<Record<string, unknown>>): { config: GoHighLevelWebhookConfig | undefined; problems: string[] } {
  const current = text(env, GOHIGHLEVEL_KEY_VARIABLE);
  const deprecated = text(env, GOHIGHLEVEL_DEPRECATED_KEY_VARIABLE);
  const problems: string[] = [];
  if (deprecated !== undefined) {
    problems.push(current === undefined
      ? `${GOHIGHLEVEL_DEPRECATED_KEY_VARIABLE} is deprecated: rename it to ${GOHIGHLEVEL_KEY_VARIABLE}, which now holds GoHighLevel's Ed25519 key (PEM, base64 or hex)`
      : `${GOHIGHLEVEL_DEPRECATED_KEY_VARIABLE} is deprecated and ignored: ${GOHIGHLEVEL_KEY_VARIABLE} is set; unset ${GOHIGHLEVEL_DEPRECATED_KEY_VARIABLE}`);
  }
  const name = current !== undefined ? GOHIGHLEVEL_KEY_VARIABLE : GOHIGHLEVEL_DEPRECATED_KEY_VARIABLE;
  const value = current ?? deprecated;
  if (value === undefined) return { config: undefined, problems };
  const appId = text(env, 'GHL_APP_ID');
  return { config: { keys: { ed25519: ed25519Key(name, value), rsa: publishedGoHighLevelRsaKey() }, appId }, problems };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** ISO 8601 with a zone: without one, Date.parse would read the time in this host's zone. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function signatureBytes(header: string, name: string): Buffer {
  if (header.length % 4 !== 0 || !BASE64.test(header)) throw new WebhookVerificationError('gohighlevel', 'webhook.malformed_header', `${name} is not base64`);
  return Buffer.from(header, 'base64');
}

/** Whether `signature` signs `body` under `key`; a signature of the wrong size is simply false. */
function verifies(algorithm: 'sha256' | null, body: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(algorithm, body, key, signature);
  } catch {
    return false;
  }
}

/** Which signature proves the body: Ed25519 when its header came, else the legacy RSA one. */
function proveSignature(request: GoHighLevelWebhookRequest, body: Buffer): VerifiedGoHighLevelWebhook['scheme'] {
  const ed = headerValue(request.headers, 'X-GHL-Signature', 'gohighlevel');
  if (ed !== undefined) {
    // Ed25519 signs the message itself: no digest is named.
    if (!verifies(null, body, request.keys.ed25519, signatureBytes(ed, 'X-GHL-Signature'))) {
      throw new WebhookVerificationError('gohighlevel', 'webhook.bad_signature', `X-GHL-Signature does not verify the body under ${GOHIGHLEVEL_KEY_VARIABLE}`, {
        hint: `check that ${GOHIGHLEVEL_KEY_VARIABLE} holds the public key of the app whose webhooks come here`,
      });
    }
    return 'ed25519';
  }
  const rsa = headerValue(request.headers, 'x-wh-signature', 'gohighlevel');
  if (rsa === undefined) throw new WebhookVerificationError('gohighlevel', 'webhook.missing_signature', 'GoHighLevel webhook has no X-GHL-Signature header');
  if (!verifies('sha256', body, request.keys.rsa, signatureBytes(rsa, 'x-wh-signature'))) {
    throw new WebhookVerificationError('gohighlevel', 'webhook.bad_signature', "x-wh-signature (GoHighLevel's legacy RSA signature) does not verify the body under GoHighLevel's published RSA key");
  }
  return 'rsa-sha256';
}

/**
 * Throws a `WebhookVerificationError` unless the raw body is signed by GoHighLevel, its `timestamp`
 * is within the replay window and, when `appId` is given, it names that app; a signed body that is
 * not JSON with `webhookId` and an ISO `timestamp` is a `MalformedWebhookError`.
 */
export function verifyGoHighLevelWebhook(request: GoHighLevelWebhookRequest): VerifiedGoHighLevelWebhook {
  const raw = rawBytes(request.rawBody);
  const scheme = proveSignature(request, raw);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new MalformedWebhookError('gohighlevel', 'GoHighLevel webhook body is not JSON', { cause: error });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MalformedWebhookError('gohighlevel', 'GoHighLevel webhook body is not a JSON object');
  const record = body as Record<string, unknown>;
  const { webhookId, timestamp } = record;
  if (typeof webhookId !== 'string' || webhookId === '') throw new MalformedWebhookError('gohighlevel', 'GoHighLevel webhook has no webhookId to tell a second delivery by');
  const sentAt = typeof timestamp === 'string' && ISO_WITH_ZONE.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(sentAt)) throw new MalformedWebhookError('gohighlevel', 'GoHighLevel webhook has no ISO timestamp to refuse a replay by');
  checkWindow('gohighlevel', 'GoHighLevel webhook timestamp', sentAt, request.now(), request.replayWindowMs ?? GOHIGHLEVEL_REPLAY_WINDOW_MS);
  if (request.appId !== undefined && record.appId !== request.appId) {
    // Another app's genuine event, replayed here, is signed too: only the body says whose it is.
    const named = typeof record.appId === 'string' ? `appId ${JSON.stringify(record.appId)}` : 'no appId';
    throw new WebhookVerificationError('gohighlevel', 'webhook.foreign_app', `GoHighLevel webhook names ${named}, not GHL_APP_ID's ${JSON.stringify(request.appId)}`);
  }
  return { scheme, webhookId, sentAt, body: record };
}
