/**
 * Slack request signing (v0): `v0=` + hex HMAC-SHA256(signing secret, `v0:${timestamp}:${body}`),
 * over the raw body exactly as received. Pure, with the clock passed in, so a known-answer test
 * can fix time at the vector's timestamp.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from now, either way, before it counts as a replay. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export type SlackVerificationCode = 'missing_headers' | 'stale' | 'bad_signature';

export class SlackVerificationError extends Error {
  override readonly name = 'SlackVerificationError';
  constructor(readonly code: SlackVerificationCode, message: string) {
    super(message);
  }
}

export interface SlackRequestToVerify {
  signingSecret: string;
  /** The raw request body, before any parsing. */
  body: string;
  /** `X-Slack-Request-Timestamp` and `X-Slack-Signature`. */
  headers: { timestamp?: string; signature?: string };
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** The `X-Slack-Signature` value for `body` sent at `timestampSeconds`. */
export function signSlackRequest(signingSecret: string, body: string, timestampSeconds: number): string {
  return signature(signingSecret, body, String(timestampSeconds));
}

/** Signs with the timestamp exactly as the header carries it, as Slack did. */
function signature(signingSecret: string, body: string, timestamp: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Throws a `SlackVerificationError` unless the request was signed with `signingSecret` in the last five minutes. */
export function verifySlackRequest({ signingSecret, body, headers, now }: SlackRequestToVerify): void {
  const { timestamp } = headers;
  if (!timestamp || !headers.signature) {
    throw new SlackVerificationError('missing_headers', 'Slack request is missing X-Slack-Request-Timestamp or X-Slack-Signature');
  }
  const seconds = /^\d+$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const nowSeconds = Math.floor(now() / 1000);
  if (!Number.isSafeInteger(seconds) || Math.abs(nowSeconds - seconds) > MAX_REQUEST_AGE_SECONDS) {
    throw new SlackVerificationError('stale', `Slack request timestamp "${timestamp}" is not within ${MAX_REQUEST_AGE_SECONDS} s of now (${nowSeconds}); refused as a possible replay`);
  }
  const expected = Buffer.from(signature(signingSecret, body, timestamp), 'utf8');
  const given = Buffer.from(headers.signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SlackVerificationError('bad_signature', 'Slack request signature does not match the body and signing secret');
  }
}
