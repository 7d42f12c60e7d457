/**
 * Thousands of generated requests, signed and not, to the Slack receiver over loopback: every one
 * is answered (2xx or 4xx, never a 5xx, never a dropped connection), and the server still does its
 * job at the end. Seeded, so a failure reproduces: FUZZ_SEED=<n> FUZZ_RUNS=<n> to change them.
 */
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../src/slack/verify.ts';
import { SECRET, slackHeaders, slashCommand, startReceiverApp, type ReceiverApp } from './support/receiver-app.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_601);
const IN_FLIGHT = 48;
const LIMIT = 8 * 1024;

type Signing = 'valid' | 'none' | 'bad_signature' | 'other_secret' | 'stale' | 'future' | 'garbage_timestamp' | 'duplicated' | 'signature_only';

interface FuzzCase {
  method: string;
  path: string;
  body: Buffer;
  contentType: string | null;
  signing: Signing;
  garbage: string;
  retry: { num?: string; reason?: string };
}

const headerText = fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const actionIds = fc.oneof(fc.constantFrom('ok', 'silent', 'throws', 'twice', 'nobody'), fc.string({ maxLength: 10 }));
/** A field Slack sends, or something in its place. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: arb }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.constant(undefined) });

const interaction = fc.record({
  type: maybe(fc.constantFrom('block_actions', 'view_submission', 'view_closed', 'shortcut', 'message_action', 'block_suggestion', 'interactive_message')),
  user: maybe(fc.record({ id: maybe(fc.constantFrom('U0ANNA', 'U0EVE')), team_id: maybe(fc.string({ maxLength: 8 })) })),
  team: maybe(fc.oneof(fc.constant(null), fc.record({ id: maybe(fc.string({ maxLength: 8 })) }))),
  channel: maybe(fc.record({ id: maybe(fc.string({ maxLength: 8 })) })),
  trigger_id: maybe(fc.string({ maxLength: 10 })),
  actions: maybe(fc.array(fc.record({ action_id: maybe(actionIds), type: maybe(fc.constant('button')), value: maybe(fc.string({ maxLength: 6 })), block_id: maybe(fc.string({ maxLength: 6 })) }), { maxLength: 3 })),
  view: maybe(fc.record({ callback_id: maybe(fc.constantFrom('form', 'other')), type: maybe(fc.constantFrom('modal', 'home')), state: maybe(fc.record({ values: maybe(fc.dictionary(fc.string({ maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.object({ maxDepth: 1 })))) })) })),
  callback_id: maybe(fc.string({ maxLength: 6 })),
  action_id: maybe(actionIds),
});

const eventBody = fc.record({
  type: maybe(fc.constantFrom('event_callback', 'url_verification', 'app_rate_limited', 'unknown')),
  challenge: maybe(fc.string({ maxLength: 20 })),
  team_id: maybe(fc.string({ maxLength: 8 })),
  authorizations: maybe(fc.array(fc.oneof(fc.constant(null), fc.record({ team_id: maybe(fc.string()), enterprise_id: maybe(fc.string()) })), { maxLength: 2 })),
  event: maybe(fc.record({
    type: maybe(fc.constantFrom('app_home_opened', 'message', 'reaction_added')),
    user: maybe(fc.oneof(fc.constantFrom('U0ANNA', 'U0TESTBOT'), fc.record({ id: maybe(fc.string({ maxLength: 6 })) }))),
    channel: maybe(fc.oneof(fc.string({ maxLength: 8 }), fc.record({ id: maybe(fc.string()), creator: maybe(fc.string()) }))),
    item: maybe(fc.record({ channel: maybe(fc.string({ maxLength: 6 })) })),
    subteam: maybe(fc.record({ created_by: maybe(fc.string()) })),
    tab: maybe(fc.constantFrom('home', 'messages')),
    bot_id: maybe(fc.constantFrom('B0TEST', 'B0OTHER')),
  })),
});

const teamIds = fc.oneof({ weight: 10, arbitrary: fc.constantFrom('T0TEST', 'T0OTHER', 'E0GRID') }, { weight: 1, arbitrary: fc.constantFrom('constructor', '__proto__', 'toString', '') });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** As Slack sends them, with free text where Slack puts free text: these reach the listeners. */
const slackShaped = fc.oneof(
  fc.record({
    type: fc.constant('block_actions'), user: fc.record({ id: fc.constantFrom('U0ANNA', 'U0EVE') }), team: fc.record({ id: teamIds }),
    trigger_id: fc.string({ maxLength: 10 }), channel: fc.record({ id: fc.constantFrom('C0REVIEW', 'D0ANNA') }),
    actions: fc.array(fc.record({ action_id: actionIds, type: fc.constant('button'), value: fc.string({ maxLength: 20 }), block_id: fc.string({ maxLength: 6 }) }), { minLength: 1, maxLength: 2 }),
  }).map((p) => form({ payload: JSON.stringify(p) })),
  fc.record({
    type: fc.constantFrom('view_submission', 'view_closed'), user: fc.record({ id: fc.constant('U0ANNA') }), team: fc.constant(null),
    view: fc.record({ id: fc.string({ maxLength: 6 }), callback_id: fc.constantFrom('form', 'other'), private_metadata: fc.string({ maxLength: 30 }), state: fc.record({ values: fc.dictionary(fc.string({ maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.record({ type: fc.string({ maxLength: 8 }), value: fc.string({ maxLength: 8 }) }))) }) }),
  }).map((p) => form({ payload: JSON.stringify(p) })),
  fc.record({ command: fc.constantFrom('/recon', '/other'), text: fc.string({ maxLength: 30 }), user_id: fc.constantFrom('U0ANNA', 'U0EVE'), channel_id: fc.constantFrom('C0REVIEW', 'D0ANNA'), team_id: teamIds }).map(form),
).map((text) => ({ body: Buffer.from(text), contentType: 'application/x-www-form-urlencoded' }));

const slackEvent = fc.record({
  type: fc.constant('event_callback'), team_id: teamIds, event_id: fc.string({ maxLength: 8 }),
  event: fc.record({ type: fc.constantFrom('app_home_opened', 'message', 'reaction_added'), user: fc.constantFrom('U0ANNA', 'U0TESTBOT'), tab: fc.constantFrom('home', 'messages'), channel: fc.string({ maxLength: 8 }), text: fc.string({ maxLength: 40 }) }),
}).map((b) => ({ body: Buffer.from(JSON.stringify(b)), contentType: 'application/json; charset=utf-8' }));

/** Bodies Slack might send, nearly sends, or never would. */
const bodies: fc.Arbitrary<{ body: Buffer; contentType: string | null }> = fc.oneof(
  { weight: 4, arbitrary: slackShaped },
  { weight: 2, arbitrary: slackEvent },
  { weight: 3, arbitrary: eventBody.map((b) => ({ body: Buffer.from(JSON.stringify(b)), contentType: 'application/json' })) },
  { weight: 3, arbitrary: interaction.map((p) => ({ body: Buffer.from(form({ payload: JSON.stringify(p) })), contentType: 'application/x-www-form-urlencoded' })) },
  {
    weight: 2,
    arbitrary: fc.record({ command: maybe(fc.constantFrom('/recon', 'recon', '/other')), text: maybe(fc.string({ maxLength: 20 })), user_id: maybe(fc.constantFrom('U0ANNA', '')), channel_id: maybe(fc.constantFrom('C0REVIEW', '')), ssl_check: maybe(fc.constantFrom('0', '1')) })
      .map((fields) => ({ body: Buffer.from(form(Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v === 'string')) as Record<string, string>)), contentType: 'application/x-www-form-urlencoded' })),
  },
  { weight: 2, arbitrary: anyJson.map((v) => ({ body: Buffer.from(JSON.stringify(v) ?? ''), contentType: 'application/json' })) },
  { weight: 2, arbitrary: anyJson.map((v) => ({ body: Buffer.from(form({ payload: JSON.stringify(v) ?? '' })), contentType: 'application/x-www-form-urlencoded' })) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }).map((d) => ({ body: Buffer.from(form(d)), contentType: 'application/x-www-form-urlencoded' })) },
  { weight: 1, arbitrary: fc.record({ bytes: fc.uint8Array({ maxLength: 300 }), type: fc.oneof(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', ''), headerText) }).map(({ bytes, type }) => ({ body: Buffer.from(bytes), contentType: type })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'null', 'payload=null', '[]', '0', '-1', '"x"', 'true', '{}', 'payload=', 'payload=%ZZ', '%', '{"type":null}', '{"type":"event_callback","event":"x"}',
      '{"type":"event_callback","event":{"type":"x","item":"C1"}}', '{"type":"event_callback","event":{"type":"x","user":null}}', '{"__proto__":{"type":"event_callback"}}',
      `${'['.repeat(4_000)}${']'.repeat(4_000)}`, `payload=${'%5B'.repeat(2_000)}`,
    ).chain((text) => fc.constantFrom('application/json', 'application/x-www-form-urlencoded').map((type) => ({ body: Buffer.from(text), contentType: type }))),
  },
  { weight: 1, arbitrary: fc.integer({ min: LIMIT + 1, max: 3 * LIMIT }).map((n) => ({ body: Buffer.alloc(n, 0x61), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.constant({ body: Buffer.alloc(0), contentType: null }) },
);

const cases: fc.Arbitrary<FuzzCase> = fc.record({
  method: fc.oneof({ weight: 30, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS') }),
  path: fc.oneof({ weight: 30, arbitrary: fc.constant('/slack/events') }, { weight: 1, arbitrary: fc.constantFrom('/slack/events?x=1', '/slack/event', '/', '/healthz', '/%2e%2e/') }),
  body: bodies,
  signing: fc.oneof(
    { weight: 8, arbitrary: fc.constant<Signing>('valid') },
    { weight: 1, arbitrary: fc.constantFrom<Signing>('none', 'bad_signature', 'other_secret', 'stale', 'future', 'garbage_timestamp', 'duplicated', 'signature_only') },
  ),
  garbage: headerText,
  retry: fc.record({ num: headerText, reason: headerText }, { requiredKeys: [] }),
}).map(({ body, ...rest }) => ({ ...rest, body: body.body, contentType: body.contentType }));

function headersOf(c: FuzzCase): Record<string, string | string[]> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (timestamp: number | string, secret = SECRET) => ({ 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest(secret, c.body, timestamp) });
  const headers: Record<string, string | string[]> = {
    ...(c.contentType === null ? {} : { 'content-type': c.contentType }),
    ...(c.retry.num !== undefined ? { 'x-slack-retry-num': c.retry.num } : {}),
    ...(c.retry.reason ? { 'x-slack-retry-reason': c.retry.reason } : {}),
  };
  switch (c.signing) {
    case 'valid':
      return { ...headers, ...sign(now) };
    case 'none':
      return headers;
    case 'bad_signature':
      return { ...headers, 'x-slack-request-timestamp': String(now), 'x-slack-signature': c.garbage };
    case 'other_secret':
      return { ...headers, ...sign(now, `${SECRET}!`) };
    case 'stale':
      return { ...headers, ...sign(now - 360 - (c.garbage.length * 97)) };
    case 'future':
      return { ...headers, ...sign(now + 360 + (c.garbage.length * 97)) };
    case 'garbage_timestamp':
      return { ...headers, ...sign(c.garbage || ' ') };
    case 'duplicated': {
      const signed = sign(now);
      return { ...headers, 'x-slack-request-timestamp': [signed['x-slack-request-timestamp'], String(now)], 'x-slack-signature': [signed['x-slack-signature'], signed['x-slack-signature']] };
    }
    case 'signature_only':
      return { ...headers, 'x-slack-signature': sign(now)['x-slack-signature'] };
  }
}

interface Outcome {
  status: number;
  error?: string;
}

/** Every connection a request went out on, to see that they were kept and reused. */
const connections = new Set<unknown>();

function send(agent: Agent, base: string, c: FuzzCase): Promise<Outcome> {
  return new Promise((resolve) => {
    // Framed by its length whatever the method: Node sends a DELETE's body unframed otherwise.
    const length = c.method === 'GET' ? {} : { 'content-length': String(c.body.length) };
    const req = request(`${base}${c.path}`, { method: c.method, agent, headers: { ...headersOf(c), ...length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (error) => resolve({ status: 0, error: error.message }));
    });
    req.on('socket', (socket) => connections.add(socket));
    req.on('error', (error) => resolve({ status: 0, error: error.message }));
    req.end(c.method === 'GET' ? undefined : c.body);
  });
}

const tally = (values: string[]) => Object.fromEntries([...values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>())].sort((x, y) => y[1] - x[1]));

let rx: ReceiverApp;
beforeAll(async () => {
  rx = await startReceiverApp({ bodyLimitBytes: LIMIT, ackTimeoutMs: 150 });
});
afterAll(() => rx.stop());

describe('the Slack receiver under generated requests', () => {
  it(`answers each of ${RUNS} generated requests with a 2xx or 4xx, and still works after`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const generating = performance.now();
    const generated = fc.sample(cases, { numRuns: RUNS, seed: SEED });
    const generatedMs = Math.round(performance.now() - generating);
    const statuses = new Map<number, number>();
    const failures: { case: FuzzCase; outcome: Outcome }[] = [];
    const started = performance.now();
    // In flight a few dozen at a time over a few kept-alive connections, each worker taking the next case.
    let next = 0;
    const worker = async () => {
      while (next < generated.length) {
        const i = next++;
        const c = generated[i] as FuzzCase;
        const outcome = await send(agent, rx.base, c);
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
        if (process.env.FUZZ_TRACE && outcome.status === Number(process.env.FUZZ_TRACE)) process.stderr.write(`${i} ${outcome.status} ${outcome.error ?? ''} ${c.method} ${c.path} ${c.signing} ${c.contentType} ${c.body.length} ${c.body.toString('utf8').slice(0, 60)}\n`);
        const answered = outcome.status >= 200 && outcome.status < 500 && !outcome.error;
        // Only a signed request, within its size, may get past the door.
        const signedThrough = c.signing === 'valid' || [401, 404, 405, 413].includes(outcome.status);
        if (!answered || !signedThrough) failures.push({ case: c, outcome });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const elapsedMs = Math.round(performance.now() - started);
    if (process.env.FUZZ_VERBOSE) {
      process.stderr.write(`fuzz (seed ${SEED}): ${generated.length} requests generated in ${generatedMs} ms, answered in ${elapsedMs} ms on ${connections.size} connections; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${rx.dispatched()} reached Bolt; log lines ${JSON.stringify(tally(rx.logged.map((l) => `${String(l.msg)} ${l.code ?? ''}`)))}\n`);
    }
    expect(failures.slice(0, 5).map((f) => ({ ...f, case: { ...f.case, body: f.case.body.toString('utf8').slice(0, 200) } }))).toEqual([]);
    expect(generated.length).toBe(RUNS);
    // Connections were kept and reused, not one per request.
    expect(connections.size).toBeLessThan(generated.length / 10);
    // Refusals and dispatches both happened: the generator reached past the door.
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
    expect(rx.dispatched()).toBeGreaterThan(generated.length / 50);

    // Still at work: a signed command is heard and answered.
    const heardBefore = rx.heard.filter((h) => h.kind === 'command').length;
    const body = slashCommand('queue');
    const response = await fetch(rx.url, { method: 'POST', body, headers: slackHeaders(body) });
    expect(response.status).toBe(200);
    expect(rx.heard.filter((h) => h.kind === 'command').length).toBe(heardBefore + 1);
    agent.destroy();
  }, 120_000);
});
