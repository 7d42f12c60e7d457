import { afterEach, describe, expect, it } from 'vitest';
import {
  addGoHighLevelContact, addGoHighLevelOpportunity, GHL_PARTNER_PIPELINE, GHL_SALES_PIPELINE, GHL_STRIPE_ID_FIELD,
} from '../../src/sandbox/gohighlevel-objects.ts';
import type { RunningSandbox, SandboxOptions, SandboxState } from '../../src/sandbox/index.ts';
import { ghlSpec } from '../support/gohighlevel-spec.ts';
import { ref, responseSchema, shapeProblems } from '../support/openapi-shape.ts';
import { sandboxWith } from './seed.ts';

const TOKEN = 'pit-00000000-test-0000-0000-000000000000';
let running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.map((sandbox) => sandbox.close()));
  running = [];
});

/** `count` opportunities in the sales pipeline, one a second, each with its own contact. */
function seedGoHighLevel(state: SandboxState, count: number): void {
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
    const contact = addGoHighLevelContact(state, { email: `customer${i}@example.com`, firstName: 'Ada', lastName: `No${i}`, dateAdded: at });
    addGoHighLevelOpportunity(state, {
      name: `Deal ${i}`, contactId: contact.id, pipelineStageId: GHL_SALES_PIPELINE.stages.newLead, status: 'open', monetaryValue: 100 * i,
      createdAt: at, customFields: [{ id: GHL_STRIPE_ID_FIELD, fieldValue: `cus_${i}` }],
    });
  }
}

async function world(count: number, options?: SandboxOptions) {
  const { state, sandbox } = await sandboxWith((s) => seedGoHighLevel(s, count), options);
  running.push(sandbox);
  const first = [...state.gohighlevel.opportunities.values()][0];
  if (!first) throw new Error('no opportunity seeded');
  return { state, sandbox, first, location: state.gohighlevel.locationId };
}

/** `fetch` against the sandbox's GoHighLevel API: bearer token and Version header unless told otherwise. */
async function ghl(sandbox: RunningSandbox, path: string, init: { method?: string; body?: unknown; token?: string | null; version?: string | null } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  if (init.version !== null) headers.version = init.version ?? '2021-07-28';
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${sandbox.urls.gohighlevel}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'PUT'), headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as any };
}

const opportunities = ghlSpec('opportunities.json');
const contacts = ghlSpec('contacts.json');

describe('GoHighLevel sandbox: answers match opportunities.json and contacts.json', () => {
  it('a search page, one opportunity and the pipelines are the documented answers', async () => {
    const { sandbox, first, location } = await world(3);
    const page = await ghl(sandbox, `/opportunities/search?location_id=${location}&limit=2&order=added_asc&getNotes=true`);
    const one = await ghl(sandbox, `/opportunities/${first.id}`);
    const pipelines = await ghl(sandbox, `/opportunities/pipelines?locationId=${location}`);
    expect(page.body.meta.startAfterId).toBeDefined();
    expect(page.body.opportunities[0].contact.email).toBe('customer0@example.com');
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/search', 'get', '200'), page.body)).toEqual([]);
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/{id}', 'get', '200'), one.body)).toEqual([]);
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/pipelines', 'get', '200'), pipelines.body)).toEqual([]);
  });

  it('updates answer the documented bodies', async () => {
    const { sandbox, first } = await world(1);
    const updated = await ghl(sandbox, `/opportunities/${first.id}`, { body: { monetaryValue: 5 } });
    const status = await ghl(sandbox, `/opportunities/${first.id}/status`, { body: { status: 'won' } });
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/{id}', 'put', '200'), updated.body)).toEqual([]);
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/{id}/status', 'put', '200'), status.body)).toEqual([]);
  });

  it('the contact list and one contact are the documented answers', async () => {
    const { sandbox, state, location } = await world(3);
    const list = await ghl(sandbox, `/contacts/?locationId=${location}&limit=2`);
    const one = await ghl(sandbox, `/contacts/${[...state.gohighlevel.contacts.keys()][0]}`);
    expect(list.body.meta.startAfterId).toBeDefined();
    expect(shapeProblems(contacts, responseSchema(contacts, '/contacts/', 'get', '200'), list.body)).toEqual([]);
    expect(shapeProblems(contacts, responseSchema(contacts, '/contacts/{contactId}', 'get', '200'), one.body)).toEqual([]);
  });

  it('errors are the documented common error bodies', async () => {
    const { sandbox, first } = await world(1);
    const unauthorized = await ghl(sandbox, '/opportunities/pipelines', { token: null });
    const missing = await ghl(sandbox, '/opportunities/nope0000000000000000');
    const invalid = await ghl(sandbox, `/opportunities/${first.id}/status`, { body: { status: 'closed' } });
    expect([unauthorized.status, missing.status, invalid.status]).toEqual([401, 400, 422]);
    expect(shapeProblems(opportunities, ref('UnauthorizedDTO'), unauthorized.body)).toEqual([]);
    expect(shapeProblems(opportunities, ref('BadRequestDTO'), missing.body)).toEqual([]);
    expect(shapeProblems(opportunities, ref('UnprocessableDTO'), invalid.body)).toEqual([]);
  });
});

