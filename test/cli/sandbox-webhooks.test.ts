import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { goHighLevelWebhookConfig } from '../../src/fastloop/verify/gohighlevel.ts';
import { publicRequestUri, verifyHubSpotWebhook } from '../../src/fastloop/verify/hubspot.ts';
import { verifyStripeWebhook } from '../../src/fastloop/verify/stripe.ts';
import { START_WITHIN_MS, STOP_WITHIN_MS, startRecon } from '../support/child.ts';

/** `export A=1 B=2` and `export C='...'` lines of the output, as a shell would read them. */
function exported(stdout: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const rest = /^\s*export (.+)$/.exec(line)?.[1];
    if (!rest) continue;
    const quoted = /^(\w+)='(.*)'$/.exec(rest);
    if (quoted) vars[quoted[1] as string] = quoted[2] as string;
    else for (const pair of rest.split(' ')) vars[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  }
  return vars;
}

describe('recon sandbox --webhooks-to', () => {
  it('prints the secrets to verify with, and posts signed webhooks for the drift it is asked for', async () => {
    const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const recon = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => recon.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(recon.address() as AddressInfo).port}`;
    const child = startRecon(['sandbox', '--customers', '40', '--no-rate-limits', '--webhooks-to', url], { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent' });
    try {
      await child.waitUntil('"Press Ctrl-C" on stdout', () => child.stdout().includes('Press Ctrl-C'), START_WITHIN_MS);
      const env = exported(child.stdout());
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['STRIPE_WEBHOOK_SECRET', 'HUBSPOT_CLIENT_SECRET', 'RECON_PUBLIC_URL', 'GHL_WEBHOOK_PUBLIC_KEY']));
      expect(goHighLevelWebhookConfig(env).config?.keys.ed25519.asymmetricKeyType).toBe('ed25519');

      const drift = await fetch(`${env.STRIPE_API_URL}/_sandbox/drift?stripe=1&hubspot=1`, { method: 'POST' });
      expect(drift.status).toBe(200);
      await child.waitUntil('two webhooks posted to the listener', () => received.length >= 2, START_WITHIN_MS);
      const stripe = received.find((request) => request.path === '/webhooks/stripe');
      const hubspot = received.find((request) => request.path === '/webhooks/hubspot');
      expect(() => verifyStripeWebhook({ rawBody: stripe?.body ?? '', headers: stripe?.headers ?? {}, secrets: env.STRIPE_WEBHOOK_SECRET ?? '', now: Date.now })).not.toThrow();
      expect(() => verifyHubSpotWebhook({
        method: 'POST', uri: publicRequestUri(env.RECON_PUBLIC_URL ?? '', hubspot?.path ?? ''), rawBody: hubspot?.body ?? '', headers: hubspot?.headers ?? {},
        clientSecret: env.HUBSPOT_CLIENT_SECRET ?? '', now: Date.now,
      })).not.toThrow();
    } finally {
      expect((await child.stop('SIGINT', STOP_WITHIN_MS)).code).toBe(0);
      await new Promise((resolve) => recon.close(resolve));
    }
  }, 2 * START_WITHIN_MS + STOP_WITHIN_MS + 10_000);
});
