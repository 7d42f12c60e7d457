import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideItem, OTHER_DIRECTION, type DecisionDeps } from '../../src/decisions/decide.ts';
import type { ReviewItem } from '../../src/db/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { ReconStore } from '../../src/domain/store.ts';
import { storeFor } from '../../src/main.ts';
import { useTestDatabase, TEST_DATABASE_URL } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

// The example policy: approvers U0OPSLEAD and group S0OPSTEAM; financial approver U0OPSLEAD.
const LEAD = 'U0OPSLEAD';
const TEAM_MEMBER = 'U0MEMBER';
const STRANGER = 'U0STRANGER';

const database = useTestDatabase();
let world: World;
let deps: DecisionDeps;
beforeEach(async () => {
  world = await startWorld(database);
  deps = {
    store: storeFor(database),
    connectors: world.connectors,
    policy: world.policy,
    directory: { membersOf: async (group) => (group === 'S0OPSTEAM' ? [TEAM_MEMBER] : []) },
    logger: silentLogger,
  };
  await world.cycle();
});
afterEach(async () => {
  await world.close();
});

const item = (reason: string) => database.db.selectFrom('review_items').selectAll().where('reason', '=', reason).orderBy('id').executeTakeFirstOrThrow();
const deal = (record: ReviewItem) => world.scenario.state.hubspot.deals.get((record.target as { id: string }).id);

describe('deciding a review item', () => {
  it('approves a high-value fix: writes the suggestion, logs it, closes the item', async () => {
    const highValue = await item('high_value');
    const result = await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'approved', item: { status: 'approved', decided_by: TEAM_MEMBER } });
    expect(deal(highValue)?.properties.dealstage).toBe('closedwon');
    const change = await database.db.selectFrom('changes').selectAll().where('origin', '=', `decision:${highValue.id}`).executeTakeFirstOrThrow();
    expect(change).toMatchObject({ actor: TEAM_MEMBER, outcome: 'applied', after: 'closedwon' });
  });

  it('refuses someone who is not an approver and changes nothing', async () => {
    const highValue = await item('high_value');
    const writesBefore = world.scenario.state.writes.length;
    const result = await decideItem(deps, { action: 'approve', itemId: highValue.id, user: STRANGER });
    expect(result.kind).toBe('refused');
    expect(world.scenario.state.writes.length).toBe(writesBefore);
    expect((await item('high_value')).status).toBe('open');
    const logged = await database.db.selectFrom('decision_log').selectAll().execute();
    expect(logged).toMatchObject([{ actor: STRANGER, outcome: 'refused' }]);
  });

  it('refuses an approver who is not a financial approver on a financial write', async () => {
    const financial = await item('financial');
    const result = await decideItem(deps, { action: 'approve', itemId: financial.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('financial approver') });
    expect((await item('financial')).status).toBe('open');
  });

  it('lets a financial approver approve a financial write', async () => {
    const financial = await item('financial');
    const result = await decideItem(deps, { action: 'approve', itemId: financial.id, user: LEAD });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'approved' });
    const written = world.scenario.state.writes.find((w) => w.id === (financial.target as { id: string }).id);
    expect(written?.properties).toHaveProperty('amount');
  });

  it('writes the chosen value on an override with a reason', async () => {
    const edited = await item('recent_human_edit');
    const result = await decideItem(deps, { action: 'override', itemId: edited.id, user: TEAM_MEMBER, value: 'contractsent', reason: 'still negotiating' });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'overridden' });
    expect(deal(edited)?.properties.dealstage).toBe('contractsent');
  });

  it('refuses an override without a reason', async () => {
    const edited = await item('recent_human_edit');
    expect((await decideItem(deps, { action: 'override', itemId: edited.id, user: LEAD, value: 'closedwon', reason: ' ' })).kind).toBe('refused');
  });

  it('refuses the other direction on a check that maps values one way', async () => {
    const edited = await item('recent_human_edit');
    const result = await decideItem(deps, { action: 'override', itemId: edited.id, user: LEAD, value: OTHER_DIRECTION, reason: 'test' });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('maps values one way') });
  });

  it('suppresses an ignored fingerprint in the next cycle', async () => {
    const highValue = await item('high_value');
    await decideItem(deps, { action: 'ignore', itemId: highValue.id, user: TEAM_MEMBER, snoozeDays: 7 });
    const next = await world.cycle();
    expect(next.checks.find((c) => c.check === 'payment-status')?.suppressed).toBe(1);
    expect(world.scenario.state.writes.some((w) => w.id === (highValue.target as { id: string }).id)).toBe(false);
  });

  it('tells a second clicker who already decided', async () => {
    const highValue = await item('high_value');
    await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    const second = await decideItem(deps, { action: 'approve', itemId: highValue.id, user: LEAD });
    expect(second).toMatchObject({ kind: 'already_decided', message: expect.stringContaining(`<@${TEAM_MEMBER}>`) });
  });

  it('writes nothing and reopens the item when the record changed since it was raised', async () => {
    const highValue = await item('high_value');
    const record = deal(highValue);
    if (!record) throw new Error('deal missing');
    record.properties.dealstage = 'contractsent';
    const result = await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'stale', item: { status: 'open' } });
    expect(record.properties.dealstage).toBe('contractsent');
  });
});

