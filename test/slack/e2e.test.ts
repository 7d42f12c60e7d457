import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.ts';
import { postDigest } from '../../src/digest/post.ts';
import { createDecisions } from '../../src/decisions/service.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import { cachedHealth } from '../../src/reconcile/health.ts';
import type { Policy } from '../../src/config/policy.ts';
import { silentLogger } from '../../src/log.ts';
import { createSlackApp, registerListeners, type SlackApp } from '../../src/slack/app.ts';
import { ACTIONS, INPUTS, SLASH_COMMAND, VIEWS } from '../../src/slack/ids.ts';
import { postEscalations } from '../../src/slack/posting.ts';
import { driftWorld } from '../../src/sandbox/control.ts';
import type { SlackPort } from '../../src/slack/port.ts';
import { buildStatus } from '../../src/slack/status-input.ts';
import { signSlackRequest } from '../../src/slack/verify.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';
import { capturingLogger } from './support/receiver-app.ts';

const SECRET = 'e2e-signing-secret';
const LEAD = 'U0OPSLEAD';
const STRANGER = 'U0STRANGER';
const MEMBER = 'U0MEMBER';
const VIEWER = 'U0VIEWER';
const AUDITOR = 'U0AUDITOR';

const database = useTestDatabase();
let world: World;
let app: App;
let slackApp: SlackApp;
let slack: SlackPort;
let url: string;
let policy: Policy;
/** Warnings and errors the Slack app logged. */
let logged: Record<string, unknown>[];
beforeEach(async () => {
  world = await startWorld(database);
  // Viewers read without deciding: one named directly, the rest through a user group.
  policy = { ...world.policy, slack: { ...(world.policy.slack as NonNullable<Policy['slack']>), viewers: [VIEWER, 'S0AUDITORS'] } };
  logged = [];
  const logger = capturingLogger(logged);
  const env = loadEnv({ SLACK_BOT_TOKEN: 'xoxb-test-e2e', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: world.sandbox.slackUrl });
  slackApp = await createSlackApp({ env, logger: silentLogger, pacePerChannel: false });
  app = slackApp.app;
  slack = slackApp.port;
  const decisions = createDecisions({ store: world.store, connectors: world.connectors, policy, logger: silentLogger, directory: { membersOf: (g) => slack.membersOf(g) } });
  const vocabularies = () => decisions.vocabularies();
  const cycle = async (options: Parameters<typeof runCycle>[1] = {}) => {
    const result = await runCycle({ store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger }, { ...options, full: true });
    if (!options.dryRun) await postEscalations({ db: database.db, slack, channel: 'C0REVIEW', vocabularies: await vocabularies(), logger: silentLogger }, []);
    return result;
  };
  const health = cachedHealth(world.connectors);
  registerListeners(app, {
    database, policy, logger, slack, vocabularies, decide: (request) => decisions.decide(request),
    runCycle: cycle, status: () => buildStatus({ database, policy, health }),
  });
  const server = await slackApp.start(0);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  await cycle();
});
afterEach(async () => {
  await slackApp.stop();
  await world.close();
});

async function send(body: string, contentType = 'application/x-www-form-urlencoded', secret = SECRET, timestamp = Math.floor(Date.now() / 1000)): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest(secret, body, timestamp) },
  });
}

const interaction = (payload: object) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

function click(action: string, itemId: string, user: string, item?: { channel: string; ts: string }) {
  return interaction({
    type: 'block_actions', user: { id: user, username: user, team_id: 'T0SANDBOX' }, team: { id: 'T0SANDBOX', domain: 'sandbox' }, api_app_id: 'A0RECON',
    token: 'legacy', trigger_id: '1.2.abc', channel: { id: item?.channel ?? 'C0REVIEW', name: 'review' },
    container: { type: 'message', message_ts: item?.ts ?? '1.1', channel_id: item?.channel ?? 'C0REVIEW', is_ephemeral: false },
    message: { type: 'message', ts: item?.ts ?? '1.1', text: 'x' },
    actions: [{ type: 'button', action_id: action, block_id: 'actions', value: itemId, action_ts: '1.3' }],
  });
}

