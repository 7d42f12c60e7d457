/**
 * History kept only as long as it helps: payloads pruned after the retention period while the trace
 * still tells the story from the change log; `recon forget` leaving no email of a person anywhere.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toInboxEvent } from '../../src/connectors/stripe/adapter.ts';
import { insertEvents } from '../../src/db/repositories/inbox.ts';
import { DEFAULT_RETENTION, prune, tableSizes } from '../../src/db/repositories/retention.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import type { Timeline } from '../../src/domain/trace.ts';
import { startInboxWorker } from '../../src/fastloop/worker.ts';
import { silentLogger } from '../../src/log.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { changeStripeSubscription, type StripeEvent } from '../../src/sandbox/state.ts';
import { recon, reconJson, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const DAY = 86_400_000;
const database = useTestDatabase();
let world: World;
beforeAll(async () => {
  world = await startWorld(database);
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  await world.cycle();
});

const drain = async () => {
  const deps = { store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger, describe: cachedDescriptions(world.connectors) };
  const worker = startInboxWorker({ db: database.db, process: (event) => processEvent(deps, event), subjectKey, logger: silentLogger, maxAttempts: 2 }, false);
  while ((await worker.drainOnce()) > 0);
};

/** An active customer on a won deal below the high-value line, untouched by the generator's drift. */
function cleanPair() {
  const { stripe, hubspot } = world.scenario.state;
  for (const subscription of stripe.subscriptions.values()) {
    if (subscription.status !== 'active') continue;
    const customer = stripe.customers.get(String(subscription.customer));
    if (!customer || world.scenario.injected.some((i) => i.sourceId === customer.id)) continue;
    const deal = hubspot.deals.get(customer.metadata.crm_id ?? '');
    if (deal?.properties.dealstage === 'closedwon' && Number(deal.properties.amount) < 10_000 && !world.scenario.injected.some((i) => i.targetId === deal.id)) return { customer, subscription, deal };
  }
  throw new Error('no clean pair');
}