describe('a decision whose write fails', () => {
  const failHubSpotWrites = () =>
    world.sandbox.faults.set({
      beforeWrite: (system) => {
        if (system === 'hubspot') throw new Error('injected write failure');
      },
    });

  it('keeps the item open as failed, so the next cycle refreshes it instead of opening another', async () => {
    const highValue = await item('high_value');
    failHubSpotWrites();
    const result = await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'failed', item: { status: 'failed' } });
    world.sandbox.faults.set({});
    await world.cycle();
    const items = await database.db.selectFrom('review_items').selectAll().where('fingerprint', '=', highValue.fingerprint).execute();
    expect(items).toMatchObject([{ id: highValue.id, status: 'failed' }]);
  });

  it('retries an override as an override, with its reason, under a new idempotency key', async () => {
    const edited = await item('recent_human_edit');
    failHubSpotWrites();
    await decideItem(deps, { action: 'override', itemId: edited.id, user: TEAM_MEMBER, value: 'contractsent', reason: 'still negotiating' });
    world.sandbox.faults.set({});
    const retried = await decideItem(deps, { action: 'retry', itemId: edited.id, user: TEAM_MEMBER });
    expect(retried).toMatchObject({ kind: 'decided', outcome: 'overridden', item: { status: 'overridden' } });
    expect(deal(edited)?.properties.dealstage).toBe('contractsent');
    const attempts = await database.db.selectFrom('changes').select(['outcome', 'idempotency_key', 'reason']).where('origin', '=', `decision:${edited.id}`).orderBy('id').execute();
    const applied = attempts.at(-1);
    expect(applied?.outcome).toBe('applied');
    expect(attempts.slice(0, -1).every((a) => a.outcome === 'failed' && a.idempotency_key !== applied?.idempotency_key)).toBe(true);
    expect(applied?.reason).toContain('still negotiating');
  });

  it('can be ignored instead of retried', async () => {
    const highValue = await item('high_value');
    failHubSpotWrites();
    await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    const ignored = await decideItem(deps, { action: 'ignore', itemId: highValue.id, user: TEAM_MEMBER, snoozeDays: null });
    expect(ignored).toMatchObject({ kind: 'decided', outcome: 'ignored' });
  });

  it('is resolved elsewhere when a later cycle finds the records agree', async () => {
    const highValue = await item('high_value');
    failHubSpotWrites();
    await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    world.sandbox.faults.set({});
    const record = deal(highValue);
    if (!record) throw new Error('deal missing');
    record.properties.dealstage = 'closedwon';
    await world.cycle();
    expect((await item('high_value')).status).toBe('resolved_elsewhere');
  });
});