function submit(callbackId: string, itemId: string, user: string, values: object) {
  return interaction({
    type: 'view_submission', user: { id: user, username: user, team_id: 'T0SANDBOX' }, team: { id: 'T0SANDBOX', domain: 'sandbox' }, api_app_id: 'A0RECON', token: 'legacy', trigger_id: '1.2.abc',
    view: { id: 'V1', type: 'modal', callback_id: callbackId, private_metadata: JSON.stringify({ itemId }), state: { values }, hash: 'h', team_id: 'T0SANDBOX', app_id: 'A0RECON', bot_id: 'B0RECON' },
  });
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const postedItem = (reason: string) =>
  database.db.selectFrom('review_items').selectAll().where('reason', '=', reason).where('slack_ts', 'is not', null).executeTakeFirstOrThrow();
const statusOf = (id: string) => database.db.selectFrom('review_items').select('status').where('id', '=', id).executeTakeFirstOrThrow().then((r) => r.status);

describe('the Slack app, end to end over signed HTTP', () => {
  it('posts a cycle’s escalations once, with a summary when there are many', async () => {
    const posted = [...world.sandbox.slack.messages.values()];
    expect(posted.length).toBeGreaterThan(0);
    const before = posted.length;
    await runCycle({ store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger }, { full: true });
    await postEscalations({ db: database.db, slack, channel: 'C0REVIEW', vocabularies: new Map(), logger: silentLogger }, []);
    expect(world.sandbox.slack.messages.size).toBe(before);
  });

  it('approves: writes the suggested value, logs it, and redraws the message without buttons', async () => {
    const item = await postedItem('high_value');
    const response = await send(click(ACTIONS.approve, item.id, LEAD, { channel: item.slack_channel as string, ts: item.slack_ts as string }));
    expect(response.status).toBe(200);
    const message = await until(
      async () => world.sandbox.slack.messages.get(`${item.slack_channel}:${item.slack_ts}`),
      (m) => m !== undefined && !JSON.stringify(m.blocks).includes(ACTIONS.approve),
      'the message redrawn without buttons',
    );
    expect(JSON.stringify(message?.blocks)).toContain(LEAD);
    expect(await statusOf(item.id)).toBe('approved');
    const dealId = (item.target as { id: string }).id;
    expect(world.scenario.state.hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedwon');
    expect(await database.db.selectFrom('changes').selectAll().where('actor', '=', LEAD).execute()).toHaveLength(1);
  });

  it('refuses a non-approver with a note only they see, and writes nothing', async () => {
    const item = await postedItem('high_value');
    const writes = world.scenario.state.writes.length;
    await send(click(ACTIONS.approve, item.id, STRANGER, { channel: item.slack_channel as string, ts: item.slack_ts as string }));
    await until(async () => world.sandbox.slack.ephemerals.length, (n) => n > 0, 'the refusal');
    expect(world.sandbox.slack.ephemerals[0]).toMatchObject({ user: STRANGER });
    expect(world.scenario.state.writes.length).toBe(writes);
    expect(await statusOf(item.id)).toBe('open');
  });

  it('refuses an approver who is not a financial approver on a financial item, and writes nothing', async () => {
    world.sandbox.slack.usergroups.set('S0OPSTEAM', [MEMBER]);
    // Beyond the first five, escalations are summarized, not posted: clicked from /recon queue then.
    const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'financial').orderBy('id').executeTakeFirstOrThrow();
    const writes = world.scenario.state.writes.length;
    await send(click(ACTIONS.approve, item.id, MEMBER));
    const note = await until(async () => world.sandbox.slack.ephemerals.at(-1), (e) => e !== undefined, 'the refusal');
    expect(note).toMatchObject({ user: MEMBER, text: expect.stringContaining('financial approver') });
    expect(world.scenario.state.writes.length).toBe(writes);
    expect(await statusOf(item.id)).toBe('open');
  });

  it('lets a member of an approver user group approve a non-financial item', async () => {
    world.sandbox.slack.usergroups.set('S0OPSTEAM', [MEMBER]);
    const item = await postedItem('high_value');
    await send(click(ACTIONS.approve, item.id, MEMBER, { channel: item.slack_channel as string, ts: item.slack_ts as string }));
    await until(() => statusOf(item.id), (s) => s === 'approved', 'the approval');
  });

  it('overrides with a reason: writes the chosen value', async () => {
    const item = await postedItem('recent_human_edit');
    const values = {
      [INPUTS.overrideValue.block]: { [INPUTS.overrideValue.action]: { type: 'static_select', selected_option: { value: 'contractsent' } } },
      [INPUTS.overrideReason.block]: { [INPUTS.overrideReason.action]: { type: 'plain_text_input', value: 'still negotiating' } },
    };
    expect((await send(submit(VIEWS.override, item.id, LEAD, values))).status).toBe(200);
    await until(() => statusOf(item.id), (s) => s === 'overridden', 'the override');
    expect(world.scenario.state.hubspot.deals.get((item.target as { id: string }).id)?.properties.dealstage).toBe('contractsent');
  });

  it('answers an override without a reason with the error on the reason field', async () => {
    const item = await postedItem('recent_human_edit');
    const values = { [INPUTS.overrideValue.block]: { [INPUTS.overrideValue.action]: { type: 'static_select', selected_option: { value: 'contractsent' } } } };
    const response = await send(submit(VIEWS.override, item.id, LEAD, values));
    expect(await response.json()).toMatchObject({ response_action: 'errors', errors: { [INPUTS.overrideReason.block]: expect.any(String) } });
  });

  it('answers an override value the target does not accept with the error on the value field, and writes nothing', async () => {
    const item = await postedItem('recent_human_edit');
    const writes = world.scenario.state.writes.length;
    const values = {
      [INPUTS.overrideValue.block]: { [INPUTS.overrideValue.action]: { type: 'plain_text_input', value: 'Closed Won' } },
      [INPUTS.overrideReason.block]: { [INPUTS.overrideReason.action]: { type: 'plain_text_input', value: 'typed the label' } },
    };
    const response = await send(submit(VIEWS.override, item.id, LEAD, values));
    expect(await response.json()).toMatchObject({ response_action: 'errors', errors: { [INPUTS.overrideValue.block]: expect.stringContaining('closedwon') } });
    expect(world.scenario.state.writes.length).toBe(writes);
    expect(await statusOf(item.id)).toBe('open');
  });

  it('shows a failed write with its error and Retry, Override and Ignore; Retry then writes', async () => {
    const item = await postedItem('high_value');
    const where = { channel: item.slack_channel as string, ts: item.slack_ts as string };
    const key = `${where.channel}:${where.ts}`;
    world.sandbox.faults.set({ beforeWrite: () => { throw new Error('injected'); } });
    await send(click(ACTIONS.approve, item.id, LEAD, where));
    const failed = await until(async () => world.sandbox.slack.messages.get(key), (m) => JSON.stringify(m?.blocks ?? []).includes(ACTIONS.retry), 'the failed message');
    const text = JSON.stringify(failed?.blocks);
    expect(text).toContain(ACTIONS.override);
    expect(text).toContain(ACTIONS.ignore);
    expect(text).not.toContain(ACTIONS.approve);
    world.sandbox.faults.set({});
    await send(click(ACTIONS.retry, item.id, LEAD, where));
    await until(() => statusOf(item.id), (s) => s === 'approved', 'the retry');
    expect(world.scenario.state.hubspot.deals.get((item.target as { id: string }).id)?.properties.dealstage).toBe('closedwon');
  });

  it('answers a decision made in App Home by direct message when it needs words, and redraws Home', async () => {
    const item = await postedItem('high_value');
    const payload = JSON.parse(decodeURIComponent(click(ACTIONS.approve, item.id, STRANGER).slice('payload='.length))) as Record<string, unknown>;
    delete payload.channel;
    delete payload.message;
    payload.container = { type: 'view', view_id: 'VHOME' };
    payload.view = { id: 'VHOME', type: 'home', callback_id: '', hash: 'h', team_id: 'T0SANDBOX', app_id: 'A0RECON', bot_id: 'B0RECON', state: { values: {} }, private_metadata: '', blocks: [] };
    await send(interaction(payload));
    const dm = await until(async () => [...world.sandbox.slack.messages.values()].find((m) => m.channel === `D${STRANGER.slice(1)}`), (m) => m !== undefined, 'the DM');
    expect(dm?.text).toMatch(/Only approvers/);
    const home = await until(async () => [...world.sandbox.slack.views.values()].find((v) => v.type === 'home'), (v) => v !== undefined, 'App Home redrawn');
    // Redrawn for a stranger: whom to ask, and no item.
    expect(JSON.stringify(home?.view)).toMatch(/don't have access/);
    expect(JSON.stringify(home?.view)).not.toContain(ACTIONS.approve);
  });

  it('ignores: the fingerprint is suppressed in the next cycle', async () => {
    const item = await postedItem('high_value');
    const values = { [INPUTS.ignoreMode.block]: { [INPUTS.ignoreMode.action]: { type: 'radio_buttons', selected_option: { value: 'occurrence' } } } };
    await send(submit(VIEWS.ignore, item.id, LEAD, values));
    await until(() => statusOf(item.id), (s) => s === 'ignored', 'the ignore');
    const next = await runCycle({ store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger }, { full: true });
    expect(next.checks.find((c) => c.check === 'payment-status')?.suppressed).toBe(1);
  });

  it('refuses a request whose signature does not match', async () => {
    const item = await postedItem('high_value');
    expect((await send(click(ACTIONS.approve, item.id, LEAD), undefined, 'another-secret')).status).toBe(401);
    expect(await statusOf(item.id)).toBe('open');
  });

  it('answers /recon status to the asker alone, with the checks and the queue', async () => {
    const body = new URLSearchParams({ command: SLASH_COMMAND, text: 'status', user_id: LEAD, channel_id: 'C0REVIEW', team_id: 'T0SANDBOX', trigger_id: '1.2.3', response_url: 'https://hooks.slack.com/commands/x', token: 'legacy' }).toString();
    expect((await send(body)).status).toBe(200);
    const note = await until(async () => world.sandbox.slack.ephemerals.at(-1), (e) => e !== undefined, 'the status');
    const text = JSON.stringify(note?.blocks);
    expect(text).toContain('payment-status');
    expect(text).toMatch(/Fast loop:\* off/);
  });

  it('publishes App Home with the open queue when a person opens it', async () => {
    const event = { type: 'app_home_opened', user: LEAD, channel: 'D0LEAD', tab: 'home', event_ts: '1.1' };
    const body = JSON.stringify({ token: 'legacy', team_id: 'T0SANDBOX', api_app_id: 'A0RECON', event, type: 'event_callback', event_id: 'Ev1', event_time: 1 });
    expect((await send(body, 'application/json')).status).toBe(200);
    const home = await until(async () => [...world.sandbox.slack.views.values()].find((v) => v.type === 'home'), (v) => v !== undefined, 'App Home');
    expect(JSON.stringify(home?.view)).toContain(ACTIONS.approve);
  });

  it('refuses a request signed ten minutes in the future with 401, and runs nothing', async () => {
    const item = await postedItem('high_value');
    const ahead = Math.floor(Date.now() / 1000) + 600;
    const response = await send(click(ACTIONS.approve, item.id, LEAD, { channel: item.slack_channel as string, ts: item.slack_ts as string }), undefined, SECRET, ahead);
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await statusOf(item.id)).toBe('open');
    expect(world.sandbox.slack.ephemerals).toEqual([]);
    expect(world.sandbox.slack.calls.filter((c) => c.method !== 'auth.test' && c.method !== 'usergroups.users.list').map((c) => c.method)).not.toContain('chat.update');
  });

  it('answers /recon run dry-run with a preview to the asker and the whole plan as a file in the review channel, and writes nothing', async () => {
    driftWorld(world.scenario.state, { stripe: 3, hubspot: 0 }, 5);
    const writesBefore = world.scenario.state.writes.length;
    expect((await send(slash('run payment-status dry-run', LEAD))).status).toBe(200);
    const preview = await until(async () => world.sandbox.slack.ephemerals.find((e) => e.text.startsWith('Dry-run plan')), (e) => e !== undefined, 'the preview');
    const file = [...world.sandbox.slack.files.values()].find((f) => f.completed);
    expect(file).toMatchObject({ channel: 'C0REVIEW' });
    const plan = file?.data?.toString() ?? '';
    const [, writes, escalations] = /^Plan of payment-status: would write (\d+), would escalate (\d+)/.exec(plan) ?? [];
    // Each write and escalation on a line of its own, as many as the plan's first line says.
    expect(Number(writes) + Number(escalations)).toBeGreaterThanOrEqual(3);
    expect(plan.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(Number(writes) + Number(escalations));
    expect(preview?.text).toContain('<#C0REVIEW>');
    expect(JSON.stringify(preview?.blocks)).toContain('payment-status');
    expect(world.scenario.state.writes.length).toBe(writesBefore);
  });

  it('posts the weekly digest with its chart', async () => {
    // Posted tomorrow, so the digest's week (whole days only) holds today's cycles.
    await postDigest({ db: database.db, slack, channel: 'C0DIGEST', logger: silentLogger, now: () => new Date(Date.now() + 86_400_000) });
    const files = [...world.sandbox.slack.files.values()];
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ channel: 'C0DIGEST', completed: true });
    expect([...world.sandbox.slack.messages.values()].some((m) => m.channel === 'C0DIGEST' && /weekly digest/i.test(m.text))).toBe(true);
  });
});

