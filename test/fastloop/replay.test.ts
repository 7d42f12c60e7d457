import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toInboxEvent } from '../../src/connectors/stripe/adapter.ts';
import { insertEvents } from '../../src/db/repositories/inbox.ts';
import { replayMissedEvents } from '../../src/fastloop/replay.ts';
import { silentLogger } from '../../src/log.ts';
import { changeStripeSubscription, type StripeEvent } from '../../src/sandbox/state.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

const replay = () => replayMissedEvents({ db: database.db, connectors: world.connectors, logger: silentLogger });
const activeSubscription = () => [...world.scenario.state.stripe.subscriptions.values()].find((s) => s.status === 'active')!;
const lastStripeEvent = (): StripeEvent => [...world.scenario.state.stripe.events.values()].at(-1) as StripeEvent;

describe('replaying events the webhooks missed', () => {
  it('starts from now on its first run: the cycles have seen everything before', async () => {
    expect(await replay()).toEqual({ stripe: { stored: 0, duplicates: 0 } });
    expect(await database.db.selectFrom('fastloop_cursors').select('provider').execute()).toEqual([{ provider: 'stripe' }]);
  });

  it('stores a change whose webhook never arrived, once', async () => {
    await replay();
    const subscription = activeSubscription();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now() + 1000);
    expect((await replay()).stripe).toEqual({ stored: 1, duplicates: 0 });
    expect((await replay()).stripe).toEqual({ stored: 0, duplicates: 0 });
    const [stored] = await database.db.selectFrom('inbox').select(['provider', 'event_id', 'status']).execute();
    expect(stored).toEqual({ provider: 'stripe', event_id: lastStripeEvent().id, status: 'pending' });
  });

  it('counts an event whose webhook did arrive as a duplicate, not new work', async () => {
    await replay();
    changeStripeSubscription(world.scenario.state, activeSubscription().id, { status: 'canceled' }, Date.now() + 1000);
    await insertEvents(database.db, [toInboxEvent(lastStripeEvent() as never)]);
    expect((await replay()).stripe).toEqual({ stored: 0, duplicates: 1 });
    expect(await database.db.selectFrom('inbox').select('id').execute()).toHaveLength(1);
  });
});
