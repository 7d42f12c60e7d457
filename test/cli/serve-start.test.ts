import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { RUN_WITHIN_MS, runRecon } from '../support/child.ts';

it('recon serve stops with one line and exit code 2 when Slack refuses the bot token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recon-serve-start-'));
  const state = generateScenario({ customers: 3, seed: 3, now: Date.now() }).state;
  const sandbox = await startSandbox(state, { rateLimits: false });
  sandbox.slack.token = 'xoxb-test-the-installed-one';
  try {
    const { code, stderr } = await runRecon(['serve'], {
      PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', PORT: '0', RECON_DB_DIR: join(dir, 'db'),
      RECON_CONFIG: 'examples/recon.config.hubspot.yml', STRIPE_SECRET_KEY: 'sk_test_serve', STRIPE_API_URL: sandbox.stripeUrl,
      HUBSPOT_ACCESS_TOKEN: 'pat-serve', HUBSPOT_API_URL: sandbox.hubspotUrl,
      ...googleCalendarEnv(state.calendar, { dir, baseUrl: sandbox.urls.google_calendar as string }),
      SLACK_BOT_TOKEN: 'xoxb-test-revoked', SLACK_SIGNING_SECRET: 'serve-secret', SLACK_API_URL: sandbox.slackUrl,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^recon( serve)?: Slack refused SLACK_BOT_TOKEN \(auth\.test: invalid_auth\)[^\n]*\n$/);
    expect(stderr).not.toContain('xoxb-test-revoked');
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}, RUN_WITHIN_MS + 30_000);
