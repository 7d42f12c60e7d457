/**
 * The building blocks every signed request shares (Slack's v0, Stripe's `t=..,v1=..`, HubSpot's
 * v3): an HMAC over the exact bytes received, a constant-time comparison, and a timestamp window
 * against replays. Pure: the clock is passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `parts` concatenated as bytes; strings are UTF-8, buffers are taken as they are. */
export function hmacSha256Hex(secret: string | Uint8Array, ...parts: (string | Uint8Array)[]): string {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

/** Base64 HMAC-SHA256, as HubSpot's v3 signature is written. */
export function hmacSha256Base64(secret: string | Uint8Array, ...parts: (string | Uint8Array)[]): string {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest('base64');
}

/**
 * Whether `given` equals `expected`, in time that does not depend on where they differ. A length
 * difference answers at once: the length of a signature is public.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type TimestampProblem = 'not_a_timestamp' | 'too_old' | 'in_the_future';

/**
 * Why a request timestamp (whole seconds since the epoch, digits only) is outside
 * `toleranceSeconds` of now, or null when it is inside. Old requests may be replays; a timestamp
 * ahead of our clock by more than the skew we allow is refused too, or a captured request could be
 * replayed until then.
 */
export function timestampProblem(timestamp: string, nowMs: number, toleranceSeconds: number): TimestampProblem | null {
  if (!/^\d{1,15}$/.test(timestamp)) return 'not_a_timestamp';
  return windowProblem(Number(timestamp), Math.floor(nowMs / 1000), toleranceSeconds);
}

/**
 * Whether `at` lies more than `tolerance` before or after `now`, in whatever unit the three share
 * (Slack and Stripe sign seconds, HubSpot and GoHighLevel milliseconds): the one replay window.
 */
export function windowProblem(at: number, now: number, tolerance: number): 'too_old' | 'in_the_future' | null {
  if (now - at > tolerance) return 'too_old';
  if (at - now > tolerance) return 'in_the_future';
  return null;
}
