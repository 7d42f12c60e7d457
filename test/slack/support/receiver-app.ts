/**
 * A Bolt app on Recon's receiver with a few listeners that show each way a request can end (acked,
 * acked with a body, never acked, failing), on loopback, with no Slack behind it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { App } from '@slack/bolt';
import { pino } from 'pino';
import type { Route } from '../../../src/http/routes.ts';
import type { Logger } from '../../../src/log.ts';
import { slackLogger } from '../../../src/slack/app.ts';
import { ReconReceiver } from '../../../src/slack/receiver.ts';
import { signSlackRequest } from '../../../src/slack/verify.ts';

export const SECRET = 'receiver-test-secret';

export interface Heard {
  kind: string;
  body: unknown;
  retryNum?: number | undefined;
  retryReason?: string | undefined;
}

export interface ReceiverApp {
  url: string;
  base: string;
  server: Server;
  heard: Heard[];
  /** How many requests reached Bolt's middleware: verified, well formed, routed. */
  dispatched(): number;
  /** Log lines at warn and above, as objects. */
  logged: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** A logger that keeps its warn and error lines in `lines`. */
export function capturingLogger(lines: Record<string, unknown>[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'warn' }, sink);
}

export async function startReceiverApp(options: { bodyLimitBytes?: number; ackTimeoutMs?: number; routes?: Route[]; now?: () => number } = {}): Promise<ReceiverApp> {
  const heard: Heard[] = [];
  const logged: Record<string, unknown>[] = [];
  const logger = capturingLogger(logged);
  const receiver = new ReconReceiver({ signingSecret: SECRET, logger, routes: options.routes ?? [], ackTimeoutMs: options.ackTimeoutMs ?? 300, bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024, ...(options.now ? { now: options.now } : {}) });
  const app = new App({ token: 'xoxb-test-receiver', receiver, botId: 'B0TEST', botUserId: 'U0TESTBOT', tokenVerificationEnabled: false, logger: slackLogger(logger) });
  app.error(async (error) => {
    logger.error({ err: error }, 'a Slack listener failed');
  });
  let dispatched = 0;
  app.use(async ({ next }) => {
    dispatched++;
    await next();
  });
  app.command('/recon', async ({ ack, command, context }) => {
    heard.push({ kind: 'command', body: command, retryNum: context.retryNum, retryReason: context.retryReason });
    await ack();
  });
  app.action('ok', async ({ ack, body }) => {
    heard.push({ kind: 'action', body });
    await ack();
  });
  app.action('silent', async ({ body }) => {
    heard.push({ kind: 'silent', body });
    // Never acks, and works on past the receiver's deadline.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  app.action('late', async ({ ack }) => {
    await new Promise((resolve) => setTimeout(resolve, (options.ackTimeoutMs ?? 300) + 100));
    await ack();
    heard.push({ kind: 'late', body: null });
  });
  app.action('throws', async () => {
    throw new Error('listener failed before its ack');
  });
  app.action('twice', async ({ ack }) => {
    await ack();
    await ack();
  });
  app.view('form', async ({ ack }) => {
    await ack({ response_action: 'errors', errors: { reason: 'Say why.' } });
  });
  app.event('app_home_opened', async ({ event, context }) => {
    heard.push({ kind: 'event', body: event, retryNum: context.retryNum, retryReason: context.retryReason });
  });
  const server = (await app.start(0)) as Server;
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/slack/events`, base, server, heard, dispatched: () => dispatched, logged, stop: () => app.stop() as Promise<void> };
}

export interface SignOptions {
  timestamp?: number | string;
  secret?: string;
  contentType?: string;
}

/** Headers Slack would send with `body`, signed now unless told otherwise. */
export function slackHeaders(body: string | Buffer, options: SignOptions = {}): Record<string, string> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': signSlackRequest(options.secret ?? SECRET, body, timestamp),
  };
}

export const interaction = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

export const blockAction = (actionId: string, user = 'U0ANNA') => ({
  type: 'block_actions', user: { id: user, team_id: 'T0TEST' }, team: { id: 'T0TEST', domain: 'test' }, api_app_id: 'A0TEST',
  trigger_id: '1.2.abc', channel: { id: 'C0REVIEW', name: 'review' },
  actions: [{ type: 'button', action_id: actionId, block_id: 'actions', value: '1', action_ts: '1.3' }],
});

export const viewSubmission = (callbackId: string) => ({
  type: 'view_submission', user: { id: 'U0ANNA', team_id: 'T0TEST' }, team: { id: 'T0TEST', domain: 'test' }, api_app_id: 'A0TEST',
  view: { id: 'V1', type: 'modal', callback_id: callbackId, private_metadata: '', state: { values: {} }, hash: 'h' },
});

export const slashCommand = (text = 'status') =>
  new URLSearchParams({ command: '/recon', text, user_id: 'U0ANNA', channel_id: 'C0REVIEW', team_id: 'T0TEST', trigger_id: '1.2.3', response_url: 'https://hooks.slack.com/commands/x' }).toString();

export const homeOpened = (user = 'U0ANNA') =>
  JSON.stringify({ type: 'event_callback', team_id: 'T0TEST', api_app_id: 'A0TEST', event_id: 'Ev1', event_time: 1, event: { type: 'app_home_opened', user, channel: 'D0ANNA', tab: 'home', event_ts: '1.1' } });
