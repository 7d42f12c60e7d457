import { normaliseEmail, type FieldChange, type FieldValue, type SystemName, type SystemRecord } from '../../domain/records.ts';
import type { StripeCustomer, StripeInvoice, StripeSubscription } from './schemas.ts';

/**
 * One Stripe record per customer (object `customers`, id `cus_...`). Its normalised fields:
 *
 * | field                 | value                                                                                   |
 * |-----------------------|-----------------------------------------------------------------------------------------|
 * | `subscription_status` | status of the customer's most relevant subscription (see {@link chooseSubscription}); null when none |
 * | `subscription_id`     | that subscription's id; null when none                                                  |
 * | `subscription_amount` | sum of its items' `price.unit_amount × quantity`, in major units (¥1200 → 1200, $12.00 → 12); null when none or when a price has no per-unit amount (tiered) |
 * | `currency`            | the subscription's currency, else the customer's; lower-case ISO code or null           |
 * | `invoice_status`      | that subscription's latest invoice status (draft, open, paid, uncollectible, void); null when none or not expanded |
 * | `email`               | the customer's email, normalised (trimmed, lower-case)                                  |
 * | `name`                | the customer's name                                                                     |
 * | `metadata.<key>`      | the customer's metadata value, for any such field asked for; null when unset            |
 *
 * `refs[crmSystem]` is `metadata.crm_id`. History has no author in Stripe (`changedBy: 'unknown'`);
 * `changedAt` is the best time the objects give (see {@link statusChangedAt}).
 */
export const STRIPE_CUSTOMER_FIELDS = [
  'subscription_status', 'subscription_id', 'subscription_amount', 'currency', 'invoice_status', 'email', 'name',
] as const;

export const SUBSCRIPTION_STATUSES = [
  'active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete', 'canceled', 'incomplete_expired',
] as const;

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

/** Currencies Stripe counts in whole units (https://docs.stripe.com/currencies#zero-decimal). */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
/** Currencies Stripe counts in thousandths (https://docs.stripe.com/currencies#three-decimal). */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export interface StripeMapContext {
  /** The CRM whose id `metadata.crm_id` holds. */
  crmSystem: SystemName;
  /** `https://dashboard.stripe.com/test` for test keys, `https://dashboard.stripe.com` otherwise. */
  dashboardUrl: string;
  /** Now, in ms: a trial end in the future is not a change yet. */
  now: number;
}

/** Minor units to major units for `currency`. */
export function toMajorUnits(minor: number, currency: string): number {
  const code = currency.toLowerCase();
  const divisor = ZERO_DECIMAL.has(code) ? 1 : THREE_DECIMAL.has(code) ? 1000 : 100;
  // Rounding drops float noise from fractional unit amounts (`unit_amount_decimal`).
  return Math.round((minor / divisor) * 1e9) / 1e9;
}

function statusRank(status: string): number {
  const rank = (SUBSCRIPTION_STATUSES as readonly string[]).indexOf(status);
  // A status Stripe adds later ranks last, but still counts as a subscription.
  return rank === -1 ? SUBSCRIPTION_STATUSES.length : rank;
}

/**
 * The subscription that speaks for the customer: the best status (active > trialing > past_due >
 * unpaid > paused > incomplete > canceled > incomplete_expired), ties to the newest `created`.
 */
export function chooseSubscription(subscriptions: readonly StripeSubscription[]): StripeSubscription | null {
  let best: StripeSubscription | null = null;
  for (const candidate of subscriptions) {
    if (best === null) {
      best = candidate;
      continue;
    }
    const byStatus = statusRank(candidate.status) - statusRank(best.status);
    if (byStatus < 0 || (byStatus === 0 && candidate.created > best.created)) best = candidate;
  }
  return best;
}

/** Sum of the items' unit amount × quantity, in major units; null when an item has no per-unit amount. */
export function subscriptionAmount(subscription: StripeSubscription): number | null {
  let minor = 0;
  for (const item of subscription.items.data) {
    const unit = item.price.unit_amount ?? (item.price.unit_amount_decimal != null ? Number(item.price.unit_amount_decimal) : null);
    if (unit === null || !Number.isFinite(unit)) return null;
    minor += unit * (item.quantity ?? 1);
  }
  return toMajorUnits(minor, subscription.currency);
}

/** Start of the current period: on the subscription before API 2025-03-31, on its items after. */
export function periodStart(subscription: StripeSubscription): number | null {
  if (subscription.current_period_start !== undefined) return subscription.current_period_start;
  const starts = subscription.items.data.map((item) => item.current_period_start).filter((s): s is number => s !== undefined);
  return starts.length > 0 ? Math.max(...starts) : null;
}

function latestInvoice(subscription: StripeSubscription): StripeInvoice | null {
  const invoice = subscription.latest_invoice;
  return invoice != null && typeof invoice === 'object' ? invoice : null;
}

const ms = (seconds: number | null | undefined): number | null => (seconds == null ? null : seconds * 1000);

/**
 * When the subscription took its current status, as far as the object tells:
 * canceled / incomplete_expired: `ended_at ?? canceled_at`; active: the trial's end when a trial
 * has ended, else `start_date`; trialing: `start_date`; any other: `current_period_start`.
 */
export function statusChangedAt(subscription: StripeSubscription, nowMs: number): number | null {
  switch (subscription.status) {
    case 'canceled':
    case 'incomplete_expired':
      return ms(subscription.ended_at ?? subscription.canceled_at);
    case 'active': {
      const trialEnd = ms(subscription.trial_end);
      return trialEnd !== null && trialEnd <= nowMs ? trialEnd : ms(subscription.start_date);
    }
    case 'trialing':
      return ms(subscription.start_date);
    default:
      return ms(periodStart(subscription));
  }
}