describe('GoHighLevel sandbox: paging', () => {
  it('pages through 250 opportunities by startAfter and startAfterId, oldest first, every id once', async () => {
    const { sandbox, state, location } = await world(250);
    const ids: string[] = [];
    let after = '';
    for (let pages = 1; ; pages++) {
      const page = await ghl(sandbox, `/opportunities/search?location_id=${location}&limit=100&order=added_asc${after}`);
      ids.push(...page.body.opportunities.map((o: { id: string }) => o.id));
      if (!page.body.meta.startAfterId) {
        expect(pages).toBe(3);
        break;
      }
      after = `&startAfter=${page.body.meta.startAfter}&startAfterId=${page.body.meta.startAfterId}`;
    }
    expect(ids).toEqual([...state.gohighlevel.opportunities.keys()]);
  });

  it('lists newest first by default', async () => {
    const { sandbox, state, location } = await world(3);
    const page = await ghl(sandbox, `/opportunities/search?location_id=${location}`);
    expect(page.body.opportunities.map((o: { id: string }) => o.id)).toEqual([...state.gohighlevel.opportunities.keys()].reverse());
  });
});

describe('GoHighLevel sandbox: authentication and validation', () => {
  it('refuses a request without a token, or with one that is not a Private Integration token or a JWT', async () => {
    const { sandbox, location } = await world(1);
    for (const token of [null, 'sk_test_123']) {
      const answer = await ghl(sandbox, `/opportunities/pipelines?locationId=${location}`, { token });
      expect(answer).toMatchObject({ status: 401, body: { statusCode: 401, message: 'Invalid JWT' } });
    }
  });

  it('refuses a request without the Version header, or with another version', async () => {
    const { sandbox, location } = await world(1);
    expect((await ghl(sandbox, `/opportunities/pipelines?locationId=${location}`, { version: null })).body).toEqual({ statusCode: 400, message: 'Version header was not found' });
    expect((await ghl(sandbox, `/opportunities/pipelines?locationId=${location}`, { version: '2021-04-15' })).status).toBe(400);
  });

  it('refuses another location, an undocumented parameter and a page over 100', async () => {
    const { sandbox, location } = await world(1);
    expect((await ghl(sandbox, '/opportunities/search?location_id=someoneElse00000000')).status).toBe(403);
    expect((await ghl(sandbox, `/opportunities/search?location_id=${location}&updated_after=1`)).body).toMatchObject({ statusCode: 422, message: ['property updated_after should not exist'] });
    expect((await ghl(sandbox, `/opportunities/search?location_id=${location}&limit=101`)).status).toBe(422);
  });

  it('refuses a stage of another pipeline, and leaves the opportunity as it was', async () => {
    const { sandbox, state, first } = await world(1);
    const answer = await ghl(sandbox, `/opportunities/${first.id}`, { body: { pipelineStageId: GHL_PARTNER_PIPELINE.stages.applied } });
    expect(answer).toMatchObject({ status: 400, body: { message: expect.stringContaining('does not belong to pipeline Sales Pipeline') } });
    expect(first.pipelineStageId).toBe(GHL_SALES_PIPELINE.stages.newLead);
    expect(state.writes).toEqual([]);
  });

  it('refuses an unknown status, even the search filter "all", and an unknown property', async () => {
    const { sandbox, first } = await world(1);
    for (const body of [{ status: 'closed' }, { status: 'all' }, { status: 'won', reason: 'x' }]) {
      expect((await ghl(sandbox, `/opportunities/${first.id}/status`, { body })).status).toBe(422);
    }
    expect((await ghl(sandbox, `/opportunities/${first.id}`, { body: { dealstage: 'x' } })).body.message).toEqual(['property dealstage should not exist']);
    expect(first.status).toBe('open');
  });

  it('refuses a custom field the location does not have, and one of contacts on an opportunity', async () => {
    const { sandbox, first } = await world(1);
    for (const id of ['nope', 'SbxCfContactStripe01']) {
      expect((await ghl(sandbox, `/opportunities/${first.id}`, { body: { customFields: [{ id, field_value: 'x' }] } })).status).toBe(400);
    }
  });
});

