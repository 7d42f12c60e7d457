import { describe, expect, it } from 'vitest';
import {
  chooseSubscription, dashboardUrlFor, toCustomerRecord, toMajorUnits, type StripeMapContext,
} from '../../../src/connectors/stripe/mappers.ts';
import { stripeCustomerSchema, stripeSubscriptionSchema, type StripeSubscription } from '../../../src/connectors/stripe/schemas.ts';
import { parseRaw, RawObjectError } from '../../../src/connectors/raw.ts';
import { fixture } from '../fixtures.ts';

const NOW = Date.parse('2023-11-01T00:00:00Z');
const context: StripeMapContext = { crmSystem: 'hubspot', dashboardUrl: 'https://dashboard.stripe.com/test', now: NOW };

const customer = (changes: object = {}) => parseRaw('stripe', 'customer', stripeCustomerSchema, { ...fixture('stripe/customer'), ...changes });
const subscription = (changes: object = {}): StripeSubscription =>
  parseRaw('stripe', 'subscription', stripeSubscriptionSchema, { ...fixture('stripe/subscription'), ...changes });

describe('toCustomerRecord', () => {
  it('maps a customer with an active subscription and its paid invoice', () => {
    expect(toCustomerRecord(customer(), [subscription()], ['subscription_status', 'subscription_amount'], context)).toEqual({
      system: 'stripe',
      object: 'customers',
      id: 'cus_Oaxlz8kB0PJWGa',
      fields: {
        subscription_status: 'active',
        subscription_id: 'sub_1NnmX4GPxmnHQRkJrhGrFloA',
        subscription_amount: 40,
        currency: 'usd',
        invoice_status: 'paid',
        email: 'ada.lovelace@example.com',
        name: 'Ada Lovelace',
      },
      email: 'ada.lovelace@example.com',
      refs: { hubspot: '901' },
      aliases: [],
      updatedAt: 1696701805000,
      history: {
        subscription_status: { changedAt: 1694109743000, changedBy: 'unknown' },
        subscription_amount: { changedAt: 1696701743000, changedBy: 'unknown' },
      },
      url: 'https://dashboard.stripe.com/test/customers/cus_Oaxlz8kB0PJWGa',
    });
  });

  it('gives nulls and no history to a customer without subscriptions', () => {
    const record = toCustomerRecord(customer(), [], [], context);
    expect(record.fields).toMatchObject({
      subscription_status: null, subscription_id: null, subscription_amount: null, currency: 'usd', invoice_status: null,
    });
    expect(record.history).toEqual({});
  });

  it('counts zero-decimal currencies in whole units', () => {
    const base = fixture('stripe/subscription');
    base.currency = 'jpy';
    base.items.data[0].price.currency = 'jpy';
    base.items.data[0].price.unit_amount = 1200;
    base.items.data[0].quantity = 1;
    const record = toCustomerRecord(customer(), [parseRaw('stripe', 'subscription', stripeSubscriptionSchema, base)], [], context);
    expect(record.fields.subscription_amount).toBe(1200);
  });

  it('has no amount when a price is tiered', () => {
    const base = fixture('stripe/subscription');
    base.items.data[0].price.unit_amount = null;
    base.items.data[0].price.unit_amount_decimal = null;
    base.items.data[0].price.billing_scheme = 'tiered';
    const record = toCustomerRecord(customer(), [parseRaw('stripe', 'subscription', stripeSubscriptionSchema, base)], [], context);
    expect(record.fields.subscription_amount).toBeNull();
  });

  it('dates a cancellation by when the subscription ended', () => {
    const canceled = subscription({ status: 'canceled', canceled_at: 1697000000, ended_at: 1697500000 });
    const record = toCustomerRecord(customer(), [canceled], [], context);
    expect(record.history.subscription_status?.changedAt).toBe(1697500000000);
  });

  it('dates an active subscription by the end of its trial once the trial is over', () => {
    const afterTrial = subscription({ trial_start: 1694109743, trial_end: 1695319343 });
    const record = toCustomerRecord(customer(), [afterTrial], [], context);
    expect(record.history.subscription_status?.changedAt).toBe(1695319343000);
  });

  it('ignores a trial end still in the future for updatedAt', () => {
    const trialing = subscription({ status: 'trialing', trial_start: 1698000000, trial_end: 1799999999, latest_invoice: null });
    const record = toCustomerRecord(customer(), [trialing], [], context);
    expect(record.updatedAt).toBe(1698000000000);
    expect(record.history.subscription_status?.changedAt).toBe(1694109743000);
  });

  it('has no invoice status when the latest invoice was not expanded', () => {
    const record = toCustomerRecord(customer(), [subscription({ latest_invoice: 'in_1NnmX4GPxmnHQRkJyyhHiHYa' })], [], context);
    expect(record.fields.invoice_status).toBeNull();
  });

  it('fills metadata fields that are asked for', () => {
    const record = toCustomerRecord(customer(), [], ['metadata.crm_id', 'metadata.plan'], context);
    expect(record.fields['metadata.crm_id']).toBe('901');
    expect(record.fields['metadata.plan']).toBeNull();
  });

  it('has no CRM ref when metadata.crm_id is absent', () => {
    expect(toCustomerRecord(customer({ metadata: {} }), [], [], context).refs).toEqual({});
  });

  it('reads the period start from the items in the newer API shape', () => {
    const base = fixture('stripe/subscription');
    delete base.current_period_start;
    base.items.data[0].current_period_start = 1696000000;
    const record = toCustomerRecord(customer(), [parseRaw('stripe', 'subscription', stripeSubscriptionSchema, base)], [], context);
    expect(record.history.subscription_amount?.changedAt).toBe(1696000000000);
  });

  it('links live-mode customers to the dashboard without /test', () => {
    const live = { ...context, dashboardUrl: dashboardUrlFor('sk_live_abc') };
    expect(toCustomerRecord(customer(), [], [], live).url).toBe('https://dashboard.stripe.com/customers/cus_Oaxlz8kB0PJWGa');
  });
});

