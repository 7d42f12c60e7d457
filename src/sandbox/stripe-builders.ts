/** Pure builders of Stripe objects (API version 2023-08-16). Every timestamp comes from the caller. */
import { addIntervals } from './stripe-objects.ts';
import type {
  StripeCustomer, StripeInterval, StripeInvoice, StripeInvoiceStatus, StripePrice, StripeSubscription,
  StripeSubscriptionItem, StripeSubscriptionStatus,
} from './stripe-objects.ts';

export function buildCustomer(input: {
  id: string; email: string | null; name: string | null; metadata: Record<string, string>; created: number; invoicePrefix: string;
}): StripeCustomer {
  return {
    id: input.id, object: 'customer', address: null, balance: 0, created: input.created, currency: null,
    default_source: null, delinquent: false, description: null, discount: null, email: input.email,
    invoice_prefix: input.invoicePrefix,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false, metadata: { ...input.metadata }, name: input.name, next_invoice_sequence: 1, phone: null,
    preferred_locales: [], shipping: null, tax_exempt: 'none', test_clock: null,
  };
}

export function buildPrice(input: {
  id: string; product: string; unitAmount: number; currency: string; interval: StripeInterval; created: number;
}): StripePrice {
  return {
    id: input.id, object: 'price', active: true, billing_scheme: 'per_unit', created: input.created,
    currency: input.currency, custom_unit_amount: null, livemode: false, lookup_key: null, metadata: {},
    nickname: null, product: input.product,
    recurring: { aggregate_usage: null, interval: input.interval, interval_count: 1, usage_type: 'licensed' },
    tax_behavior: 'unspecified', tiers_mode: null, transform_quantity: null, type: 'recurring',
    unit_amount: input.unitAmount, unit_amount_decimal: String(input.unitAmount),
  };
}

/** The billing period a subscription is in: the trial, the period it ended in, or its first one. */
export function currentPeriod(input: {
  anchor: number; interval: StripeInterval; status: StripeSubscriptionStatus; trialEnd: number | null;
  endedAt: number | null; currentPeriodStart?: number | undefined;
}): { start: number; end: number } {
  if (input.currentPeriodStart !== undefined) {
    return { start: input.currentPeriodStart, end: addIntervals(input.currentPeriodStart, input.interval, 1) };
  }
  if (input.status === 'trialing' && input.trialEnd !== null && input.trialEnd > input.anchor) {
    return { start: input.anchor, end: input.trialEnd };
  }
  let start = input.anchor;
  let end = addIntervals(input.anchor, input.interval, 1);
  if (input.endedAt !== null) {
    for (let n = 1; end < input.endedAt && n < 1200; n += 1) {
      start = end;
      end = addIntervals(input.anchor, input.interval, n + 1);
    }
  }
  return { start, end };
}

export function buildSubscription(input: {
  id: string; itemId: string; customer: string; status: StripeSubscriptionStatus; price: StripePrice; quantity: number;
  created: number; startDate: number; canceledAt: number | null; endedAt: number | null; trialEnd: number | null;
  period: { start: number; end: number }; latestInvoice: string | null;
}): StripeSubscription {
  const item: StripeSubscriptionItem = {
    id: input.itemId, object: 'subscription_item', billing_thresholds: null, created: input.created,
    current_period_start: input.period.start, current_period_end: input.period.end, metadata: {},
    price: input.price, quantity: input.quantity, subscription: input.id, tax_rates: [],
  };
  return {
    id: input.id, object: 'subscription', application: null, application_fee_percent: null,
    automatic_tax: { enabled: false }, billing_cycle_anchor: input.startDate, billing_thresholds: null,
    cancel_at: null, cancel_at_period_end: false, canceled_at: input.canceledAt,
    cancellation_details: { comment: null, feedback: null, reason: input.canceledAt !== null ? 'cancellation_requested' : null },
    collection_method: 'charge_automatically', created: input.created, currency: input.price.currency,
    current_period_end: input.period.end, current_period_start: input.period.start, customer: input.customer,
    days_until_due: null, default_payment_method: null, default_source: null, default_tax_rates: [],
    description: null, discount: null, ended_at: input.endedAt,
    items: { object: 'list', data: [item], has_more: false, url: `/v1/subscription_items?subscription=${input.id}` },
    latest_invoice: input.latestInvoice, livemode: false, metadata: {}, next_pending_invoice_item_invoice: null,
    on_behalf_of: null, pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null, pending_setup_intent: null, pending_update: null, schedule: null,
    start_date: input.startDate, status: input.status, test_clock: null, transfer_data: null,
    trial_end: input.trialEnd, trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: input.trialEnd !== null ? input.startDate : null,
  };
}

