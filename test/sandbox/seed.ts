/** Small seeded worlds and clients shared by the sandbox tests. */
import Stripe from 'stripe';
import {
  addHubSpotContact, addHubSpotDeal, addStripeCustomer, addStripeSubscription, createSandboxState, startSandbox,
} from '../../src/sandbox/index.ts';
import type { RunningSandbox, SandboxOptions, SandboxState, StripeSubscriptionStatus } from '../../src/sandbox/index.ts';

export const T0 = 1_700_000_000;
export const STATUSES: StripeSubscriptionStatus[] = ['active', 'trialing', 'past_due', 'canceled', 'unpaid', 'incomplete', 'incomplete_expired', 'paused'];

/** `customers` Stripe customers (three per second, so `created` ties happen), each with one subscription. */
export function seedStripe(state: SandboxState, customers: number): void {
  for (let i = 0; i < customers; i += 1) {
    const created = T0 + Math.floor(i / 3);
    const customer = addStripeCustomer(state, { email: `customer${i}@example.com`, name: `Customer ${i}`, created, metadata: { n: String(i) } });
    const status = STATUSES[i % STATUSES.length] ?? 'active';
    addStripeSubscription(state, {
      customer: customer.id, status, unitAmount: 1_000 + i, created, trialEnd: status === 'trialing' ? created + 14 * 86_400 : null,
      canceledAt: status === 'canceled' ? created + 86_400 : null, endedAt: status === 'canceled' ? created + 86_400 : null,
    });
  }
}

/** `deals` HubSpot deals in the default pipeline, each with one contact. */
export function seedHubSpot(state: SandboxState, deals: number): void {
  for (let i = 0; i < deals; i += 1) {
    const contact = addHubSpotContact(state, { email: `customer${i}@example.com`, firstname: 'Ada', lastname: `No${i}`, createdAt: '2024-01-01T00:00:00.000Z' });
    addHubSpotDeal(state, {
      properties: { dealname: `Deal ${i}`, amount: String(100 * i), pipeline: 'default', dealstage: 'appointmentscheduled' },
      contactIds: [contact.id], createdAt: '2024-01-02T00:00:00.000Z',
    });
  }
}

export async function sandboxWith(seed: (state: SandboxState) => void, options: SandboxOptions = { rateLimits: false }): Promise<{ state: SandboxState; sandbox: RunningSandbox }> {
  const state = createSandboxState();
  seed(state);
  return { state, sandbox: await startSandbox(state, options) };
}

/** The official SDK, pointed at the sandbox like Recon's connector does it. */
export function stripeClient(sandbox: RunningSandbox, key = 'sk_test_123'): Stripe {
  const url = new URL(sandbox.stripeUrl);
  return new Stripe(key, { host: url.hostname, port: Number(url.port), protocol: 'http', telemetry: false, maxNetworkRetries: 0 });
}

/** `fetch` against the sandbox's HubSpot API with a bearer token. */
export async function hubspot(sandbox: RunningSandbox, path: string, init: { method?: string; body?: unknown; token?: string | null } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? 'pat-na1-sandbox'}`;
  const response = await fetch(`${sandbox.hubspotUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}
