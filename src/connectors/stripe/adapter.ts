import type Stripe from 'stripe';
import type { z } from 'zod';
import type { SystemName, SystemRecord } from '../../domain/records.ts';
import { silentLogger, type Logger } from '../../log.ts';
import type {
  BillingConnector, ConnectionHealth, FieldWrite, PageProgress, ReadOptions, Vocabulary, WriteOutcome,
} from '../ports.ts';
import { mapConcurrent } from '../http/concurrency.ts';
import { combineLimiters, createRateLimiter, type LimiterClock, type RateLimit, type RateLimiter } from '../http/limiter.ts';
import { ApiError, withRetry, type RetryMode, type RetryOptions } from '../http/retry.ts';
import { parseRaw } from '../raw.ts';
import { createStripeClient, toApiError } from './client.ts';
import {
  dashboardUrlFor, INVOICE_STATUSES, STRIPE_CUSTOMER_FIELDS, SUBSCRIPTION_STATUSES, subscriptionCustomerId, toCustomerRecord,
} from './mappers.ts';
import {
  stripeCustomerSchema, stripeDeletedCustomerSchema, stripeListSchema, stripeSubscriptionSchema,
  type StripeCustomer, type StripeSubscription,
} from './schemas.ts';

export interface StripeConnectorOptions {
  /** `STRIPE_SECRET_KEY` (`sk_test_...`, `sk_live_...`, or a restricted `rk_...` key). */
  secretKey: string;
  /** `STRIPE_API_URL`, e.g. `http://127.0.0.1:4010`; Stripe itself when absent. */
  apiUrl?: string | undefined;
  /** The CRM whose record id Stripe customers hold in `metadata.crm_id`. Default `hubspot`. */
  crmSystem?: SystemName;
  /** Default: Stripe's documented 25 requests/s in test mode, 100/s live. */
  rateLimit?: RateLimit;
  /** Each endpoint's own limit, on top of `rateLimit`. Default Stripe's 25 requests/s per endpoint; null for none. */
  endpointRateLimit?: RateLimit | null;
  /** A limiter shared with other users of the same key; built from `rateLimit` when absent. */
  limiter?: RateLimiter;
  /** Injected clock for the limiter built here (tests). */
  limiterClock?: Partial<LimiterClock>;
  /** Retry of failed requests: attempts, backoff, injected sleep and random (tests). */
  retry?: RetryOptions;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** Customers read at once by `read`. Default 8; the limiter still paces them. */
  readConcurrency?: number;
  logger?: Logger;
  /** Now in ms, for "has the trial ended". Default `Date.now`. */
  now?: () => number;
  /** A prebuilt SDK client (tests); built from `secretKey` and `apiUrl` when absent. */
  client?: Stripe;
}

const LIST_PATHS = { customers: '/v1/customers', subscriptions: '/v1/subscriptions' } as const;
const EXPAND_INVOICE = ['data.latest_invoice'];

function isTestKey(secretKey: string): boolean {
  return /^(sk|rk)_test_/.test(secretKey);
}