describe('checks before anything is claimed', () => {
  it('refuses an override value the target field does not accept, and keeps the item open', async () => {
    const edited = await item('recent_human_edit');
    const result = await decideItem(deps, { action: 'override', itemId: edited.id, user: TEAM_MEMBER, value: 'Closed Won', reason: 'typed the label' });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('is not a hubspot dealstage value') });
    expect((await item('recent_human_edit')).status).toBe('open');
    expect(world.scenario.state.writes.some((w) => w.id === (edited.target as { id: string }).id)).toBe(false);
  });

  it("refuses an override to a stage of another pipeline than the deal's, naming the deal's pipeline", async () => {
    const edited = await item('recent_human_edit');
    expect(deal(edited)?.properties.pipeline).toBe('default');
    // `1002` is "Renewed" of the Renewals pipeline: a real stage, but not of this deal's pipeline.
    const result = await decideItem(deps, { action: 'override', itemId: edited.id, user: TEAM_MEMBER, value: '1002', reason: 'renewed' });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('"1002" is not a hubspot dealstage value in pipeline Sales Pipeline') });
    expect((await item('recent_human_edit')).status).toBe('open');
    expect(world.scenario.state.writes.some((w) => w.id === (edited.target as { id: string }).id)).toBe(false);
  });

  it('tells someone who may not decide that they may not, not who decided', async () => {
    const highValue = await item('high_value');
    await decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    const result = await decideItem(deps, { action: 'approve', itemId: highValue.id, user: STRANGER });
    expect(result.kind).toBe('refused');
    expect(result.message).not.toContain(TEAM_MEMBER);
  });

  it('needs a financial approver for a field the policy made financial after the item was raised', async () => {
    const highValue = await item('high_value');
    const policy = { ...world.policy, checks: world.policy.checks.map((c) => (c.name === highValue.check_name ? { ...c, target: { ...c.target, financial: true } } : c)) };
    const result = await decideItem({ ...deps, policy }, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('financial approver') });
  });
});

describe('a decision interrupted after its claim', () => {
  it('settles as failed, not deciding, when something throws after the claim', async () => {
    const highValue = await item('high_value');
    const clockBroke = () => {
      throw new Error('clock broke');
    };
    const result = await decideItem({ ...deps, now: clockBroke }, { action: 'ignore', itemId: highValue.id, user: TEAM_MEMBER, snoozeDays: 3 });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'failed', message: expect.stringContaining('clock broke') });
    expect((await item('high_value')).status).toBe('failed');
  });

  it('sends nothing when its claim was taken over while it read the record', async () => {
    const highValue = await item('high_value');
    const hubspot = deps.connectors.hubspot as NonNullable<typeof deps.connectors.hubspot>;
    // While the decision re-reads the deal, a cycle reopens the item and someone else claims it.
    const racing = new Proxy(hubspot, {
      get(target, key, receiver) {
        if (key !== 'read') return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<typeof hubspot.read>) => {
          await database.db.updateTable('review_items').set({ decided_by: LEAD, claimed_at: new Date(Date.now() + 1_000) }).where('id', '=', highValue.id).execute();
          return target.read(...args);
        };
      },
    });
    const writesBefore = world.scenario.state.writes.length;
    const result = await decideItem({ ...deps, connectors: { ...deps.connectors, hubspot: racing } }, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'already_decided', message: expect.stringContaining(`<@${LEAD}>`) });
    expect(world.scenario.state.writes.length).toBe(writesBefore);
    expect(await database.db.selectFrom('write_intents').selectAll().where('origin', '=', `decision:${highValue.id}`).execute()).toEqual([]);
  });

  it('is reopened by the next cycle once its claim is older than ten minutes', async () => {
    const highValue = await item('high_value');
    await database.db.updateTable('review_items').set({ status: 'deciding', decided_by: TEAM_MEMBER, claimed_at: new Date(Date.now() - 11 * 60_000), claim_renewed_at: null }).where('id', '=', highValue.id).execute();
    await world.cycle();
    expect((await item('high_value')).status).toBe('open');
  });

  it('renews its claim while a slow vendor keeps it waiting', async () => {
    const highValue = await item('high_value');
    const hubspot = deps.connectors.hubspot as NonNullable<typeof deps.connectors.hubspot>;
    let renewedWhileReading: Date | null = null;
    // The compare-and-set read takes longer than the renewal interval; the claim's renewal time moves meanwhile.
    const slow = new Proxy(hubspot, {
      get(target, key, receiver) {
        if (key !== 'read') return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<typeof hubspot.read>) => {
          const claimed = await item('high_value');
          await new Promise((resolve) => setTimeout(resolve, 250));
          renewedWhileReading = (await item('high_value')).claim_renewed_at;
          expect(renewedWhileReading?.getTime()).toBeGreaterThan((claimed.claim_renewed_at as Date).getTime());
          return target.read(...args);
        };
      },
    });
    const result = await decideItem({ ...deps, renewEveryMs: 50, connectors: { ...deps.connectors, hubspot: slow } }, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'approved' });
    expect(renewedWhileReading).not.toBeNull();
  });

  it('is left alone by a cycle while it renews its claim, however long ago it was claimed', async () => {
    const highValue = await item('high_value');
    await database.db.updateTable('review_items').set({ status: 'deciding', decided_by: TEAM_MEMBER, claimed_at: new Date(Date.now() - 30 * 60_000), claim_renewed_at: new Date(Date.now() - 30_000) }).where('id', '=', highValue.id).execute();
    await world.cycle();
    expect((await item('high_value')).status).toBe('deciding');
  });

  it('is left alone by a cycle while its claim is fresh, even though the cycle refreshes the item', async () => {
    const highValue = await item('high_value');
    await database.db.updateTable('review_items').set({ status: 'deciding', decided_by: TEAM_MEMBER, claimed_at: new Date() }).where('id', '=', highValue.id).execute();
    await world.cycle();
    expect((await item('high_value')).status).toBe('deciding');
  });
});