describe('GoHighLevel sandbox: writes', () => {
  it('applies a status update, moves updatedAt and logs the write', async () => {
    const { sandbox, state, first } = await world(1);
    const before = first.updatedAt;
    expect((await ghl(sandbox, `/opportunities/${first.id}/status`, { body: { status: 'won' } })).body).toEqual({ succeded: true });
    expect(first.status).toBe('won');
    expect(first.updatedAt > before).toBe(true);
    expect(first.lastStatusChangeAt).toBe(first.updatedAt);
    expect(state.writes).toMatchObject([{ system: 'gohighlevel', object: 'opportunities', id: first.id, properties: { status: 'won' } }]);
  });

  it('writes a custom field named by key as its id', async () => {
    const { sandbox, state, first } = await world(1);
    await ghl(sandbox, `/opportunities/${first.id}`, { body: { customFields: [{ key: 'opportunity.stripe_customer_id', field_value: 'cus_new' }] } });
    expect(first.customFields).toEqual([{ id: GHL_STRIPE_ID_FIELD, fieldValue: 'cus_new' }]);
    expect(state.writes[0]?.properties).toEqual({ [`customFields.${GHL_STRIPE_ID_FIELD}`]: 'cus_new' });
  });
});

describe('GoHighLevel sandbox: rate limit and faults', () => {
  it('answers 429 with Retry-After past the burst limit, and says what remains', async () => {
    const { sandbox, location } = await world(1, { rateLimits: { perSystem: { gohighlevel: 2 } } });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await ghl(sandbox, `/opportunities/pipelines?locationId=${location}`));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[0]?.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(answers[0]?.headers.get('x-ratelimit-daily-remaining')).toBe('199999');
    expect(Number(answers[2]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sandbox.requests().rateLimited).toBe(1);
  });

  it('injects 429s and server errors on reads, and never a server error on a write', async () => {
    const { sandbox, first, location } = await world(1);
    sandbox.faults.set({ rateLimitNext: { gohighlevel: 1 }, retryAfterSeconds: 2 });
    const limited = await ghl(sandbox, `/opportunities/pipelines?locationId=${location}`);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    sandbox.faults.set({ readErrorRate: 1, readErrorStatuses: [503] });
    expect((await ghl(sandbox, `/opportunities/${first.id}`)).status).toBe(503);
    expect((await ghl(sandbox, `/opportunities/${first.id}/status`, { body: { status: 'won' } })).status).toBe(200);
  });

  it('fails a write unapplied when the hook before it throws', async () => {
    const { sandbox, state, first } = await world(1);
    sandbox.faults.set({ beforeWrite: () => { throw new Error('GoHighLevel had a bad moment'); } });
    expect((await ghl(sandbox, `/opportunities/${first.id}/status`, { body: { status: 'won' } })).status).toBe(500);
    expect(first.status).toBe('open');
    expect(state.writes).toEqual([]);
  });
});
