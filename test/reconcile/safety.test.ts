import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/load-policy.ts';
import type { Policy } from '../../src/config/policy.ts';
import { decideItem } from '../../src/decisions/decide.ts';
import { silentLogger } from '../../src/log.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import { PolicyMismatchError } from '../../src/reconcile/preflight.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY, startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

const example = readFileSync(EXAMPLE_POLICY, 'utf8');
/** The example policy with one piece of text replaced. */
const policyWith = (from: string, to: string): Policy => {
  if (!example.includes(from)) throw new Error(`the example policy has no "${from}"`);
  return parsePolicy(example.replace(from, to));
};
const cycle = (policy: Policy, options: Parameters<typeof runCycle>[1] = { full: true }) =>
  runCycle({ store: world.store, connectors: world.connectors, policy, logger: silentLogger }, options);
const items = () => database.db.selectFrom('review_items').select(['id', 'status', 'updated_at']).orderBy('id').execute();

describe('a policy the systems do not match', () => {
  it('stops before any read when the target field is misspelled, naming the nearest property', async () => {
    const error = await cycle(policyWith('field: dealstage }', 'field: deal_stage }')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyMismatchError);
    expect((error as PolicyMismatchError).exitCode).toBe(2);
    expect((error as Error).message).toBe('check payment-status: checks[0].target.field "deal_stage" is not a field of hubspot deals; did you mean "dealstage"?');
    expect(world.scenario.state.writes).toEqual([]);
    expect(await database.db.selectFrom('runs').selectAll().execute()).toEqual([]);
  });

  it('stops when the source field is misspelled, and changes no open item', async () => {
    await cycle(world.policy);
    const before = await items();
    const error = await cycle(policyWith('field: subscription_status }', 'field: subscripton_status }')).catch((e: unknown) => e);
    expect((error as Error).message).toBe('check payment-status: checks[0].source.field "subscripton_status" is not a field of stripe customers (nor metadata.<key>); did you mean "subscription_status"?');
    expect(await items()).toEqual(before);
  });

  it('stops when the map writes a value no pipeline has, naming the nearest stage', async () => {
    const error = await cycle(policyWith('active:   { write: closedwon,  accept: [closedwon] }', 'active:   { write: closed_won,  accept: [closedwon] }')).catch((e: unknown) => e);
    expect((error as Error).message).toBe('check payment-status: checks[0].map.active.write "closed_won" is not a hubspot dealstage value in any pipeline; did you mean "closedwon"?');
    expect(world.scenario.state.writes).toEqual([]);
  });

  it('reads no record before it stops', async () => {
    const before = world.sandbox.requests();
    await cycle(policyWith('field: dealstage }', 'field: deal_stage }')).catch(() => undefined);
    const after = world.sandbox.requests();
    // Only the descriptions of the objects were read: properties and pipelines, no deal or customer.
    expect(after.stripe).toBe(before.stripe);
    expect(after.hubspot - before.hubspot).toBeLessThanOrEqual(2);
  });
});

describe('a deal in a pipeline the map does not fit', () => {
  it('is escalated as a mapping gap and never sent to HubSpot', async () => {
    const planted = world.scenario.injected.find((i) => i.drift === 'stage_of_another_pipeline');
    await world.cycle();
    const item = await database.db.selectFrom('review_items').selectAll().where('entity_key', 'like', `%:${planted?.targetId}`).executeTakeFirstOrThrow();
    expect(item).toMatchObject({ reason: 'mapping_gap', category: 'paid_but_not_marked' });
    expect(world.scenario.state.writes.some((w) => w.id === planted?.targetId)).toBe(false);
  });
});

