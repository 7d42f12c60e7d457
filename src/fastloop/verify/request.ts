/**
 * Reading a webhook request as the verifiers need it: one header by name, and the raw body as bytes.
 * Pure helpers over what the HTTP layer hands over (node's `IncomingHttpHeaders` or fetch's `Headers`).
 */
import { windowProblem } from '../../security/signature.ts';
import { WebhookVerificationError } from './errors.ts';
import type { WebhookProvider } from './errors.ts';

/** Request headers as node (lower-cased names) or fetch (`Headers`) hand them over. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The body exactly as received: a Buffer, bytes, or a string that was not re-serialised. */
export type RawBody = Buffer | Uint8Array | string;

export function rawBytes(body: RawBody): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * One header's value, or undefined when absent or empty. A header sent twice is refused rather than
 * guessed at: node joins repeated custom headers with ", ", which no verifier here would accept anyway.
 */
export function headerValue(headers: WebhookHeaders, name: string, provider: WebhookProvider): string | undefined {
  const lower = name.toLowerCase();
  let value: string | readonly string[] | null | undefined;
  if (typeof (headers as Headers).get === 'function') value = (headers as Headers).get(lower);
  else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    value = record[lower] ?? record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === lower)?.[1];
  }
  if (Array.isArray(value)) {
    if (value.length > 1) throw new WebhookVerificationError(provider, 'webhook.malformed_header', `${name} was sent ${value.length} times; expected once`);
    value = value[0];
  }
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Where a timestamp stands against the replay window, both ways, in milliseconds. */
export function checkWindow(provider: WebhookProvider, what: string, atMs: number, nowMs: number, toleranceMs: number): void {
  const problem = windowProblem(atMs, nowMs, toleranceMs);
  if (problem === 'too_old') {
    throw new WebhookVerificationError(provider, 'webhook.stale', `${what} ${new Date(atMs).toISOString()} is more than ${toleranceMs / 1000} s before now (${new Date(nowMs).toISOString()}); refused as a possible replay`);
  }
  if (problem === 'in_the_future') {
    throw new WebhookVerificationError(provider, 'webhook.future', `${what} ${new Date(atMs).toISOString()} is more than ${toleranceMs / 1000} s after now (${new Date(nowMs).toISOString()}); refused`, {
      hint: "check this host's clock (NTP)",
    });
  }
}
