/**
 * The sandbox's Slack Web API, under `/api/`: form, JSON or multipart bodies; a bearer token (or
 * a `token` form field) required; HTTP 200 with `ok: false` for API errors; chat.postMessage paced
 * to one message per second per channel after a small burst, answering 429 with Retry-After; and
 * the external upload flow, whose upload URL points back at this server.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, sendJson } from './http.ts';
import { METHOD_SCOPES, SLACK_METHODS, SlackApiError } from './slack-methods.ts';
import type { SlackFailure, SlackState } from './slack-state.ts';

type Json = Record<string, unknown>;

export interface SlackApiOptions {
  /**
   * chat.postMessage to one channel: this many at once, then one per second, as Slack documents
   * ("1 per second, short bursts allowed"). `null` turns the limit off.
   */
  messageBurst: number | null;
  /** Epoch milliseconds, for message timestamps and the call log; default `Date.now`. */
  now?: () => number;
  /** A monotonic clock in milliseconds for the pacing; default `performance.now`. */
  monotonic?: () => number;
}

export interface SlackHttpRequest {
  method: string;
  /** The path without the query string, e.g. `/api/chat.postMessage`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body: uploads are binary. */
  body: Buffer;
}

/** A JSON answer, or `text` for the upload URL, which answers like Slack's file service. */
export interface SlackHttpResponse {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** Arguments that Slack takes as JSON-encoded strings in form bodies. */
const JSON_ARGUMENTS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);
const UPLOAD_PREFIX = '/api/upload/v1/';

/** A token bucket per channel: `burst` tokens, refilled at one per second. */
class ChannelPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly burst: number, private readonly clock: () => number) {
    if (!(burst >= 1)) throw new Error(`sandbox: slackMessageBurst must be at least 1, got ${burst}`);
  }

  /** 0 when the message may go now, otherwise the milliseconds until it may. */
  take(channel: string): number {
    const now = this.clock();
    const bucket = this.buckets.get(channel) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / 1000);
    bucket.at = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) * 1000;
  }
}

async function formData(body: Buffer, contentType: string): Promise<FormData> {
  try {
    return await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new SlackApiError('invalid_form_data');
  }
}

/** The call's arguments (query and body) and the token a form or query carried. */
async function readArguments(request: SlackHttpRequest): Promise<{ args: Json; formToken: string | null }> {
  const args: Json = Object.fromEntries(request.query);
  const contentType = request.headers['content-type'] ?? '';
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  let jsonBody = false;
  if (request.body.length > 0) {
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new SlackApiError('invalid_json');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SlackApiError('json_not_object');
      Object.assign(args, parsed);
      jsonBody = true;
    } else if (type === 'application/x-www-form-urlencoded' || type === 'text/plain') {
      Object.assign(args, Object.fromEntries(new URLSearchParams(request.body.toString('utf8'))));
    } else if (type === 'multipart/form-data') {
      for (const [name, value] of await formData(request.body, contentType)) {
        args[name] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
      }
    } else if (type === '') {
      throw new SlackApiError('missing_post_type');
    } else {
      throw new SlackApiError('invalid_post_type');
    }
  }
  // A JSON body must authenticate with the Authorization header, as Slack requires.
  const formToken = !jsonBody && typeof args.token === 'string' ? args.token : null;
  delete args.token;
  for (const name of JSON_ARGUMENTS) {
    const value = args[name];
    if (typeof value !== 'string') continue;
    try {
      args[name] = JSON.parse(value) as unknown;
    } catch {
      // Left as a string: the method answers with its own error (invalid_blocks_format, invalid_arguments).
    }
  }
  return { args, formToken };
}

const ok = (body: Json, scopes: string[]): SlackHttpResponse => ({ status: 200, body: { ok: true, ...body }, headers: { 'X-OAuth-Scopes': scopes.join(',') } });
const failed = (error: string, extra: Json = {}): SlackHttpResponse => ({ status: 200, body: { ok: false, error, ...extra } });
const rateLimited = (retryAfterSeconds: number): SlackHttpResponse => ({
  status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'Retry-After': String(retryAfterSeconds) },
});

