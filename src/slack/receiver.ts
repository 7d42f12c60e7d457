/**
 * Recon's own Bolt receiver for HTTP mode, over node:http. Every request to `/slack/events` is
 * read raw (capped: 413), verified against the signing secret on those bytes before anything is
 * parsed (401), then read defensively (4xx for any body Slack would not send), and only then handed
 * to Bolt. No request, however shaped, can throw out of here; the process lives.
 *
 * Acks: the answer goes out when a listener calls `ack()` (with its body, such as a modal's
 * `response_action: errors`); when the listeners finish without acking; or, failing both, with an
 * empty 200 after `ackTimeoutMs`, inside Slack's three seconds. Never twice: a late `ack()` is
 * logged and dropped.
 *
 * The same server answers the extra routes (health, metrics, webhooks) on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AckFn, App, Receiver, ReceiverEvent } from '@slack/bolt';
import { BODY_LIMIT_BYTES, BodyError, closeServer, hardenServer, listen, pathOf, readRawBody, sendAnswer, serveRoute, type Route } from '../http/routes.ts';
import type { Logger } from '../log.ts';
import { parseSlackBody, SlackBodyError, type SlackRequestBody } from './request-body.ts';
import { SlackVerificationError, verifySlackRequest } from './verify.ts';

export const SLACK_EVENTS_PATH = '/slack/events';

/** Slack gives up at three seconds; this leaves room for the network. */
export const ACK_TIMEOUT_MS = 2_500;

export interface ReconReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Extra routes on the same port: `/healthz`, `/metrics`, `POST /webhooks/<provider>`. */
  routes?: readonly Route[];
  bodyLimitBytes?: number;
  ackTimeoutMs?: number;
  /** Milliseconds since the epoch, for the signature's timestamp window. */
  now?: () => number;
}

/** A header's value when it was sent exactly once. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function retryOf(req: IncomingMessage): Pick<ReceiverEvent, 'retryNum' | 'retryReason'> {
  const num = single(req.headers['x-slack-retry-num']);
  const reason = single(req.headers['x-slack-retry-reason']);
  return {
    ...(num !== undefined && /^\d{1,4}$/.test(num) ? { retryNum: Number(num) } : {}),
    ...(reason ? { retryReason: reason.slice(0, 100) } : {}),
  };
}

export class ReconReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private readonly log: Logger;
  private readonly routes: readonly Route[];
  private readonly bodyLimitBytes: number;
  private readonly ackTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ReconReceiverOptions) {
    if (!options.signingSecret) throw new Error('ReconReceiver needs the signing secret');
    this.log = options.logger.child({ component: 'slack-receiver' });
    this.routes = options.routes ?? [];
    this.bodyLimitBytes = options.bodyLimitBytes ?? BODY_LIMIT_BYTES;
    this.ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  /** Listens on `port` (0 for any free one) and resolves with the server once it does. */
  async start(port = 3000, host?: string): Promise<Server> {
    if (this.server?.listening) throw new Error('the Slack receiver is already listening');
    this.server = hardenServer(createServer(this.requestListener));
    return listen(this.server, port, host);
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  /** The node:http request listener: never throws, never leaves a request unanswered. */
  readonly requestListener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      this.log.error({ err: error, path: pathOf(req.url) }, 'an HTTP request failed');
      sendAnswer(res, 500, { error: 'internal' });
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (pathOf(req.url) === SLACK_EVENTS_PATH) {
      if (req.method !== 'POST') {
        req.resume();
        sendAnswer(res, 405, 'method not allowed\n', { allow: 'POST' });
        return;
      }
      await this.slackRequest(req, res);
      return;
    }
    if (await serveRoute(this.routes, req, res, { logger: this.log, bodyLimitBytes: this.bodyLimitBytes })) return;
    req.resume();
    sendAnswer(res, 404, 'not found\n');
  }

  private async slackRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readRawBody(req, this.bodyLimitBytes);
    } catch (error) {
      const refused = error instanceof BodyError ? error : new BodyError('http.body_aborted', String(error), 400);
      this.log.warn({ code: refused.code }, 'refused a Slack request: its body could not be read');
      sendAnswer(res, refused.status, { error: refused.code });
      return;
    }
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: raw,
        headers: { timestamp: single(req.headers['x-slack-request-timestamp']), signature: single(req.headers['x-slack-signature']) },
        now: this.now,
      });
    } catch (error) {
      const code = error instanceof SlackVerificationError ? error.code : 'bad_signature';
      this.log.warn({ code, reason: (error as Error).message }, 'refused a Slack request that is not signed as Slack signs');
      sendAnswer(res, 401, { error: code });
      return;
    }
    let body: SlackRequestBody;
    try {
      body = parseSlackBody(raw, single(req.headers['content-type']));
    } catch (error) {
      const refused = error instanceof SlackBodyError ? error : new SlackBodyError('invalid_shape', String(error));
      this.log.warn({ code: refused.code, reason: refused.message }, 'refused a signed Slack request whose body Slack would not send');
      sendAnswer(res, refused.status, { error: refused.code });
      return;
    }
    switch (body.kind) {
      case 'url_verification':
        sendAnswer(res, 200, { challenge: body.challenge });
        return;
      case 'ssl_check':
        sendAnswer(res, 200);
        return;
      case 'ignored':
        this.log.info({ type: body.type }, 'Slack said something Recon has nothing to do about');
        sendAnswer(res, 200);
        return;
      case 'dispatch':
        await this.dispatch(req, res, body);
        return;
    }
  }

  /** Hands a verified, well-formed body to Bolt and answers exactly once. */
  private async dispatch(req: IncomingMessage, res: ServerResponse, request: Extract<SlackRequestBody, { kind: 'dispatch' }>): Promise<void> {
    const app = this.app;
    if (!app) {
      sendAnswer(res, 503, { error: 'not_ready' });
      return;
    }
    let answered = false;
    const answer = (status: number, body?: unknown): boolean => {
      if (answered) return false;
      answered = true;
      clearTimeout(timer);
      sendAnswer(res, status, body);
      return true;
    };
    const timer = setTimeout(() => {
      if (answer(200)) this.log.warn({ type: request.type, afterMs: this.ackTimeoutMs }, 'no ack from the listener in time: answered Slack with an empty 200');
    }, this.ackTimeoutMs);
    // Bolt's AckFn takes any response body: a string, an object (sent as JSON) or nothing.
    const ack: AckFn<any> = async (response?: unknown) => {
      if (!answer(200, response)) this.log.warn({ type: request.type }, 'a listener acked after the answer was sent; its response was dropped');
    };
    try {
      await app.processEvent({ body: request.body, ack, ...retryOf(req) });
      // The listeners finished without acking (none matched, or one failed first): nothing to say.
      answer(200);
    } catch (error) {
      // Bolt could not route it (a shape the checks let through); listener errors go to app.error, not here.
      this.log.error({ err: error, type: request.type }, 'Bolt could not process a signed Slack request');
      answer(400, { error: 'unprocessable' });
    }
  }
}
