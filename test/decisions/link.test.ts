import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideItem, type DecisionDeps } from '../../src/decisions/decide.ts';
import type { ReviewItem } from '../../src/db/schema.ts';
import { silentLogger } from '../../src/log.ts';
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

type Candidate = { system: string; object: string; id: string };

/** The sandbox's one Stripe customer whose email two HubSpot deals share: the deal it has, and the duplicate. */
async function ambiguousMatch(): Promise<{ item: ReviewItem; customer: string; kept: string; duplicate: string }> {
  const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'ambiguous_match').where('check_name', '=', 'payment-status').executeTakeFirstOrThrow();
  const candidates = (item.suggestion as { candidates: Candidate[] }).candidates;
  const customer = candidates.find((c) => c.system === 'stripe')?.id as string;
  const deals = candidates.filter((c) => c.system === 'hubspot').map((c) => c.id);
  const duplicate = deals.find((id) => world.scenario.state.hubspot.deals.get(id)?.properties.dealname === 'Duplicate deal') as string;
  return { item, customer, kept: deals.find((id) => id !== duplicate) as string, duplicate };
}

const linkOf = (system: string, id: string) =>
  database.db.selectFrom('links').select(['entity_id', 'matched_by']).where('system', '=', system).where('external_id', '=', id).executeTakeFirst();

describe(`picking the record of an ambiguous match on ${TEST_DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`, () => {
  it('links the two records picked, as a person’s link', async () => {
    const { item, customer, duplicate } = await ambiguousMatch();
    await decideItem(deps, { action: 'link', itemId: item.id, user: TEAM_MEMBER, source: customer, target: duplicate });
    const [stripe, hubspot] = await Promise.all([linkOf('stripe', customer), linkOf('hubspot', duplicate)]);
    expect(hubspot).toEqual({ entity_id: stripe?.entity_id, matched_by: 'person' });
  });

  it('closes the item as decided by the picker and logs the decision', async () => {
    const { item, customer, kept } = await ambiguousMatch();
    const result = await decideItem(deps, { action: 'link', itemId: item.id, user: TEAM_MEMBER, source: customer, target: kept });
    expect(result).toMatchObject({ kind: 'decided', outcome: 'approved', item: { status: 'approved', decided_by: TEAM_MEMBER } });
    expect(await database.db.selectFrom('decision_log').select(['actor', 'action', 'outcome']).where('review_item_id', '=', item.id).execute())
      .toEqual([{ actor: TEAM_MEMBER, action: 'link', outcome: 'approved' }]);
  });

  it('writes nothing when the picked records already agree', async () => {
    const { item, customer, kept } = await ambiguousMatch();
    const writes = world.scenario.state.writes.length;
    const result = await decideItem(deps, { action: 'link', itemId: item.id, user: LEAD, source: customer, target: kept });
    expect(world.scenario.state.writes.length).toBe(writes);
    expect(result.kind === 'decided' && result.message).toContain('payment-status: the records agree');
  });

  it('fixes the pair by the rules once linked: the paid customer’s deal is marked won', async () => {
    const { item, customer, duplicate } = await ambiguousMatch();
    await decideItem(deps, { action: 'link', itemId: item.id, user: LEAD, source: customer, target: duplicate });
    expect(world.scenario.state.hubspot.deals.get(duplicate)?.properties.dealstage).toBe('closedwon');
    const change = await database.db.selectFrom('changes').selectAll().where('origin', '=', `decision:${item.id}`).where('field', '=', 'dealstage').executeTakeFirstOrThrow();
    expect(change).toMatchObject({ actor: 'auto', outcome: 'applied', external_id: duplicate, after: 'closedwon' });
  });

  it('raises a new escalation instead of a write when a guard holds: a high-value deal', async () => {
    const { item, customer, duplicate } = await ambiguousMatch();
    const twin = world.scenario.state.hubspot.deals.get(duplicate);
    if (!twin) throw new Error('duplicate deal missing');
    twin.properties.amount = '25000';
    await decideItem(deps, { action: 'link', itemId: item.id, user: LEAD, source: customer, target: duplicate });
    expect(twin.properties.dealstage).toBe('qualifiedtobuy');
    const raised = await database.db.selectFrom('review_items').selectAll().where('status', '=', 'open').where('entity_key', 'like', `%:${duplicate}`).execute();
    expect(raised.map((i) => [i.check_name, i.reason])).toContainEqual(['payment-status', 'high_value']);
  });

  it('refuses someone who is not an approver, and links nothing', async () => {
    const { item, customer, duplicate } = await ambiguousMatch();
    const result = await decideItem(deps, { action: 'link', itemId: item.id, user: STRANGER, source: customer, target: duplicate });
    expect(result.kind).toBe('refused');
    expect(await linkOf('hubspot', duplicate)).toBeUndefined();
  });

  it('refuses a record that is not one of the candidates', async () => {
    const { item, customer } = await ambiguousMatch();
    const result = await decideItem(deps, { action: 'link', itemId: item.id, user: LEAD, source: customer, target: '99999' });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('not among this match’s candidates') });
    expect((await database.db.selectFrom('review_items').select('status').where('id', '=', item.id).executeTakeFirstOrThrow()).status).toBe('open');
  });

  it('refuses a pick on an item that is not an ambiguous match', async () => {
    const highValue = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'high_value').executeTakeFirstOrThrow();
    const result = await decideItem(deps, { action: 'link', itemId: highValue.id, user: LEAD, source: 'x', target: 'y' });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('only an ambiguous match') });
  });

  it('refuses an Override of an ambiguous match: a record must be picked first', async () => {
    const { item } = await ambiguousMatch();
    const result = await decideItem(deps, { action: 'override', itemId: item.id, user: LEAD, value: 'closedwon', reason: 'guess' });
    expect(result).toMatchObject({ kind: 'refused', message: expect.stringContaining('pick the one that belongs first') });
  });

  it('retries a pick whose reconciling failed, with the same records', async () => {
    const { item, customer, duplicate } = await ambiguousMatch();
    const hubspot = deps.connectors.hubspot;
    if (!hubspot) throw new Error('no HubSpot connector');
    // HubSpot cannot be read just after the link is saved.
    const unreadable = new Proxy(hubspot, {
      get: (target, property) => (property === 'read' ? async () => Promise.reject(new Error('HubSpot is unreachable')) : Reflect.get(target, property, target)),
    });
    const first = await decideItem({ ...deps, connectors: { ...deps.connectors, hubspot: unreadable } }, { action: 'link', itemId: item.id, user: LEAD, source: customer, target: duplicate });
    expect(first).toMatchObject({ kind: 'decided', outcome: 'failed', message: expect.stringContaining('HubSpot is unreachable') });
    const retried = await decideItem(deps, { action: 'retry', itemId: item.id, user: LEAD });
    expect(retried).toMatchObject({ kind: 'decided', outcome: 'approved' });
    expect(world.scenario.state.hubspot.deals.get(duplicate)?.properties.dealstage).toBe('closedwon');
  });
});