function injected(failure: SlackFailure): SlackHttpResponse {
  if (typeof failure === 'string') return failed(failure);
  if (failure.status === 429) return rateLimited(failure.retryAfterSeconds ?? 1);
  return { status: failure.status, body: { ok: false, error: failure.status === 503 ? 'service_unavailable' : 'internal_error' } };
}

function errorOf(response: SlackHttpResponse): string | undefined {
  const body = response.body as Json | undefined;
  if (response.status === 200 && body?.ok === true) return undefined;
  return typeof body?.error === 'string' ? body.error : `http_${response.status}`;
}

/** The Slack API handler over `slack`; the server routes everything under `/api/` here. */
export function createSlackApi(slack: SlackState, options: SlackApiOptions): (request: SlackHttpRequest) => Promise<SlackHttpResponse> {
  const now = options.now ?? Date.now;
  const pacer = options.messageBurst === null ? null : new ChannelPacer(options.messageBurst, options.monotonic ?? (() => performance.now()));
  const uploads = new Map<string, string>();

  const upload = async (request: SlackHttpRequest): Promise<SlackHttpResponse> => {
    const fileId = uploads.get(request.path.slice(UPLOAD_PREFIX.length));
    const file = fileId === undefined ? undefined : slack.files.get(fileId);
    if (request.method !== 'POST' || !file || file.completed) return { status: 404, text: 'Not Found' };
    let data = request.body;
    const contentType = request.headers['content-type'] ?? '';
    // Slack takes the bytes raw or as a multipart form; in a form, the file part.
    if (contentType.toLowerCase().startsWith('multipart/form-data')) {
      const part = [...(await formData(request.body, contentType)).values()].find((value) => typeof value !== 'string');
      if (part === undefined) return { status: 400, text: 'Bad Request: no file in the form' };
      data = Buffer.from(await part.arrayBuffer());
    }
    file.data = data;
    return { status: 200, text: `OK - ${data.length}` };
  };

  const call = async (method: string, request: SlackHttpRequest): Promise<{ response: SlackHttpResponse; args: Json }> => {
    let args: Json = {};
    try {
      const read = await readArguments(request);
      args = read.args;
      const token = bearerToken(request.headers) ?? read.formToken;
      if (!token) return { response: failed('not_authed'), args };
      if (slack.token !== null ? token !== slack.token : !/^xox[bp]-/.test(token)) return { response: failed('invalid_auth'), args };
      const needed = METHOD_SCOPES[method];
      if (needed && !slack.bot.scopes.includes(needed)) {
        return { response: failed('missing_scope', { needed, provided: slack.bot.scopes.join(',') }), args };
      }
      const failure = slack.failures.get(method)?.shift();
      if (failure !== undefined) return { response: injected(failure), args };
      if (pacer && method === 'chat.postMessage' && typeof args.channel === 'string') {
        const waitMs = pacer.take(args.channel);
        if (waitMs > 0) return { response: rateLimited(Math.max(1, Math.ceil(waitMs / 1000))), args };
      }
      const handler = SLACK_METHODS[method];
      if (!handler) return { response: { status: 404, body: { ok: false, error: 'unknown_method', req_method: method } }, args };
      const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
      return { response: ok(handler({ slack, args, now: now(), origin, uploads }), slack.bot.scopes), args };
    } catch (error) {
      if (error instanceof SlackApiError) return { response: failed(error.code, error.extra), args };
      throw error;
    }
  };

  return async (request) => {
    if (request.path.startsWith(UPLOAD_PREFIX)) return upload(request);
    const method = request.path.slice('/api/'.length);
    const { response, args } = await call(method, request);
    const error = errorOf(response);
    slack.calls.push({ method, args, at: now(), ...(error === undefined ? {} : { error }) });
    return response;
  };
}

/** Reads a request body as bytes, refusing anything over `maxBytes`. */
export async function readRawBody(request: IncomingMessage, maxBytes = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new Error(`request body over ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function sendSlackResponse(outgoing: ServerResponse, response: SlackHttpResponse): void {
  if (response.text === undefined) {
    sendJson(outgoing, { status: response.status, body: response.body, headers: response.headers });
    return;
  }
  outgoing.writeHead(response.status, {
    'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(response.text), ...response.headers,
  });
  outgoing.end(response.text);
}
