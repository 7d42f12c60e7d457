import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSandbox, SandboxOptions, SandboxState } from '../../src/sandbox/index.ts';
import { hubspot, sandboxWith, seedHubSpot } from './seed.ts';

let running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.map((sandbox) => sandbox.close()));
  running = [];
});

async function world(deals: number, options?: SandboxOptions): Promise<{ state: SandboxState; sandbox: RunningSandbox; firstDeal: string }> {
  const { state, sandbox } = await sandboxWith((s) => seedHubSpot(s, deals), options);
  running.push(sandbox);
  return { state, sandbox, firstDeal: [...state.hubspot.deals.keys()][0] ?? '' };
}

const updates = (ids: string[], properties: Record<string, string>) => ({ inputs: ids.map((id) => ({ id, properties })) });

describe('HubSpot sandbox', () => {
  it('pages through 250 deals with limit 100 in 3 pages, every id once', async () => {
    const { state, sandbox } = await world(250);
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await hubspot(sandbox, `/crm/v3/objects/0-3?limit=100${after ? `&after=${after}` : ''}`);
      pages += 1;
      ids.push(...page.body.results.map((deal: { id: string }) => deal.id));
      after = page.body.paging?.next.after;
      if (after) expect(page.body.paging.next.link).toContain(`after=${after}`);
    } while (after);
    expect(pages).toBe(3);
    expect(ids).toHaveLength(250);
    expect(new Set(ids)).toEqual(new Set(state.hubspot.deals.keys()));
  });

  it('accepts deals and 0-3, contacts and 0-1 as the object type', async () => {
    const { sandbox } = await world(3);
    const [deals, dealsById, contacts, contactsById] = await Promise.all(
      ['deals', '0-3', 'contacts', '0-1'].map((type) => hubspot(sandbox, `/crm/v3/objects/${type}`)),
    );
    expect(dealsById?.body).toEqual(deals?.body);
    expect(contactsById?.body).toEqual(contacts?.body);
    expect(contacts?.body.results[0].properties).toHaveProperty('email');
  });

  it('caps limit at 100', async () => {
    const { sandbox } = await world(120);
    const page = await hubspot(sandbox, '/crm/v3/objects/deals?limit=500');
    expect(page.body.results).toHaveLength(100);
  });

  it('caps limit at 50 when propertiesWithHistory is asked for', async () => {
    const { sandbox } = await world(120);
    const page = await hubspot(sandbox, '/crm/v3/objects/deals?limit=100&propertiesWithHistory=dealstage');
    expect(page.body.results).toHaveLength(50);
    expect(page.body.paging.next.after).toBeDefined();
  });

  it('returns the requested properties plus the always-returned ones, null where a deal has no value', async () => {
    const { sandbox } = await world(1);
    const page = await hubspot(sandbox, '/crm/v3/objects/deals?properties=dealstage,stripe_customer_id&properties=amount');
    expect(Object.keys(page.body.results[0].properties).sort()).toEqual(
      ['amount', 'createdate', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'stripe_customer_id'],
    );
    expect(page.body.results[0].properties.stripe_customer_id).toBeNull();
  });

  it('returns the type defaults when no properties are named', async () => {
    const { sandbox } = await world(1);
    const page = await hubspot(sandbox, '/crm/v3/objects/deals');
    expect(Object.keys(page.body.results[0].properties).sort()).toEqual(
      ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
    );
  });

  it('lists associated contacts as deal_to_contact when associations=contacts', async () => {
    const { sandbox, state, firstDeal } = await world(1);
    const page = await hubspot(sandbox, '/crm/v3/objects/deals?associations=contacts');
    expect(page.body.results[0].associations).toEqual({
      contacts: { results: [{ id: state.hubspot.deals.get(firstDeal)?.associations.contacts[0], type: 'deal_to_contact' }] },
    });
  });

  it('gives each property with history its entries newest first', async () => {
    const { sandbox } = await world(1);
    const page = await hubspot(sandbox, '/crm/v3/objects/deals?propertiesWithHistory=dealstage,unknown_property');
    expect(page.body.results[0].propertiesWithHistory).toEqual({
      dealstage: [{ value: 'appointmentscheduled', timestamp: '2024-01-02T00:00:00.000Z', sourceType: 'CRM_UI' }],
    });
  });

  it('lists archived deals only with archived=true', async () => {
    const { sandbox, state, firstDeal } = await world(3);
    state.hubspot.deals.get(firstDeal)!.archived = true;
    const live = await hubspot(sandbox, '/crm/v3/objects/deals');
    const archived = await hubspot(sandbox, '/crm/v3/objects/deals?archived=true');
    expect(live.body.results.map((d: { id: string }) => d.id)).not.toContain(firstDeal);
    expect(archived.body.results.map((d: { id: string }) => d.id)).toEqual([firstDeal]);
  });

  it('batch/read returns the found deals and reports missing ids in a 207', async () => {
    const { sandbox, firstDeal } = await world(2);
    const read = await hubspot(sandbox, '/crm/v3/objects/0-3/batch/read', {
      body: { inputs: [{ id: firstDeal }, { id: '999999999' }], properties: ['dealstage'], propertiesWithHistory: ['dealstage'] },
    });
    expect(read.status).toBe(207);
    expect(read.body.results.map((d: { id: string }) => d.id)).toEqual([firstDeal]);
    expect(read.body.results[0].propertiesWithHistory.dealstage).toHaveLength(1);
    expect(read.body).toMatchObject({ status: 'COMPLETE', numErrors: 1, errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999999'] } }] });
  });

  it('rejects batch/update over 100 inputs with VALIDATION_ERROR and writes nothing', async () => {
    const { sandbox, state } = await world(101);
    const result = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: updates([...state.hubspot.deals.keys()], { dealstage: 'closedwon' }) });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(state.writes).toEqual([]);
  });

  it('rejects the whole batch when one dealstage is not a stage of the pipeline', async () => {
    const { sandbox, state } = await world(3);
    const [a, b, c] = [...state.hubspot.deals.keys()] as [string, string, string];
    const result = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', {
      body: { inputs: [{ id: a, properties: { dealstage: 'closedwon' } }, { id: b, properties: { dealstage: 'paid' } }, { id: c, properties: { dealstage: 'closedlost' } }] },
    });
    expect(result.status).toBe(400);
    expect(result.body.category).toBe('VALIDATION_ERROR');
    expect(result.body.message).toContain('paid was not one of the allowed options');
    expect(state.hubspot.deals.get(a)?.properties.dealstage).toBe('appointmentscheduled');
    expect(state.writes).toEqual([]);
  });

  it('rejects the whole batch when one input names a property that does not exist', async () => {
    const { sandbox, state } = await world(2);
    const [a, b] = [...state.hubspot.deals.keys()] as [string, string];
    const result = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', {
      body: { inputs: [{ id: a, properties: { dealstage: 'closedwon' } }, { id: b, properties: { deal_stage: 'closedwon' } }] },
    });
    expect(result.status).toBe(400);
    expect(result.body.category).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(result.body)).toContain('PROPERTY_DOESNT_EXIST');
    expect(result.body.message).toMatch(/^Property values were not valid: .*deal_stage.*does not exist/);
    expect(state.hubspot.deals.get(a)?.properties.dealstage).toBe('appointmentscheduled');
    expect(state.writes).toEqual([]);
  });

  it('prepends an INTEGRATION history entry with the app id and moves hs_lastmodifieddate', async () => {
    const { sandbox, state, firstDeal } = await world(1);
    const result = await hubspot(sandbox, '/crm/v3/objects/0-3/batch/update', { body: updates([firstDeal], { dealstage: 'closedwon' }) });
    expect(result.status).toBe(200);
    const deal = state.hubspot.deals.get(firstDeal);
    expect(deal?.history.dealstage?.[0]).toMatchObject({ value: 'closedwon', sourceType: 'INTEGRATION', sourceId: '1010' });
    expect(deal?.history.dealstage?.[1]).toMatchObject({ value: 'appointmentscheduled', sourceType: 'CRM_UI' });
    expect(deal?.properties.hs_lastmodifieddate).toBe(deal?.updatedAt);
    expect(result.body.results[0].properties).toMatchObject({ dealstage: 'closedwon', hs_lastmodifieddate: deal?.updatedAt });
    expect(state.writes).toEqual([{ system: 'hubspot', object: 'deals', id: firstDeal, properties: { dealstage: 'closedwon' }, at: expect.any(Number) }]);
  });

  it('applies the known ids of a batch/update and reports unknown ones in a 207', async () => {
    const { sandbox, state, firstDeal } = await world(1);
    const result = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: updates([firstDeal, '424242'], { dealstage: 'closedwon' }) });
    expect(result.status).toBe(207);
    expect(result.body.errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['424242'] } });
    expect(state.writes.map((write) => write.id)).toEqual([firstDeal]);
  });

  it('refuses to set a read-only property', async () => {
    const { sandbox, state, firstDeal } = await world(1);
    const result = await hubspot(sandbox, '/crm/v3/objects/deals/batch/update', { body: updates([firstDeal], { hs_object_id: '1' }) });
    expect(result.status).toBe(400);
    expect(state.writes).toEqual([]);
  });

  it('lists the default deal pipeline with HubSpot stage ids and labels', async () => {
    const { sandbox } = await world(0);
    const result = await hubspot(sandbox, '/crm/v3/pipelines/deals');
    const [pipeline] = result.body.results;
    expect(pipeline).toMatchObject({ id: 'default', label: 'Sales Pipeline', archived: false });
    expect(pipeline.stages.map((stage: { id: string }) => stage.id)).toEqual(
      ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'],
    );
    expect(pipeline.stages[5]).toMatchObject({ label: 'Closed Won', metadata: { isClosed: 'true', probability: '1.0' } });
  });

  it('answers 401 INVALID_AUTHENTICATION without a token', async () => {
    const { sandbox } = await world(1);
    const result = await hubspot(sandbox, '/crm/v3/objects/deals', { token: null });
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) });
  });

  it('sends the rate-limit headers on every response', async () => {
    const { sandbox } = await world(1, { rateLimits: { hubspotPer10s: 150 } });
    const result = await hubspot(sandbox, '/crm/v3/objects/deals');
    expect(result.headers.get('x-hubspot-ratelimit-max')).toBe('150');
    expect(result.headers.get('x-hubspot-ratelimit-remaining')).toBe('149');
    expect(result.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
  });

  it('answers 429 with Retry-After and TEN_SECONDLY_ROLLING once the window is used up', async () => {
    const { sandbox } = await world(1, { rateLimits: { hubspotPer10s: 3 } });
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await hubspot(sandbox, '/crm/v3/objects/deals'));
    const refused = results[3]!;
    expect(results.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    expect(refused.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten_secondly_rolling limit.' });
    expect(sandbox.requests()).toEqual({ stripe: 0, hubspot: 4, rateLimited: 1 });
  });

  it('keeps a separate window per token', async () => {
    const { sandbox } = await world(1, { rateLimits: { hubspotPer10s: 1 } });
    expect((await hubspot(sandbox, '/crm/v3/objects/deals', { token: 'a' })).status).toBe(200);
    expect((await hubspot(sandbox, '/crm/v3/objects/deals', { token: 'b' })).status).toBe(200);
    expect((await hubspot(sandbox, '/crm/v3/objects/deals', { token: 'a' })).status).toBe(429);
  });
});