describe('chooseSubscription', () => {
  it('prefers an active subscription over a newer canceled one', () => {
    const active = subscription({ id: 'sub_active', created: 1690000000 });
    const canceled = subscription({ id: 'sub_canceled', status: 'canceled', created: 1699000000 });
    expect(chooseSubscription([canceled, active])?.id).toBe('sub_active');
  });

  it('breaks a tie of statuses by the newest created', () => {
    const older = subscription({ id: 'sub_old', status: 'past_due', created: 1690000000 });
    const newer = subscription({ id: 'sub_new', status: 'past_due', created: 1695000000 });
    expect(chooseSubscription([older, newer])?.id).toBe('sub_new');
  });

  it('keeps a status Stripe adds later, ranked after the known ones', () => {
    const future = subscription({ id: 'sub_future', status: 'dormant', created: 1699000000 });
    const expired = subscription({ id: 'sub_expired', status: 'incomplete_expired' });
    expect(chooseSubscription([future, expired])?.id).toBe('sub_expired');
    expect(chooseSubscription([future])?.status).toBe('dormant');
  });
});

describe('toMajorUnits', () => {
  it('divides by the currency precision', () => {
    expect(toMajorUnits(5997, 'usd')).toBe(59.97);
    expect(toMajorUnits(1200, 'JPY')).toBe(1200);
    expect(toMajorUnits(5124, 'kwd')).toBe(5.124);
  });
});

describe('raw Stripe objects', () => {
  it('name the object and the path that does not match', () => {
    const broken = fixture('stripe/subscription');
    broken.items.data[0].price.unit_amount = '2000';
    const parse = () => parseRaw('stripe', 'subscription', stripeSubscriptionSchema, broken);
    expect(parse).toThrow(RawObjectError);
    expect(parse).toThrow(/stripe subscription sub_1NnmX4GPxmnHQRkJrhGrFloA .*items\.data\[0\]\.price\.unit_amount: .*expected number/);
  });
});