describe.runIf(TEST_DATABASE_URL)('two approvers clicking at once on real Postgres', () => {
  it('write once, and the second is told who decided', async () => {
    const highValue = await item('high_value');
    const replica = await database.replica();
    try {
      const [a, b] = await Promise.all([
        decideItem(deps, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER }),
        decideItem({ ...deps, store: storeFor(replica) }, { action: 'approve', itemId: highValue.id, user: LEAD }),
      ]);
      expect([a.kind, b.kind].sort()).toEqual(['already_decided', 'decided']);
      const writes = world.scenario.state.writes.filter((w) => w.id === (highValue.target as { id: string }).id);
      expect(writes).toHaveLength(1);
    } finally {
      await replica.close();
    }
  });
});

/** The store, except that the first `logDecision` (in a transaction or not) fails as if the database went away. */
function failingFirstLog(store: ReconStore): ReconStore {
  let failed = false;
  const wrap = (inner: ReconStore): ReconStore => new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'logDecision') {
        return (entry: Parameters<ReconStore['logDecision']>[0]) => {
          if (!failed) {
            failed = true;
            return Promise.reject(new Error('connection terminated'));
          }
          return target.logDecision(entry);
        };
      }
      if (key === 'transaction') return (work: (tx: ReconStore) => Promise<unknown>) => target.transaction((tx) => work(wrap(tx)));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return wrap(store);
}

describe('a decision and its log row', () => {
  it('stand or fall together: an item is never left decided with no row in the decision log', async () => {
    const highValue = await item('high_value');
    await decideItem({ ...deps, store: failingFirstLog(deps.store) }, { action: 'approve', itemId: highValue.id, user: TEAM_MEMBER });
    const after = await item('high_value');
    const logged = await database.db.selectFrom('decision_log').select(['outcome', 'actor']).where('review_item_id', '=', highValue.id).execute();
    expect(after.status).not.toBe('approved');
    expect(logged).toEqual([{ outcome: after.status, actor: TEAM_MEMBER }]);
  });
});
