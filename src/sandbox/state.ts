/**
 * The sandbox's in-memory world: Stripe, HubSpot and GoHighLevel records, and the log of writes the servers
 * applied. Pure: no I/O and no clock; callers pass every timestamp, ids come from counters so a
 * seeded run is reproducible.
 */
import { createHash } from 'node:crypto';
import { buildCustomer, buildInvoice, buildPrice, buildSubscription, currentPeriod, defaultInvoiceStatus } from './stripe-builders.ts';
import { stripeLikeId, STRIPE_ID_LENGTH } from './ids.ts';
import type { StripeIdPrefix } from './ids.ts';
import { createCalendarState, type CalendarState } from './google-calendar-state.ts';
import { defaultDealPipeline, LAST_MODIFIED_PROPERTY } from './hubspot-objects.ts';
import type { HubSpotHistoryEntry, HubSpotObject, HubSpotObjectType, HubSpotPipeline } from './hubspot-objects.ts';
import { createGoHighLevelState } from './gohighlevel-objects.ts';
import type { GoHighLevelState } from './gohighlevel-objects.ts';
import type {
  StripeCustomer, StripeInvoice, StripeInvoiceStatus, StripeSubscription, StripeSubscriptionStatus,
} from './stripe-objects.ts';

/** An event of the Events API (`/v1/events`), as Stripe shapes it. */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export type * from './stripe-objects.ts';
export type * from './hubspot-objects.ts';
export type * from './gohighlevel-objects.ts';

/** A Stripe response kept under its `Idempotency-Key`, replayed when the same key comes back. */
export interface StoredIdempotentResponse {
  method: string;
  path: string;
  /** The request's parameters, canonicalised, to tell a replay from a misuse of the key. */
  fingerprint: string;
  status: number;
  /** The response body as JSON text: a replay shows the object as it was, not as it is now. */
  json: string;
}

export interface SandboxWrite {
  system: 'stripe' | 'hubspot' | 'gohighlevel';
  object: string;
  id: string;
  properties: Record<string, unknown>;
  /** Epoch milliseconds. */
  at: number;
}

export interface SandboxState {
  stripe: {
    customers: Map<string, StripeCustomer>;
    subscriptions: Map<string, StripeSubscription>;
    invoices: Map<string, StripeInvoice>;
    idempotency: Map<string, StoredIdempotentResponse>;
    /** Events of changes made after the world was seeded, as the Events API lists them (newest first by `created`). */
    events: Map<string, StripeEvent>;
    /** Counter behind generated Stripe ids. */
    sequence: number;
  };
  hubspot: {
    portalId: number;
    appId: number;
    deals: Map<string, HubSpotObject>;
    contacts: Map<string, HubSpotObject>;
    pipelines: HubSpotPipeline[];
  };
  /** One GoHighLevel location (sub-account): its pipelines, opportunities, contacts and custom fields. */
  gohighlevel: GoHighLevelState;
  /** Google Calendar: the calendar of bookings, its sync tokens and who may read it (google-calendar-state.ts). */
  calendar: CalendarState;
  /** Every write the servers applied, in order: used by tests to prove each record was written once. */
  writes: SandboxWrite[];
}

// Kept beside the state rather than in it, so `state.hubspot` has exactly the shape others rely on.
const hubspotSequence = new WeakMap<SandboxState, number>();

/** A change made after seeding that a vendor would report by webhook. */
export type SandboxChange =
  | { system: 'stripe'; event: StripeEvent }
  | {
    system: 'hubspot'; objectType: HubSpotObjectType; id: string;
    /** The properties whose value changed, with their new values. */
    changes: { name: string; value: string | null }[];
    /** Epoch milliseconds. */
    at: number;
    by: 'integration' | 'person';
  };

/** Must not throw: it runs inside the change, before the API answers. */
export type SandboxObserver = (change: SandboxChange) => void;

// Beside the state for the same reason: observers (the webhook sender) are not part of the world.
const observers = new WeakMap<SandboxState, Set<SandboxObserver>>();

/** Calls `observer` with each Stripe event recorded and each HubSpot update applied from now on; returns the way to stop. */
export function observeSandbox(state: SandboxState, observer: SandboxObserver): () => void {
  let set = observers.get(state);
  if (!set) observers.set(state, (set = new Set()));
  set.add(observer);
  return () => {
    set.delete(observer);
  };
}

