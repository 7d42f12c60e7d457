import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { applyWrites } from '../../src/reconcile/apply.ts';
import { applyHubSpotUpdate, changeStripeSubscription } from '../../src/sandbox/state.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
  await world.cycle({ full: true });
});
afterEach(async () => {
  await world.close();
});

const incremental = () => world.cycle({ full: false });
const paymentStatus = (result: Awaited<ReturnType<World['cycle']>>) => result.checks.find((c) => c.check === 'payment-status');

/** A customer in agreement with its won deal (a clean pair the generator made), found through the deal. */
function cleanWonPair() {
  const { stripe, hubspot } = world.scenario.state;
  for (const subscription of stripe.subscriptions.values()) {
    if (subscription.status !== 'active') continue;
    const customer = stripe.customers.get(String(subscription.customer));
    const dealId = customer?.metadata.crm_id;
    const deal = dealId ? hubspot.deals.get(dealId) : undefined;
    const planted = world.scenario.injected.some((i) => i.sourceId === customer?.id || i.targetId === dealId);
    if (customer && deal && deal.properties.dealstage === 'closedwon' && !planted) return { customer, subscription, deal };
  }
  throw new Error('no clean pair in the world');
}

describe('an incremental cycle', () => {
  it('finds drift created after the cursor and fixes it', async () => {
    const { subscription, deal } = cleanWonPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    const result = await incremental();
    const check = paymentStatus(result);
    expect(check?.mode).toBe('incremental');
    expect(check?.discrepancies.byCategory.cancelled_but_still_active).toBe(1);
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
  });

  it('takes a person’s edit moments after Recon’s own write for the edit it is, not for Recon’s write coming back', async () => {
    const { subscription, deal } = cleanWonPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await incremental();
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('closedlost');
    // Within seconds of Recon's write, a person puts the deal back where it was.
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'closedwon' }, new Date(), 'person');
    const check = paymentStatus(await incremental());
    expect(check?.escalatedByReason.recent_human_edit).toBe(1);
    const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'recent_human_edit').where('status', '=', 'open').execute();
    expect(item.some((i) => (i.target as { id: string }).id === deal.id)).toBe(true);
  });

  it('leaves open the item of a pair whose other record it did not read', async () => {
    const amount = await database.db.selectFrom('review_items').selectAll().where('check_name', '=', 'deal-amount').where('kind', '=', 'value_mismatch').where('status', '=', 'open').executeTakeFirstOrThrow();
    const dealId = (amount.target as { id: string }).id;
    const deal = world.scenario.state.hubspot.deals.get(dealId);
    if (!deal) throw new Error(`no deal ${dealId}`);
    // A person's decision writes the deal's stage: the next incremental read sees the deal (its own write coming back), not its customer.
    const to = deal.properties.dealstage === 'contractsent' ? 'qualifiedtobuy' : 'contractsent';
    await applyWrites({ store: world.store, connectors: world.connectors, actor: 'U0OPSLEAD', origin: 'decision:0', runId: null, logger: silentLogger }, [{
      write: { system: 'hubspot', object: 'deals', id: dealId, field: 'dealstage', from: deal.properties.dealstage ?? null, to, financial: false },
      check: 'payment-status', fingerprint: null, rule: 'override', reason: 'a person moved the deal', idempotencyKey: 'recon-test-moved-deal',
    }]);
    await incremental();
    const after = await database.db.selectFrom('review_items').select('status').where('id', '=', amount.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('open');
  });

  it('sees a person’s edit in the CRM after the cursor and leaves it to a person', async () => {
    const { deal } = cleanWonPair();
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'contractsent' }, new Date(), 'person');
    const check = paymentStatus(await incremental());
    expect(check?.escalatedByReason.recent_human_edit).toBe(1);
    expect(world.scenario.state.hubspot.deals.get(deal.id)?.properties.dealstage).toBe('contractsent');
  });

  it('reads only what changed: one call per system when nothing did', async () => {
    await incremental();
    const result = await incremental();
    expect(result.checks.every((c) => c.mode === 'incremental')).toBe(true);
    expect(result.apiCalls.stripe).toBeLessThanOrEqual(2);
    expect(result.apiCalls.hubspot).toBeLessThanOrEqual(2 + 2);
  });

  it('falls back to a full pass when the Stripe cursor is older than the 30 days of events', async () => {
    const old = JSON.stringify({ t: Math.floor(Date.now() / 1000) - 31 * 86_400, ids: [] });
    const runs = await database.db.selectFrom('runs').select(['id', 'cursors']).execute();
    for (const run of runs) {
      const cursors = run.cursors as Record<string, string>;
      if (cursors.source) await database.db.updateTable('runs').set({ cursors: JSON.stringify({ ...cursors, source: old }) }).where('id', '=', run.id).execute();
    }
    const result = await incremental();
    expect(paymentStatus(result)?.mode).toBe('full');
  });

  it('never concludes that a record is gone; a full pass does', async () => {
    const { subscription, deal } = cleanWonPair();
    deal.archived = true;
    // The customer changes, so the incremental pass reads it and looks for its deal.
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'past_due' }, Date.now());
    const quick = paymentStatus(await incremental());
    expect(quick?.discrepancies.byKind.missing_in_target ?? 0).toBe(0);
    const full = paymentStatus(await world.cycle({ full: true }));
    expect(full?.escalatedByReason.linked_record_missing).toBe(1);
  });
});
