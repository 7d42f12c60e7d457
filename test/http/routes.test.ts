import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeServer, createRouteServer, listen, type Route } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/log.ts';

const received: Buffer[] = [];
const routes: Route[] = [
  { method: 'GET', path: '/healthz', handler: (_req, res) => void res.writeHead(200).end('ok') },
  {
    method: 'POST', path: '/webhooks/stripe', handler: async (_req, res, rawBody) => {
      received.push(rawBody as Buffer);
      res.writeHead(200).end();
    },
  },
];

let base: string;
let server: ReturnType<typeof createRouteServer>;
beforeEach(async () => {
  received.length = 0;
  server = await listen(createRouteServer(routes, { logger: silentLogger, bodyLimitBytes: 1024 }), 0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => closeServer(server));

describe('the route server', () => {
  it('answers its routes, 404 elsewhere and 405 for another method', async () => {
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
    expect((await fetch(`${base}/slack/events`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/webhooks/stripe`)).status).toBe(405);
  });

  it('hands a POST route its body as the bytes sent', async () => {
    const bytes = Buffer.from('t=1,v1=\u00e9', 'latin1');
    await fetch(`${base}/webhooks/stripe`, { method: 'POST', body: bytes });
    expect(received[0]?.equals(bytes)).toBe(true);
  });

  it('refuses a body over its limit with 413 and keeps the connection usable', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string) => new Promise<number>((resolve, reject) => {
      const req = request(`${base}/webhooks/stripe`, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(await send('x'.repeat(5_000))).toBe(413);
    expect(await send('small')).toBe(200);
    agent.destroy();
    expect(received.map((b) => b.toString())).toEqual(['small']);
  });

  it('closes at once when only idle kept-alive connections remain', async () => {
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve) => request(`${base}/healthz`, { agent }, (res) => res.resume().on('end', () => resolve())).end());
    const started = performance.now();
    await closeServer(server, 10_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });
});
