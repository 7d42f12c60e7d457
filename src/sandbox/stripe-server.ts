/**
 * The Stripe subset Recon uses (API version 2023-08-16): customers (list, retrieve, update with
 * Idempotency-Key), subscriptions and invoices (list, retrieve), with Stripe's auth, errors and
 * rate limit. Answers as a handler; server.ts owns the socket.
 */
import { asList, bearerToken, parseNestedParams, Router } from './http.ts';
import type { ApiContext, Params, SandboxRequest, SandboxResponse } from './http.ts';
import { applyStripeCustomerUpdate, recordStripeEvent } from './state.ts';
import type { SandboxState, StripeInvoiceStatus, StripeSubscription } from './state.ts';
import { StripeApiError, stripeErrors } from './stripe-errors.ts';
import { expandList, expandObject, expandPaths, listPage, rangeFilter, stringParam } from './stripe-lists.ts';
import type { Expander } from './stripe-lists.ts';

/** The account's default API version: the published spec's, used when a request names none. */
export const STRIPE_API_VERSION = '2023-08-16';

const SUBSCRIPTION_STATUSES = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'];
const INVOICE_STATUSES: StripeInvoiceStatus[] = ['draft', 'open', 'paid', 'uncollectible', 'void'];
const MAX_IDEMPOTENCY_KEYS = 50_000;
const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand', 'created'];

function allowOnly(params: Params, allowed: string[]): void {
  for (const name of Object.keys(params)) if (!allowed.includes(name)) throw stripeErrors.unknownParameter(name);
}

function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const value = stringParam(params, name);
  if (value !== undefined && !allowed.includes(value as T)) {
    throw stripeErrors.invalidValue(name, `Invalid ${name}: must be one of ${allowed.join(', ')}`);
  }
  return value as T | undefined;
}

function subscriptionStatusFilter(status: string | undefined): (subscription: StripeSubscription) => boolean {
  switch (status) {
    case undefined: return (s) => s.status !== 'canceled';
    case 'all': return () => true;
    case 'ended': return (s) => s.status === 'canceled' || s.status === 'incomplete_expired';
    default: return (s) => s.status === status;
  }
}

/** Canonical JSON of the parameters, keys sorted, to compare a replayed request with the first one. */
function fingerprint(method: string, path: string, params: Params): string {
  const canonical = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(canonical);
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  };
  return JSON.stringify([method, path, canonical(params)]);
}

function metadataParam(params: Params): Record<string, string> | '' | undefined {
  const raw = params.metadata;
  if (raw === undefined || raw === '') return raw;
  if (typeof raw === 'string' || Array.isArray(raw)) throw stripeErrors.invalidValue('metadata', 'Invalid object');
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw stripeErrors.invalidValue(`metadata[${key}]`, 'Invalid string: metadata values must be strings');
    if (key.length > 40) throw stripeErrors.invalidValue(`metadata[${key}]`, 'Metadata keys can have up to 40 characters.');
    if (value.length > 500) throw stripeErrors.invalidValue(`metadata[${key}]`, 'Metadata values can have up to 500 characters.');
    metadata[key] = value;
  }
  return metadata;
}

