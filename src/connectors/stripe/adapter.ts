import type Stripe from 'stripe';
import type { z } from 'zod';
import type { InboxEvent } from '../../domain/events.ts';
import type {
  CallOptions, ConnectionHealth, Connector, FieldWrite, ListOptions, ObjectDescription, ReadOptions, RecordPage, WriteOutcome,
} from '../../domain/ports.ts';
import type { SystemName, SystemRecord } from '../../domain/records.ts';
import { silentLogger, type Logger } from '../../log.ts';
import { chunk, mapConcurrent } from '../../util/concurrency.ts';
import { combineLimiters, type LimiterClock, type RateLimit, type RateLimiter } from '../../util/limiter.ts';
import { localLimiters, type LimiterFactory } from '../../util/shared-limiter.ts';
import { ApiError, withRetry, type RetryMode, type RetryOptions } from '../http/retry.ts';
import { parseRaw } from '../raw.ts';
import { createStripeClient, toApiError } from './client.ts';
import { applyEvents, knownRecord, knownSubscription, newestObjects, trimCustomer, type KnownCustomer, type KnownCustomers, type KnownSubscription } from './known.ts';
import {
  dashboardUrlFor, INVOICE_STATUSES, STRIPE_CUSTOMER_FIELDS, SUBSCRIPTION_STATUSES, subscriptionCustomerId, type StripeMapContext,
} from './mappers.ts';
import {
  stripeCustomerSchema, stripeDeletedCustomerSchema, stripeEventSchema, stripeListSchema, stripeSearchSchema, stripeSubscriptionSchema,
  type StripeCustomer, type StripeEvent,
} from './schemas.ts';

export interface StripeConnectorOptions {
  /** `STRIPE_SECRET_KEY` (`sk_test_...`, `sk_live_...`, or a restricted `rk_...` key). */
  secretKey: string;
  /** `STRIPE_API_URL`, e.g. `http://127.0.0.1:4010`; Stripe itself when absent. */
  apiUrl?: string | undefined;
  /** The CRM whose record id Stripe customers hold in `metadata.crm_id`. Default `hubspot`. */
  crmSystem?: SystemName;
  /** Default: Stripe's documented 25 requests/s in test mode, 100/s live. */
  rateLimit?: RateLimit | undefined;
  /** Each endpoint's own limit, on top of `rateLimit`. Default Stripe's 25 requests/s per endpoint; null for none. */
  endpointRateLimit?: RateLimit | null;
  /** A limiter shared with other users of the same key; built from `rateLimit` when absent. */
  limiter?: RateLimiter;
  /** Injected clock for the limiter built here (tests). */
  limiterClock?: Partial<LimiterClock>;
  /** Makes this connector's rate limiters: in this process (default) or shared by the replicas on one Postgres. */
  limiters?: LimiterFactory | undefined;
  /** Retry of failed requests: attempts, backoff, injected sleep and random (tests). */
  retry?: RetryOptions;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** Customers read at once by `read`. Default 8; the limiter still paces them. */
  readConcurrency?: number;
  /**
   * Keep what a full pass read (every customer, trimmed, with its subscriptions) so that the
   * incremental passes after it take changed objects from their events and call Stripe only for
   * the rest (see known.ts). Off by default: it holds about 1 KB per customer in the process
   * (at 100k customers it took the cycle bench's peak RSS from 323 to 659 MB above the embedded
   * database's footprint, past its 400 MB target) until that state is kept in the database.
   */
  rememberFullPass?: boolean;
  logger?: Logger;
  /** Now in ms, for "has the trial ended" and the age of a cursor. Default `Date.now`. */
  now?: () => number;
  /** A prebuilt SDK client (tests); built from `secretKey` and `apiUrl` when absent. */
  client?: Stripe;
}

