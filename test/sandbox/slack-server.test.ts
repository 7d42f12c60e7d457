import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import type { Logger, WebAPIPlatformError, WebAPIRateLimitedError, WebClientOptions } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxState, createSlackState, startSandbox } from '../../src/sandbox/index.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { createSlackApi } from '../../src/sandbox/slack-server.ts';

const CHANNEL = 'C0REVIEW';
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

// The errors these tests provoke on purpose would otherwise be logged by the WebClient.
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

/** The official client, pointed at the sandbox as Recon's Bolt app is with SLACK_API_URL. */
function client(token: string | undefined, options: WebClientOptions = {}): WebClient {
  return new WebClient(token, { slackApiUrl: sandbox.slackUrl, retryConfig: { retries: 0 }, logger: quiet, ...options });
}

let sandbox: RunningSandbox;
let slack: WebClient;

beforeEach(async () => {
  sandbox = await startSandbox(createSandboxState());
  slack = client('xoxb-test-token');
});

afterEach(async () => {
  await sandbox.close();
});

/** The platform error a WebClient call rejects with. */
async function platformError(call: Promise<unknown>): Promise<WebAPIPlatformError> {
  const error = (await call.then(() => null, (e: unknown) => e)) as WebAPIPlatformError | null;
  expect(error?.code).toBe(ErrorCode.PlatformError);
  return error as WebAPIPlatformError;
}

