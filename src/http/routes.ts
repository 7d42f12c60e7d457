/**
 * The routes `recon serve` answers on PORT beside Slack's (health, metrics, webhooks), and the
 * plain server that carries them when Slack does not (Socket Mode, or no Slack at all). A route
 * with a body gets it raw, read up to a cap, so a webhook can verify its signature over the exact
 * bytes before parsing anything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ReconError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';

/**
 * One route: exact method and path (no query string, no patterns). `rawBody` is the body's bytes
 * for every method but GET and HEAD.
 *
 * @example
 * { method: 'POST', path: '/webhooks/stripe', handler: (req, res, rawBody) => receiveStripe(req, res, rawBody) }
 */
export interface Route {
  method: string;
  path: string;
  handler(req: IncomingMessage, res: ServerResponse, rawBody?: Buffer): void | Promise<void>;
}

/** Bodies past this are refused with 413; Slack's and the webhooks' are a few kilobytes. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export type BodyErrorCode = 'http.body_too_large' | 'http.body_aborted';

export class BodyError extends ReconError {
  override readonly name = 'BodyError';
  constructor(code: BodyErrorCode, message: string, readonly status: 400 | 413) {
    super(code, message);
  }
}

/**
 * The request's body as bytes, refusing one over `limitBytes` (by its Content-Length before
 * reading, or as it arrives). A refused body is still drained, so the connection stays usable and
 * the client reads the 413, up to a bound past which the connection is dropped.
 */
export function readRawBody(req: IncomingMessage, limitBytes = BODY_LIMIT_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new BodyError('http.body_too_large', `request body over ${limitBytes} bytes`, 413);
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = (error: BodyError) => {
      refused = true;
      chunks.length = 0;
      reject(error);
    };
    if (Number.isFinite(declared) && declared > limitBytes) refuse(tooLarge());
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        // Draining a refused body costs nothing but time; past a bound it is someone pushing bytes.
        if (size > 16 * limitBytes) req.socket.destroy();
        return;
      }
      if (size > limitBytes) return refuse(tooLarge());
      chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (!refused) resolve(Buffer.concat(chunks, size));
    });
    const aborted = () => {
      if (!ended && !refused) refuse(new BodyError('http.body_aborted', 'the request ended before its body did', 400));
    };
    req.on('error', aborted);
    req.on('close', aborted);
  });
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return path || '/';
}

/** Sends a short answer, once; later calls do nothing. A body that cannot be sent as JSON answers 500. */
export function sendAnswer(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  if (body === undefined || body === null || body === '') {
    res.writeHead(status, headers).end();
    return;
  }
  if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
    return;
  }
  let json: string;
  try {
    json = JSON.stringify(body);
  } catch {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"unserializable_response"}');
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(json);
}

export interface RouteOptions {
  logger: Logger;
  bodyLimitBytes?: number;
}

/**
 * Answers `req` from `routes`: true when a route took it (or its path exists under another method,
 * answered 405); false when no route has its path. A handler that throws answers 500 and is logged.
 */
export async function serveRoute(routes: readonly Route[], req: IncomingMessage, res: ServerResponse, options: RouteOptions): Promise<boolean> {
  const path = pathOf(req.url);
  const onPath = routes.filter((r) => r.path === path);
  if (!onPath.length) return false;
  const route = onPath.find((r) => r.method.toUpperCase() === req.method);
  if (!route) {
    req.resume();
    sendAnswer(res, 405, 'method not allowed\n', { allow: [...new Set(onPath.map((r) => r.method.toUpperCase()))].join(', ') });
    return true;
  }
  try {
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      await route.handler(req, res);
    } else {
      await route.handler(req, res, await readRawBody(req, options.bodyLimitBytes));
    }
  } catch (error) {
    if (error instanceof BodyError) {
      sendAnswer(res, error.status, { error: error.code });
      return true;
    }
    options.logger.error({ err: error, method: req.method, path }, 'a route handler failed');
    sendAnswer(res, 500, { error: 'internal' });
  }
  return true;
}

/** Timeouts that keep a slow or silent client from holding a connection. */
export function hardenServer(server: Server): Server {
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** A server for `routes` alone: 404 for any other path. */
export function createRouteServer(routes: readonly Route[], options: RouteOptions): Server {
  return hardenServer(
    createServer((req, res) => {
      serveRoute(routes, req, res, options)
        .then((served) => {
          if (!served) {
            req.resume();
            sendAnswer(res, 404, 'not found\n');
          }
        })
        .catch((error: unknown) => {
          options.logger.error({ err: error }, 'an HTTP request failed');
          sendAnswer(res, 500, { error: 'internal' });
        });
    }),
  );
}

/** Listens on `port` (0 for any free one); resolves once listening, rejects if the port is taken. */
export function listen(server: Server, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}

/**
 * Stops accepting connections and closes idle ones at once; requests under way get `graceMs`
 * to finish before their connections are closed too.
 */
export function closeServer(server: Server, graceMs = 5_000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