const LIST_PATHS = { customers: '/v1/customers', subscriptions: '/v1/subscriptions', events: '/v1/events' } as const;
const EXPAND_INVOICE = ['data.latest_invoice'];
const PAGE_SIZE = 100;
/** Stripe keeps events for 30 days; a cursor older than this (with an hour to spare) means a full pass. */
export const EVENT_RETENTION_MS = 30 * 86_400_000 - 3_600_000;
/** A full pass's cursor starts this far before the pass, so an event and a clock a little apart are never missed. */
const CURSOR_MARGIN_SECONDS = 300;
/** How long after an incremental pass its counterparts may be answered from what it left known. */
const AS_LISTED_MS = 15 * 60_000;

/**
 * The events that change what a customer's record says: the customer itself, its subscriptions
 * and their invoices. Stripe filters by at most 20 types.
 */
export const CUSTOMER_EVENT_TYPES = [
  'customer.created', 'customer.updated', 'customer.deleted',
  'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted',
  'customer.subscription.paused', 'customer.subscription.resumed',
  'customer.subscription.pending_update_applied', 'customer.subscription.pending_update_expired',
  'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_failed', 'invoice.payment_succeeded',
  'invoice.voided', 'invoice.marked_uncollectible', 'invoice.updated',
] as const;

/** Where an incremental read resumes: events created at `t` (seconds) or later, except those already seen at `t`. */
interface EventCursor {
  t: number;
  ids: string[];
}

function parseCursor(text: string | null | undefined): EventCursor | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Partial<EventCursor>;
    if (typeof parsed.t === 'number' && Number.isFinite(parsed.t) && Array.isArray(parsed.ids)) return { t: parsed.t, ids: parsed.ids.map(String) };
  } catch {
    // An unreadable cursor is no cursor: a full pass follows.
  }
  return null;
}

const formatCursor = (cursor: EventCursor) => JSON.stringify(cursor);

function isTestKey(secretKey: string): boolean {
  return /^(sk|rk)_test_/.test(secretKey);
}