describe('sandbox Slack Web API', () => {
  it('serves the Web API under /api/ on the same loopback server', () => {
    expect(sandbox.slackUrl).toBe(`${sandbox.stripeUrl}/api/`);
  });

  it('answers auth.test as the installed bot, with its scopes in X-OAuth-Scopes', async () => {
    const result = await slack.auth.test();
    expect(result).toMatchObject({ ok: true, user_id: 'U0RECON', bot_id: 'B0RECON', team_id: 'T0SANDBOX', url: 'https://recon-sandbox.slack.com/' });
    expect(result.response_metadata?.scopes).toEqual(['channels:read', 'chat:write', 'commands', 'files:write', 'groups:read', 'usergroups:read', 'users:read']);
  });

  it('posts a message and chat.update changes the stored message', async () => {
    const blocks = [section('*Stripe* says active, HubSpot says churned')];
    const posted = await slack.chat.postMessage({ channel: CHANNEL, text: 'Escalation', blocks });
    expect(posted.channel).toBe(CHANNEL);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.message).toMatchObject({ type: 'message', text: 'Escalation', blocks, bot_id: 'B0RECON', ts: posted.ts });

    const outcome = [section('Approved by <@U1>')];
    const updated = await slack.chat.update({ channel: CHANNEL, ts: posted.ts as string, text: 'Approved', blocks: outcome });
    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: 'Approved' });

    const stored = sandbox.slack.messages.get(`${CHANNEL}:${posted.ts}`);
    expect(stored).toMatchObject({ channel: CHANNEL, ts: posted.ts, text: 'Approved', blocks: outcome });
    expect(stored?.edited?.user).toBe('U0RECON');
  });

  it('hands out unique, increasing message timestamps', async () => {
    const stamps: string[] = [];
    for (const channel of ['C01', 'C02', 'C03', 'C01']) stamps.push((await slack.chat.postMessage({ channel, text: 'x' })).ts as string);
    expect(new Set(stamps).size).toBe(4);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it('keeps the blocks when chat.update sends only text, as Slack does', async () => {
    const blocks = [section('original')];
    const { ts } = await slack.chat.postMessage({ channel: CHANNEL, text: 'v1', blocks });
    await slack.chat.update({ channel: CHANNEL, ts: ts as string, text: 'v2' });
    expect(sandbox.slack.messages.get(`${CHANNEL}:${ts}`)).toMatchObject({ text: 'v2', blocks });
  });

  it('answers chat.update of an unknown ts with message_not_found, a WebClient platform error', async () => {
    const error = await platformError(slack.chat.update({ channel: CHANNEL, ts: '1700000000.000100', text: 'x' }));
    expect(error.data).toMatchObject({ ok: false, error: 'message_not_found' });
  });

  it('answers not_authed without a token and invalid_auth with a token that is not a Slack token', async () => {
    const anonymous = client(undefined);
    expect((await platformError(anonymous.chat.postMessage({ channel: CHANNEL, text: 'x' }))).data.error).toBe('not_authed');
    const wrong = client('sk_test_123');
    expect((await platformError(wrong.auth.test())).data.error).toBe('invalid_auth');
    expect(sandbox.slack.messages.size).toBe(0);
  });

  it('answers API errors with HTTP 200 and ok: false, and accepts a token in a form body', async () => {
    const anonymous = await fetch(`${sandbox.slackUrl}chat.postMessage`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'channel=C0REVIEW&text=hi',
    });
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ ok: false, error: 'not_authed' });
    const withToken = await fetch(`${sandbox.slackUrl}chat.postMessage`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=xoxb-form&channel=C0REVIEW&text=hi',
    });
    expect(await withToken.json()).toMatchObject({ ok: true, channel: CHANNEL });
  });

  it('accepts JSON bodies with the token in the Authorization header', async () => {
    const response = await fetch(`${sandbox.slackUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('json')] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, message: { text: 'json', blocks: [section('json')] } });
  });

  it('refuses channels that are not conversation ids, and unseeded ones once channels are seeded', async () => {
    expect((await platformError(slack.chat.postMessage({ channel: '#review', text: 'x' }))).data.error).toBe('channel_not_found');
    sandbox.slack.channels.add(CHANNEL);
    expect((await platformError(slack.chat.postMessage({ channel: 'C0OTHER', text: 'x' }))).data.error).toBe('channel_not_found');
    expect((await slack.chat.postMessage({ channel: CHANNEL, text: 'x' })).ok).toBe(true);
  });

  it("posts to a user id in the app's DM with that user", async () => {
    const posted = await slack.chat.postMessage({ channel: 'U0OPSLEAD', text: 'your queue' });
    expect(posted.channel).toBe('D0OPSLEAD');
  });

  it('refuses a message with neither text nor blocks, and one over Block Kit limits', async () => {
    expect((await platformError(slack.chat.postMessage({ channel: CHANNEL, text: '' }))).data.error).toBe('no_text');
    const tooMany = Array.from({ length: 51 }, (_, i) => section(`item ${i}`));
    const error = await platformError(slack.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: tooMany }));
    expect(error.data.error).toBe('invalid_blocks');
    expect(error.data.response_metadata?.messages).toContain('[ERROR] no more than 50 items allowed [json-pointer:/blocks]');
    const longButton = [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(76) } }] }];
    expect((await platformError(slack.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: longButton }))).data.response_metadata?.messages)
      .toEqual(['[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]']);
  });

  it('answers chat.postEphemeral with a message_ts and records it', async () => {
    const result = await slack.chat.postEphemeral({ channel: CHANNEL, user: 'U0STRANGER', text: 'Only approvers can decide' });
    expect(result.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(sandbox.slack.ephemerals).toEqual([{ channel: CHANNEL, user: 'U0STRANGER', text: 'Only approvers can decide', blocks: [], message_ts: result.message_ts }]);
    expect(sandbox.slack.messages.size).toBe(0);
  });

  it('uploads a file end to end with files.uploadV2', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    const result = await slack.files.uploadV2({ channel_id: CHANNEL, file: png, filename: 'week.png', title: 'This week', initial_comment: 'Weekly digest' });
    expect(result.ok).toBe(true);

    const [file, ...others] = [...sandbox.slack.files.values()];
    expect(others).toEqual([]);
    expect(file).toMatchObject({ name: 'week.png', title: 'This week', length: png.length, channel: CHANNEL, initial_comment: 'Weekly digest', completed: true });
    expect(file?.data).toEqual(png);
    expect(sandbox.slack.messages.get(`${CHANNEL}:${file?.message_ts}`)).toMatchObject({ text: 'Weekly digest', files: [file?.id] });
    expect(sandbox.slack.calls.map((c) => c.method)).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
    expect(sandbox.slack.calls[1]?.args).toMatchObject({ files: [{ id: file?.id, title: 'This week' }], channel_id: CHANNEL });
  });

  it('answers file_not_found when an upload is completed before its bytes arrive', async () => {
    const { file_id } = await slack.files.getUploadURLExternal({ filename: 'a.png', length: 3 });
    const error = await platformError(slack.files.completeUploadExternal({ files: [{ id: file_id as string }], channel_id: CHANNEL }));
    expect(error.data.error).toBe('file_not_found');
  });

  it('paces chat.postMessage per channel: past the burst it answers 429 with Retry-After', async () => {
    const post = (channel: string) => fetch(`${sandbox.slackUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test-token', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel, text: 'x' }).toString(),
    });
    for (let i = 0; i < 3; i += 1) expect((await post(CHANNEL)).status).toBe(200);
    const refused = await post(CHANNEL);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect((await post('C0OTHER')).status).toBe(200);
    expect(sandbox.slack.messages.size).toBe(4);
    expect(sandbox.requests()).toMatchObject({ slack: 5, rateLimited: 1 });

    const rejecting = client('xoxb-test-token', { rejectRateLimitedCalls: true });
    const error = (await rejecting.chat.postMessage({ channel: CHANNEL, text: 'x' }).catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(error.code).toBe(ErrorCode.RateLimitedError);
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('lets a channel post one more message each second after its burst', async () => {
    let clock = 0;
    const api = createSlackApi(createSlackState(), { messageBurst: 2, monotonic: () => clock });
    const post = async () => (await api({
      method: 'POST', path: '/api/chat.postMessage', query: new URLSearchParams(),
      headers: { authorization: 'Bearer xoxb-t', 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ channel: CHANNEL, text: 'x' })),
    })).status;
    expect([await post(), await post(), await post()]).toEqual([200, 200, 429]);
    clock = 999;
    expect(await post()).toBe(429);
    clock = 1_000;
    expect([await post(), await post()]).toEqual([200, 429]);
    clock = 61_000;
    expect([await post(), await post(), await post()]).toEqual([200, 200, 429]);
  });

  it('turns the pace off with rateLimits: false', async () => {
    const unlimited = await startSandbox(createSandboxState(), { rateLimits: false });
    try {
      const unpaced = client('xoxb-t', { slackApiUrl: unlimited.slackUrl });
      for (let i = 0; i < 10; i += 1) await unpaced.chat.postMessage({ channel: CHANNEL, text: String(i) });
      expect(unlimited.slack.messages.size).toBe(10);
    } finally {
      await unlimited.close();
    }
  });

  it('lists the members of a seeded usergroup, and no_such_subteam for another', async () => {
    sandbox.slack.usergroups.set('S0APPROVERS', ['U0OPSLEAD', 'U0FINANCE']);
    expect((await slack.usergroups.users.list({ usergroup: 'S0APPROVERS' })).users).toEqual(['U0OPSLEAD', 'U0FINANCE']);
    expect((await platformError(slack.usergroups.users.list({ usergroup: 'S0NOBODY' }))).data.error).toBe('no_such_subteam');
  });

  it('answers users.info for seeded users and the bot, user_not_found otherwise', async () => {
    sandbox.slack.users.set('U0OPSLEAD', { id: 'U0OPSLEAD', name: 'ops.lead', real_name: 'Ada Ops', tz: 'Europe/Paris' });
    const { user } = await slack.users.info({ user: 'U0OPSLEAD' });
    expect(user).toMatchObject({ id: 'U0OPSLEAD', name: 'ops.lead', real_name: 'Ada Ops', team_id: 'T0SANDBOX', is_bot: false, tz: 'Europe/Paris' });
    expect([3600, 7200]).toContain(user?.tz_offset);
    expect((await slack.users.info({ user: 'U0RECON' })).user?.is_bot).toBe(true);
    expect((await platformError(slack.users.info({ user: 'U0NOBODY' }))).data.error).toBe('user_not_found');
  });

  it('opens modals, publishes one App Home per user, and refuses a stale hash', async () => {
    const modal = {
      type: 'modal' as const, callback_id: 'recon_override_modal', title: { type: 'plain_text' as const, text: 'Override' },
      submit: { type: 'plain_text' as const, text: 'Apply' },
      blocks: [{ type: 'input', block_id: 'override_reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason' } }],
    };
    const opened = await slack.views.open({ trigger_id: '12345.98765.abcd2358fdea', view: modal });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'recon_override_modal', team_id: 'T0SANDBOX', state: { values: {} } });
    expect(sandbox.slack.views.get(opened.view?.id as string)).toMatchObject({ type: 'modal', trigger_id: '12345.98765.abcd2358fdea' });

    const home = { type: 'home' as const, blocks: [section('Open queue: 3')] };
    const first = await slack.views.publish({ user_id: 'U0OPSLEAD', view: home });
    const second = await slack.views.publish({ user_id: 'U0OPSLEAD', view: { type: 'home', blocks: [section('Open queue: 2')] } });
    expect(second.view?.id).toBe(first.view?.id);
    expect(sandbox.slack.views.get(first.view?.id as string)).toMatchObject({ type: 'home', user_id: 'U0OPSLEAD', updates: 1, view: { blocks: [section('Open queue: 2')] } });

    const stale = await platformError(slack.views.update({ view_id: first.view?.id as string, hash: first.view?.hash as string, view: home }));
    expect(stale.data.error).toBe('hash_conflict');
    const updated = await slack.views.update({ view_id: first.view?.id as string, hash: second.view?.hash as string, view: home });
    expect(updated.view?.hash).not.toBe(second.view?.hash);
    expect((await platformError(slack.views.update({ view_id: 'V0NOPE', view: home }))).data.error).toBe('not_found');
  });

  it('refuses a modal whose title is longer than Slack allows', async () => {
    const error = await platformError(slack.views.open({ trigger_id: '1.2.a', view: { type: 'modal', title: { type: 'plain_text', text: 'An override for this discrepancy' }, blocks: [] } }));
    expect(error.data).toMatchObject({ error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'] } });
  });

  it('fails the next call of a method as told by failNext, then recovers', async () => {
    sandbox.slack.failNext('chat.postMessage', 'is_archived');
    sandbox.slack.failNext('chat.postMessage', { status: 503 });
    expect((await platformError(slack.chat.postMessage({ channel: CHANNEL, text: 'x' }))).data.error).toBe('is_archived');
    const error = (await slack.chat.postMessage({ channel: CHANNEL, text: 'x' }).catch((e: unknown) => e)) as { code: string; statusCode: number };
    expect(error).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    expect((await slack.chat.postMessage({ channel: CHANNEL, text: 'x' })).ok).toBe(true);
  });

  it('answers missing_scope when the bot token lacks the scope a method needs', async () => {
    sandbox.slack.bot.scopes = ['chat:write'];
    const error = await platformError(slack.usergroups.users.list({ usergroup: 'S0APPROVERS' }));
    expect(error.data).toMatchObject({ error: 'missing_scope', needed: 'usergroups:read', provided: 'chat:write' });
  });

  it('records every call with its arguments, decoded, without the token, and its error', async () => {
    const blocks = [section('hello')];
    const { ts } = await slack.chat.postMessage({ channel: CHANNEL, text: 'hello', blocks });
    await slack.chat.update({ channel: CHANNEL, ts: 'nope', text: 'x' }).catch(() => undefined);
    await slack.auth.test();
    const calls = sandbox.slack.calls;
    expect(calls.map((c) => [c.method, c.error])).toEqual([['chat.postMessage', undefined], ['chat.update', 'message_not_found'], ['auth.test', undefined]]);
    expect(calls[0]?.args).toMatchObject({ channel: CHANNEL, text: 'hello', blocks });
    expect(calls.every((c) => !('token' in c.args) && typeof c.at === 'number')).toBe(true);
    expect(ts).toBeDefined();
    expect(sandbox.requests()).toMatchObject({ slack: 3, stripe: 0, hubspot: 0 });
  });
});
