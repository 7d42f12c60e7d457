import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyWrites, idempotencyKey } from '../../src/reconcile/apply.ts';
import { storeFor } from '../../src/main.ts';
import { silentLogger } from '../../src/log.ts';
import { applyHubSpotUpdate } from '../../src/sandbox/state.ts';
import { verify } from '../../src/sandbox/verify.ts';
import { openTestDatabase, useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

async function found(runIds: string[]) {
  const rows = await database.db.selectFrom('discrepancies').selectAll().where('run_id', 'in', runIds).execute();
  return rows.map((r) => ({ check: r.check_name, kind: r.kind, category: r.category, sourceKey: r.source_key, targetKey: r.target_key, resolution: r.resolution, reason: r.reason }));
}
const runIdsOf = (result: Awaited<ReturnType<World['cycle']>>) => result.checks.flatMap((c) => (c.runId ? [c.runId] : []));

describe('a reconciliation cycle against the sandbox', () => {
  it('finds every injected discrepancy and resolves each as the policy says', async () => {
    const result = await world.cycle();
    const verdict = verify(world.scenario.injected, await found(runIdsOf(result)), world.scenario.state.writes, new Set(['hubspot:deals:amount']));
    expect({ missed: verdict.missed, wrong: verdict.wrong, unexpected: verdict.unexpected }).toEqual({ missed: [], wrong: [], unexpected: [] });
    expect(verdict.matched).toBe(world.scenario.injected.length);
  });

  it('writes only the safe fixes, each once, and never a financial field', async () => {
    const result = await world.cycle();
    const safe = world.scenario.injected.filter((i) => i.expected === 'auto_fix');
    const writes = world.scenario.state.writes;
    expect(writes.map((w) => w.id).sort()).toEqual(safe.map((i) => i.targetId).sort());
    expect(writes.every((w) => w.system === 'hubspot' && Object.keys(w.properties).join() === 'dealstage')).toBe(true);
    for (const check of ['payment-status', 'booking-stage']) {
      expect(result.checks.find((c) => c.check === check)?.autoFixed, check).toBe(safe.filter((i) => i.check === check).length);
    }
  });

  it('logs one applied change per write, with the values before and after', async () => {
    await world.cycle();
    const changes = await database.db.selectFrom('changes').selectAll().execute();
    expect(changes.map((c) => c.outcome)).toEqual(world.scenario.state.writes.map(() => 'applied'));
    const written = new Map(world.scenario.state.writes.map((w) => [w.id, w.properties.dealstage]));
    for (const change of changes) expect(change.after).toBe(written.get(change.external_id));
  });

  it('writes nothing when run a second time against the same state', async () => {
    await world.cycle();
    const before = world.scenario.state.writes.length;
    const second = await world.cycle();
    expect(world.scenario.state.writes.length).toBe(before);
    expect(second.checks.reduce((n, c) => n + c.autoFixed + c.noop + c.stale + c.failed, 0)).toBe(0);
    expect(second.checks.reduce((n, c) => n + c.reviewItems.opened, 0)).toBe(0);
  });

  it('writes nothing on a dry run but reports what it would write', async () => {
    const result = await world.cycle({ dryRun: true });
    expect(world.scenario.state.writes).toEqual([]);
    expect(await database.db.selectFrom('changes').selectAll().execute()).toEqual([]);
    for (const check of ['payment-status', 'booking-stage']) {
      expect(result.checks.find((c) => c.check === check)?.wouldWrite, check).toBe(world.scenario.injected.filter((i) => i.check === check && i.expected === 'auto_fix').length);
    }
  });

  it('opens one review item per escalation and posts unmatched records as exceptions', async () => {
    await world.cycle();
    const items = await database.db.selectFrom('review_items').selectAll().execute();
    const escalated = world.scenario.injected.filter((i) => i.expected.startsWith('escalate:'));
    expect(items).toHaveLength(escalated.length);
    expect(items.filter((i) => i.presentation === 'exceptions')).toHaveLength(escalated.filter((i) => i.expected === 'escalate:unmatched').length);
  });

  it('leaves an escalation that did not change as it was: its message is not drawn again', async () => {
    await world.cycle();
    const before = await database.db.selectFrom('review_items').select(['id', 'updated_at']).orderBy('id').execute();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await world.cycle();
    const after = await database.db.selectFrom('review_items').select(['id', 'updated_at']).orderBy('id').execute();
    expect(after.map((i) => i.updated_at.getTime())).toEqual(before.map((i) => i.updated_at.getTime()));
  });

  it('marks an open item resolved elsewhere once a person fixes the record by hand', async () => {
    await world.cycle();
    const planted = world.scenario.injected.find((i) => i.drift === 'recent_human_edit');
    const dealRecord = world.scenario.state.hubspot.deals.get(planted?.targetId ?? '');
    if (!dealRecord) throw new Error('planted deal missing');
    applyHubSpotUpdate(world.scenario.state, 'deals', dealRecord, { dealstage: 'closedwon' }, new Date());
    await world.cycle();
    const item = await database.db.selectFrom('review_items').selectAll().where('entity_key', 'like', `%hubspot:deals:${dealRecord.id}`).executeTakeFirstOrThrow();
    expect(item.status).toBe('resolved_elsewhere');
  });

  it('does not escalate a fingerprint while an Ignore is in force', async () => {
    await world.cycle();
    const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'high_value').executeTakeFirstOrThrow();
    await database.db.insertInto('suppressions').values({ fingerprint: item.fingerprint, check_name: item.check_name, created_by: 'U0OPSLEAD', expires_at: null }).execute();
    const result = await world.cycle();
    expect(result.checks.find((c) => c.check === 'payment-status')?.suppressed).toBe(1);
  });

  it('skips a write whose target changed since the decision and logs it stale', async () => {
    const [id, record] = [...world.scenario.state.hubspot.deals].find(([, d]) => d.properties.dealstage === 'appointmentscheduled') ?? [];
    if (!id || !record) throw new Error('no deal to use');
    const write = { system: 'hubspot' as const, object: 'deals', id, field: 'dealstage', from: 'qualifiedtobuy', to: 'closedwon', financial: false };
    const tally = await applyWrites(
      { store: storeFor(database), connectors: world.connectors, actor: 'auto', origin: 'test', runId: null, logger: silentLogger },
      [{ write, check: 'payment-status', fingerprint: 'f', rule: 'source_of_truth', reason: 'test', idempotencyKey: idempotencyKey('test', 'f', write) }],
    );
    expect(tally).toMatchObject({ applied: 0, stale: 1 });
    expect(world.scenario.state.writes).toEqual([]);
  });

  it('re-reads before retrying a failed write and leaves a change a person made meanwhile', async () => {
    const [id, record] = [...world.scenario.state.hubspot.deals].find(([, d]) => d.properties.dealstage === 'appointmentscheduled') ?? [];
    if (!id || !record) throw new Error('no deal to use');
    let failedOnce = false;
    world.sandbox.faults.set({
      beforeWrite: () => {
        if (failedOnce) return;
        failedOnce = true;
        applyHubSpotUpdate(world.scenario.state, 'deals', record, { dealstage: 'closedlost' }, new Date());
        throw new Error('HubSpot had a bad moment');
      },
    });
    const write = { system: 'hubspot' as const, object: 'deals', id, field: 'dealstage', from: 'appointmentscheduled', to: 'closedwon', financial: false };
    const tally = await applyWrites(
      { store: storeFor(database), connectors: world.connectors, actor: 'auto', origin: 'test', runId: null, logger: silentLogger, sleep: async () => {} },
      [{ write, check: null, fingerprint: null, rule: null, reason: null, idempotencyKey: idempotencyKey('test', null, write) }],
    );
    expect(tally).toMatchObject({ applied: 0, stale: 1 });
    expect(record.properties.dealstage).toBe('closedlost');
    const outcomes = await database.db.selectFrom('changes').select(['outcome']).orderBy('id').execute();
    expect(outcomes.map((o) => o.outcome)).toEqual(['failed', 'stale']);
  });

  it('logs noop and sends nothing when the target already holds the value', async () => {
    const [id] = [...world.scenario.state.hubspot.deals].find(([, d]) => d.properties.dealstage === 'closedwon') ?? [];
    if (!id) throw new Error('no deal to use');
    const write = { system: 'hubspot' as const, object: 'deals', id, field: 'dealstage', from: 'qualifiedtobuy', to: 'closedwon', financial: false };
    const tally = await applyWrites(
      { store: storeFor(database), connectors: world.connectors, actor: 'auto', origin: 'test', runId: null, logger: silentLogger },
      [{ write, check: null, fingerprint: null, rule: null, reason: null, idempotencyKey: idempotencyKey('test', null, write) }],
    );
    expect(tally).toMatchObject({ applied: 0, noop: 1 });
    expect(world.scenario.state.writes).toEqual([]);
  });
});

describe('the apply guard', () => {
  it('refuses a financial write by a machine actor whatever the caller planned', async () => {
    const database = await openTestDatabase();
    try {
      const write = { system: 'hubspot' as const, object: 'deals', id: '1', field: 'amount', from: 1, to: 2, financial: true };
      await expect(
        applyWrites(
          { store: storeFor(database), connectors: {}, actor: 'auto', origin: 'test', runId: null, logger: silentLogger },
          [{ write, check: null, fingerprint: null, rule: null, reason: null, idempotencyKey: 'k' }],
        ),
      ).rejects.toThrow(/may not write the financial field hubspot amount/);
    } finally {
      await database.close();
    }
  });
});
