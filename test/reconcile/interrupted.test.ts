import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WriteAttempt } from '../../src/domain/store.ts';
import { silentLogger } from '../../src/log.ts';
import { settleInterruptedWrites } from '../../src/reconcile/apply.ts';
import { applyHubSpotUpdate } from '../../src/sandbox/state.ts';
import type { HubSpotObject } from '../../src/sandbox/hubspot-objects.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

/**
 * A process died after sending a write and before logging its outcome; by the time a later run
 * settles the write, a person has changed the record again. Whether the write landed is then in
 * HubSpot's property history, not in the value.
 */
const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

function someDeal(): HubSpotObject {
  const deal = [...world.scenario.state.hubspot.deals.values()].find((d) => !d.archived && !['closedlost', 'contractsent'].includes(d.properties.dealstage ?? ''));
  if (!deal) throw new Error('the scenario has no open deal');
  return deal;
}

function attempt(deal: HubSpotObject): WriteAttempt {
  return {
    actor: 'auto', origin: 'run:1', runId: null, check: 'payment-status', fingerprint: `fp-${deal.id}`,
    system: 'hubspot', object: 'deals', externalId: deal.id, field: 'dealstage',
    before: deal.properties.dealstage ?? null, after: 'closedlost', rule: 'map', reason: 'cancelled in Stripe', idempotencyKey: `key-${deal.id}`,
  };
}

const settle = () => settleInterruptedWrites({ store: world.store, connectors: world.connectors, logger: silentLogger }, () => true);
const logged = () => database.db.selectFrom('changes').select(['external_id', 'outcome', 'error']).execute();

describe('settling a write an interrupted run left unconfirmed', () => {
  it('logs it applied when HubSpot applied it and a person changed the record afterwards', async () => {
    const deal = someDeal();
    await world.store.recordIntents([attempt(deal)]);
    const [outcome] = await world.connectors.hubspot!.write([{ object: 'deals', id: deal.id, field: 'dealstage', value: 'closedlost', idempotencyKey: 'k' }]);
    expect(outcome?.ok).toBe(true);
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'contractsent' }, new Date(Date.now() + 1), 'person');

    expect(await settle()).toEqual({ applied: 1, failed: 0, stale: 0 });
    expect(await logged()).toEqual([{ external_id: deal.id, outcome: 'applied', error: null }]);
  });

  it('logs it not applied when the history holds no write by Recon and a person changed the record', async () => {
    const deal = someDeal();
    await world.store.recordIntents([attempt(deal)]);
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'contractsent' }, new Date(), 'person');

    expect(await settle()).toEqual({ applied: 0, failed: 0, stale: 1 });
    expect((await logged())[0]?.outcome).toBe('stale');
  });

  it('logs it applied when HubSpot applied it and a person then put the old value back', async () => {
    const deal = someDeal();
    const original = deal.properties.dealstage ?? null;
    await world.store.recordIntents([attempt(deal)]);
    await world.connectors.hubspot!.write([{ object: 'deals', id: deal.id, field: 'dealstage', value: 'closedlost', idempotencyKey: 'k' }]);
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: original }, new Date(Date.now() + 1), 'person');

    expect(await settle()).toEqual({ applied: 1, failed: 0, stale: 0 });
  });

  it('does not take an older write by Recon of the same value for this one', async () => {
    const deal = someDeal();
    const original = deal.properties.dealstage ?? null;
    // Recon wrote closedlost two hours ago (as its app); a person moved the deal back an hour ago;
    // now a new intent never left, and a person changes the deal again.
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'closedlost' }, new Date(Date.now() - 7_200_000), 'integration');
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: original }, new Date(Date.now() - 3_600_000), 'person');
    await world.store.recordIntents([attempt(deal)]);
    applyHubSpotUpdate(world.scenario.state, 'deals', deal, { dealstage: 'contractsent' }, new Date(Date.now() + 1), 'person');

    expect(await settle()).toEqual({ applied: 0, failed: 0, stale: 1 });
  });
});
