import { describe, expect, it } from 'vitest';
import { createSandboxState, startSandbox } from '../../src/sandbox/index.ts';
import { sandboxWith, seedStripe, stripeClient } from './seed.ts';

describe('sandbox server', () => {
  it('serves both APIs from a loopback base URL on a free port', async () => {
    const sandbox = await startSandbox(createSandboxState());
    try {
      expect(sandbox.stripeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sandbox.hubspotUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sandbox.close();
    }
  });

  it('refuses to bind anywhere but loopback', async () => {
    await expect(startSandbox(createSandboxState(), { host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });

  it('answers 404 outside the Stripe and HubSpot paths', async () => {
    const sandbox = await startSandbox(createSandboxState());
    try {
      expect((await fetch(`${sandbox.stripeUrl}/other`)).status).toBe(404);
      expect(sandbox.requests()).toEqual({ stripe: 0, hubspot: 0, rateLimited: 0 });
    } finally {
      await sandbox.close();
    }
  });

  it('closes promptly while a client still holds keep-alive sockets', async () => {
    const { sandbox } = await sandboxWith((s) => seedStripe(s, 1));
    await stripeClient(sandbox).customers.list();
    const started = performance.now();
    await sandbox.close();
    expect(performance.now() - started).toBeLessThan(500);
  });
});
