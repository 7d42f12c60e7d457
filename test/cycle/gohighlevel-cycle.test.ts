import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../src/domain/ports.ts';
import { silentLogger } from '../../src/log.ts';
import { storeFor } from '../../src/main.ts';
import { applyWrites, idempotencyKey } from '../../src/reconcile/apply.ts';
import { GHL_STRIPE_ID_FIELD } from '../../src/sandbox/index.ts';
import { verify, type FoundDiscrepancy } from '../../src/sandbox/verify.ts';
import { useTestDatabase } from '../support/db.ts';
import { ghlSpec } from '../support/gohighlevel-spec.ts';
import { requestProblems, type SentRequest } from '../support/openapi-requests.ts';
import { allRecords } from '../support/pages.ts';
import { startGoHighLevelWorld, type World } from '../support/world.ts';

/** Every request sent to a GoHighLevel path, as sent: the connector captures `fetch` when built, so this wraps it first. */
const sent: SentRequest[] = [];
const originalFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (/^\/(opportunities|contacts)\//.test(url.pathname)) {
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) as unknown : undefined;
      sent.push({ method: init?.method ?? 'GET', url, headers: new Headers(init?.headers), body });
    }
    return originalFetch(input, init);
  };
});
afterAll(() => {
  globalThis.fetch = originalFetch;
});

const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  sent.length = 0;
  world = await startGoHighLevelWorld(database);
});
afterEach(async () => {
  await world.close();
});

const FINANCIAL = new Set(['gohighlevel:opportunities:monetaryValue']);

/** GoHighLevel keeps no field history: a person's edit is inferred by the cycle from an opportunity's updatedAt (DESIGN section 5). */
const INFERRED_EDIT = 'recent_human_edit';

async function found(result: Awaited<ReturnType<World['cycle']>>): Promise<FoundDiscrepancy[]> {
  const runIds = result.checks.flatMap((c) => (c.runId ? [c.runId] : []));
  const rows = await database.db.selectFrom('discrepancies').selectAll().where('run_id', 'in', runIds).execute();
  return rows.map((r) => ({ check: r.check_name, kind: r.kind, category: r.category, sourceKey: r.source_key, targetKey: r.target_key, resolution: r.resolution, reason: r.reason }));
}

function plantedEdit() {
  const edit = world.scenario.injected.find((i) => i.drift === INFERRED_EDIT);
  if (!edit?.targetId) throw new Error('the scenario planted no human edit');
  return edit;
}

describe('a reconciliation cycle on Stripe and GoHighLevel', () => {
  it('finds every injected discrepancy and resolves each as the policy says', async () => {
    const verdict = verify(world.scenario.injected, await found(await world.cycle()), [], FINANCIAL);
    expect({ missed: verdict.missed, wrong: verdict.wrong, unexpected: verdict.unexpected }).toEqual({ missed: [], wrong: [], unexpected: [] });
    expect(verdict.byCategory.find((c) => c.check === 'customer-stage')).toEqual({ check: 'customer-stage', category: 'paid_but_not_a_customer', injected: 1, found: 1 });
  });

  it('writes each safe fix once, a status through the status endpoint, and never a financial field', async () => {
    await world.cycle();
    const safe = world.scenario.injected.filter((i) => i.expected === 'auto_fix');
    const writes = world.scenario.state.writes;
    expect(writes.map((w) => w.id).sort()).toEqual(safe.map((i) => i.targetId).sort());
    // payment-status writes the status; booking-stage moves the opportunity along the Bookings pipeline.
    expect(writes.every((w) => w.system === 'gohighlevel' && ['status', 'pipelineStageId'].includes(Object.keys(w.properties).join()))).toBe(true);
    expect(verify([], [], world.scenario.state.writes, FINANCIAL).financialWrites).toEqual([]);
    const puts = sent.filter((r) => r.method === 'PUT');
    expect(puts.filter((r) => r.url.pathname.endsWith('/status'))).toHaveLength(writes.filter((w) => 'status' in w.properties).length);
  });

  it('writes nothing when run a second time against the same state', async () => {
    await world.cycle();
    const before = world.scenario.state.writes.length;
    const second = await world.cycle();
    expect(world.scenario.state.writes.length).toBe(before);
    expect(second.checks.reduce((n, c) => n + c.autoFixed + c.noop + c.stale + c.failed, 0)).toBe(0);
    expect(second.checks.every((c) => c.mode === 'full')).toBe(true);
  });

  it('escalates a person\'s recent edit, seen only in updatedAt, instead of overwriting it', async () => {
    const edit = plantedEdit();
    const hit = (await found(await world.cycle())).find((f) => f.check === edit.check && f.targetKey?.endsWith(`:${edit.targetId}`));
    expect(hit && `${hit.resolution}:${hit.reason}`).toBe(edit.expected);
    expect(world.scenario.state.writes.filter((w) => w.id === edit.targetId)).toEqual([]);
  });
});

describe('what Recon sends GoHighLevel', () => {
  it('is only requests the published API documents: paths, methods, parameters, headers and bodies', async () => {
    await world.cycle();
    const ghl = world.connectors.gohighlevel as Connector;
    // A person's approval of the financial write, and the contact calls a check on contacts makes.
    const amount = world.scenario.injected.find((i) => i.drift === 'amount_mismatch');
    const write = { system: 'gohighlevel', object: 'opportunities', id: amount?.targetId ?? '', field: 'monetaryValue', from: null, to: 99, financial: true };
    const current = await ghl.read('opportunities', [write.id], ['monetaryValue']);
    await applyWrites(
      { store: storeFor(database), connectors: world.connectors, actor: 'U0OPSLEAD', origin: 'test', runId: null, logger: silentLogger },
      [{ write: { ...write, from: current[0]?.fields.monetaryValue ?? null }, check: 'deal-amount', fingerprint: 'f', rule: 'source_of_truth', reason: 'test', idempotencyKey: idempotencyKey('test', 'f', write) }],
    );
    const contacts = await allRecords(ghl.list('contacts', ['email', 'tags', `customFields.SbxCfContactStripe01`]));
    await ghl.read('contacts', [contacts[0]?.id ?? ''], ['email']);
    await ghl.write([
      { object: 'contacts', id: contacts[0]?.id ?? '', field: 'tags', value: ['customer'], idempotencyKey: 'k1' },
      { object: 'contacts', id: contacts[0]?.id ?? '', field: 'customFields.SbxCfContactStripe01', value: 'cus_1', idempotencyKey: 'k2' },
      { object: 'opportunities', id: write.id, field: `customFields.${GHL_STRIPE_ID_FIELD}`, value: 'cus_2', idempotencyKey: 'k3' },
    ]);
    await ghl.health();

    const kinds = new Set(sent.map((r) => `${r.method} ${r.url.pathname.replace(/\/[A-Za-z0-9]{20}(?=\/|$)/, '/{id}')}`));
    expect([...kinds].sort()).toEqual([
      'GET /contacts/', 'GET /contacts/{id}', 'GET /opportunities/pipelines', 'GET /opportunities/search', 'GET /opportunities/{id}',
      'PUT /contacts/{id}', 'PUT /opportunities/{id}', 'PUT /opportunities/{id}/status',
    ]);
    const specs = [ghlSpec('opportunities.json'), ghlSpec('contacts.json')];
    expect(sent.flatMap((request) => requestProblems(specs, request))).toEqual([]);
  });
});