/**
 * What a customer's record needs of one subscription, without the vendor payload: a full pass
 * keeps one of these per customer while it pages through every subscription.
 */
export interface SubscriptionSummary {
  id: string;
  status: string;
  created: number;
  amount: number | null;
  currency: string;
  invoiceStatus: string | null;
  statusChangedAt: number | null;
  amountChangedAt: number | null;
  /** Newest change either the subscription or its latest invoice shows, ms. */
  lastChangeAt: number | null;
}

export function summarizeSubscription(subscription: StripeSubscription, nowMs: number): SubscriptionSummary {
  return {
    id: subscription.id,
    status: subscription.status,
    created: subscription.created,
    amount: subscriptionAmount(subscription),
    currency: subscription.currency,
    invoiceStatus: latestInvoice(subscription)?.status ?? null,
    statusChangedAt: statusChangedAt(subscription, nowMs),
    amountChangedAt: ms(periodStart(subscription) ?? subscription.created),
    lastChangeAt: subscriptionLastChange(subscription, nowMs),
  };
}

/** Of two subscriptions of one customer, the one that speaks for it (see {@link chooseSubscription}). */
export function betterSubscription<T extends { status: string; created: number }>(current: T | null, candidate: T): T {
  if (current === null) return candidate;
  const byStatus = statusRank(candidate.status) - statusRank(current.status);
  return byStatus < 0 || (byStatus === 0 && candidate.created > current.created) ? candidate : current;
}

function subscriptionLastChange(subscription: StripeSubscription, nowMs: number): number | null {
  const invoice = latestInvoice(subscription);
  const own = newest(nowMs, [
    subscription.created, subscription.start_date, periodStart(subscription), subscription.canceled_at,
    subscription.ended_at, subscription.trial_start, subscription.trial_end,
  ]);
  const invoiceAt = invoice ? invoiceLastChange(invoice, nowMs) : null;
  return own === null ? invoiceAt : invoiceAt === null ? own : Math.max(own, invoiceAt);
}

/** The newest change an invoice shows (created, finalized, paid, voided, marked uncollectible), ms. */
export function invoiceLastChange(invoice: StripeInvoice, nowMs: number): number | null {
  return newest(nowMs, [
    invoice.created, invoice.status_transitions?.finalized_at, invoice.status_transitions?.paid_at,
    invoice.status_transitions?.voided_at, invoice.status_transitions?.marked_uncollectible_at,
  ]);
}

/** The newest of some times in seconds, as ms, ignoring times still in the future. */
function newest(nowMs: number, candidates: (number | null | undefined)[]): number | null {
  let latest: number | null = null;
  for (const seconds of candidates) {
    const at = ms(seconds);
    if (at !== null && at <= nowMs && (latest === null || at > latest)) latest = at;
  }
  return latest;
}

/** Builds the customer's record from the raw customer and all of its subscriptions. */
export function toCustomerRecord(
  customer: StripeCustomer,
  subscriptions: readonly StripeSubscription[],
  fields: readonly string[],
  context: StripeMapContext,
): SystemRecord {
  const chosen = chooseSubscription(subscriptions);
  return customerRecord(customer, chosen ? summarizeSubscription(chosen, context.now) : null, fields, context);
}

/** Builds the customer's record from the raw customer and the summary of the subscription that speaks for it. */
export function customerRecord(
  customer: StripeCustomer,
  subscription: SubscriptionSummary | null,
  fields: readonly string[],
  context: StripeMapContext,
): SystemRecord {
  const email = normaliseEmail(customer.email);
  const metadata = customer.metadata ?? {};

  const values: Record<string, FieldValue> = {
    subscription_status: subscription?.status ?? null,
    subscription_id: subscription?.id ?? null,
    subscription_amount: subscription?.amount ?? null,
    currency: subscription?.currency ?? customer.currency ?? null,
    invoice_status: subscription?.invoiceStatus ?? null,
    email,
    name: customer.name ?? null,
  };
  for (const field of fields) {
    if (field.startsWith('metadata.')) values[field] = metadata[field.slice('metadata.'.length)] ?? null;
    else if (!(field in values)) values[field] = null;
  }

  const history: Record<string, FieldChange> = {};
  if (subscription) {
    history.subscription_status = { changedAt: subscription.statusChangedAt, changedBy: 'unknown' };
    history.subscription_amount = { changedAt: subscription.amountChangedAt, changedBy: 'unknown' };
  }

  const crmId = metadata.crm_id?.trim();
  const created = ms(customer.created);
  const updatedAt = created !== null && created <= context.now
    ? Math.max(created, subscription?.lastChangeAt ?? created)
    : subscription?.lastChangeAt ?? null;
  return {
    system: 'stripe',
    object: 'customers',
    id: customer.id,
    fields: values,
    email,
    refs: crmId ? { [context.crmSystem]: crmId } : {},
    aliases: [],
    updatedAt,
    history,
    url: `${context.dashboardUrl}/customers/${customer.id}`,
  };
}

/** The id of the customer a subscription belongs to, expanded or not. */
export function subscriptionCustomerId(subscription: StripeSubscription): string {
  return typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
}

/** `https://dashboard.stripe.com/test` for test-mode keys. */
export function dashboardUrlFor(secretKey: string): string {
  return /^(sk|rk)_test_/.test(secretKey) ? 'https://dashboard.stripe.com/test' : 'https://dashboard.stripe.com';
}
