/**
 * What the Stripe connector knows of each customer: the last full pass, brought up to date by the
 * objects that Events API pages carry (`data.object`, the object as it was when the event
 * happened). Pure: no I/O and no clock.
 *
 * An incremental pass reads the events since its cursor. The newest event of each object gives
 * that object's state, so a changed subscription, customer or invoice comes with the event pages.
 * What the events do not give (a customer's other subscriptions, the customer behind a
 * subscription event) is taken from the last full pass, which read every customer and every
 * subscription. It is valid only while every event since that pass has been applied to it: see
 * {@link KnownCustomers.through}.
 */
import type { SystemRecord } from '../../domain/records.ts';
import {
  betterSubscription, customerRecord, invoiceLastChange, subscriptionCustomerId, summarizeSubscription, type StripeMapContext, type SubscriptionSummary,
} from './mappers.ts';
import {
  stripeCustomerSchema, stripeInvoiceSchema, stripeSubscriptionSchema, type StripeCustomer, type StripeEvent, type StripeInvoice, type StripeSubscription,
} from './schemas.ts';

/** One subscription as a record needs it, with its latest invoice's id and when that invoice last changed. */
export interface KnownSubscription extends SubscriptionSummary {
  latestInvoiceId: string | null;
  invoiceChangedAt: number | null;
}

/** One customer, trimmed to what a record reads, with every subscription it has. */
export interface KnownCustomer {
  customer: StripeCustomer;
  subscriptions: KnownSubscription[];
}

export interface KnownCustomers {
  customers: Map<string, KnownCustomer>;
  /**
   * Seconds: every event created at or before this (since the full pass began) has been applied.
   * An incremental pass may use what is known only when its cursor starts at or before this;
   * events between would be missing.
   */
  through: number;
}

/** The newest object of each id among some events, as the events carried them. */
export interface NewestObjects {
  /** `deleted` when the newest event of the customer is `customer.deleted`. */
  customers: Map<string, StripeCustomer | 'deleted'>;
  subscriptions: Map<string, StripeSubscription>;
  invoices: Map<string, StripeInvoice & { subscriptionId: string | null; customerId: string | null }>;
}

const idOf = (value: unknown): string | null => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return null;
};

/** Keeps only what a customer's record reads: a full pass holds one per customer. */
export function trimCustomer(customer: StripeCustomer): StripeCustomer {
  return {
    id: customer.id, object: 'customer', created: customer.created, email: customer.email ?? null, name: customer.name ?? null,
    currency: customer.currency ?? null, metadata: customer.metadata ?? {},
  };
}

/** A subscription as the connector keeps it; `latest_invoice` expanded or not. */
export function knownSubscription(subscription: StripeSubscription, nowMs: number): KnownSubscription {
  const invoice = subscription.latest_invoice;
  return {
    ...summarizeSubscription(subscription, nowMs),
    latestInvoiceId: idOf(invoice),
    invoiceChangedAt: invoice && typeof invoice === 'object' ? invoiceLastChange(invoice, nowMs) : null,
  };
}

/**
 * The newest object of each customer, subscription and invoice among `events`, which the Events
 * API lists newest first: the first event of an object is its newest. Objects that do not parse
 * as Recon reads them are left out (the customer is then read instead).
 */
export function newestObjects(events: readonly StripeEvent[]): NewestObjects {
  const newest: NewestObjects = { customers: new Map(), subscriptions: new Map(), invoices: new Map() };
  for (const event of events) {
    const object = event.data.object as { object: string; id?: string };
    const id = object.id;
    if (id === undefined) continue;
    if (object.object === 'customer' && !newest.customers.has(id)) {
      if (event.type === 'customer.deleted') newest.customers.set(id, 'deleted');
      else {
        const parsed = stripeCustomerSchema.safeParse(object);
        if (parsed.success) newest.customers.set(id, parsed.data);
      }
    } else if (object.object === 'subscription' && !newest.subscriptions.has(id)) {
      const parsed = stripeSubscriptionSchema.safeParse(object);
      if (parsed.success) newest.subscriptions.set(id, parsed.data);
    } else if (object.object === 'invoice' && !newest.invoices.has(id)) {
      const parsed = stripeInvoiceSchema.safeParse(object);
      const raw = object as { subscription?: unknown; customer?: unknown };
      if (parsed.success) newest.invoices.set(id, { ...parsed.data, subscriptionId: idOf(raw.subscription), customerId: idOf(raw.customer) });
    }
  }
  return newest;
}