const slash = (text: string, user: string) =>
  new URLSearchParams({ command: SLASH_COMMAND, text, user_id: user, channel_id: 'C0REVIEW', team_id: 'T0SANDBOX', trigger_id: '1.2.3', response_url: 'https://hooks.slack.com/commands/x', token: 'legacy' }).toString();

const homeOpened = (user: string) =>
  JSON.stringify({ token: 'legacy', team_id: 'T0SANDBOX', api_app_id: 'A0RECON', type: 'event_callback', event_id: `Ev${user}`, event_time: 1, event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: '1.1' } });

/** The next note only `user` sees: an ephemeral, or a direct message from the app. */
const noteTo = (user: string, after = 0) =>
  until(
    async () => [...world.sandbox.slack.ephemerals.filter((e) => e.user === user), ...[...world.sandbox.slack.messages.values()].filter((m) => m.channel === `D${user.slice(1)}`)].slice(after),
    (notes) => notes.length > 0,
    `a note to ${user}`,
  ).then((notes) => notes[0] as { text: string; blocks: unknown[] });

/** What would give an item away: its id, its records' ids and emails. */
async function itemTraces(): Promise<string[]> {
  const items = await database.db.selectFrom('review_items').selectAll().where('status', '=', 'open').execute();
  return items.flatMap((i) => {
    const sides = [i.source, i.target] as ({ id: string; email: string | null } | null)[];
    return [i.id, ...sides.flatMap((side) => (side ? [side.id, ...(side.email ? [side.email] : [])] : []))];
  }).filter((trace) => trace.length > 3);
}

