/**
 * `recon trace` and `/recon trace`: one customer changed by a webhook, then edited by a person,
 * found drifted by a cycle, escalated and approved in Slack; the timeline tells it in order.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toInboxEvent } from '../../src/connectors/stripe/adapter.ts';
import { insertEvents } from '../../src/db/repositories/inbox.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import type { Timeline } from '../../src/domain/trace.ts';
import { startInboxWorker } from '../../src/fastloop/worker.ts';
import { silentLogger } from '../../src/log.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { applyHubSpotUpdate, changeStripeSubscription, type StripeEvent } from '../../src/sandbox/state.ts';
import { ACTIONS, SLASH_COMMAND } from '../../src/slack/ids.ts';
import { recon, reconJson, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { click, startSlackWorld, where, type SlackWorld } from '../slack/support/slack-world.ts';

const LEAD = 'U0OPSLEAD';
const STRANGER = 'U0STRANGER';
const database = useTestDatabase();
let sw: SlackWorld;
let customerId: string;
let dealId: string;
let email: string;

beforeAll(async () => {
  sw = await startSlackWorld(database);
});
afterAll(async () => {
  await sw.close();
});

/** An active customer on a won deal below the high-value line, untouched by the generator's drift and without bookings. */
function cleanPair() {
  const { stripe, hubspot, calendar } = sw.world.scenario.state;
  const booked = JSON.stringify([...(calendar as { events?: Map<string, unknown> }).events?.values() ?? []]);
  for (const subscription of stripe.subscriptions.values()) {
    if (subscription.status !== 'active') continue;
    const customer = stripe.customers.get(String(subscription.customer));
    if (!customer?.email || sw.world.scenario.injected.some((i) => i.sourceId === customer.id)) continue;
    const deal = hubspot.deals.get(customer.metadata.crm_id ?? '');
    if (!deal || deal.properties.dealstage !== 'closedwon' || Number(deal.properties.amount) >= 10_000) continue;
    if (sw.world.scenario.injected.some((i) => i.targetId === deal.id) || booked.includes(customer.email) || booked.includes(deal.id)) continue;
    return { customer, subscription, deal };
  }
  throw new Error('no clean pair');
}

const drain = async () => {
  const deps = { store: sw.world.store, connectors: sw.world.connectors, policy: sw.world.policy, logger: silentLogger, describe: cachedDescriptions(sw.world.connectors) };
  const worker = startInboxWorker({ db: database.db, process: (event) => processEvent(deps, event), subjectKey, logger: silentLogger, maxAttempts: 2 }, false);
  while ((await worker.drainOnce()) > 0);
};

const slash = (text: string, user: string) =>
  new URLSearchParams({ command: SLASH_COMMAND, text, user_id: user, channel_id: 'C0REVIEW', team_id: 'T0SANDBOX', trigger_id: '1.2.3', response_url: 'https://hooks.slack.com/commands/x', token: 'legacy' }).toString();
const lastNoteTo = (user: string) => sw.world.sandbox.slack.ephemerals.filter((e) => e.user === user).at(-1) as { text: string; blocks: unknown[] } | undefined;
const textOf = (blocks: unknown[]) => JSON.stringify(blocks);

/** The positions of the story's steps in a list of lines, each found after the one before. */
function inOrder(lines: readonly string[], steps: readonly RegExp[]): number[] {
  const at: number[] = [];
  let from = 0;
  for (const step of steps) {
    const found = lines.findIndex((line, n) => n >= from && step.test(line));
    at.push(found);
    if (found === -1) break;
    from = found + 1;
  }
  return at;
}

const STORY = [
  /linked by/,
  /webhook customer\.subscription\.(updated|deleted).*written \(wrote to hubspot\)/,
  /closedwon → closedlost .*applied/,
  /cycle .* found cancelled but still active: source says canceled, target says closedwon; escalated \(recent_human_edit\)/,
  /review item \d+ opened by run/,
  /closedwon → closedlost \(decision on item \d+\): applied/,
  /approve on item \d+: approved/,
  /review item \d+ closed: approved/,
];