function notify(state: SandboxState, change: SandboxChange): void {
  for (const observer of observers.get(state) ?? []) observer(change);
}

export function createSandboxState(options: { portalId?: number; appId?: number } = {}): SandboxState {
  return {
    stripe: { customers: new Map(), subscriptions: new Map(), invoices: new Map(), idempotency: new Map(), events: new Map(), sequence: 0 },
    hubspot: {
      portalId: options.portalId ?? 4242,
      appId: options.appId ?? 1010,
      deals: new Map(),
      contacts: new Map(),
      pipelines: [defaultDealPipeline()],
    },
    gohighlevel: createGoHighLevelState(),
    calendar: createCalendarState(),
    writes: [],
  };
}

function nextStripeId(state: SandboxState, prefix: StripeIdPrefix): string {
  state.stripe.sequence += 1;
  return stripeLikeId(prefix, state.stripe.sequence, STRIPE_ID_LENGTH[prefix]);
}

function nextHubSpotId(state: SandboxState, taken: Map<string, HubSpotObject>): string {
  let next = hubspotSequence.get(state) ?? 10_000;
  do next += 1; while (taken.has(String(next)));
  hubspotSequence.set(state, next);
  return String(next);
}

function claim<T>(map: Map<string, T>, id: string, what: string): string {
  if (map.has(id)) throw new Error(`sandbox: ${what} ${id} already exists; pass another id or none`);
  return id;
}

export function addStripeCustomer(state: SandboxState, input: {
  id?: string; email: string | null; name?: string | null; metadata?: Record<string, string>; created: number;
}): StripeCustomer {
  const id = claim(state.stripe.customers, input.id ?? nextStripeId(state, 'cus'), 'Stripe customer');
  const invoicePrefix = createHash('sha256').update(id).digest('hex').slice(0, 8).toUpperCase();
  const customer = buildCustomer({
    id, email: input.email, name: input.name ?? null, metadata: input.metadata ?? {}, created: input.created, invoicePrefix,
  });
  state.stripe.customers.set(id, customer);
  return customer;
}

/**
 * Adds a subscription with one item and its latest invoice (`latest_invoice` holds the invoice id).
 * `currentPeriodStart` is an extension: without it the current period is the trial, the period the
 * subscription ended in, or its first period.
 */
export function addStripeSubscription(state: SandboxState, input: {
  id?: string; customer: string; status: StripeSubscriptionStatus; unitAmount: number; quantity?: number;
  currency?: string; interval?: 'month' | 'year'; created: number; startDate?: number; canceledAt?: number | null;
  endedAt?: number | null; trialEnd?: number | null; invoiceStatus?: StripeInvoiceStatus; currentPeriodStart?: number;
}): StripeSubscription {
  const customer = state.stripe.customers.get(input.customer);
  if (!customer) throw new Error(`sandbox: subscription for unknown Stripe customer ${input.customer}; add the customer first`);
  const id = claim(state.stripe.subscriptions, input.id ?? nextStripeId(state, 'sub'), 'Stripe subscription');
  const interval = input.interval ?? 'month';
  const startDate = input.startDate ?? input.created;
  const quantity = input.quantity ?? 1;
  const trialEnd = input.trialEnd ?? null;
  const endedAt = input.endedAt ?? null;
  const period = currentPeriod({
    anchor: startDate, interval, status: input.status, trialEnd, endedAt, currentPeriodStart: input.currentPeriodStart,
  });
  const price = buildPrice({
    id: nextStripeId(state, 'price'), product: nextStripeId(state, 'prod'), unitAmount: input.unitAmount,
    currency: input.currency ?? 'usd', interval, created: input.created,
  });
  const invoiceId = nextStripeId(state, 'in');
  const subscription = buildSubscription({
    id, itemId: nextStripeId(state, 'si'), customer: customer.id, status: input.status, price, quantity,
    created: input.created, startDate, canceledAt: input.canceledAt ?? null, endedAt, trialEnd, period,
    latestInvoice: invoiceId,
  });
  const invoiceStatus = input.invoiceStatus ?? defaultInvoiceStatus(input.status);
  const number = invoiceStatus === 'draft'
    ? null
    : `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`;
  const invoice = buildInvoice({
    id: invoiceId, lineId: nextStripeId(state, 'il'), customer, subscription, status: invoiceStatus,
    // A trial's invoice is for nothing, as Stripe issues it.
    amount: input.status === 'trialing' ? 0 : input.unitAmount * quantity,
    created: Math.max(period.start, input.created), number,
    billingReason: period.start === startDate ? 'subscription_create' : 'subscription_cycle',
  });
  customer.currency ??= price.currency;
  if (input.status === 'past_due' || input.status === 'unpaid') customer.delinquent = true;
  state.stripe.subscriptions.set(id, subscription);
  state.stripe.invoices.set(invoiceId, invoice);
  return subscription;
}