/** Every table of the schema holding `text` anywhere in a row, with how many rows. */
async function tablesHolding(text: string): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(database.db);
  const found: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table_name)} t WHERE position(${text.toLowerCase()} in lower(t::text)) > 0`.execute(database.db);
    const n = Number(rows.rows[0]?.n ?? 0);
    if (n > 0) found[table_name] = n;
  }
  return found;
}

describe('retention', () => {
  it('prunes a processed payload after the retention period, and the trace still tells the story from the change log', async () => {
    const { customer, subscription, deal } = cleanPair();
    changeStripeSubscription(world.scenario.state, subscription.id, { status: 'canceled' }, Date.now());
    await insertEvents(database.db, [toInboxEvent([...world.scenario.state.stripe.events.values()].at(-1) as StripeEvent as never)]);
    await drain();
    await database.db.updateTable('inbox').set({ processed_at: new Date(Date.now() - (DEFAULT_RETENTION.days + 1) * DAY) }).execute();

    const pruned = await prune(database.db, DEFAULT_RETENTION, new Date());
    expect(pruned.payloads).toBe(1);
    const event = await database.db.selectFrom('inbox').selectAll().executeTakeFirstOrThrow();
    expect(event.payload).toEqual({ pruned: true });
    expect(JSON.stringify(event.payload)).not.toContain(customer.id);

    const timeline = await reconJson<Timeline>(['trace', customer.id], worldOverrides(world, database));
    const summaries = timeline.entries.map((e) => e.summary);
    expect(summaries).toContainEqual(expect.stringMatching(/^webhook customer\.subscription\.(updated|deleted) .*: written \(wrote to hubspot\)$/));
    expect(summaries).toContainEqual(expect.stringContaining(`hubspot deal ${deal.id} dealstage: closedwon → closedlost (rule source_of_truth): applied`));
  });

  it('keeps a payload younger than the retention period, and dead letters however old', async () => {
    await insertEvents(database.db, [
      { provider: 'stripe', eventId: 'evt_young', type: 'customer.updated', objectType: 'customer', objectId: 'cus_young', occurredAt: Date.now(), payload: { id: 'evt_young' } },
      { provider: 'stripe', eventId: 'evt_dead', type: 'customer.updated', objectType: 'customer', objectId: 'cus_dead', occurredAt: Date.now(), payload: { id: 'evt_dead' } },
    ]);
    await database.db.updateTable('inbox').set({ status: 'done', processed_at: new Date(Date.now() - (DEFAULT_RETENTION.days - 1) * DAY) }).where('event_id', '=', 'evt_young').execute();
    await database.db.updateTable('inbox').set({ status: 'dead', processed_at: new Date(Date.now() - 400 * DAY) }).where('event_id', '=', 'evt_dead').execute();
    expect((await prune(database.db, DEFAULT_RETENTION, new Date())).payloads).toBe(0);
  });

  it('deletes discrepancies and closed items past the longer period, and keeps the change log and the decision log', async () => {
    const changes = (await database.db.selectFrom('changes').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()).n;
    const longAgo = new Date(Date.now() - (DEFAULT_RETENTION.historyDays + 1) * DAY);
    await database.db.updateTable('discrepancies').set({ created_at: longAgo }).execute();
    const item = await database.db.selectFrom('review_items').select('id').where('status', '=', 'open').orderBy('id').executeTakeFirstOrThrow();
    await database.db.insertInto('decision_log').values({ review_item_id: item.id, actor: 'U0OPSLEAD', action: 'ignore', outcome: 'ignored', detail: '{}' }).execute();
    await database.db.updateTable('review_items').set({ status: 'ignored', closed_at: longAgo }).execute();

    const pruned = await prune(database.db, DEFAULT_RETENTION, new Date());
    expect(pruned.discrepancies).toBeGreaterThan(0);
    expect(pruned.items).toBeGreaterThan(0);
    expect(await database.db.selectFrom('discrepancies').select('id').execute()).toEqual([]);
    // The decided item stays, without its records: the decision log points to it.
    expect(await database.db.selectFrom('review_items').select(['id', 'source']).execute()).toEqual([{ id: item.id, source: null }]);
    expect((await database.db.selectFrom('changes').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()).n).toBe(changes);
    expect(await database.db.selectFrom('decision_log').select('id').execute()).toHaveLength(1);
  });

  it('reports every table’s rows and size for recon doctor', async () => {
    const sizes = await tableSizes(database.db);
    expect(sizes.map((s) => s.table)).toEqual(expect.arrayContaining(['inbox', 'changes', 'review_items', 'forget_log', 'alerts']));
    expect(sizes.find((s) => s.table === 'links')?.rows).toBeGreaterThan(0);
    expect(sizes.every((s) => s.bytes > 0)).toBe(true);
  });
});

describe('recon forget', () => {
  it('leaves no email of that person in any table, keeps the ids and the change log, and logs it', async () => {
    const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'high_value').orderBy('id').executeTakeFirstOrThrow();
    const source = item.source as { id: string; email: string };
    const email = source.email;
    await insertEvents(database.db, [{
      provider: 'stripe', eventId: 'evt_customer_updated', type: 'customer.updated', objectType: 'customer', objectId: source.id, occurredAt: Date.now(),
      payload: { id: 'evt_customer_updated', type: 'customer.updated', data: { object: { object: 'customer', id: source.id, email, name: 'Ada Lovelace' } } },
    }]);
    await database.db.insertInto('suppressions').values({ fingerprint: item.fingerprint, check_name: item.check_name, created_by: 'U0OPSLEAD', reason: `asked by ${email} on the phone`, review_item_id: item.id }).execute();
    expect(Object.keys(await tablesHolding(email))).toEqual(expect.arrayContaining(['inbox', 'review_items', 'suppressions']));
    const changesBefore = await database.db.selectFrom('changes').selectAll().orderBy('id').execute();

    const { code, stdout, stderr } = await recon(['forget', email, '--as', 'U0OPSLEAD'], worldOverrides(world, database));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Kept as ids: `);
    expect(stdout).toContain(`stripe:customers:${source.id}`);

    expect(await tablesHolding(email)).toEqual({});
    expect(await tablesHolding('Ada Lovelace')).toEqual({});
    expect(await database.db.selectFrom('changes').selectAll().orderBy('id').execute()).toEqual(changesBefore);
    const logged = await database.db.selectFrom('forget_log').selectAll().executeTakeFirstOrThrow();
    expect(logged).toMatchObject({ actor: 'U0OPSLEAD', subject_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(logged.records).toContain(`stripe:customers:${source.id}`);
    // The ids stay: the customer's story is still there by id.
    const timeline = await reconJson<Timeline>(['trace', source.id], worldOverrides(world, database));
    expect(timeline.entries.some((e) => e.kind === 'opened')).toBe(true);
  });

  it('exits 2 for a person Recon has never seen', async () => {
    const { code, stderr } = await recon(['forget', 'nobody@example.invalid', '--as', 'U0OPSLEAD'], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stderr).toContain('Recon knows nothing of nobody@example.invalid');
  });
});