beforeEach(async () => {
  // The first cycle links the records; the story starts after it.
  await sw.cycle();
  const { customer, subscription, deal } = cleanPair();
  customerId = customer.id;
  dealId = deal.id;
  email = customer.email as string;
  const state = sw.world.scenario.state;
  changeStripeSubscription(state, subscription.id, { status: 'canceled' }, Date.now());
  await insertEvents(database.db, [toInboxEvent([...state.stripe.events.values()].at(-1) as StripeEvent as never)]);
  await drain();
  expect(state.hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedlost');
  // A person puts the deal back by hand: the next cycle must not overwrite that on its own.
  applyHubSpotUpdate(state, 'deals', state.hubspot.deals.get(dealId) as never, { dealstage: 'closedwon' }, new Date(Date.now() + 1000), 'person');
  await sw.cycleAndPost();
  const item = await database.db.selectFrom('review_items').selectAll().where(({ eb }) => eb(eb.ref('target'), 'is not', null)).where('reason', '=', 'recent_human_edit').where('status', '=', 'open').execute()
    .then((items) => items.find((i) => (i.target as { id: string }).id === dealId));
  if (!item) throw new Error('the cycle did not escalate the hand edit');
  // Decided from App Home: a cycle with many escalations posts a summary, not this item's own message.
  await sw.send(click(ACTIONS.approve, item.id, LEAD, item.slack_ts ? where(item) : 'home'));
  expect(state.hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedlost');
});

describe('recon trace', () => {
  it('lists a webhook’s write, the cycle that found drift, the escalation and the approval in Slack, in order', async () => {
    const timeline = await reconJson<Timeline>(['trace', customerId], worldOverrides(sw.world, database));
    const steps = inOrder(timeline.entries.map((e) => e.summary), STORY);
    expect(steps).not.toContain(-1);
    expect(timeline.records.map((r) => r.id)).toEqual(expect.arrayContaining([customerId, dealId]));
    expect(timeline.entries.map((e) => e.at)).toEqual([...timeline.entries.map((e) => e.at)].sort());
  });

  it('finds the same customer by email and by the CRM record’s id', async () => {
    const byId = await reconJson<Timeline>(['trace', customerId], worldOverrides(sw.world, database));
    const byEmail = await reconJson<Timeline>(['trace', email.toUpperCase()], worldOverrides(sw.world, database));
    const byDeal = await reconJson<Timeline>(['trace', dealId], worldOverrides(sw.world, database));
    expect(byEmail.entries.map((e) => e.ref)).toEqual(byId.entries.map((e) => e.ref));
    expect(byDeal.entries.map((e) => e.ref)).toEqual(byId.entries.map((e) => e.ref));
  });

  it('prints the steps for a person, with a link to each record it knows', async () => {
    const { code, stdout } = await recon(['trace', customerId], worldOverrides(sw.world, database));
    expect(code).toBe(0);
    expect(stdout).toContain(`Trace of ${customerId}`);
    expect(stdout).toMatch(/hubspot deals \d+ \(linked by (shared id|link|email)\)/);
    expect(stdout).toMatch(/https:\/\/app\.hubspot\.com\//);
    expect(inOrder(stdout.split('\n'), STORY)).not.toContain(-1);
  });

  it('keeps only what happened since --since', async () => {
    const { code, stdout } = await recon(['trace', customerId, '--since', new Date(Date.now() + 60_000).toISOString(), '--json'], worldOverrides(sw.world, database));
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Timeline).entries).toEqual([]);
  });

  it('exits 2 for a subject Recon has never seen', async () => {
    const { code, stderr } = await recon(['trace', 'nobody@example.invalid'], worldOverrides(sw.world, database));
    expect(code).toBe(2);
    expect(stderr).toContain('Recon knows nothing of nobody@example.invalid');
  });
});

describe('time to consistency of the story’s writes', () => {
  it('records when the source of the webhook’s write changed, before the write', async () => {
    const change = await database.db.selectFrom('changes').selectAll().where('external_id', '=', dealId).where('actor', '=', 'fast-loop').executeTakeFirstOrThrow();
    expect(change.source_changed_at).not.toBeNull();
    expect(new Date(change.source_changed_at as Date).getTime()).toBeLessThanOrEqual(new Date(change.at).getTime());
  });
});

describe('/recon trace', () => {
  it('answers an approver alone with the same steps in order', async () => {
    const before = sw.world.sandbox.slack.ephemerals.length;
    expect((await sw.send(slash(`trace <mailto:${email}|${email}>`, LEAD))).status).toBe(200);
    const note = lastNoteTo(LEAD);
    expect(sw.world.sandbox.slack.ephemerals.length).toBe(before + 1);
    const lines = (note?.blocks as { text?: { text?: string } }[]).flatMap((b) => (b.text?.text ?? '').split('\n'));
    expect(inOrder(lines, STORY)).not.toContain(-1);
  });

  it('refuses a stranger and shows nothing of the customer', async () => {
    await sw.send(slash(`trace ${customerId}`, STRANGER));
    const note = lastNoteTo(STRANGER);
    expect(note).toBeDefined();
    expect(textOf(note?.blocks ?? [])).not.toContain(customerId);
    expect(textOf(note?.blocks ?? [])).not.toContain(email);
    expect(note?.text).not.toContain(dealId);
  });
});

describe('pointers to the trace', () => {
  it('every item’s Slack message names the /recon trace of its customer', async () => {
    const item = await database.db.selectFrom('review_items').selectAll().where('slack_ts', 'is not', null).where('source', 'is not', null).orderBy('id').executeTakeFirstOrThrow();
    expect(textOf(sw.message(item)?.blocks ?? [])).toContain(`/recon trace ${(item.source as { id: string }).id}`);
  });

  it('recon show names the recon trace of the item’s customer', async () => {
    const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'recent_human_edit').executeTakeFirstOrThrow();
    const { stdout } = await recon(['show', item.id], worldOverrides(sw.world, database));
    expect(stdout).toContain(`recon trace ${(item.source as { id: string }).id}`);
  });
});
