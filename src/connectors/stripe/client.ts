import Stripe from 'stripe';
import { ApiError, parseRetryAfter, type RequestInfo } from '../http/retry.ts';
import { STRIPE_API_VERSION } from './declaration.ts';

export interface StripeClientOptions {
  secretKey: string;
  /** `STRIPE_API_URL`, e.g. `http://127.0.0.1:4010` for stripe-mock or the sandbox; Stripe itself when absent. */
  apiUrl?: string | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
}

/** `http://127.0.0.1:4010` → the SDK's host, port and protocol options. */
export function sdkAddress(apiUrl: string): { host: string; port: number; protocol: 'http' | 'https' } {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new Error(`STRIPE_API_URL: "${apiUrl}" is not a URL; expected something like http://127.0.0.1:4010`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`STRIPE_API_URL: "${apiUrl}" must start with http:// or https://`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port !== '' ? Number(url.port) : protocol === 'http' ? 80 : 443;
  return { host: url.hostname, port, protocol };
}

export { STRIPE_API_VERSION };

/** The Stripe SDK client. Our retry layer retries, so the SDK does not (`maxNetworkRetries: 0`). */
export function createStripeClient(options: StripeClientOptions): Stripe {
  return new Stripe(options.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    ...(options.apiUrl ? sdkAddress(options.apiUrl) : {}),
    telemetry: false,
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? 30_000,
    appInfo: { name: 'recon' },
  });
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}

/**
 * Turns what the SDK threw into an {@link ApiError}; anything that is not a Stripe error (a bug)
 * is returned unchanged.
 */
export function toApiError(error: unknown, request: RequestInfo, nowMs: number): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  if (error instanceof Stripe.errors.StripeConnectionError || error.statusCode === undefined) {
    const timedOut = /timeout/i.test(error.message);
    const cause = error.detail instanceof Error ? ` (${error.detail.message})` : '';
    return new ApiError({ ...request, kind: timedOut ? 'timeout' : 'network', status: null, vendorMessage: `${error.message}${cause}` });
  }
  const shouldRetry = header(error.headers, 'stripe-should-retry');
  return new ApiError({
    ...request,
    kind: 'http',
    status: error.statusCode,
    vendorMessage: error.message,
    vendorCode: error.code,
    retryAfterMs: parseRetryAfter(header(error.headers, 'retry-after'), nowMs),
    vendorSaysRetry: shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : undefined,
  });
}
