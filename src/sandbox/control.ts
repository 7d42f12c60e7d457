/**
 * The sandbox's own control routes under `/_sandbox/` (no vendor has them): what a benchmark or
 * a person exploring needs from a sandbox in another process — how many requests it served, and
 * changes made "by the world" after Recon read it, recorded as the vendors would (Stripe events,
 * HubSpot's modification time and property history).
 */
import type { SandboxResponse } from './http.ts';
import { seededRandom } from './random.ts';
import { applyHubSpotUpdate, changeStripeSubscription, observeSandbox, type SandboxState } from './state.ts';

export interface DriftResult {
  /** Stripe customers whose subscription was cancelled (their won deals now disagree). */
  cancelled: string[];
  /** HubSpot deals a person moved off `closedwon` (their paying customers now disagree). */
  edited: string[];
}

/**
 * Changes `stripe` clean pairs on the Stripe side (a cancellation) and `hubspot` on the HubSpot
 * side (a person's edit of the stage), picked by a seeded draw among customers paying for a won deal.
 */
export function driftWorld(state: SandboxState, counts: { stripe: number; hubspot: number }, seed = 1, now = Date.now()): DriftResult {
  const random = seededRandom(seed);
  const pairs: { subscription: string; customer: string; deal: string }[] = [];
  for (const subscription of state.stripe.subscriptions.values()) {
    if (subscription.status !== 'active') continue;
    const customerId = typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
    const dealId = state.stripe.customers.get(customerId)?.metadata.crm_id;
    const deal = dealId ? state.hubspot.deals.get(dealId) : undefined;
    if (deal && !deal.archived && deal.properties.dealstage === 'closedwon') pairs.push({ subscription: subscription.id, customer: customerId, deal: deal.id });
  }
  const pick = (n: number) => {
    const chosen: typeof pairs = [];
    while (chosen.length < n && pairs.length > 0) chosen.push(pairs.splice(Math.floor(random() * pairs.length), 1)[0] as (typeof pairs)[number]);
    return chosen;
  };
  const cancelled = pick(counts.stripe).map((p) => {
    changeStripeSubscription(state, p.subscription, { status: 'canceled' }, now);
    return p.customer;
  });
  const edited = pick(counts.hubspot).map((p) => {
    const deal = state.hubspot.deals.get(p.deal);
    if (deal) applyHubSpotUpdate(state, 'deals', deal, { dealstage: 'contractsent' }, new Date(now), 'person');
    return p.deal;
  });
  return { cancelled, edited };
}

/** The round a churning subscription goes through: a card fails, Stripe gives up, the customer pays again. */
const CHURN_ROUND = ['past_due', 'unpaid', 'active'] as const;

/**
 * `events` changes spread over `customers` paying customers of won deals, each subscription going
 * round past_due → unpaid → active (its deal should be won, lost, won again): a stream of real
 * Stripe events whose last one per customer says what the CRM must end up showing. Returns them.
 */
export function churnWorld(state: SandboxState, counts: { customers: number; events: number }, seed = 1, now = Date.now()): { events: unknown[]; customers: string[] } {
  const random = seededRandom(seed);
  const active = [...state.stripe.subscriptions.values()].filter((s) => s.status === 'active');
  const chosen: typeof active = [];
  while (chosen.length < counts.customers && active.length > 0) chosen.push(active.splice(Math.floor(random() * active.length), 1)[0] as (typeof active)[number]);
  const events: unknown[] = [];
  const stop = observeSandbox(state, (change) => {
    if (change.system === 'stripe') events.push(change.event);
  });
  const step = new Map<string, number>();
  try {
    for (let i = 0; i < counts.events && chosen.length > 0; i++) {
      const subscription = chosen[i % chosen.length] as (typeof chosen)[number];
      const n = step.get(subscription.id) ?? 0;
      step.set(subscription.id, n + 1);
      changeStripeSubscription(state, subscription.id, { status: CHURN_ROUND[n % CHURN_ROUND.length] }, now);
    }
  } finally {
    stop();
  }
  return { events, customers: chosen.map((s) => (typeof s.customer === 'string' ? s.customer : s.customer.id)) };
}

/** Answers `/_sandbox/...`, or null for any other path. */
export function control(state: SandboxState, requests: () => unknown, method: string, path: string, query: URLSearchParams): SandboxResponse | null {
  if (!path.startsWith('/_sandbox/')) return null;
  if (method === 'GET' && path === '/_sandbox/requests') return { status: 200, body: requests() };
  if (method === 'POST' && path === '/_sandbox/drift') {
    const count = (name: string) => {
      const value = Number(query.get(name) ?? 0);
      return Number.isInteger(value) && value >= 0 ? value : Number.NaN;
    };
    const counts = { stripe: count('stripe'), hubspot: count('hubspot') };
    if (Number.isNaN(counts.stripe) || Number.isNaN(counts.hubspot)) return { status: 400, body: { error: 'stripe and hubspot must be whole numbers of changes' } };
    return { status: 200, body: driftWorld(state, counts, Number(query.get('seed') ?? 1)) };
  }
  if (method === 'POST' && path === '/_sandbox/churn') {
    const customers = Number(query.get('customers') ?? 0);
    const events = Number(query.get('events') ?? 0);
    if (!Number.isInteger(customers) || customers <= 0 || !Number.isInteger(events) || events < 0) return { status: 400, body: { error: 'customers and events must be whole numbers, customers at least 1' } };
    return { status: 200, body: churnWorld(state, { customers, events }, Number(query.get('seed') ?? 1)) };
  }
  return { status: 404, body: { error: `no sandbox control route ${method} ${path}; try GET /_sandbox/requests, POST /_sandbox/drift?stripe=N&hubspot=N or POST /_sandbox/churn?customers=N&events=M` } };
}