function initialHistory(
  properties: Record<string, string | null>, createdAt: string, given: Record<string, HubSpotHistoryEntry[]> = {},
): Record<string, HubSpotHistoryEntry[]> {
  const history: Record<string, HubSpotHistoryEntry[]> = {};
  for (const [name, entries] of Object.entries(given)) history[name] = entries.map((entry) => ({ ...entry }));
  for (const [name, value] of Object.entries(properties)) {
    if (value !== null && !history[name]) history[name] = [{ value, timestamp: createdAt, sourceType: 'CRM_UI' }];
  }
  return history;
}

function addHubSpotObject(state: SandboxState, type: HubSpotObjectType, input: {
  id?: string; properties: Record<string, string | null>; contactIds?: string[]; createdAt: string;
  history?: Record<string, HubSpotHistoryEntry[]>;
}): HubSpotObject {
  const map = state.hubspot[type];
  const id = claim(map, input.id ?? nextHubSpotId(state, map), `HubSpot ${type}`);
  const properties: Record<string, string | null> = { ...input.properties };
  for (const [name, entries] of Object.entries(input.history ?? {})) {
    if (!(name in properties) && entries[0]) properties[name] = entries[0].value;
  }
  const history = initialHistory(properties, input.createdAt, input.history);
  let newest = input.createdAt;
  for (const entries of Object.values(history)) {
    const latest = entries[0]?.timestamp;
    if (latest !== undefined && latest !== newest && Date.parse(latest) > Date.parse(newest)) newest = latest;
  }
  const lastModified = LAST_MODIFIED_PROPERTY[type];
  const maintained = { hs_object_id: id, createdate: input.createdAt, [lastModified]: newest };
  for (const [name, value] of Object.entries(maintained)) {
    properties[name] = value;
    history[name] = [{ value, timestamp: name === lastModified ? newest : input.createdAt, sourceType: 'CALCULATED' }];
  }
  const record: HubSpotObject = {
    id, properties, history, associations: { contacts: [...(input.contactIds ?? [])] },
    createdAt: input.createdAt, updatedAt: newest, archived: false,
  };
  map.set(id, record);
  return record;
}

export function addHubSpotContact(state: SandboxState, input: {
  id?: string; email: string | null; firstname?: string; lastname?: string; createdAt: string;
}): HubSpotObject {
  const properties: Record<string, string | null> = { email: input.email };
  if (input.firstname !== undefined) properties.firstname = input.firstname;
  if (input.lastname !== undefined) properties.lastname = input.lastname;
  return addHubSpotObject(state, 'contacts', { id: input.id, properties, createdAt: input.createdAt });
}

/** Properties without a given history get one entry `{ value, timestamp: createdAt, sourceType: 'CRM_UI' }`. */
export function addHubSpotDeal(state: SandboxState, input: {
  id?: string; properties: Record<string, string | null>; contactIds?: string[]; createdAt: string;
  history?: Record<string, HubSpotHistoryEntry[]>;
}): HubSpotObject {
  return addHubSpotObject(state, 'deals', input);
}

/**
 * Applies one update as an integration would: each changed property gets a newest history entry
 * `{ sourceType: 'INTEGRATION', sourceId: appId }`, and the object's modification time moves on.
 * `by: 'person'` records it as an edit in HubSpot's web app (`CRM_UI`) instead.
 */
