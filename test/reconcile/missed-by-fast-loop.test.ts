import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import type { FastLoopCoverage } from '../../src/reconcile/stats.ts';
import { changeStripeSubscription } from '../../src/sandbox/state.ts';
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

const cycleWith = async (fastLoop: FastLoopCoverage, full = false) => {
  const result = await runCycle({ store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger, fastLoop }, { full });
  return result.checks.find((c) => c.check === 'payment-status');
};
/** A Stripe customer in agreement with its deal now; its cancellation is a change a webhook carries. */
function cancelACleanSubscription(at: number) {
  const { stripe } = world.scenario.state;
  const subscription = [...stripe.subscriptions.values()].find((s) => s.status === 'active' && !world.scenario.injected.some((i) => i.sourceId === s.customer))!;
  changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, at);
}

describe('counting what the fast loop missed', () => {
  it('counts a Stripe change since the last cycle that no webhook fixed', async () => {
    cancelACleanSubscription(Date.now());
    const check = await cycleWith({ systems: ['stripe'], since: 0, delayMs: 0 });
    expect(check?.discrepancies.byCategory.cancelled_but_still_active).toBe(1);
    expect(check?.missedByFastLoop).toBe(1);
  });

  it('does not count a change younger than the fast loop’s delay: it may still be on its way', async () => {
    cancelACleanSubscription(Date.now());
    expect((await cycleWith({ systems: ['stripe'], since: 0, delayMs: 3_600_000 }))?.missedByFastLoop).toBe(0);
  });

  it('does not count a change in a system whose webhooks are off', async () => {
    cancelACleanSubscription(Date.now());
    expect((await cycleWith({ systems: ['hubspot'], since: 0, delayMs: 0 }))?.missedByFastLoop).toBe(0);
  });

  it('does not count drift older than the previous cycle: that cycle saw it already', async () => {
    // The planted drift of the seeded world predates the first cycle and is still open.
    const check = await cycleWith({ systems: ['stripe', 'hubspot'], since: 0, delayMs: 0 }, true);
    expect(check?.discrepancies.total).toBeGreaterThan(0);
    expect(check?.missedByFastLoop).toBe(0);
  });
});
