/**
 * GoHighLevel webhook signatures. `x-wh-signature` is a base64 RSA-SHA256 (PKCS#1 v1.5) signature of
 * the raw body, checked against the public key GoHighLevel publishes. The newer `X-GHL-Signature` is
 * an Ed25519 signature; GoHighLevel's authentication guide in this repo does not describe it, so
 * Recon reads it as a base64 Ed25519 signature over the raw body, checked against
 * `GHL_WEBHOOK_ED25519_PUBLIC_KEY` (a PEM SPKI key) when that is set. With both headers and the
 * Ed25519 key set, Ed25519 decides; a failure there is not rescued by the RSA header.
 *
 * Replay protection lives in the body (`timestamp`, `webhookId`), so the body is parsed only after
 * its signature is proven. Pure: the clock and keys are passed in.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ConfigError } from '../../domain/errors.ts';
import { MalformedWebhookError, WebhookVerificationError } from './errors.ts';
import { checkWindow, headerValue, rawBytes } from './request.ts';
import type { RawBody, WebhookHeaders } from './request.ts';

/**
 * The RSA public key GoHighLevel publishes for `x-wh-signature`, copied from its Webhook
 * Authentication guide (test/specs/gohighlevel/WebhookAuthentication.md). When GoHighLevel rotates
 * it, set `GHL_WEBHOOK_PUBLIC_KEY` until this constant is updated.
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

/** GoHighLevel suggests five minutes; the same ahead, for clock skew. */
export const GOHIGHLEVEL_REPLAY_WINDOW_MS = 5 * 60 * 1000;

export interface GoHighLevelKeys {
  /** For `x-wh-signature`. */
  rsa: KeyObject;
  /** For `X-GHL-Signature`, when configured. */
  ed25519?: KeyObject | undefined;
}

export interface GoHighLevelWebhookRequest {
  rawBody: RawBody;
  headers: WebhookHeaders;
  keys: GoHighLevelKeys;
  /** Milliseconds since the epoch. */
  now: () => number;
  replayWindowMs?: number;
}

export interface VerifiedGoHighLevelWebhook {
  /** Which header proved the body. */
  scheme: 'rsa-sha256' | 'ed25519';
  /** The body's `webhookId`: the key to refuse a second delivery. */
  webhookId: string;
  /** The body's `timestamp`, epoch milliseconds. */
  sentAt: number;
  /** The parsed body, so it is not parsed twice. */
  body: Record<string, unknown>;
}

/** A PEM key from the environment; `\n` written literally (as many secret stores do) is accepted. */
function pemKey(name: string, value: string, type: 'rsa' | 'ed25519'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(value.includes('\\n') ? value.replaceAll('\\n', '\n') : value);
  } catch (error) {
    throw new ConfigError(`${name} is not a PEM public key`, { code: 'config.env', hint: 'paste the whole key, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----', cause: error });
  }
  if (key.asymmetricKeyType !== type) throw new ConfigError(`${name} is a ${key.asymmetricKeyType ?? 'unknown'} key; expected ${type}`, { code: 'config.env' });
  return key;
}

/**
 * The keys to check GoHighLevel webhooks with: `GHL_WEBHOOK_PUBLIC_KEY` or else the published one,
 * and `GHL_WEBHOOK_ED25519_PUBLIC_KEY` when set. Throws a `ConfigError` naming the variable when a
 * key cannot be read. Parse once at start and reuse: parsing a 4096-bit key costs more than a check.
 */
export function goHighLevelKeys(env: Readonly<Record<string, unknown>>): GoHighLevelKeys {
  const rsa = typeof env.GHL_WEBHOOK_PUBLIC_KEY === 'string' && env.GHL_WEBHOOK_PUBLIC_KEY !== '' ? env.GHL_WEBHOOK_PUBLIC_KEY : undefined;
  const ed = typeof env.GHL_WEBHOOK_ED25519_PUBLIC_KEY === 'string' && env.GHL_WEBHOOK_ED25519_PUBLIC_KEY !== '' ? env.GHL_WEBHOOK_ED25519_PUBLIC_KEY : undefined;
  return {
    rsa: pemKey(rsa ? 'GHL_WEBHOOK_PUBLIC_KEY' : 'the published GoHighLevel key', rsa ?? GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY, 'rsa'),
    ed25519: ed === undefined ? undefined : pemKey('GHL_WEBHOOK_ED25519_PUBLIC_KEY', ed, 'ed25519'),
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** ISO 8601 with a zone: without one, Date.parse would read the time in this host's zone. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function signatureBytes(header: string, name: string): Buffer {
  if (header.length % 4 !== 0 || !BASE64.test(header)) throw new WebhookVerificationError('gohighlevel', 'webhook.malformed_header', `${name} is not base64`);
  return Buffer.from(header, 'base64');
}

/** Which signature to check, by the headers present and the keys configured. */
function proveSignature(request: GoHighLevelWebhookRequest, body: Buffer): VerifiedGoHighLevelWebhook['scheme'] {
  const ed = headerValue(request.headers, 'X-GHL-Signature', 'gohighlevel');
  const rsa = headerValue(request.headers, 'x-wh-signature', 'gohighlevel');
  if (ed !== undefined && request.keys.ed25519) {
    // Ed25519 signs the message itself: no digest is named.
    if (!verify(null, body, request.keys.ed25519, signatureBytes(ed, 'X-GHL-Signature'))) {
      throw new WebhookVerificationError('gohighlevel', 'webhook.bad_signature', 'X-GHL-Signature does not verify the body under GHL_WEBHOOK_ED25519_PUBLIC_KEY');
    }
    return 'ed25519';
  }
  if (rsa === undefined) {
    throw new WebhookVerificationError('gohighlevel', 'webhook.missing_signature', ed === undefined ? 'GoHighLevel webhook has no x-wh-signature header' : 'GoHighLevel webhook carries only X-GHL-Signature, and no Ed25519 key is configured', {
      hint: ed === undefined ? undefined : 'set GHL_WEBHOOK_ED25519_PUBLIC_KEY to the Ed25519 public key GoHighLevel publishes',
    });
  }
  if (!verify('sha256', body, request.keys.rsa, signatureBytes(rsa, 'x-wh-signature'))) {
    throw new WebhookVerificationError('gohighlevel', 'webhook.bad_signature', "x-wh-signature does not verify the body under GoHighLevel's public key", {
      hint: 'if GoHighLevel has rotated its key, set GHL_WEBHOOK_PUBLIC_KEY to the new one',
    });
  }
  return 'rsa-sha256';
}

/**
 * Throws a `WebhookVerificationError` unless the raw body is signed by GoHighLevel and its `timestamp`
 * is within the replay window; a signed body that is not JSON with `webhookId` and an ISO `timestamp`
 * is a `MalformedWebhookError`.
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
  return { scheme, webhookId, sentAt, body: record };
}
