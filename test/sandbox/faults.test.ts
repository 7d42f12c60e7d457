import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultOptions, RunningSandbox, SandboxState } from '../../src/sandbox/index.ts';
import { hubspot, sandboxWith, seedHubSpot, seedStripe, stripeClient } from './seed.ts';

let running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.map((sandbox) => sandbox.close()));
  running = [];
});

async function world(faults: FaultOptions): Promise<{ state: SandboxState; sandbox: RunningSandbox }> {
  const result = await sandboxWith((s) => {
    seedStripe(s, 2);
    seedHubSpot(s, 2);
  }, { rateLimits: false, faults });
  running.push(result.sandbox);
  return result;
}

async function statuses(sandbox: RunningSandbox, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) seen.push((await hubspot(sandbox, '/crm/v3/objects/deals')).status);
  return seen;
}

describe('sandbox faults', () => {
  it('answers nothing unusual when no fault is asked for', async () => {
    const { sandbox } = await world({});
    expect(await statuses(sandbox, 5)).toEqual([200, 200, 200, 200, 200]);
  });

  it('delays every request by the fixed latency', async () => {
    const { sandbox } = await world({ latencyMs: 60 });
    const started = performance.now();
    await hubspot(sandbox, '/crm/v3/objects/deals');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('fails the same reads with 5xx for the same seed', async () => {
    const first = await world({ readErrorRate: 0.5, seed: 7 });
    const second = await world({ readErrorRate: 0.5, seed: 7 });
    const [a, b] = [await statuses(first.sandbox, 20), await statuses(second.sandbox, 20)];
    expect(a).toEqual(b);
    expect(a.some((status) => [500, 502, 503].includes(status))).toBe(true);
    expect(a).toContain(200);
  });

  it('never fails a write with a read error', async () => {
    const { sandbox, state } = await world({ readErrorRate: 1 });
    const id = [...state.hubspot.deals.keys()][0];
    const result = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: { inputs: [{ id, properties: { dealstage: 'closedwon' } }] } });
    expect(result.status).toBe(200);
  });

  it('answers the next N requests 429 with Retry-After, then recovers', async () => {
    const { sandbox } = await world({ rateLimitNext: 2, retryAfterSeconds: 3 });
    const first = await hubspot(sandbox, '/crm/v3/objects/deals');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.body.policyName).toBe('TEN_SECONDLY_ROLLING');
    const stripeRefused = await fetch(`${sandbox.stripeUrl}/v1/customers`, { headers: { authorization: 'Bearer sk_test_1' } });
    expect(stripeRefused.status).toBe(429);
    expect(((await stripeRefused.json()) as { error: { code: string } }).error.code).toBe('rate_limit');
    expect(await statuses(sandbox, 1)).toEqual([200]);
    expect(sandbox.requests().rateLimited).toBe(2);
  });

  it('can be told at run time to rate-limit one system only', async () => {
    const { sandbox } = await world({});
    sandbox.faults.rateLimitNext(1, 'stripe');
    expect(await statuses(sandbox, 1)).toEqual([200]);
    const error = await stripeClient(sandbox).customers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
  });

  it('calls beforeWrite with the system, object and id before the write is applied', async () => {
    const seen: { call: string; stageThen: string | null | undefined }[] = [];
    let state: SandboxState | undefined;
    const { sandbox, state: world_ } = await world({
      beforeWrite: (system, object, id) => {
        seen.push({ call: `${system}:${object}:${id}`, stageThen: state?.hubspot.deals.get(id)?.properties.dealstage });
      },
    });
    state = world_;
    const id = [...world_.hubspot.deals.keys()][0] ?? '';
    await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: { inputs: [{ id, properties: { dealstage: 'closedwon' } }] } });
    expect(seen).toEqual([{ call: `hubspot:deals:${id}`, stageThen: 'appointmentscheduled' }]);
    expect(world_.hubspot.deals.get(id)?.properties.dealstage).toBe('closedwon');
  });

  it('fails a write with a 500 and applies nothing when beforeWrite throws, leaving the idempotency key usable', async () => {
    let failing = true;
    const { sandbox, state } = await world({ beforeWrite: () => { if (failing) throw new Error('crash mid-apply'); } });
    const stripe = stripeClient(sandbox);
    const id = [...state.stripe.customers.keys()][0] ?? '';
    const error = await stripe.customers.update(id, { metadata: { crm_id: '9' } }, { idempotencyKey: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(state.writes).toEqual([]);
    failing = false;
    await stripe.customers.update(id, { metadata: { crm_id: '9' } }, { idempotencyKey: 'k' });
    expect(state.writes).toHaveLength(1);
  });
});
