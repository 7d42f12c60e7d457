import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { secretVariables } from '../src/connectors/registry.ts';
import { createLogger } from '../src/log.ts';

/** What one log call writes, as text. */
function logged(write: (logger: ReturnType<typeof createLogger>) => void, secretEnv = secretVariables()): string {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  write(createLogger('info', { secretEnv, destination: stream }));
  return Buffer.concat(chunks).toString();
}

describe('the process logger', () => {
  it('redacts every secret variable a connector declares when an environment is logged', () => {
    const env = Object.fromEntries(secretVariables().map((name) => [name, `value-of-${name}`]));
    const line = logged((logger) => logger.info({ env }, 'environment'));
    expect(secretVariables()).toContain('GOOGLE_CALENDAR_CHANNEL_TOKEN');
    for (const name of secretVariables()) expect(line).not.toContain(`value-of-${name}`);
    expect(line).toContain('[redacted]');
  });

  it("redacts Slack's token and signing secret and the database URL", () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-test-1', SLACK_SIGNING_SECRET: 'signing-1', DATABASE_URL: 'postgres://user:pw@host/db', LOG_LEVEL: 'info' };
    const line = logged((logger) => logger.info({ env }, 'environment'));
    expect(line).not.toMatch(/xoxb-test-1|signing-1|user:pw/);
    expect(line).toContain('"LOG_LEVEL":"info"');
  });

  it('redacts signature headers of a logged request', () => {
    const headers = { 'x-slack-signature': 'v0=abc', 'stripe-signature': 't=1,v1=def', 'x-goog-channel-token': 'chan-tok', 'content-type': 'application/json' };
    const line = logged((logger) => logger.warn({ headers }, 'refused'));
    expect(line).not.toMatch(/v0=abc|v1=def|chan-tok/);
    expect(line).toContain('application/json');
  });
});
