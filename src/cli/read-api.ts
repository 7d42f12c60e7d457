/**
 * The read-only endpoint `recon serve` answers for the CLI while it holds the embedded database:
 * `GET /_recon/status`, `/_recon/queue`, `/_recon/log`, `/_recon/show` and `/_recon/trace`, each with
 * `Authorization: Bearer <token from serve.json>`, each answering the JSON the command prints with
 * `--json`. A plain function from request to status and body, so any route table can mount it.
 *
 * @example
 * const api = readOnlyApi(databaseReports(database.db, database.describe), token);
 * const { status, body } = await api({ method: 'GET', url: '/_recon/queue?limit=20', authorization: `Bearer ${token}` });
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogQuery, QueueQuery, Reports } from './reports.ts';

export const READ_ONLY_PATHS = {
  status: '/_recon/status',
  queue: '/_recon/queue',
  log: '/_recon/log',
  show: '/_recon/show',
  trace: '/_recon/trace',
} as const;

export interface ReadOnlyRequest {
  method: string;
  /** The path with its query string, as `IncomingMessage.url` has it. */
  url: string;
  authorization?: string | undefined;
}

export interface ReadOnlyResponse {
  status: number;
  body: unknown;
}

export type ReadOnlyApi = (request: ReadOnlyRequest) => Promise<ReadOnlyResponse>;

/** The most rows one request may ask for. */
export const MAX_LIMIT = 10_000;

class BadRequest extends Error {}

const fail = (status: number, error: string): ReadOnlyResponse => ({ status, body: { error } });

export function readOnlyApi(reports: Reports, token: string): ReadOnlyApi {
  const expected = Buffer.from(`Bearer ${token}`);
  const authorized = (header: string | undefined) => {
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return async (request) => {
    const url = new URL(request.url, 'http://recon.invalid');
    if (!Object.values(READ_ONLY_PATHS).includes(url.pathname as never)) return fail(404, `no read-only endpoint ${url.pathname}`);
    if (request.method !== 'GET') return fail(405, `${url.pathname} answers GET only`);
    if (!authorized(request.authorization)) return fail(401, 'a Bearer token from serve.json is required');
    const q = url.searchParams;
    try {
      switch (url.pathname) {
        case READ_ONLY_PATHS.status:
          return { status: 200, body: await reports.status() };
        case READ_ONLY_PATHS.queue:
          return { status: 200, body: await reports.queue(queueQuery(q)) };
        case READ_ONLY_PATHS.log: {
          const log = await reports.log(logQuery(q));
          return log ? { status: 200, body: log } : fail(404, `there is no review item ${q.get('item')}`);
        }
        case READ_ONLY_PATHS.trace: {
          const subject = q.get('subject')?.trim();
          if (!subject) throw new BadRequest('subject is required: an email or a record id');
          const timeline = await reports.trace({ subject, since: timeParam('since', q.get('since')), limit: limitParam(q.get('limit')) });
          return timeline ? { status: 200, body: timeline } : fail(404, `Recon knows nothing of ${subject}`);
        }
        default: {
          const item = itemParam(q.get('item'));
          if (!item) throw new BadRequest('item is required');
          const shown = await reports.show(item);
          return shown ? { status: 200, body: shown } : fail(404, `there is no review item ${item}`);
        }
      }
    } catch (error) {
      if (error instanceof BadRequest) return fail(400, error.message);
      return fail(500, error instanceof Error ? error.message : String(error));
    }
  };
}

function queueQuery(q: URLSearchParams): QueueQuery {
  return { check: q.get('check') ?? undefined, category: q.get('category') ?? undefined, openedBefore: timeParam('openedBefore', q.get('openedBefore')), limit: limitParam(q.get('limit')) };
}

function logQuery(q: URLSearchParams): LogQuery {
  return { since: timeParam('since', q.get('since')), item: itemParam(q.get('item')), limit: limitParam(q.get('limit')) };
}

function limitParam(value: string | null): number {
  if (value === null) return 50;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > MAX_LIMIT) throw new BadRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

function timeParam(name: string, value: string | null): string | undefined {
  if (value === null) return undefined;
  if (Number.isNaN(Date.parse(value))) throw new BadRequest(`${name} must be an ISO 8601 time`);
  return new Date(value).toISOString();
}

function itemParam(value: string | null): string | undefined {
  if (value === null) return undefined;
  if (!/^\d+$/.test(value)) throw new BadRequest('item must be a review item id');
  return value;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The endpoint for a node:http server or a route table of `(req, res)` handlers (Bolt's custom
 * routes take the same). Only loopback peers are answered: the token is the lock, this the fence.
 */
export function readOnlyNodeHandler(api: ReadOnlyApi): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const send = ({ status, body }: ReadOnlyResponse) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return send(fail(403, 'the read-only endpoint answers this machine only'));
    api({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization }).then(send, (error: unknown) => send(fail(500, String(error))));
  };
}

/**
 * The endpoint as routes for `recon serve`'s route table (src/http/routes.ts): one exact GET route
 * per path, so the table needs no prefix matching.
 */
export function readOnlyRoutes(api: ReadOnlyApi): { method: 'GET'; path: string; handler(req: IncomingMessage, res: ServerResponse): void }[] {
  const handler = readOnlyNodeHandler(api);
  return Object.values(READ_ONLY_PATHS).map((path) => ({ method: 'GET' as const, path, handler }));
}

/** The endpoint on a listener of its own on 127.0.0.1 (`port` 0: any free port). */
export async function startReadOnlyServer(api: ReadOnlyApi, port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(readOnlyNodeHandler(api));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