function label(status: string): string {
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Stripe as Recon's billing system: one record per customer, with its subscription and latest invoice. */
export class StripeConnector implements BillingConnector {
  readonly system = 'stripe' as const;
  readonly role = 'billing' as const;

  private readonly stripe: Stripe;
  private readonly limiter: RateLimiter;
  private readonly endpointLimiters = new Map<string, RateLimiter>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly crmSystem: SystemName;
  private readonly dashboardUrl: string;
  private readonly testMode: boolean;
  private requestCount = 0;

  constructor(private readonly options: StripeConnectorOptions) {
    if (!options.secretKey) throw new Error('stripe: a secret key is required (STRIPE_SECRET_KEY)');
    this.testMode = isTestKey(options.secretKey);
    this.stripe = options.client ?? createStripeClient(options);
    this.limiter = options.limiter ?? createRateLimiter({
      ...(options.rateLimit ?? { requests: this.testMode ? 25 : 100, perMs: 1000 }),
      ...(options.limiterClock ? { clock: options.limiterClock } : {}),
    });
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

  async list(object: string, fields: string[], progress?: PageProgress): Promise<SystemRecord[]> {
    this.assertCustomers(object);
    this.warnUnknownFields(fields);
    const report = (listed: string) => (fetched: number) => progress?.({ system: 'stripe', object: listed, fetched });
    const [customers, subscriptions] = await Promise.all([
      this.listAll('customers', stripeCustomerSchema, (after) =>
        this.stripe.customers.list({ limit: 100, ...(after ? { starting_after: after } : {}) }), report('customers')),
      this.listAll('subscriptions', stripeSubscriptionSchema, (after) =>
        this.stripe.subscriptions.list({
          status: 'all', limit: 100, expand: EXPAND_INVOICE, ...(after ? { starting_after: after } : {}),
        }), report('subscriptions')),
    ]);
    const byCustomer = new Map<string, StripeSubscription[]>();
    for (const subscription of subscriptions) {
      const id = subscriptionCustomerId(subscription);
      const list = byCustomer.get(id);
      if (list) list.push(subscription);
      else byCustomer.set(id, [subscription]);
    }
    const context = this.mapContext();
    return customers.map((customer) => toCustomerRecord(customer, byCustomer.get(customer.id) ?? [], fields, context));
  }

  async read(object: string, ids: string[], fields: string[], _options?: ReadOptions): Promise<SystemRecord[]> {
    this.assertCustomers(object);
    this.warnUnknownFields(fields);
    const context = this.mapContext();
    const unique = [...new Set(ids)];
    const records = await mapConcurrent(unique, this.options.readConcurrency ?? 8, async (id) => {
      // One after the other: listing the subscriptions of a customer that is gone is an error, not an empty list.
      const customer = await this.retrieveCustomer(id);
      if (!customer) return null;
      const subscriptions = await this.listAll('subscriptions', stripeSubscriptionSchema, (after) =>
        this.stripe.subscriptions.list({
          customer: id, status: 'all', limit: 100, expand: EXPAND_INVOICE, ...(after ? { starting_after: after } : {}),
        }));
      return toCustomerRecord(customer, subscriptions, fields, context);
    });
    return records.filter((record): record is SystemRecord => record !== null);
  }

  /**
   * Writes `email`, `name` or `metadata.<key>` of customers, one request per write, each with its
   * idempotency key (so a retry after a lost answer cannot apply twice). Never throws.
   */
  async write(writes: FieldWrite[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (const write of writes) outcomes.push(await this.writeOne(write));
    return outcomes;
  }

  async vocabulary(object: string, field: string): Promise<Vocabulary | null> {
    if (object !== 'customers') return null;
    const statuses: readonly string[] | null =
      field === 'subscription_status' ? SUBSCRIPTION_STATUSES : field === 'invoice_status' ? INVOICE_STATUSES : null;
    return statuses ? { values: statuses.map((value) => ({ value, label: label(value) })) } : null;
  }

  async health(): Promise<ConnectionHealth> {
    const where = this.options.apiUrl ?? 'https://api.stripe.com';
    try {
      await this.call('GET', LIST_PATHS.customers, 'idempotent', () => this.stripe.customers.list({ limit: 1 }), { retry: { maxAttempts: 1 } });
      return { system: 'stripe', ok: true, detail: `${where} answered (${this.testMode ? 'test' : 'live'} mode key)` };
    } catch (error) {
      return { system: 'stripe', ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private async writeOne(write: FieldWrite): Promise<WriteOutcome> {
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
        this.stripe.customers.update(id, params, { idempotencyKey: write.idempotencyKey }), { endpoint: '/v1/customers/:id' });
      return { id, field, ok: true };
    } catch (error) {
      if (error instanceof ApiError) return fail(error.message, error.retryable);
      this.logger.error({ err: error, id, field }, 'stripe write failed unexpectedly');
      return fail(`stripe POST /v1/customers/${id} failed: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  }

  private async retrieveCustomer(id: string): Promise<StripeCustomer | null> {
    let raw: unknown;
    try {
      raw = await this.call('GET', `/v1/customers/${id}`, 'idempotent', () => this.stripe.customers.retrieve(id), { endpoint: '/v1/customers/:id' });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
    if (stripeDeletedCustomerSchema.safeParse(raw).success) return null;
    return parseRaw('stripe', 'customer', stripeCustomerSchema, raw);
  }

  /** Every object of one list endpoint, page by page (`limit=100`, `starting_after`), each page paced and retried. */
  private async listAll<S extends z.ZodType>(
    listed: keyof typeof LIST_PATHS,
    schema: S,
    fetchPage: (startingAfter: string | undefined) => Promise<unknown>,
    onPage?: (fetched: number) => void,
  ): Promise<z.output<S>[]> {
    const kind = listed === 'customers' ? 'customer' : 'subscription';
    const all: z.output<S>[] = [];
    let after: string | undefined;
    for (;;) {
      const raw = await this.call('GET', LIST_PATHS[listed], 'idempotent', () => fetchPage(after));
      const page = parseRaw('stripe', `${kind} list`, stripeListSchema, raw);
      let lastId: string | undefined;
      for (const item of page.data) {
        const parsed = parseRaw('stripe', kind, schema, item);
        all.push(parsed);
        lastId = (parsed as { id: string }).id;
      }
      onPage?.(all.length);
      if (!page.has_more || lastId === undefined) return all;
      after = lastId;
    }
  }

  /**
   * One SDK call, paced by the account-wide and the endpoint's limiter, retried per `mode`.
   * `endpoint` is the path with ids replaced (`/v1/customers/:id`), naming the endpoint's limiter.
   */
  private call<T>(method: string, path: string, mode: RetryMode, send: () => Promise<T>, options: { retry?: RetryOptions; endpoint?: string } = {}): Promise<T> {
    const request = { system: 'stripe' as const, method, path };
    return withRetry(
      { ...request, mode, limiter: this.limiterFor(`${method} ${options.endpoint ?? path}`) },
      async () => {
        try {
          return await send();
        } catch (error) {
          throw toApiError(error, request, this.now());
        }
      },
      { logger: this.logger, now: this.now, ...this.options.retry, ...options.retry },
    );
  }

  private limiterFor(endpoint: string): RateLimiter {
    const limit = this.options.endpointRateLimit === undefined ? { requests: 25, perMs: 1000 } : this.options.endpointRateLimit;
    if (limit === null) return this.limiter;
    let endpointLimiter = this.endpointLimiters.get(endpoint);
    if (!endpointLimiter) {
      // Endpoint first: in live mode it is the one that waits, so the account-wide timestamp stays exact.
      const own = createRateLimiter({ ...limit, ...(this.options.limiterClock ? { clock: this.options.limiterClock } : {}) });
      endpointLimiter = combineLimiters(own, this.limiter);
      this.endpointLimiters.set(endpoint, endpointLimiter);
    }
    return endpointLimiter;
  }

  private mapContext() {
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

export function createStripeConnector(options: StripeConnectorOptions): BillingConnector {
  return new StripeConnector(options);
}
