/**
 * Slack request signing (v0): `v0=` + hex HMAC-SHA256(signing secret, `v0:${timestamp}:${body}`),
 * over the raw body exactly as received. Pure, with the clock passed in, so a known-answer test
 * can fix time at the vector's timestamp.
 */
import { constantTimeEqual, hmacSha256Hex, timestampProblem } from '../security/signature.ts';

/** How far a request's timestamp may be from now, either way, before it counts as a replay. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export type SlackVerificationCode = 'missing_headers' | 'bad_timestamp' | 'stale' | 'future' | 'bad_signature';

export class SlackVerificationError extends Error {
  override readonly name = 'SlackVerificationError';
  constructor(readonly code: SlackVerificationCode, message: string) {
    super(message);
  }
}

export interface SlackRequestToVerify {
  signingSecret: string;
  /** The raw request body, before any parsing: bytes as received (a string is taken as UTF-8). */
  body: string | Uint8Array;
  /** `X-Slack-Request-Timestamp` and `X-Slack-Signature`. */
  headers: { timestamp?: string | undefined; signature?: string | undefined };
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** The `X-Slack-Signature` value for `body` sent at `timestampSeconds`. */
export function signSlackRequest(signingSecret: string, body: string | Uint8Array, timestampSeconds: number | string): string {
  return signature(signingSecret, body, String(timestampSeconds));
}

/** Signs with the timestamp exactly as the header carries it, as Slack did. */
function signature(signingSecret: string, body: string | Uint8Array, timestamp: string): string {
  return `v0=${hmacSha256Hex(signingSecret, `v0:${timestamp}:`, body)}`;
}

/** Throws a `SlackVerificationError` unless the request was signed with `signingSecret` within five minutes of now. */
export function verifySlackRequest({ signingSecret, body, headers, now }: SlackRequestToVerify): void {
  const { timestamp } = headers;
  if (!timestamp || !headers.signature) {
    throw new SlackVerificationError('missing_headers', 'Slack request is missing X-Slack-Request-Timestamp or X-Slack-Signature');
  }
  const problem = timestampProblem(timestamp, now(), MAX_REQUEST_AGE_SECONDS);
  const shown = JSON.stringify(timestamp.slice(0, 20));
  if (problem === 'not_a_timestamp') {
    throw new SlackVerificationError('bad_timestamp', `Slack request timestamp ${shown} is not a number of seconds`);
  }
  if (problem === 'too_old') {
    throw new SlackVerificationError('stale', `Slack request timestamp ${shown} is more than ${MAX_REQUEST_AGE_SECONDS} s old; refused as a possible replay`);
  }
  if (problem === 'in_the_future') {
    throw new SlackVerificationError('future', `Slack request timestamp ${shown} is more than ${MAX_REQUEST_AGE_SECONDS} s ahead of this clock; refused`);
  }
  if (!constantTimeEqual(headers.signature, signature(signingSecret, body, timestamp))) {
    throw new SlackVerificationError('bad_signature', 'Slack request signature does not match the body and signing secret');
  }
}