export function applyHubSpotUpdate(
  state: SandboxState, type: HubSpotObjectType, record: HubSpotObject, changes: Record<string, string | null>, at: Date, by: 'integration' | 'person' = 'integration',
): void {
  const timestamp = at.toISOString();
  const changed: { name: string; value: string | null }[] = [];
  for (const [name, value] of Object.entries(changes)) {
    const normalised = value === '' ? null : value;
    if ((record.properties[name] ?? null) === normalised) continue;
    record.properties[name] = normalised;
    const entry: HubSpotHistoryEntry = by === 'person'
      ? { value: normalised ?? '', timestamp, sourceType: 'CRM_UI', updatedByUserId: 7001 }
      : { value: normalised ?? '', timestamp, sourceType: 'INTEGRATION', sourceId: String(state.hubspot.appId) };
    record.history[name] = [entry, ...(record.history[name] ?? [])];
    changed.push({ name, value: normalised });
  }
  if (changed.length === 0) return;
  const lastModified = LAST_MODIFIED_PROPERTY[type];
  record.updatedAt = timestamp;
  record.properties[lastModified] = timestamp;
  record.history[lastModified] = [{ value: timestamp, timestamp, sourceType: 'CALCULATED' }, ...(record.history[lastModified] ?? [])];
  notify(state, { system: 'hubspot', objectType: type, id: record.id, changes: changed, at: at.getTime(), by });
}

/** Applies a Stripe customer update: `metadata` merges (an empty value unsets a key), `''` clears a field. */
export function applyStripeCustomerUpdate(customer: StripeCustomer, changes: {
  email?: string; name?: string; description?: string; phone?: string; metadata?: Record<string, string> | '';
}): void {
  if (changes.email !== undefined) customer.email = changes.email === '' ? null : changes.email;
  if (changes.name !== undefined) customer.name = changes.name === '' ? null : changes.name;
  if (changes.description !== undefined) customer.description = changes.description === '' ? null : changes.description;
  if (changes.phone !== undefined) customer.phone = changes.phone === '' ? null : changes.phone;
  if (changes.metadata === '') customer.metadata = {};
  else if (changes.metadata) {
    for (const [key, value] of Object.entries(changes.metadata)) {
      if (value === '') delete customer.metadata[key];
      else customer.metadata[key] = value;
    }
  }
}

/**
 * Records an event of a change, with the object as it is after the change (a copy: later changes
 * do not reach it), as Stripe keeps them for the Events API and sends them to webhooks.
 */
export function recordStripeEvent(
  state: SandboxState, type: string, object: object, at: number, previous?: Record<string, unknown>,
): StripeEvent {
  const id = nextStripeId(state, 'evt');
  const event: StripeEvent = {
    id, object: 'event', api_version: '2023-08-16', created: Math.floor(at / 1000),
    data: { object: JSON.parse(JSON.stringify(object)) as Record<string, unknown>, ...(previous ? { previous_attributes: previous } : {}) },
    livemode: false, pending_webhooks: 0, request: { id: null, idempotency_key: null }, type,
  };
  state.stripe.events.set(id, event);
  notify(state, { system: 'stripe', event });
  return event;
}

/**
 * Changes a subscription as Stripe would (a cancellation, a payment that failed, a renewal) and
 * records its event: `customer.subscription.deleted` when it ends, else `.updated`.
 */
export function changeStripeSubscription(
  state: SandboxState, id: string, changes: { status?: StripeSubscriptionStatus; unitAmount?: number }, at: number,
): StripeSubscription {
  const subscription = state.stripe.subscriptions.get(id);
  if (!subscription) throw new Error(`sandbox: no Stripe subscription ${id}`);
  const previous: Record<string, unknown> = {};
  if (changes.status && changes.status !== subscription.status) {
    previous.status = subscription.status;
    subscription.status = changes.status;
    if (changes.status === 'canceled') {
      subscription.canceled_at = Math.floor(at / 1000);
      subscription.ended_at = Math.floor(at / 1000);
    }
  }
  if (changes.unitAmount !== undefined) {
    const item = subscription.items.data[0];
    if (item) {
      previous.items = JSON.parse(JSON.stringify(subscription.items)) as unknown;
      item.price.unit_amount = changes.unitAmount;
      item.price.unit_amount_decimal = String(changes.unitAmount);
    }
  }
  recordStripeEvent(state, subscription.status === 'canceled' ? 'customer.subscription.deleted' : 'customer.subscription.updated', subscription, at, previous);
  return subscription;
}