/** What became of one customer once the events are applied. */
export type Outcome =
  | { kind: 'known'; entry: KnownCustomer }
  | { kind: 'deleted' }
  /** The events and what is known do not say it all: the customer must be read. */
  | { kind: 'lacking'; what: string };

/**
 * Applies the newest objects of the events to what is known of customer `id`. A subscription
 * event's latest invoice comes from the invoice's own event, or from what is known when it is the
 * same invoice; an invoice event updates the subscription whose latest invoice it is.
 */
export function applyEvents(known: KnownCustomer | undefined, id: string, newest: NewestObjects, nowMs: number): Outcome {
  const fromEvent = newest.customers.get(id);
  if (fromEvent === 'deleted') return { kind: 'deleted' };
  const customer = fromEvent ? trimCustomer(fromEvent) : known?.customer;
  if (!customer) return { kind: 'lacking', what: 'the customer' };
  const subscriptions = new Map((known?.subscriptions ?? []).map((s) => [s.id, s]));
  for (const subscription of newest.subscriptions.values()) {
    if (subscriptionCustomerId(subscription) !== id) continue;
    const before = subscriptions.get(subscription.id);
    const invoiceId = idOf(subscription.latest_invoice);
    const invoice = invoiceId === null ? null : newest.invoices.get(invoiceId);
    let next: KnownSubscription;
    if (invoiceId === null || typeof subscription.latest_invoice === 'object') next = knownSubscription(subscription, nowMs);
    else if (invoice) next = knownSubscription({ ...subscription, latest_invoice: invoice }, nowMs);
    else if (before && before.latestInvoiceId === invoiceId) {
      const summary = knownSubscription(subscription, nowMs);
      next = { ...summary, invoiceStatus: before.invoiceStatus, invoiceChangedAt: before.invoiceChangedAt, lastChangeAt: latest(summary.lastChangeAt, before.invoiceChangedAt) };
    } else return { kind: 'lacking', what: `invoice ${invoiceId} of ${subscription.id}` };
    subscriptions.set(subscription.id, next);
  }
  for (const invoice of newest.invoices.values()) {
    if (invoice.customerId !== id) continue;
    const subscription = invoice.subscriptionId === null ? undefined : subscriptions.get(invoice.subscriptionId);
    if (invoice.subscriptionId === null) continue;
    if (!subscription) return { kind: 'lacking', what: `subscription ${invoice.subscriptionId}` };
    // Another invoice of the subscription than its latest: an older one says nothing of the
    // record; a newer one would have come with the subscription's own event, so it must be read.
    if (subscription.latestInvoiceId !== invoice.id) {
      if (newest.subscriptions.has(subscription.id)) continue;
      return { kind: 'lacking', what: `the latest invoice of ${subscription.id}` };
    }
    if (newest.subscriptions.has(subscription.id)) continue;
    const changedAt = invoiceLastChange(invoice, nowMs);
    subscriptions.set(subscription.id, { ...subscription, invoiceStatus: invoice.status, invoiceChangedAt: changedAt, lastChangeAt: latest(subscription.lastChangeAt, changedAt) });
  }
  return { kind: 'known', entry: { customer, subscriptions: [...subscriptions.values()] } };
}

/** The customer's record from what is known of it. */
export function knownRecord(entry: KnownCustomer, fields: readonly string[], context: StripeMapContext): SystemRecord {
  let best: KnownSubscription | null = null;
  for (const subscription of entry.subscriptions) best = betterSubscription(best, subscription);
  return customerRecord(entry.customer, best, fields, context);
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
