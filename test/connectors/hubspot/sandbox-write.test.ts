import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../../src/connectors/hubspot/adapter.ts';
import type { FieldWrite } from '../../../src/domain/ports.ts';
import { renewalsPipeline } from '../../../src/sandbox/hubspot-objects.ts';
import { addHubSpotDeal, createSandboxState } from '../../../src/sandbox/state.ts';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.ts';

let sandbox: RunningSandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

describe('HubSpot connector against a HubSpot that refuses batches as the real one does', () => {
  it('writes 99 of a batch of 100 whose one deal is in another pipeline, and fails that one with HubSpot’s message', async () => {
    const state = createSandboxState();
    const renewals = renewalsPipeline();
    state.hubspot.pipelines.push(renewals);
    const ids = Array.from({ length: 100 }, (_, i) =>
      addHubSpotDeal(state, {
        properties: { dealname: `d${i}`, pipeline: i === 42 ? renewals.id : 'default', dealstage: i === 42 ? '1001' : 'contractsent' },
        createdAt: '2026-11-01T00:00:00.000Z',
      }).id);
    sandbox = await startSandbox(state, { rateLimits: false });
    const hubspot = createHubSpotConnector({ accessToken: 'pat-test', apiUrl: sandbox.hubspotUrl, rateLimit: { requests: 100_000, perMs: 1000 } });
    const writes: FieldWrite[] = ids.map((id) => ({ object: 'deals', id, field: 'dealstage', value: 'closedwon', idempotencyKey: `k-${id}` }));

    const outcomes = await hubspot.write(writes);

    expect(outcomes.filter((o) => o.ok)).toHaveLength(99);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed).toMatchObject([{ id: ids[42], ok: false, retryable: false }]);
    expect(failed[0]?.ok === false && failed[0].error).toMatch(/closedwon was not one of the allowed options/);
    expect(ids.filter((id) => state.hubspot.deals.get(id)?.properties.dealstage === 'closedwon')).toHaveLength(99);
    expect(state.hubspot.deals.get(ids[42] as string)?.properties.dealstage).toBe('1001');
  });
});