describe('a write HubSpot refuses for one record', () => {
  it('fails that record alone with HubSpot’s message, logs it, counts it and keeps it in the queue', async () => {
    const hubspot = world.connectors.hubspot as NonNullable<typeof world.connectors.hubspot>;
    const renewals = world.scenario.state.hubspot.pipelines.find((p) => p.id !== 'default') as { id: string };
    let moved: string | undefined;
    // Between the cycle's read and its write, a person moves one of the deals to fix into the Renewals pipeline.
    const racing = new Proxy(hubspot, {
      get(target, key, receiver) {
        if (key !== 'write') return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<typeof hubspot.write>) => {
          if (moved === undefined) {
            moved = args[0].find((w) => w.field === 'dealstage')?.id;
            const deal = moved ? world.scenario.state.hubspot.deals.get(moved) : undefined;
            if (deal) deal.properties.pipeline = renewals.id;
          }
          return target.write(...args);
        };
      },
    });
    const result = await runCycle({ store: world.store, connectors: { ...world.connectors, hubspot: racing }, policy: world.policy, logger: silentLogger }, { full: true });
    const payment = result.checks.find((c) => c.check === 'payment-status');
    expect(moved).toBeDefined();
    expect(payment?.failed).toBe(1);
    expect(payment?.autoFixed).toBeGreaterThan(0);
    const change = await database.db.selectFrom('changes').selectAll().where('external_id', '=', moved as string).where('outcome', '=', 'failed').executeTakeFirstOrThrow();
    expect(change.error).toMatch(/was not one of the allowed options/);
    const item = await database.db.selectFrom('review_items').selectAll().where('entity_key', 'like', `%:${moved}`).executeTakeFirstOrThrow();
    expect(item).toMatchObject({ status: 'open', reason: 'write_refused' });
    expect((item.suggestion as { explanation: string }).explanation).toMatch(/^hubspot refused the write of dealstage "closedwon": .*was not one of the allowed options/);
    expect(world.scenario.state.hubspot.deals.get(moved as string)?.properties.dealstage).not.toBe('closedwon');

    // The next cycle reads the deal in its new pipeline: the same item stays open, now as a mapping gap, and nothing is sent.
    const writesBefore = world.scenario.state.writes.length;
    await world.cycle();
    expect(world.scenario.state.writes.slice(writesBefore).some((w) => w.id === moved)).toBe(false);
    const still = await database.db.selectFrom('review_items').selectAll().where('entity_key', 'like', `%:${moved}`).execute();
    expect(still).toMatchObject([{ id: item.id, status: 'open', reason: 'mapping_gap' }]);
  });

  it('is not sent again by later cycles while its item waits for a person', async () => {
    const hubspot = world.connectors.hubspot as NonNullable<typeof world.connectors.hubspot>;
    let refusedId: string | undefined;
    const sentIds: string[] = [];
    // A HubSpot validation rule Recon cannot see refuses one deal's stage, every time.
    const validating = new Proxy(hubspot, {
      get(target, key, receiver) {
        if (key !== 'write') return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<typeof hubspot.write>) => {
          refusedId ??= args[0].find((w) => w.field === 'dealstage')?.id;
          sentIds.push(...args[0].map((w) => w.id));
          const outcomes = await target.write(args[0].filter((w) => w.id !== refusedId), args[1]);
          return args[0].map((w) => outcomes.find((o) => o.id === w.id && o.field === w.field)
            ?? { id: w.id, field: w.field, ok: false as const, retryable: false, error: 'HTTP 400: Property values were not valid: a validation rule requires a close reason' });
        };
      },
    });
    const run = () => runCycle({ store: world.store, connectors: { ...world.connectors, hubspot: validating }, policy: world.policy, logger: silentLogger }, { full: true });
    await run();
    const item = await database.db.selectFrom('review_items').selectAll().where('entity_key', 'like', `%:${refusedId}`).executeTakeFirstOrThrow();
    expect(item).toMatchObject({ status: 'open', reason: 'write_refused' });
    sentIds.length = 0;
    const again = await run();
    expect(sentIds).not.toContain(refusedId);
    expect(again.checks.find((c) => c.check === 'payment-status')?.escalatedByReason.write_refused).toBe(1);
    const still = await database.db.selectFrom('review_items').selectAll().where('entity_key', 'like', `%:${refusedId}`).execute();
    expect(still).toMatchObject([{ id: item.id, status: 'open', reason: 'write_refused' }]);
  });
});

describe('a check removed from the policy', () => {
  it('has its open items closed as obsolete by the next full cycle, and the other checks keep theirs', async () => {
    await world.cycle();
    const openOf = (check: string) => database.db.selectFrom('review_items').select(['id', 'status']).where('check_name', '=', check).execute();
    const before = await openOf('booking-stage');
    expect(before.length).toBeGreaterThan(0);
    const paymentBefore = await openOf('payment-status');
    const without = { ...world.policy, checks: world.policy.checks.filter((c) => c.name !== 'booking-stage') };
    await cycle(without);
    expect((await openOf('booking-stage')).map((i) => i.status)).toEqual(before.map(() => 'obsolete'));
    expect((await openOf('payment-status')).filter((i) => i.status === 'obsolete')).toEqual([]);
    expect((await openOf('payment-status')).length).toBe(paymentBefore.length);
  });
});

describe('the blast-radius guard', () => {
  const paymentStatusChanges = () => database.db.selectFrom('changes').select('external_id').where('check_name', '=', 'payment-status').where('outcome', '=', 'applied').execute();
  const guarded = () => policyWith('    humanEditWindow: 24h', '    humanEditWindow: 24h\n    guards: { maxAutoFixes: 1 }');

  it('writes nothing for a check that would fix more records than it allows, and asks a person', async () => {
    const result = await cycle(guarded());
    const check = result.checks.find((c) => c.check === 'payment-status');
    expect(check?.heldByGuard).toBeGreaterThan(1);
    expect(check?.autoFixed).toBe(0);
    expect(await paymentStatusChanges()).toEqual([]);
    const guard = await database.db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').executeTakeFirstOrThrow();
    expect(guard).toMatchObject({ check_name: 'payment-status', reason: 'blast_radius', status: 'open' });
    expect((guard.suggestion as { held: { orders: unknown[] } }).held.orders).toHaveLength(check?.heldByGuard ?? 0);
  });

  it('writes the held fixes once an approver releases them', async () => {
    await cycle(guarded());
    const guard = await database.db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').executeTakeFirstOrThrow();
    const held = (guard.suggestion as { held: { orders: unknown[] } }).held.orders.length;
    const result = await decideItem(
      { store: world.store, connectors: world.connectors, policy: guarded(), directory: { membersOf: async () => [] }, logger: silentLogger },
      { action: 'release', itemId: guard.id, user: 'U0OPSLEAD' },
    );
    expect(result).toMatchObject({ kind: 'decided', outcome: 'approved' });
    expect(await paymentStatusChanges()).toHaveLength(held);
  });

  it('keeps the default guard out of the way of a normal cycle', async () => {
    const result = await cycle(world.policy);
    expect(result.checks.every((c) => c.heldByGuard === 0)).toBe(true);
  });
});

describe('a source field empty on every record', () => {
  it('is a warning in the summary and closes no open item', async () => {
    await cycle(world.policy);
    const open = (await items()).filter((i) => i.status === 'open').map((i) => i.id);
    const result = await cycle(policyWith('field: subscription_status }', 'field: metadata.plan }'), { full: true, checks: ['payment-status'] });
    expect(result.checks[0]?.warnings[0]).toMatch(/metadata\.plan is empty on all \d+ records read; open items were left as they are/);
    const still = new Set((await items()).filter((i) => i.status === 'open').map((i) => i.id));
    expect(open.filter((id) => !still.has(id))).toEqual([]);
  });
});