describe('who may read the queue, the status and the items', () => {
  it('refuses a stranger /recon queue, /recon status and App Home, shows nothing about items, and logs each refusal', async () => {
    const traces = await itemTraces();
    expect(traces.length).toBeGreaterThan(0);
    expect((await send(slash('queue', STRANGER))).status).toBe(200);
    const queueNote = await noteTo(STRANGER);
    expect((await send(slash('status', STRANGER))).status).toBe(200);
    const statusNote = await noteTo(STRANGER, 1);
    expect((await send(homeOpened(STRANGER), 'application/json')).status).toBe(200);
    const home = await until(async () => [...world.sandbox.slack.views.values()].find((v) => v.type === 'home' && v.user_id === STRANGER), (v) => v !== undefined, 'App Home');
    for (const shown of [JSON.stringify(queueNote), JSON.stringify(statusNote), JSON.stringify(home?.view)]) {
      expect(shown).toMatch(/don't have access/);
      expect(shown).toContain('<@U0OPSLEAD>');
      expect(shown).not.toContain(ACTIONS.approve);
      expect(shown).not.toContain('payment-status');
      for (const trace of traces) expect(shown).not.toContain(trace);
    }
    const refusals = logged.filter((l) => l.msg === 'refused to show Recon data to a person');
    expect(refusals.map((l) => [l.user, l.asked])).toEqual([[STRANGER, 'queue'], [STRANGER, 'status'], [STRANGER, 'home']]);
  });

  it('opens no Override modal for a stranger and tells them why', async () => {
    const item = await postedItem('recent_human_edit');
    await send(click(ACTIONS.override, item.id, STRANGER, { channel: item.slack_channel as string, ts: item.slack_ts as string }));
    expect((await noteTo(STRANGER)).text).toMatch(/don't have access/);
    expect([...world.sandbox.slack.views.values()].filter((v) => v.type === 'modal')).toEqual([]);
  });

  it('shows a viewer named in the policy the queue and the status', async () => {
    await send(slash('queue', VIEWER));
    const queue = JSON.stringify(await noteTo(VIEWER));
    expect(queue).toContain('Open queue');
    expect(queue).toContain(ACTIONS.approve);
    await send(slash('status', VIEWER));
    expect(JSON.stringify(await noteTo(VIEWER, 1))).toContain('payment-status');
  });

  it('shows a member of a viewer user group the queue and App Home', async () => {
    world.sandbox.slack.usergroups.set('S0AUDITORS', [AUDITOR]);
    await send(slash('queue', AUDITOR));
    expect(JSON.stringify(await noteTo(AUDITOR))).toContain('Open queue');
    await send(homeOpened(AUDITOR), 'application/json');
    const home = await until(async () => [...world.sandbox.slack.views.values()].find((v) => v.type === 'home' && v.user_id === AUDITOR), (v) => v !== undefined, 'App Home');
    expect(JSON.stringify(home?.view)).toContain(ACTIONS.approve);
  });

  it('refuses a viewer’s Approve click, and writes nothing', async () => {
    world.sandbox.slack.usergroups.set('S0AUDITORS', [AUDITOR]);
    const item = await postedItem('high_value');
    const writes = world.scenario.state.writes.length;
    for (const user of [VIEWER, AUDITOR]) {
      await send(click(ACTIONS.approve, item.id, user, { channel: item.slack_channel as string, ts: item.slack_ts as string }));
      expect((await noteTo(user)).text).toMatch(/Only approvers/);
    }
    expect(world.scenario.state.writes.length).toBe(writes);
    expect(await statusOf(item.id)).toBe('open');
  });

  it('tells a stranger Recon could not check when a user group cannot be read, and shows nothing', async () => {
    world.sandbox.slack.failNext('usergroups.users.list', 'internal_error');
    await send(slash('queue', STRANGER));
    const note = await noteTo(STRANGER);
    expect(note.text).toMatch(/could not check your membership/);
    expect(JSON.stringify(note)).not.toContain(ACTIONS.approve);
  });

  it('refuses an approver who is not a financial approver an Ignore of a financial item', async () => {
    world.sandbox.slack.usergroups.set('S0OPSTEAM', [MEMBER]);
    const item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'financial').orderBy('id').executeTakeFirstOrThrow();
    const values = { [INPUTS.ignoreMode.block]: { [INPUTS.ignoreMode.action]: { type: 'radio_buttons', selected_option: { value: 'occurrence' } } } };
    expect((await send(submit(VIEWS.ignore, item.id, MEMBER, values))).status).toBe(200);
    expect((await noteTo(MEMBER)).text).toMatch(/financial approver/);
    expect(await statusOf(item.id)).toBe('open');
    expect(await database.db.selectFrom('suppressions').selectAll().execute()).toEqual([]);
  });
});
