import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.ts';
import { ReconError } from '../../src/domain/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { createSlackApp } from '../../src/slack/app.ts';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox(generateScenario({ customers: 3, seed: 1, now: Date.now() }).state, { rateLimits: false });
});
afterAll(() => sandbox.close());

const env = (extra: Record<string, string>) => loadEnv({ SLACK_SIGNING_SECRET: 'app-test-secret', SLACK_API_URL: sandbox.slackUrl, ...extra });

async function startError(extra: Record<string, string>): Promise<ReconError> {
  const error = await createSlackApp({ env: env(extra), logger: silentLogger }).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ReconError);
  return error as ReconError;
}

describe('createSlackApp', () => {
  it('takes the bot’s ids from auth.test and gives them to Bolt', async () => {
    sandbox.slack.bot.userId = 'U0ANOTHERBOT';
    sandbox.slack.bot.botId = 'B0ANOTHERBOT';
    try {
      const slackApp = await createSlackApp({ env: env({ SLACK_BOT_TOKEN: 'xoxb-test-app' }), logger: silentLogger });
      expect(slackApp.bot).toEqual({ userId: 'U0ANOTHERBOT', botId: 'B0ANOTHERBOT', teamId: 'T0SANDBOX' });
      expect(sandbox.slack.calls.filter((c) => c.method === 'auth.test')).toHaveLength(1);
    } finally {
      sandbox.slack.bot.userId = 'U0RECON';
      sandbox.slack.bot.botId = 'B0RECON';
    }
  });

  it('runs in Socket Mode without a signing secret, with the bot ids from auth.test too', async () => {
    const slackApp = await createSlackApp({ env: loadEnv({ SLACK_API_URL: sandbox.slackUrl, SLACK_BOT_TOKEN: 'xoxb-test-app', SLACK_APP_TOKEN: 'xapp-test-app' }), logger: silentLogger });
    expect(slackApp.mode).toBe('socket');
    expect(slackApp.bot.userId).toBe('U0RECON');
  });

  it('stops the start with a one-line coded error when Slack refuses the token', async () => {
    sandbox.slack.token = 'xoxb-test-the-right-one';
    try {
      const error = await startError({ SLACK_BOT_TOKEN: 'xoxb-test-wrong' });
      expect(error).toMatchObject({ code: 'slack.token_refused', exitCode: 2 });
      expect(error.message).toMatch(/^Slack refused SLACK_BOT_TOKEN \(auth\.test: invalid_auth\)/);
      expect(error.message).not.toContain('\n');
      expect(error.message).not.toContain('xoxb-test-wrong');
    } finally {
      sandbox.slack.token = null;
    }
  });

  it('says Slack could not be reached, apart from a refused token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api/`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await startError({ SLACK_BOT_TOKEN: 'xoxb-test-app', SLACK_API_URL: url });
    expect(error).toMatchObject({ code: 'slack.unreachable', exitCode: 1 });
  }, 20_000);
});
