/**
 * Stripe objects as the API returns them for version 2023-08-16 (see test/specs/stripe), and
 * pure builders for them. No I/O, no clock: every timestamp comes from the caller.
 */

export type StripeSubscriptionStatus =
  | 'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';
export type StripeInvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
export type StripeInterval = 'month' | 'year';

export interface StripeList<T> {
  object: 'list';
  url: string;
  has_more: boolean;
  data: T[];
}

export interface StripeCustomer {
  id: string;
  object: 'customer';
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: string | null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: { custom_fields: null; default_payment_method: string | null; footer: string | null; rendering_options: null };
  livemode: false;
  metadata: Record<string, string>;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: null;
  tax_exempt: 'none' | 'exempt' | 'reverse';
  test_clock: string | null;
}

export interface StripePrice {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: false;
  lookup_key: string | null;
  metadata: Record<string, string>;
  nickname: string | null;
  product: string;
  recurring: { aggregate_usage: null; interval: StripeInterval; interval_count: number; usage_type: 'licensed' };
  tax_behavior: 'unspecified';
  tiers_mode: null;
  transform_quantity: null;
  type: 'recurring';
  unit_amount: number;
  unit_amount_decimal: string;
}

export interface StripeSubscriptionItem {
  id: string;
  object: 'subscription_item';
  billing_thresholds: null;
  created: number;
  /** Not in 2023-08-16 (it sits on the subscription there); newer API versions moved it here. */
  current_period_start: number;
  current_period_end: number;
  metadata: Record<string, string>;
  price: StripePrice;
  quantity: number;
  subscription: string;
  tax_rates: unknown[];
}

export interface StripeSubscription {
  id: string;
  object: 'subscription';
  application: null;
  application_fee_percent: null;
  automatic_tax: { enabled: boolean };
  billing_cycle_anchor: number;
  billing_thresholds: null;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: { comment: string | null; feedback: string | null; reason: string | null };
  collection_method: 'charge_automatically' | 'send_invoice';
  created: number;
  currency: string;
  current_period_end: number;
  current_period_start: number;
  /** A customer id, or the customer object when expanded. */
  customer: string | StripeCustomer;
  days_until_due: number | null;
  default_payment_method: string | null;
  default_source: string | null;
  default_tax_rates: unknown[];
  description: string | null;
  discount: null;
  ended_at: number | null;
  items: StripeList<StripeSubscriptionItem>;
  /** An invoice id, or the invoice object when expanded. */
  latest_invoice: string | StripeInvoice | null;
  livemode: false;
  metadata: Record<string, string>;
  next_pending_invoice_item_invoice: number | null;
  on_behalf_of: null;
  pause_collection: null;
  payment_settings: { payment_method_options: null; payment_method_types: null; save_default_payment_method: 'off' | 'on_subscription' | null };
  pending_invoice_item_interval: null;
  pending_setup_intent: null;
  pending_update: null;
  schedule: null;
  start_date: number;
  status: StripeSubscriptionStatus;
  test_clock: null;
  transfer_data: null;
  trial_end: number | null;
  trial_settings: { end_behavior: { missing_payment_method: 'cancel' | 'create_invoice' | 'pause' } };
  trial_start: number | null;
}

export interface StripeInvoiceLine {
  id: string;
  object: 'line_item';
  amount: number;
  amount_excluding_tax: number;
  currency: string;
  description: string | null;
  discount_amounts: unknown[];
  discountable: boolean;
  discounts: unknown[];
  livemode: false;
  metadata: Record<string, string>;
  period: { end: number; start: number };
  price: StripePrice;
  proration: boolean;
  proration_details: { credited_items: null };
  quantity: number;
  subscription: string | null;
  subscription_item: string;
  tax_amounts: unknown[];
  tax_rates: unknown[];
  type: 'subscription' | 'invoiceitem';
  unit_amount_excluding_tax: string;
}

export interface StripeInvoice {
  id: string;
  object: 'invoice';
  account_country: string;
  account_name: string | null;
  account_tax_ids: null;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  amount_shipping: number;
  application: null;
  application_fee_amount: null;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatic_tax: { enabled: boolean; status: null };
  billing_reason: 'subscription_create' | 'subscription_cycle' | 'manual';
  charge: string | null;
  collection_method: 'charge_automatically' | 'send_invoice';
  created: number;
  currency: string;
  custom_fields: null;
  /** A customer id, or the customer object when expanded. */
  customer: string | StripeCustomer;
  customer_address: null;
  customer_email: string | null;
  customer_name: string | null;
  customer_phone: string | null;
  customer_shipping: null;
  customer_tax_exempt: 'none';
  customer_tax_ids: unknown[];
  default_payment_method: null;
  default_source: null;
  default_tax_rates: unknown[];
  description: string | null;
  discount: null;
  discounts: unknown[];
  due_date: number | null;
  effective_at: number | null;
  ending_balance: number | null;
  footer: null;
  from_invoice: null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  last_finalization_error: null;
  latest_revision: null;
  lines: StripeList<StripeInvoiceLine>;
  livemode: false;
  metadata: Record<string, string>;
  next_payment_attempt: number | null;
  number: string | null;
  on_behalf_of: null;
  paid: boolean;
  paid_out_of_band: boolean;
  payment_intent: null;
  payment_settings: { default_mandate: null; payment_method_options: null; payment_method_types: null };
  period_end: number;
  period_start: number;
  post_payment_credit_notes_amount: number;
  pre_payment_credit_notes_amount: number;
  quote: null;
  receipt_number: null;
  rendering_options: null;
  shipping_cost: null;
  shipping_details: null;
  starting_balance: number;
  statement_descriptor: null;
  status: StripeInvoiceStatus;
  status_transitions: { finalized_at: number | null; marked_uncollectible_at: number | null; paid_at: number | null; voided_at: number | null };
  /** A subscription id, or the subscription object when expanded. */
  subscription: string | StripeSubscription | null;
  subscription_details: { metadata: Record<string, string> | null };
  subtotal: number;
  subtotal_excluding_tax: number;
  tax: number | null;
  test_clock: null;
  total: number;
  total_discount_amounts: unknown[];
  total_excluding_tax: number;
  total_tax_amounts: unknown[];
  transfer_data: null;
  webhooks_delivered_at: number | null;
}

/** Adds whole billing intervals to an epoch-seconds instant, on the UTC calendar like Stripe. */
export function addIntervals(epochSeconds: number, interval: StripeInterval, count: number): number {
  const date = new Date(epochSeconds * 1000);
  const day = date.getUTCDate();
  if (interval === 'year') date.setUTCFullYear(date.getUTCFullYear() + count, date.getUTCMonth(), 1);
  else date.setUTCMonth(date.getUTCMonth() + count, 1);
  // Clamp to the month's last day: Jan 31 + 1 month is Feb 28/29, as Stripe bills it.
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return Math.floor(date.getTime() / 1000);
}