export function createStripeApi(state: SandboxState, context: ApiContext): (request: SandboxRequest) => Promise<SandboxResponse> {
  const { customers, subscriptions, invoices, events } = state.stripe;
  const inFlight = new Set<string>();
  let requestSequence = 0;

  const expander: Expander = (objectType, field, value) => {
    if (typeof value !== 'string') return null;
    if (field === 'customer' && (objectType === 'subscription' || objectType === 'invoice')) return customers.get(value) ?? null;
    if (field === 'latest_invoice' && objectType === 'subscription') return invoices.get(value) ?? null;
    if (field === 'subscription' && objectType === 'invoice') return subscriptions.get(value) ?? null;
    return null;
  };

  const retrieve = <T extends { object: string }>(map: Map<string, T>, name: string) => (request: SandboxRequest, params: Params) => {
    allowOnly(params, ['expand']);
    const id = request.params.id ?? '';
    const found = map.get(id);
    if (!found) throw stripeErrors.noSuch(name, id);
    return { status: 200, body: expandObject(found, expandPaths(params.expand), expander) };
  };

  const listCustomers = (_request: SandboxRequest, params: Params): SandboxResponse => {
    allowOnly(params, [...LIST_PARAMS, 'email', 'test_clock']);
    const email = stringParam(params, 'email');
    const created = rangeFilter(params, 'created');
    const page = listPage(customers, params, '/v1/customers', 'customer',
      (c) => (email === undefined || c.email === email) && (!created || created(c.created)));
    return { status: 200, body: expandList(page, expandPaths(params.expand), expander) };
  };

  // Subscription ids by customer, rebuilt when subscriptions are added or removed (a subscription never changes customer).
  let byCustomer: { size: number; ids: Map<string, string[]> } | null = null;
  const subscriptionsOf = (customer: string) => {
    if (!byCustomer || byCustomer.size !== subscriptions.size) {
      const ids = new Map<string, string[]>();
      for (const [id, s] of subscriptions) {
        const owner = typeof s.customer === 'string' ? s.customer : s.customer.id;
        const list = ids.get(owner);
        if (list) list.push(id);
        else ids.set(owner, [id]);
      }
      byCustomer = { size: subscriptions.size, ids };
    }
    const found = new Map<string, (typeof subscriptions extends Map<string, infer S> ? S : never)>();
    for (const id of byCustomer.ids.get(customer) ?? []) {
      const s = subscriptions.get(id);
      if (s) found.set(id, s);
    }
    return found;
  };

  const listSubscriptions = (_request: SandboxRequest, params: Params): SandboxResponse => {
    allowOnly(params, [...LIST_PARAMS, 'status', 'customer', 'price', 'collection_method', 'current_period_end', 'current_period_start', 'test_clock', 'automatic_tax']);
    const status = subscriptionStatusFilter(oneOf(params, 'status', SUBSCRIPTION_STATUSES));
    const customer = stringParam(params, 'customer');
    const price = stringParam(params, 'price');
    const created = rangeFilter(params, 'created');
    const periodEnd = rangeFilter(params, 'current_period_end');
    const periodStart = rangeFilter(params, 'current_period_start');
    // One customer's subscriptions are looked up first, as Stripe's index does: walking all of a
    // large world's subscriptions for each of them would make the sandbox, not Recon, the bottleneck.
    const pool = customer === undefined ? subscriptions : subscriptionsOf(customer);
    const page = listPage(pool, params, '/v1/subscriptions', 'subscription', (s) =>
      status(s) && (customer === undefined || s.customer === customer || (typeof s.customer === 'object' && s.customer.id === customer))
      && (price === undefined || s.items.data.some((item) => item.price.id === price))
      && (!created || created(s.created)) && (!periodEnd || periodEnd(s.current_period_end))
      && (!periodStart || periodStart(s.current_period_start)));
    return { status: 200, body: expandList(page, expandPaths(params.expand), expander) };
  };

  const listInvoices = (_request: SandboxRequest, params: Params): SandboxResponse => {
    allowOnly(params, [...LIST_PARAMS, 'customer', 'subscription', 'status', 'collection_method', 'due_date']);
    const status = oneOf(params, 'status', INVOICE_STATUSES);
    const customer = stringParam(params, 'customer');
    const subscription = stringParam(params, 'subscription');
    const created = rangeFilter(params, 'created');
    const page = listPage(invoices, params, '/v1/invoices', 'invoice', (i) =>
      (status === undefined || i.status === status) && (customer === undefined || i.customer === customer)
      && (subscription === undefined || i.subscription === subscription) && (!created || created(i.created)));
    return { status: 200, body: expandList(page, expandPaths(params.expand), expander) };
  };

  const updateCustomer = async (request: SandboxRequest, params: Params): Promise<SandboxResponse> => {
    allowOnly(params, ['email', 'name', 'description', 'phone', 'metadata', 'expand']);
    const changes = {
      email: stringParam(params, 'email'), name: stringParam(params, 'name'),
      description: stringParam(params, 'description'), phone: stringParam(params, 'phone'), metadata: metadataParam(params),
    };
    const id = request.params.id ?? '';
    if (!customers.has(id)) throw stripeErrors.noSuch('customer', id);
    await context.faults.beforeWrite('stripe', 'customers', id);
    const customer = customers.get(id);
    if (!customer) throw stripeErrors.noSuch('customer', id);
    applyStripeCustomerUpdate(customer, changes);
    const applied = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const at = Date.now();
    state.writes.push({ system: 'stripe', object: 'customers', id, properties: applied, at });
    recordStripeEvent(state, 'customer.updated', customer, at);
    return { status: 200, body: expandObject(customer, expandPaths(params.expand), expander) };
  };

  /**
   * `GET /v1/customers/search`: Stripe's search query language, as far as Recon uses it: clauses
   * `email:'x'` and `metadata['key']:'value'` joined by AND or OR (not both), up to 10 of them.
   */
  const searchCustomers = (_request: SandboxRequest, params: Params): SandboxResponse => {
    allowOnly(params, ['query', 'limit', 'page', 'expand']);
    const query = stringParam(params, 'query');
    if (!query) throw stripeErrors.invalidValue('query', 'Missing required param: query.');
    const joiner = / OR /.test(query) ? ' OR ' : ' AND ';
    const clauses = query.split(joiner).map((clause) => {
      const match = /^\s*(email|metadata\['([^']+)'\]):'((?:[^'\\]|\\.)*)'\s*$/.exec(clause);
      if (!match) throw stripeErrors.invalidValue('query', `Unsupported query clause in the sandbox: ${clause}`);
      const value = (match[3] ?? '').replace(/\\(.)/g, '$1');
      return match[1] === 'email'
        ? (c: { email: string | null; metadata: Record<string, string> }) => c.email === value
        : (c: { email: string | null; metadata: Record<string, string> }) => c.metadata[match[2] as string] === value;
    });
    if (clauses.length > 10) throw stripeErrors.invalidValue('query', 'A search query can have at most 10 clauses.');
    const limit = Math.min(100, Number(stringParam(params, 'limit') ?? 10));
    const start = Number(stringParam(params, 'page') ?? 0);
    const hits = [...customers.values()].filter((c) => (joiner === ' OR ' ? clauses.some((f) => f(c)) : clauses.every((f) => f(c))));
    const page = hits.slice(start, start + limit);
    const more = start + limit < hits.length;
    return { status: 200, body: { object: 'search_result', data: page, has_more: more, next_page: more ? String(start + limit) : null, url: '/v1/customers/search' } };
  };

  /** `GET /v1/events`: 30 days of events, newest first; `type` (with `*` wildcards) or up to 20 `types`. */
  const listEvents = (_request: SandboxRequest, params: Params): SandboxResponse => {
    allowOnly(params, [...LIST_PARAMS, 'type', 'types', 'delivery_success']);
    const type = stringParam(params, 'type');
    const types = params.types === undefined ? null : asList(params.types);
    if (type !== undefined && types !== null) throw stripeErrors.invalidValue('types', 'You may only specify one of these parameters: type, types.');
    if (types !== null && types.length > 20) throw stripeErrors.invalidValue('types', 'Invalid array: types may have at most 20 elements.');
    const matchesType = (eventType: string) => {
      if (types !== null) return types.includes(eventType);
      if (type === undefined) return true;
      return type.endsWith('*') ? eventType.startsWith(type.slice(0, -1)) : eventType === type;
    };
    const created = rangeFilter(params, 'created');
    const since = Math.floor(Date.now() / 1000) - 30 * 86_400;
    const page = listPage(events, params, '/v1/events', 'event', (e) => e.created >= since && matchesType(e.type) && (!created || created(e.created)));
    return { status: 200, body: page };
  };

  type Route = (request: SandboxRequest, params: Params) => SandboxResponse | Promise<SandboxResponse>;
  const router = new Router<Route>()
    .on('GET', '/v1/events', listEvents)
    .on('GET', '/v1/events/:id', retrieve(events, 'event'))
    .on('GET', '/v1/customers', listCustomers)
    .on('GET', '/v1/customers/search', searchCustomers)
    .on('GET', '/v1/customers/:id', retrieve(customers, 'customer'))
    .on('POST', '/v1/customers/:id', updateCustomer)
    .on('GET', '/v1/subscriptions', listSubscriptions)
    .on('GET', '/v1/subscriptions/:id', retrieve(subscriptions, 'subscription'))
    .on('GET', '/v1/invoices', listInvoices)
    .on('GET', '/v1/invoices/:id', retrieve(invoices, 'invoice'));

  /** Runs a POST under its Idempotency-Key: the same key and parameters replay the stored answer. */
  const idempotent = async (key: string, request: SandboxRequest, params: Params, run: () => Promise<SandboxResponse>): Promise<SandboxResponse> => {
    const print = fingerprint(request.method, request.path, params);
    const stored = state.stripe.idempotency.get(key);
    if (stored) {
      if (stored.fingerprint !== print) throw stripeErrors.idempotencyMismatch(key);
      return { status: stored.status, body: JSON.parse(stored.json) as unknown, headers: { 'Idempotent-Replayed': 'true' } };
    }
    if (inFlight.has(key)) throw stripeErrors.idempotencyInFlight();
    inFlight.add(key);
    try {
      let response: SandboxResponse;
      try {
        response = await run();
      } catch (error) {
        // Like Stripe, a request that failed validation (or the server) leaves the key free to use again.
        if (!(error instanceof StripeApiError) || error.status !== 404) throw error;
        response = error.toResponse();
      }
      const json = JSON.stringify(response.body);
      const keys = state.stripe.idempotency;
      keys.set(key, { method: request.method, path: request.path, fingerprint: print, status: response.status, json });
      // Stripe keeps keys for 24 hours; the sandbox keeps the newest ones so long runs stay small.
      for (const oldest of keys.keys()) {
        if (keys.size <= MAX_IDEMPOTENCY_KEYS) break;
        keys.delete(oldest);
      }
      return { ...response, body: JSON.parse(json) as unknown };
    } finally {
      inFlight.delete(key);
    }
  };

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const token = bearerToken(request.headers);
    if (token === null) throw stripeErrors.missingKey();
    if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(token)) throw stripeErrors.invalidKey(token);
    const fault = context.faults.decide('stripe', request.method === 'GET');
    if (fault.kind === 'rate_limit') {
      return { ...stripeErrors.rateLimited().toResponse(), headers: { 'Retry-After': String(fault.retryAfterSeconds) } };
    }
    if (context.limiter && !context.limiter.take(token).allowed) throw stripeErrors.rateLimited();
    if (fault.kind === 'server_error') throw stripeErrors.serverError(fault.status);
    const match = router.match(request.method, request.path);
    if (!match) throw stripeErrors.unrecognizedUrl(request.method, request.path);
    const route = match.handler;
    const routed = { ...request, params: match.params };
    const params = parseNestedParams([...request.query.entries(), ...(request.method === 'POST' ? new URLSearchParams(request.body).entries() : [])]);
    const key = request.headers['idempotency-key'];
    if (request.method === 'POST' && typeof key === 'string' && key !== '') {
      const response = await idempotent(key, routed, params, async () => route(routed, params));
      return { ...response, headers: { ...response.headers, 'Idempotency-Key': key } };
    }
    return route(routed, params);
  };

  return async (request) => {
    requestSequence += 1;
    // Stripe answers in the version the request names, else the account's default.
    const asked = request.headers['stripe-version'];
    const headers = { 'Request-Id': `req_sandbox${String(requestSequence).padStart(10, '0')}`, 'Stripe-Version': typeof asked === 'string' && asked ? asked : STRIPE_API_VERSION };
    try {
      const response = await handle(request);
      return { ...response, headers: { ...headers, ...response.headers } };
    } catch (error) {
      const failure = error instanceof StripeApiError ? error : stripeErrors.serverError(500);
      const response = failure.toResponse();
      return { ...response, headers: { ...headers, ...response.headers } };
    }
  };
}
