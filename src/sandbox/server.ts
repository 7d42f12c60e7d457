/**
 * Starts the sandbox: one HTTP server on 127.0.0.1 answering Stripe under `/v1/` and HubSpot
 * under `/crm/`, both over the same state, and Slack's Web API under `/api/` over its own; what
 * that Slack would show, as a page at `/` and as JSON at `/slack/messages`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector } from './faults.ts';
import type { FaultOptions, SandboxSystem } from './faults.ts';
import { control } from './control.ts';
import { FAKES, fakeFor } from './fakes.ts';
import { readBody, sendJson, sleep } from './http.ts';
import type { SandboxRequest, SandboxResponse } from './http.ts';
import { RollingWindowLimiter } from './rate-limit.ts';
import { createSlackApi, readRawBody, sendSlackResponse } from './slack-server.ts';
import { slackPage } from './slack-pages.ts';
import { createSlackState } from './slack-state.ts';
import type { SlackState } from './slack-state.ts';
import type { SandboxState } from './state.ts';

/**
 * Stripe's documented sandbox (test mode) limit, HubSpot's default ten-secondly limit, and Slack's
 * chat.postMessage pace: one per second per channel after a burst of this many.
 */
export const DEFAULT_RATE_LIMITS = { stripePerSecond: 25, hubspotPer10s: 100, slackMessageBurst: 3 } as const;

export interface SandboxOptions {
  /** Only loopback addresses; default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * `false` turns all off; a limit of `Infinity` turns one off. HubSpot Professional/Enterprise: 150.
   * `perSystem` sets any fake's limit per its window (`{ gohighlevel: 50 }`).
   */
  rateLimits?: { stripePerSecond?: number; hubspotPer10s?: number; slackMessageBurst?: number; perSystem?: Record<string, number> } | false;
  faults?: FaultOptions;
  /** The Slack workspace to serve, e.g. one seeded beforehand; default a new `createSlackState()`. */
  slack?: SlackState;
}

export interface RequestCounts {
  stripe: number;
  hubspot: number;
  /** Requests to every other fake, by system, once there has been one. */
  [system: string]: number | undefined;
  /** Requests under `/api/` (Slack), once there has been one: Stripe/HubSpot-only counts keep their shape. */
  slack?: number;
  /** Requests answered 429, by the rate limiters or by injected faults. */
  rateLimited: number;
}

export interface RunningSandbox {
  /** Base URL for the Stripe SDK (`host`, `port`, `protocol: 'http'`). */
  stripeUrl: string;
  /** Base URL of the HubSpot API (`${hubspotUrl}/crm/v3/...`). */
  hubspotUrl: string;
  /** The Slack Web API, ending in `/api/`: the WebClient's `slackApiUrl` (and SLACK_API_URL). */
  slackUrl: string;
  /** The Slack workspace: calls, messages, views, files; seed `usergroups`, `users`, `channels` here. */
  slack: SlackState;
  /** The base URL of each faked system (all one port; each fake answers its own paths). */
  urls: Record<string, string>;
  /** The variables that point Recon at every fake and at the sandbox's Slack. */
  env(): Record<string, string>;
  requests(): RequestCounts;
  /** Live fault settings: change them between requests. */
  faults: FaultInjector;
  close(): Promise<void>;
}

function limiter(perWindow: number | undefined, windowMs: number): RollingWindowLimiter | null {
  if (perWindow === undefined || perWindow === Infinity) return null;
  return new RollingWindowLimiter(perWindow, windowMs);
}


export async function startSandbox(state: SandboxState, options: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') throw new Error(`sandbox: binds to loopback only, not ${host}`);
  const limits = options.rateLimits === false
    ? { stripePerSecond: Infinity, hubspotPer10s: Infinity, slackMessageBurst: Infinity }
    : { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const faults = new FaultInjector(options.faults);
  const perWindow = (system: string, documented: number): number | undefined => {
    if (options.rateLimits === false) return Infinity;
    if (system === 'stripe') return limits.stripePerSecond;
    if (system === 'hubspot') return limits.hubspotPer10s;
    return options.rateLimits?.perSystem?.[system] ?? documented;
  };
  const apis = new Map<SandboxSystem, (request: SandboxRequest) => Promise<SandboxResponse>>(
    FAKES.map((fake) => [fake.system, fake.create(state, { limiter: fake.rateLimit ? limiter(perWindow(fake.system, fake.rateLimit.requests), fake.rateLimit.perMs) : null, faults })]),
  );
  const slack = options.slack ?? createSlackState();
  const slackApi = createSlackApi(slack, { messageBurst: limits.slackMessageBurst === Infinity ? null : limits.slackMessageBurst });
  const counts: RequestCounts = { stripe: 0, hubspot: 0, rateLimited: 0 };

  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const url = new URL(incoming.url ?? '/', 'http://sandbox');
      if (url.pathname.startsWith('/api/')) {
        counts.slack = (counts.slack ?? 0) + 1;
        const body = await readRawBody(incoming);
        if (faults.latencyMs > 0) await sleep(faults.latencyMs);
        const response = await slackApi({ method: incoming.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: incoming.headers, body });
        if (response.status === 429) counts.rateLimited += 1;
        sendSlackResponse(outgoing, response);
        return;
      }
      const page = slackPage(slack, incoming.method ?? 'GET', url.pathname);
      if (page) {
        outgoing.writeHead(page.status, { ...page.headers, 'Content-Length': Buffer.byteLength(page.body) });
        outgoing.end(incoming.method === 'HEAD' ? undefined : page.body);
        return;
      }
      const controlled = control(state, () => ({ ...counts }), incoming.method ?? 'GET', url.pathname, url.searchParams);
      if (controlled) {
        sendJson(outgoing, controlled);
        return;
      }
      const fake = fakeFor(url.pathname);
      const api = fake ? apis.get(fake.system) : undefined;
      if (!fake || !api) {
        const where = FAKES.map((f) => `${f.system} under ${f.prefixes.join(', ')}`).join('; ');
        sendJson(outgoing, { status: 404, body: { error: `no sandbox API under ${url.pathname}; ${where}; Slack under /api/ (what it would show: / and /slack/messages)` } });
        return;
      }
      const system = fake.system;
      counts[system] = (counts[system] ?? 0) + 1;
      const body = await readBody(incoming);
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      const response = await api({
        method: incoming.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: incoming.headers, body, params: {},
      });
      if (response.status === 429) counts.rateLimited += 1;
      sendJson(outgoing, response);
    })().catch((error: unknown) => {
      if (!outgoing.headersSent) sendJson(outgoing, { status: 500, body: { error: String(error) } });
      else outgoing.destroy();
    });
  });
  // Longer than any client keeps an idle connection (undici 4 s, Node's agent 5 s), as the vendors'
  // load balancers do: a client never sends a request on a connection the server is just closing.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const urls = Object.fromEntries(FAKES.map((fake) => [fake.system, base]));
  return {
    stripeUrl: base,
    hubspotUrl: base,
    slackUrl: `${base}/api/`,
    slack,
    urls,
    env: () => ({
      ...Object.fromEntries(FAKES.flatMap((fake) => Object.entries(fake.env(base, state)))),
      SLACK_BOT_TOKEN: 'xoxb-test-sandbox', SLACK_SIGNING_SECRET: 'sandbox-signing-secret', SLACK_API_URL: `${base}/api/`,
    }),
    faults,
    requests: () => ({ ...counts }),
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}