function label(status: string): string {
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A Stripe event as the fast loop stores it. */
export function toInboxEvent(event: StripeEvent): InboxEvent {
  const object = event.data.object as { object: string; id?: string };
  return {
    provider: 'stripe', eventId: event.id, type: event.type, objectType: object.object, objectId: object.id ?? null,
    occurredAt: event.created * 1000, payload: event,
  };
}

/** The customer an event is about, whatever object it carries. */
export function customerOfEvent(event: StripeEvent): string | null {
  const object = event.data.object as { object: string; id?: string; customer?: unknown };
  if (object.object === 'customer') return object.id ?? null;
  const customer = object.customer;
  if (typeof customer === 'string') return customer;
  if (customer && typeof customer === 'object' && typeof (customer as { id?: unknown }).id === 'string') return (customer as { id: string }).id;
  return null;
}

/**
 * Stripe as Recon's billing system: one record per customer, with the subscription that speaks for
 * it and that subscription's latest invoice. A full pass pages through every subscription (keeping
 * a small summary per customer) and then every customer; an incremental pass reads the Events API
 * since its cursor and then only the customers those events name.
 */
export class StripeConnector implements Connector {
  readonly system = 'stripe' as const;
  readonly objects = ['customers'] as const;

  private readonly stripe: Stripe;
  private readonly limiter: RateLimiter;
  private readonly endpointLimiters = new Map<string, RateLimiter>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly crmSystem: SystemName;
  private readonly dashboardUrl: string;
  private readonly testMode: boolean;
  private requestCount = 0;
  private readonly callsByKind = new Map<string, number>();
  /**
   * Every customer as the last full pass read it, brought up to date by the events each
   * incremental pass since has read; when it was last brought up to date (ms). Null until a full
   * pass completes, and once an incremental pass could not use it.
   */
  private known: (KnownCustomers & { updatedAt: number }) | null = null;

  constructor(private readonly options: StripeConnectorOptions) {
    if (!options.secretKey) throw new Error('stripe: a secret key is required (STRIPE_SECRET_KEY)');
    this.testMode = isTestKey(options.secretKey);
    this.stripe = options.client ?? createStripeClient(options);
    this.limiter = options.limiter ?? this.makeLimiter('account', options.rateLimit ?? { requests: this.testMode ? 25 : 100, perMs: 1000 });
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.crmSystem = options.crmSystem ?? 'hubspot';
    this.dashboardUrl = dashboardUrlFor(options.secretKey);
    // The SDK announces every HTTP request it sends, its own connection retries included.
    this.stripe.on('request', () => {
      this.requestCount++;
    });
  }

  apiCalls(): number {
    return this.requestCount;
  }

  /** Requests sent by endpoint (`GET /v1/events`, `GET /v1/subscriptions`...), retries included. */
  apiCallsByKind(): Record<string, number> {
    return Object.fromEntries(this.callsByKind);
  }

  recordUrl(object: string, id: string): string | null {
    return object === 'customers' ? `${this.dashboardUrl}/customers/${id}` : null;
  }

  async describe(object: string): Promise<ObjectDescription> {
    this.assertCustomers(object);
    const options = (values: readonly string[]) => values.map((value) => ({ value, label: label(value) }));
    return {
      system: 'stripe',
      object,
      openPrefixes: ['metadata.'],
      fields: [
        { name: 'subscription_status', label: 'Subscription status', type: 'enumeration', writable: false, options: options(SUBSCRIPTION_STATUSES) },
        { name: 'subscription_id', label: 'Subscription id', type: 'string', writable: false, options: null },
        { name: 'subscription_amount', label: 'Subscription amount per period', type: 'number', writable: false, options: null },
        { name: 'currency', label: 'Currency', type: 'string', writable: false, options: null },
        { name: 'invoice_status', label: 'Latest invoice status', type: 'enumeration', writable: false, options: options(INVOICE_STATUSES) },
        { name: 'email', label: 'Email', type: 'string', writable: true, options: null },
        { name: 'name', label: 'Name', type: 'string', writable: true, options: null },
      ],
    };
  }

  async *list(object: string, fields: string[], options: ListOptions = {}): AsyncGenerator<RecordPage> {
    this.assertCustomers(object);
    this.warnUnknownFields(fields);
    const since = parseCursor(options.since);
    if (since && since.t * 1000 > this.now() - EVENT_RETENTION_MS) {
      yield* this.listChanged(since, fields, options);
    } else {
      if (options.since) this.logger.info({ cursor: options.since }, 'stripe cursor older than the 30 days of events Stripe keeps, or unreadable: a full pass');
      yield* this.listEverything(fields, options);
    }
  }

  async read(object: string, ids: string[], fields: string[], options: ReadOptions = {}): Promise<SystemRecord[]> {
    this.assertCustomers(object);
    this.warnUnknownFields(fields);
    const context = this.mapContext();
    const unique = [...new Set(ids)];
    // Counterparts of this cycle's changes: what the incremental pass left known is as current as the changes themselves.
    const known = options.asListed && this.known && this.now() - this.known.updatedAt <= AS_LISTED_MS ? this.known.customers : null;
    const fromKnown = known ? unique.filter((id) => known.has(id)) : [];
    const toRead = known ? unique.filter((id) => !known.has(id)) : unique;
    const records = await mapConcurrent(toRead, this.options.readConcurrency ?? 8, async (id) => {
      const entry = await this.readKnown(id, options);
      return entry ? knownRecord(entry, fields, context) : null;
    });
    return [
      ...fromKnown.map((id) => knownRecord(known?.get(id) as KnownCustomer, fields, context)),
      ...records.filter((record): record is SystemRecord => record !== null),
    ];
  }

  /**
   * Writes `email`, `name` or `metadata.<key>` of customers, one request per write, each with its
   * idempotency key (so a retry after a lost answer cannot apply twice). Never throws.
   */
  async write(writes: FieldWrite[], options: CallOptions = {}): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (const write of writes) outcomes.push(await this.writeOne(write, options));
    return outcomes;
  }

  /**
   * Customers with this email (Stripe's list filters on it exactly), or whose `metadata.crm_id` holds
   * the CRM record's id (by Stripe's search, which trails writes by up to a minute), each read as it is now.
   */
  async lookup(object: string, by: { email: string } | { ref: { system: SystemName; id: string } }, fields: string[], options: CallOptions = {}): Promise<SystemRecord[]> {
    this.assertCustomers(object);
    const ids: string[] = [];
    if ('ref' in by) {
      if (by.ref.system !== this.crmSystem) return [];
      const query = `metadata['crm_id']:'${by.ref.id.replace(/['\\]/g, (c) => `\\${c}`)}'`;
      const raw = await this.call('GET', '/v1/customers/search', 'idempotent', () => this.stripe.customers.search({ query, limit: PAGE_SIZE }), { priority: options.priority });
      for (const item of parseRaw('stripe', 'customer search', stripeSearchSchema, raw).data) ids.push(parseRaw('stripe', 'customer', stripeCustomerSchema, item).id);
      return this.read('customers', ids, fields, options);
    }
    for await (const page of this.pages('customers', stripeCustomerSchema, (after) =>
      this.stripe.customers.list({ email: by.email, limit: PAGE_SIZE, ...(after ? { starting_after: after } : {}) }), options)) {
      ids.push(...page.map((customer) => customer.id));
    }
    return this.read('customers', ids, fields, options);
  }

  /**
   * Stripe's events since `cursor` as the fast loop stores webhook events, for replaying what a
   * webhook missed. Without a cursor it starts from now: the cycles have seen everything before.
   */
  async *replay(cursor: string | null, options: CallOptions = {}): AsyncGenerator<{ events: InboxEvent[]; cursor: string }> {
    const since = parseCursor(cursor) ?? { t: Math.floor(this.now() / 1000) - CURSOR_MARGIN_SECONDS, ids: [] };
    const start = since.t * 1000 > this.now() - EVENT_RETENTION_MS ? since : { t: Math.floor((this.now() - EVENT_RETENTION_MS) / 1000), ids: [] };
    const seen = new Set(start.ids);
    let newest: EventCursor = start;
    const collected: StripeEvent[] = [];
    for await (const page of this.pages('events', stripeEventSchema, (after) =>
      this.stripe.events.list({ limit: PAGE_SIZE, created: { gte: start.t }, types: [...CUSTOMER_EVENT_TYPES], ...(after ? { starting_after: after } : {}) }), options)) {
      for (const event of page) {
        if (seen.has(event.id)) continue;
        collected.push(event);
        if (event.created > newest.t) newest = { t: event.created, ids: [event.id] };
        else if (event.created === newest.t && !newest.ids.includes(event.id)) newest = { t: newest.t, ids: [...newest.ids, event.id] };
      }
    }
    // Oldest first, as they happened.
    collected.sort((a, b) => a.created - b.created);
    yield { events: collected.map(toInboxEvent), cursor: formatCursor(newest) };
  }

  async health(options: CallOptions = {}): Promise<ConnectionHealth> {
    const where = this.options.apiUrl ?? 'https://api.stripe.com';
    try {
      await this.call('GET', LIST_PATHS.customers, 'idempotent', () => this.stripe.customers.list({ limit: 1 }), { retry: { maxAttempts: 1 }, priority: options.priority ?? 'interactive' });
      return { system: 'stripe', ok: true, detail: `${where} answered (${this.testMode ? 'test' : 'live'} mode key)` };
    } catch (error) {
      return { system: 'stripe', ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Every customer: first every subscription, kept in brief per customer, then customers page by
   * page. What it read stays known, for the incremental passes that follow (see known.ts).
   */
  private async *listEverything(fields: string[], options: ListOptions): AsyncGenerator<RecordPage> {
    const since = Math.floor(this.now() / 1000) - CURSOR_MARGIN_SECONDS;
    const cursor = formatCursor({ t: since, ids: [] });
    const context = this.mapContext();
    // What the last pass left known is replaced by this one: not held twice while it runs.
    this.known = null;
    const ofCustomer = new Map<string, KnownSubscription[]>();
    const known = new Map<string, KnownCustomer>();
    let subscriptions = 0;
    for await (const page of this.pages('subscriptions', stripeSubscriptionSchema, (after) =>
      this.stripe.subscriptions.list({ status: 'all', limit: PAGE_SIZE, expand: EXPAND_INVOICE, ...(after ? { starting_after: after } : {}) }))) {
      for (const subscription of page) {
        const customer = subscriptionCustomerId(subscription);
        const list = ofCustomer.get(customer);
        if (list) list.push(knownSubscription(subscription, context.now));
        else ofCustomer.set(customer, [knownSubscription(subscription, context.now)]);
      }
      subscriptions += page.length;
      options.progress?.({ system: 'stripe', object: 'subscriptions', fetched: subscriptions });
    }
    let customers = 0;
    for await (const page of this.pages('customers', stripeCustomerSchema, (after) =>
      this.stripe.customers.list({ limit: PAGE_SIZE, ...(after ? { starting_after: after } : {}) }))) {
      const records = page.map((customer) => {
        const entry = { customer: trimCustomer(customer), subscriptions: ofCustomer.get(customer.id) ?? [] };
        if (this.options.rememberFullPass) known.set(customer.id, entry);
        ofCustomer.delete(customer.id);
        return knownRecord(entry, fields, context);
      });
      customers += page.length;
      options.progress?.({ system: 'stripe', object: 'customers', fetched: customers });
      yield { records, mode: 'full', cursor };
    }
    if (customers === 0) yield { records: [], mode: 'full', cursor };
    // Every event since the cursor is yet to be applied: the next incremental pass, from this cursor, does.
    this.known = this.options.rememberFullPass ? { customers: known, through: since, updatedAt: this.now() } : null;
  }

  /**
   * The customers named by events since `since`. Each event carries its object as it was then, so
   * the newest event of each object gives its state; with what the last full pass left known (and
   * every event since applied to it), a changed customer needs no call. A customer the events and
   * what is known do not fully give (or every customer, when nothing is known from this cursor on)
   * is read as it is now: one call.
   */
  private async *listChanged(since: EventCursor, fields: string[], options: ListOptions): AsyncGenerator<RecordPage> {
    const seen = new Set(since.ids);
    const changed = new Set<string>();
    const events: StripeEvent[] = [];
    let newest: EventCursor = since;
    let listed = 0;
    for await (const page of this.pages('events', stripeEventSchema, (after) =>
      this.stripe.events.list({
        limit: PAGE_SIZE, created: { gte: since.t }, types: [...CUSTOMER_EVENT_TYPES], ...(after ? { starting_after: after } : {}),
      }))) {
      for (const event of page) {
        // Events already seen at the cursor second change nothing known (their objects are applied
        // again, newest first, which leaves the same state); their customers were read then.
        events.push(event);
        if (seen.has(event.id)) continue;
        const customer = customerOfEvent(event);
        if (customer) changed.add(customer);
        if (event.created > newest.t) newest = { t: event.created, ids: [event.id] };
        else if (event.created === newest.t && !newest.ids.includes(event.id)) newest = { t: newest.t, ids: [...newest.ids, event.id] };
      }
      listed += page.length;
      options.progress?.({ system: 'stripe', object: 'events', fetched: listed });
    }
    const cursor = formatCursor(newest);
    const context = this.mapContext();
    // What is known holds every event up to `through`: from a later cursor, events in between are missing.
    const known = this.known && since.t <= this.known.through ? this.known : null;
    if (!known) this.known = null;
    const objects = newestObjects(events);
    events.length = 0;
    const ready: SystemRecord[] = [];
    const toRead: string[] = [];
    for (const id of changed) {
      if (!known) {
        toRead.push(id);
        continue;
      }
      const outcome = applyEvents(known.customers.get(id), id, objects, context.now);
      if (outcome.kind === 'deleted') known.customers.delete(id);
      else if (outcome.kind === 'lacking') toRead.push(id);
      else {
        known.customers.set(id, outcome.entry);
        ready.push(knownRecord(outcome.entry, fields, context));
      }
    }
    let read = ready.length;
    if (ready.length > 0 || toRead.length === 0) {
      options.progress?.({ system: 'stripe', object: 'customers', fetched: read });
      yield { records: ready, mode: 'incremental', cursor };
    }
    for (const ids of chunk(toRead, PAGE_SIZE)) {
      const entries = await mapConcurrent(ids, this.options.readConcurrency ?? 8, (id) => this.readKnown(id, options));
      const records: SystemRecord[] = [];
      entries.forEach((entry, i) => {
        const id = ids[i] as string;
        if (entry) {
          known?.customers.set(id, entry);
          records.push(knownRecord(entry, fields, context));
        } else known?.customers.delete(id);
      });
      read += ids.length;
      options.progress?.({ system: 'stripe', object: 'customers', fetched: read });
      yield { records, mode: 'incremental', cursor };
    }
    // Unless a full pass replaced it meanwhile.
    if (known && this.known?.customers === known.customers) this.known = { customers: known.customers, through: Math.max(known.through, newest.t), updatedAt: this.now() };
  }

  /**
   * One customer as it is now, with every subscription it has: its subscriptions (every status,
   * latest invoice and the customer expanded) in one call; the customer alone when it has none.
   * Null when it is gone or deleted.
   */
  private async readKnown(id: string, options: CallOptions): Promise<KnownCustomer | null> {
    const now = this.now();
    const subscriptions: KnownSubscription[] = [];
    let customer: StripeCustomer | null = null;
    try {
      for await (const page of this.pages('subscriptions', stripeSubscriptionSchema, (after) =>
        this.stripe.subscriptions.list({
          customer: id, status: 'all', limit: PAGE_SIZE, expand: [...EXPAND_INVOICE, 'data.customer'], ...(after ? { starting_after: after } : {}),
        }), options)) {
        for (const subscription of page) {
          subscriptions.push(knownSubscription(subscription, now));
          if (!customer && typeof subscription.customer === 'object') {
            const parsed = stripeCustomerSchema.safeParse(subscription.customer);
            if (parsed.success) customer = parsed.data;
          }
        }
      }
    } catch (error) {
      // Listing the subscriptions of a customer that is gone is an error, not an empty list.
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
    customer ??= await this.retrieveCustomer(id, options);
    return customer ? { customer: trimCustomer(customer), subscriptions } : null;
  }

  private async writeOne(write: FieldWrite, options: CallOptions): Promise<WriteOutcome> {
    const { id, field } = write;
    const fail = (error: string, retryable: boolean): WriteOutcome => ({ id, field, ok: false, error, retryable });
    if (write.object !== 'customers') return fail(`stripe: cannot write object "${write.object}"; only customers are writable`, false);
    if (Array.isArray(write.value)) return fail(`stripe: customers.${field} cannot hold a list`, false);
    // Stripe clears a field or a metadata key when sent an empty string.
    const value = write.value === null ? '' : String(write.value);
    let params: Stripe.CustomerUpdateParams;
    if (field === 'email') params = { email: value };
    else if (field === 'name') params = { name: value };
    else if (field.startsWith('metadata.') && field.length > 'metadata.'.length) params = { metadata: { [field.slice('metadata.'.length)]: value } };
    else return fail(`stripe: customers.${field} is not writable; Recon writes email, name and metadata.<key>`, false);

    try {
      await this.call('POST', `/v1/customers/${id}`, 'idempotent', () =>
        this.stripe.customers.update(id, params, { idempotencyKey: write.idempotencyKey }), { endpoint: '/v1/customers/:id', priority: options.priority });
      return { id, field, ok: true };
    } catch (error) {
      if (error instanceof ApiError) return fail(error.message, error.retryable);
      this.logger.error({ err: error, id, field }, 'stripe write failed unexpectedly');
      return fail(`stripe POST /v1/customers/${id} failed: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  }

  private async retrieveCustomer(id: string, options: CallOptions): Promise<StripeCustomer | null> {
    let raw: unknown;
    try {
      raw = await this.call('GET', `/v1/customers/${id}`, 'idempotent', () => this.stripe.customers.retrieve(id), { endpoint: '/v1/customers/:id', priority: options.priority });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
    if (stripeDeletedCustomerSchema.safeParse(raw).success) return null;
    return parseRaw('stripe', 'customer', stripeCustomerSchema, raw);
  }

  /** The objects of one list endpoint, a page at a time (`limit=100`, `starting_after`), each page paced and retried. */
  private async *pages<S extends z.ZodType>(
    listed: keyof typeof LIST_PATHS,
    schema: S,
    fetchPage: (startingAfter: string | undefined) => Promise<unknown>,
    options: CallOptions = {},
  ): AsyncGenerator<z.output<S>[]> {
    const kind = listed === 'customers' ? 'customer' : listed === 'subscriptions' ? 'subscription' : 'event';
    let after: string | undefined;
    for (;;) {
      const raw = await this.call('GET', LIST_PATHS[listed], 'idempotent', () => fetchPage(after), { priority: options.priority });
      const page = parseRaw('stripe', `${kind} list`, stripeListSchema, raw);
      const parsed = page.data.map((item) => parseRaw('stripe', kind, schema, item));
      yield parsed;
      const lastId = (parsed.at(-1) as { id?: string } | undefined)?.id;
      if (!page.has_more || lastId === undefined) return;
      after = lastId;
    }
  }

  /**
   * One SDK call, paced by the account-wide and the endpoint's limiter, retried per `mode`.
   * `endpoint` is the path with ids replaced (`/v1/customers/:id`), naming the endpoint's limiter.
   */
  private call<T>(
    method: string, path: string, mode: RetryMode, send: () => Promise<T>,
    options: { retry?: RetryOptions; endpoint?: string; priority?: CallOptions['priority'] } = {},
  ): Promise<T> {
    const request = { system: 'stripe' as const, method, path };
    const kind = `${method} ${options.endpoint ?? path}`;
    return withRetry(
      { ...request, mode, limiter: this.limiterFor(kind), priority: options.priority },
      async () => {
        this.callsByKind.set(kind, (this.callsByKind.get(kind) ?? 0) + 1);
        try {
          return await send();
        } catch (error) {
          throw toApiError(error, request, this.now());
        }
      },
      { logger: this.logger, now: this.now, ...this.options.retry, ...options.retry },
    );
  }

  /** One budget of this key's: in this process, or shared by the replicas (`options.limiters`). */
  private makeLimiter(name: string, limit: RateLimit): RateLimiter {
    const clock = this.options.limiterClock ? { clock: this.options.limiterClock } : {};
    return (this.options.limiters ?? localLimiters)({ system: 'stripe', credential: this.options.secretKey, name }, { ...limit, ...clock });
  }

  private limiterFor(endpoint: string): RateLimiter {
    const limit = this.options.endpointRateLimit === undefined ? { requests: 25, perMs: 1000 } : this.options.endpointRateLimit;
    if (limit === null) return this.limiter;
    let endpointLimiter = this.endpointLimiters.get(endpoint);
    if (!endpointLimiter) {
      // Endpoint first: in live mode it is the one that waits, so the account-wide timestamp stays exact.
      const own = this.makeLimiter(`endpoint:${endpoint}`, limit);
      endpointLimiter = combineLimiters(own, this.limiter);
      this.endpointLimiters.set(endpoint, endpointLimiter);
    }
    return endpointLimiter;
  }

  private mapContext(): StripeMapContext {
    return { crmSystem: this.crmSystem, dashboardUrl: this.dashboardUrl, now: this.now() };
  }

  private assertCustomers(object: string): void {
    if (object !== 'customers') throw new Error(`stripe: unknown object "${object}"; Recon reads "customers"`);
  }

  private warnUnknownFields(fields: readonly string[]): void {
    const known: readonly string[] = STRIPE_CUSTOMER_FIELDS;
    const unknown = fields.filter((field) => !known.includes(field) && !field.startsWith('metadata.'));
    if (unknown.length > 0) this.logger.warn({ fields: unknown }, 'stripe customers have no such fields; they read as null');
  }
}

export function createStripeConnector(options: StripeConnectorOptions): StripeConnector {
  return new StripeConnector(options);
}