/** The invoice status Stripe would show as the latest one of a subscription in this status. */
export function defaultInvoiceStatus(status: StripeSubscriptionStatus): StripeInvoiceStatus {
  switch (status) {
    case 'active': case 'trialing': case 'paused': return 'paid';
    case 'past_due': case 'unpaid': case 'incomplete': return 'open';
    case 'canceled': case 'incomplete_expired': return 'void';
  }
}

export function buildInvoice(input: {
  id: string; lineId: string; customer: StripeCustomer; subscription: StripeSubscription; status: StripeInvoiceStatus;
  amount: number; created: number; number: string | null; billingReason: StripeInvoice['billing_reason'];
}): StripeInvoice {
  const { customer, subscription, status, amount, created } = input;
  const item = subscription.items.data[0];
  if (!item) throw new Error(`subscription ${subscription.id} has no item to invoice`);
  const paid = status === 'paid';
  const finalized = status !== 'draft';
  const period = { start: subscription.current_period_start, end: subscription.current_period_end };
  const hosted = finalized ? `https://invoice.stripe.com/i/acct_sandbox/test_${input.id}` : null;
  return {
    id: input.id, object: 'invoice', account_country: 'US', account_name: 'Recon Sandbox', account_tax_ids: null,
    amount_due: amount, amount_paid: paid ? amount : 0, amount_remaining: paid || status === 'void' ? 0 : amount,
    amount_shipping: 0, application: null, application_fee_amount: null,
    attempt_count: finalized && status !== 'void' ? 1 : 0, attempted: finalized && status !== 'void',
    auto_advance: status === 'open' || status === 'draft', automatic_tax: { enabled: false, status: null },
    billing_reason: input.billingReason, charge: null, collection_method: 'charge_automatically', created,
    currency: item.price.currency, custom_fields: null, customer: customer.id, customer_address: null,
    customer_email: customer.email, customer_name: customer.name, customer_phone: customer.phone,
    customer_shipping: null, customer_tax_exempt: 'none', customer_tax_ids: [], default_payment_method: null,
    default_source: null, default_tax_rates: [], description: null, discount: null, discounts: [], due_date: null,
    effective_at: finalized ? created : null, ending_balance: finalized ? 0 : null, footer: null, from_invoice: null,
    hosted_invoice_url: hosted, invoice_pdf: hosted ? `${hosted}/pdf` : null, last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list', has_more: false, url: `/v1/invoices/${input.id}/lines`,
      data: [{
        id: input.lineId, object: 'line_item', amount, amount_excluding_tax: amount, currency: item.price.currency,
        description: `${item.quantity} × sandbox plan (at ${item.price.unit_amount} / ${item.price.recurring.interval})`,
        discount_amounts: [], discountable: true, discounts: [], livemode: false, metadata: {},
        period, price: item.price, proration: false, proration_details: { credited_items: null },
        quantity: item.quantity, subscription: subscription.id, subscription_item: item.id, tax_amounts: [],
        tax_rates: [], type: 'subscription', unit_amount_excluding_tax: String(item.price.unit_amount),
      }],
    },
    livemode: false, metadata: {}, next_payment_attempt: status === 'open' ? created + 3 * 86_400 : null,
    number: input.number, on_behalf_of: null, paid, paid_out_of_band: false, payment_intent: null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: period.end, period_start: period.start, post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0, quote: null, receipt_number: null, rendering_options: null,
    shipping_cost: null, shipping_details: null, starting_balance: 0, statement_descriptor: null, status,
    status_transitions: {
      finalized_at: finalized ? created : null,
      marked_uncollectible_at: status === 'uncollectible' ? created : null,
      paid_at: paid ? created : null,
      voided_at: status === 'void' ? created : null,
    },
    subscription: subscription.id, subscription_details: { metadata: {} }, subtotal: amount,
    subtotal_excluding_tax: amount, tax: null, test_clock: null, total: amount, total_discount_amounts: [],
    total_excluding_tax: amount, total_tax_amounts: [], transfer_data: null, webhooks_delivered_at: created,
  };
}
