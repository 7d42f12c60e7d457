import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { RUN_WITHIN_MS, runRecon, servePort, START_WITHIN_MS, STOP_WITHIN_MS, startRecon, type ReconChild } from '../support/child.ts';

let dir: string;
let sandbox: RunningSandbox;
let child: ReconChild;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-serve-'));
  const { state } = generateScenario({ customers: 40, seed: 3, now: Date.now() });
  sandbox = await startSandbox(state, { rateLimits: false });
  child = startRecon(['serve'], {
    ...googleCalendarEnv(state.calendar, { dir, baseUrl: sandbox.urls.google_calendar as string }),
    PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', PORT: '0', RECON_DB_DIR: join(dir, 'db'),
    RECON_CONFIG: 'examples/recon.config.hubspot.yml', STRIPE_SECRET_KEY: 'sk_test_serve', STRIPE_API_URL: sandbox.stripeUrl,
    HUBSPOT_ACCESS_TOKEN: 'pat-serve', HUBSPOT_API_URL: sandbox.hubspotUrl,
    SLACK_BOT_TOKEN: 'xoxb-test-serve', SLACK_SIGNING_SECRET: 'serve-secret', SLACK_API_URL: sandbox.slackUrl,
  });
  await child.waitUntil('"Slack app listening" on stderr', () => child.stderr().includes('Slack app listening'), START_WITHIN_MS);
  base = `http://127.0.0.1:${await servePort(child)}`;
}, START_WITHIN_MS + 30_000);

afterAll(async () => {
  await child.stop('SIGTERM');
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

describe('recon serve', () => {
  it('answers /healthz with the database it uses', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, database: expect.stringContaining('embedded') });
  });

  it('exposes Prometheus metrics with the queue depth', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^recon_review_queue_open \d+$/m);
    expect(text).toContain('# TYPE recon_cycles_total counter');
  });

  it('refuses an unsigned request to /slack/events', async () => {
    const response = await fetch(`${base}/slack/events`, { method: 'POST', body: 'payload=%7B%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(401);
  });

  it('answers recon status and recon queue while it holds the embedded database', async () => {
    const run = (args: string[]) => runRecon(args, {
      PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', RECON_DB_DIR: join(dir, 'db'), RECON_CONFIG: 'examples/recon.config.hubspot.yml',
    });
    const status = await run(['status', '--json']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ database: expect.stringContaining('embedded'), queue: { open: 0 } });
    expect((await run(['queue', '--json'])).code).toBe(0);
  }, 2 * RUN_WITHIN_MS + 10_000);

  it('stops cleanly on SIGTERM', async () => {
    expect((await child.stop('SIGTERM', STOP_WITHIN_MS)).code).toBe(0);
  }, STOP_WITHIN_MS + 10_000);
});
