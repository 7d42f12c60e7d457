/** Small shared HTTP helpers over node:http: routing, bodies, Stripe-style nested parameters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.ts';
import type { RollingWindowLimiter } from './rate-limit.ts';

/** A parsed parameter: a string, a list (`expand[]=a`), or a nested map (`metadata[crm_id]=x`). */
export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue };
export type Params = Record<string, ParamValue>;

export interface SandboxRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/customers/cus_123`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The raw body, as received. */
  body: string;
  /** Route parameters, e.g. `{ id: 'cus_123' }` for `/v1/customers/:id`. */
  params: Record<string, string>;
}

export interface SandboxResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What an API handler needs besides the state: its rate limiter and the fault settings. */
export interface ApiContext {
  /** Null when rate limiting is off. */
  limiter: RollingWindowLimiter | null;
  faults: FaultInjector;
}

export type Handler = (request: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

/** Method + path routing with `:name` segments; the first matching route wins. */
export class Router<H = Handler> {
  private readonly routes: Route<H>[] = [];

  on(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler and its path parameters, or `null` when no route matches (a 404). */
  match(method: string, path: string): { handler: H; params: Record<string, string> } | null {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matches = route.segments.every((segment, i) => {
        const part = parts[i] ?? '';
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = decodeURIComponent(part);
          return true;
        }
        return segment === part;
      });
      if (matches) return { handler: route.handler, params };
    }
    return null;
  }
}

/**
 * Parses `a=1&b[c]=2&expand[]=x&expand[0]=y` into nested values, like Stripe's servers do.
 * Keys in brackets stay map keys, even numeric ones; `[]` appends to a list. Read lists with `asList`.
 */
export function parseNestedParams(pairs: Iterable<[string, string]>): Params {
  const root: Params = {};
  for (const [rawKey, value] of pairs) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!match?.[1]) continue;
    const path = [match[1], ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '')];
    let node: Params | ParamValue[] = root;
    for (let i = 0; i < path.length; i += 1) {
      const key = path[i] ?? '';
      const last = i === path.length - 1;
      if (Array.isArray(node)) {
        if (last) node.push(value);
        else {
          const child: Params = {};
          node.push(child);
          node = child;
        }
        continue;
      }
      if (last) {
        node[key] = value;
        continue;
      }
      const appends = path[i + 1] === '';
      const existing: ParamValue | undefined = node[key];
      if (appends ? Array.isArray(existing) : existing !== undefined && typeof existing === 'object' && !Array.isArray(existing)) {
        node = existing as Params | ParamValue[];
      } else {
        const child: Params | ParamValue[] = appends ? [] : {};
        node[key] = child;
        node = child;
      }
    }
  }
  return root;
}

/** A parameter read as a list of strings: `x`, `x[]=a&x[]=b` and `x[0]=a&x[1]=b` all work. */
export function asList(value: ParamValue | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return Object.keys(value)
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => value[key])
    .filter((item): item is string => typeof item === 'string');
}

/** Reads a request body, refusing anything over `maxBytes`. */
export async function readBody(request: IncomingMessage, maxBytes = 5 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new Error(`request body over ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; `undefined` when it is not JSON. */
export function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(headers: IncomingMessage['headers']): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1] ?? null;
}

export function sendJson(response: ServerResponse, result: SandboxResponse): void {
  if (result.status === 204) {
    response.writeHead(204, result.headers);
    response.end();
    return;
  }
  const payload = JSON.stringify(result.body);
  response.writeHead(result.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...result.headers,
  });
  response.end(payload);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
