import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signStripePayload, stripeWebhookSecrets, verifyStripeWebhook } from '../../../src/fastloop/verify/stripe.ts';
import type { StripeWebhookRequest } from '../../../src/fastloop/verify/stripe.ts';
import { outcome } from './outcome.ts';

const SECRET = 'whsec_test_recon_endpoint_secret';
const OLD_SECRET = 'whsec_test_recon_previous_secret';
const T = 1_717_000_000;
const BODY = JSON.stringify({ id: 'evt_1PTestEvent', object: 'event', type: 'customer.subscription.updated', created: T, data: { object: { id: 'sub_1', object: 'subscription' } } });

/** Stripe's scheme written out here, independently of the code under test. */
function v1(secret: string, body: string | Buffer, t = T): string {
  return createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${t}.`), Buffer.from(body)])).digest('hex');
}

function request(change: Partial<StripeWebhookRequest> & { header?: string | undefined; nowSeconds?: number } = {}): StripeWebhookRequest {
  const header = 'header' in change ? change.header : `t=${T},v1=${v1(SECRET, BODY)}`;
  return {
    rawBody: change.rawBody ?? BODY,
    headers: change.headers ?? (header === undefined ? {} : { 'stripe-signature': header }),
    secrets: change.secrets ?? SECRET,
    now: () => (change.nowSeconds ?? T) * 1000,
  };
}

describe('verifyStripeWebhook', () => {
  it('accepts a body signed with the endpoint secret a moment ago', () => {
    expect(outcome(() => verifyStripeWebhook(request({ nowSeconds: T + 2 })))).toBe('accepted');
  });

  it('returns when Stripe signed the request and which secret matched', () => {
    expect(verifyStripeWebhook(request())).toEqual({ signedAt: T * 1000, secretIndex: 0 });
  });

  it('rejects a body signed with another secret', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: `t=${T},v1=${v1('whsec_test_someone_else', BODY)}` })))).toBe('webhook.bad_signature');
  });

  it('rejects a body changed after it was signed', () => {
    expect(outcome(() => verifyStripeWebhook(request({ rawBody: BODY.replace('updated', 'deleted') })))).toBe('webhook.bad_signature');
  });

  it('rejects a signature moved to another timestamp', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: `t=${T + 1},v1=${v1(SECRET, BODY)}` })))).toBe('webhook.bad_signature');
  });

  it('rejects a request without a Stripe-Signature header', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: undefined })))).toBe('webhook.missing_signature');
  });

  it('rejects a header without a timestamp', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: `v1=${v1(SECRET, BODY)}` })))).toBe('webhook.malformed_header');
  });

  it('rejects a header whose timestamp is not a number of seconds', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: `t=yesterday,v1=${v1(SECRET, BODY)}` })))).toBe('webhook.malformed_header');
  });

  it('rejects a header that carries only a v0 signature', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: `t=${T},v0=${v1(SECRET, BODY)}` })))).toBe('webhook.malformed_header');
  });

  it('accepts when any one of several v1 signatures matches, as Stripe sends while a secret is rolled', () => {
    const header = `t=${T},v1=${v1(OLD_SECRET, BODY)},v1=${v1(SECRET, BODY)},v0=${'0'.repeat(64)}`;
    expect(outcome(() => verifyStripeWebhook(request({ header })))).toBe('accepted');
  });

  it('accepts a body signed with the new secret while Recon holds the old and the new', () => {
    expect(verifyStripeWebhook(request({ secrets: [OLD_SECRET, SECRET] })).secretIndex).toBe(1);
  });

  it('accepts a body still signed with the old secret while Recon holds both', () => {
    expect(verifyStripeWebhook(request({ header: `t=${T},v1=${v1(OLD_SECRET, BODY)}`, secrets: [OLD_SECRET, SECRET] })).secretIndex).toBe(0);
  });

  it('accepts a request signed exactly five minutes ago', () => {
    expect(outcome(() => verifyStripeWebhook(request({ nowSeconds: T + 300 })))).toBe('accepted');
  });

  it('refuses a request signed more than five minutes ago as stale', () => {
    expect(outcome(() => verifyStripeWebhook(request({ nowSeconds: T + 301 })))).toBe('webhook.stale');
  });

  it('refuses a request signed more than five minutes in the future', () => {
    expect(outcome(() => verifyStripeWebhook(request({ nowSeconds: T - 301 })))).toBe('webhook.future');
  });

  it('calls a forged old request a bad signature, not stale', () => {
    expect(outcome(() => verifyStripeWebhook(request({ header: `t=${T},v1=${'a'.repeat(64)}`, nowSeconds: T + 3600 })))).toBe('webhook.bad_signature');
  });

  it('checks the bytes as received, even when they are not valid UTF-8', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expect(outcome(() => verifyStripeWebhook(request({ rawBody: bytes, header: `t=${T},v1=${v1(SECRET, bytes)}` })))).toBe('accepted');
  });

  it('reads the header from fetch Headers as well as from node headers', () => {
    const headers = new Headers({ 'Stripe-Signature': `t=${T},v1=${v1(SECRET, BODY)}` });
    expect(outcome(() => verifyStripeWebhook(request({ headers })))).toBe('accepted');
  });

  it('signs as Stripe does, one v1 per secret', () => {
    expect(signStripePayload(BODY, [OLD_SECRET, SECRET], T)).toBe(`t=${T},v1=${v1(OLD_SECRET, BODY)},v1=${v1(SECRET, BODY)}`);
  });
});

describe('stripeWebhookSecrets', () => {
  it('reads the old and the new secret from one variable, separated by a comma', () => {
    expect(stripeWebhookSecrets(`${OLD_SECRET}, ${SECRET}`)).toEqual([OLD_SECRET, SECRET]);
  });
});
