import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/routes.ts';
import {
  blockAction, homeOpened, interaction, SECRET, slackHeaders, slashCommand, startReceiverApp, viewSubmission, type ReceiverApp,
} from './support/receiver-app.ts';

const LIMIT = 16 * 1024;
let rx: ReceiverApp;
const rawBodies: Buffer[] = [];
const routes: Route[] = [
  { method: 'GET', path: '/healthz', handler: (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}') },
  {
    method: 'POST', path: '/webhooks/test', handler: (_req, res, rawBody) => {
      rawBodies.push(rawBody as Buffer);
      res.writeHead(204).end();
    },
  },
  { method: 'GET', path: '/broken', handler: () => { throw new Error('route failed'); } },
];

beforeEach(async () => {
  rawBodies.length = 0;
  rx = await startReceiverApp({ bodyLimitBytes: LIMIT, ackTimeoutMs: 300, routes });
});
afterEach(() => rx.stop());

const post = (body: string | Buffer, headers: Record<string, string>) => fetch(rx.url, { method: 'POST', body, headers });
const signedPost = (body: string, options: Parameters<typeof slackHeaders>[1] = {}) => post(body, slackHeaders(body, options));
const errorOf = async (response: Response) => ((await response.json()) as { error?: string }).error;

describe('the Slack receiver refuses', () => {
  it('a request without the signature headers, with 401', async () => {
    const response = await post(slashCommand(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toBe('missing_headers');
    expect(rx.heard).toEqual([]);
  });

  it('a request signed with another secret, with 401', async () => {
    const response = await signedPost(slashCommand(), { secret: `${SECRET}x` });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toBe('bad_signature');
    expect(rx.heard).toEqual([]);
  });

  it('a request signed six minutes ago, with 401', async () => {
    const response = await signedPost(slashCommand(), { timestamp: Math.floor(Date.now() / 1000) - 360 });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toBe('stale');
    expect(rx.heard).toEqual([]);
  });

  it('a request signed ten minutes in the future, with 401, and runs nothing', async () => {
    const response = await signedPost(slashCommand(), { timestamp: Math.floor(Date.now() / 1000) + 600 });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toBe('future');
    expect(rx.heard).toEqual([]);
  });

  it('a timestamp that is not a number, with 401', async () => {
    const response = await signedPost(slashCommand(), { timestamp: 'now' });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toBe('bad_timestamp');
  });

  it('a signed body that is not JSON, with 400', async () => {
    const response = await signedPost('{"type": "event_callback",', { contentType: 'application/json' });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe('invalid_json');
  });

  it('a signed JSON body of null, with 400, and the process lives', async () => {
    const response = await signedPost('null', { contentType: 'application/json' });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe('not_an_object');
    expect((await signedPost(slashCommand())).status).toBe(200);
  });

  it('a signed payload=null, with 400, and the process lives', async () => {
    const response = await signedPost('payload=null');
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe('not_an_object');
    expect((await signedPost(slashCommand())).status).toBe(200);
  });

  it('signed arrays, numbers and bodies without a type, with 400', async () => {
    for (const body of ['[]', '42', '"text"', '{}', '{"type":7}', '{"type":"event_callback"}', '{"type":"event_callback","event":null}']) {
      expect((await signedPost(body, { contentType: 'application/json' })).status, body).toBe(400);
    }
    for (const body of ['payload=%5B%5D', 'payload=1', 'payload=%7B%7D', interaction({ type: 'block_actions' }), interaction({ type: 'nonsense', user: { id: 'U1' } }), 'a=b', '']) {
      expect((await signedPost(body)).status, body).toBe(400);
    }
    expect(rx.heard).toEqual([]);
  });

  it('a signed body of a content type Slack does not send, with 415', async () => {
    const response = await signedPost(homeOpened(), { contentType: 'text/plain' });
    expect(response.status).toBe(415);
    expect(await errorOf(response)).toBe('unsupported_media_type');
  });

  it('a body over the limit, with 413, before reading it', async () => {
    const body = `payload=${'x'.repeat(LIMIT)}`;
    const response = await signedPost(body);
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toBe('http.body_too_large');
  });

  it('a body over the limit sent without a length, with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(rx.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('x'.repeat(LIMIT / 2));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('anything but POST on the events path, with 405', async () => {
    expect((await fetch(rx.url)).status).toBe(405);
  });

  it('and logs each refusal with its code', async () => {
    await signedPost(slashCommand(), { timestamp: Math.floor(Date.now() / 1000) + 600 });
    await signedPost('null', { contentType: 'application/json' });
    expect(rx.logged.map((l) => l.code)).toEqual(['future', 'not_an_object']);
  });
});

describe('the Slack receiver answers', () => {
  it('a slash command when its listener acks', async () => {
    const response = await signedPost(slashCommand());
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(rx.heard[0]).toMatchObject({ kind: 'command', body: { command: '/recon', text: 'status', user_id: 'U0ANNA' } });
  });

  it('the Events API handshake with its challenge', async () => {
    const response = await signedPost(JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'c-123' }), { contentType: 'application/json' });
    expect(await response.json()).toEqual({ challenge: 'c-123' });
  });

  it('an event at once, with the retry headers passed to the listeners', async () => {
    const body = homeOpened();
    const response = await post(body, { ...slackHeaders(body, { contentType: 'application/json' }), 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rx.heard[0]).toMatchObject({ kind: 'event', retryNum: 2, retryReason: 'http_timeout' });
  });

  it('a view submission with the body its listener acks with', async () => {
    const response = await signedPost(interaction(viewSubmission('form')));
    expect(await response.json()).toEqual({ response_action: 'errors', errors: { reason: 'Say why.' } });
  });

  it('an interaction no listener takes with an empty 200', async () => {
    const response = await signedPost(interaction(blockAction('nobody-listens')));
    expect(response.status).toBe(200);
  });

  it('with an empty 200 when the listener finishes without acking, and once when it acks too late', async () => {
    const silent = await signedPost(interaction(blockAction('silent')));
    expect(silent.status).toBe(200);
    const started = performance.now();
    const late = await signedPost(interaction(blockAction('late')));
    expect(late.status).toBe(200);
    expect(await late.text()).toBe('');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rx.heard.map((h) => h.kind)).toContain('late');
    expect(rx.logged.some((l) => String(l.msg).includes('acked after the answer was sent'))).toBe(true);
  });

  it('with 200 when a listener fails before acking, logging the failure', async () => {
    const response = await signedPost(interaction(blockAction('throws')));
    expect(response.status).toBe(200);
    expect(rx.logged.some((l) => l.msg === 'a Slack listener failed')).toBe(true);
    expect((await signedPost(slashCommand())).status).toBe(200);
  });

  it('once when a listener acks twice', async () => {
    expect((await signedPost(interaction(blockAction('twice')))).status).toBe(200);
  });
});

describe('the routes beside Slack on the same port', () => {
  it('answer their paths, with the raw body for a POST', async () => {
    expect(await (await fetch(`${rx.base}/healthz?probe=1`)).json()).toEqual({ ok: true });
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    expect((await fetch(`${rx.base}/webhooks/test`, { method: 'POST', body: bytes })).status).toBe(204);
    expect(rawBodies[0]?.equals(bytes)).toBe(true);
  });

  it('refuse a body over the limit with 413 before the handler runs', async () => {
    expect((await fetch(`${rx.base}/webhooks/test`, { method: 'POST', body: 'x'.repeat(LIMIT + 1) })).status).toBe(413);
    expect(rawBodies).toEqual([]);
  });

  it('answer 404 for an unknown path, 405 for a known path under another method, 500 for a failing handler', async () => {
    expect((await fetch(`${rx.base}/nowhere`)).status).toBe(404);
    const wrongMethod = await fetch(`${rx.base}/healthz`, { method: 'POST', body: 'x' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect((await fetch(`${rx.base}/broken`)).status).toBe(500);
    expect((await fetch(`${rx.base}/healthz`)).status).toBe(200);
  });
});
