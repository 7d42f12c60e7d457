import { describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy } from '../../src/config/load-policy.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { loadEnv } from '../../src/config/env.ts';
import { nextRunOf } from '../../src/jobs/schedules.ts';

const minimal = (check: string) => `crm: hubspot\nchecks:\n${check}`;
const paymentCheck = `
  - name: payment-status
    source: { system: stripe, field: subscription_status }
    target: { system: hubspot, object: deals, field: dealstage }
    rule: source_of_truth
    map:
      active: { write: closedwon }`;

function errorOf(text: string): string {
  try {
    parsePolicy(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the policy to be refused');
}

describe('the policy file', () => {
  it('accepts the shipped HubSpot example', async () => {
    const policy = await loadPolicy('examples/recon.config.hubspot.yml');
    expect(policy.checks.map((c) => c.name)).toEqual(['payment-status', 'deal-amount', 'booking-stage']);
  });

  it('accepts the shipped GoHighLevel example', async () => {
    const policy = await loadPolicy('examples/recon.config.gohighlevel.yml');
    expect([policy.crm, ...policy.checks.map((c) => c.name)]).toEqual(['gohighlevel', 'payment-status', 'deal-amount', 'customer-stage', 'booking-stage']);
  });

  it('names the key path of an alert threshold that is not a whole number', () => {
    expect(errorOf(`crm: hubspot\nalerts:\n  failingCycles: 1.5\nchecks:\n${paymentCheck}`)).toContain('policy.alerts.failingCycles');
  });

  it('refuses alerts looked at more often than every ten seconds', () => {
    expect(errorOf(`crm: hubspot\nalerts:\n  every: 5s\nchecks:\n${paymentCheck}`)).toContain('expected at least 10s');
  });

  it('names the key path of a retention period that is not a duration', () => {
    expect(errorOf(`crm: hubspot\nretention:\n  days: soon\nchecks:\n${paymentCheck}`)).toContain('policy.retention.days');
  });

  it('names the key path of a map entry without a write value', () => {
    expect(errorOf(minimal(paymentCheck.replace('{ write: closedwon }', '{ accept: [closedwon] }')))).toContain('policy.checks[0].map.active.write');
  });

  it('names an unknown rule and lists the rules it expected', () => {
    const message = errorOf(minimal(paymentCheck.replace('source_of_truth', 'newest_wins')));
    expect(message).toContain('policy.checks[0].rule');
    expect(message).toContain('source_of_truth');
  });

  it('refuses an unknown key instead of ignoring a typo', () => {
    expect(errorOf(minimal(`${paymentCheck}\n    humanEditWindw: 24h`))).toContain('unknown key "humanEditWindw"');
  });

  it('refuses a duration it cannot read', () => {
    expect(errorOf(minimal(`${paymentCheck}\n    humanEditWindow: a day`))).toMatch(/policy\.checks\[0\]\.humanEditWindow: expected a duration/);
  });

  it('understands a day of the week spelled out in a schedule, as node-cron does', () => {
    const policy = parsePolicy(`${minimal(paymentCheck)}\nschedule:\n  timezone: UTC\n  reconcile: '0 * * * *'\n  digest: '0 9 * * MONDAY'`);
    expect(policy.schedule?.digest).toBe('0 9 * * MONDAY');
    const next = nextRunOf('0 9 * * MONDAY', 'UTC');
    expect(next?.getUTCDay()).toBe(1);
    expect(next?.getUTCHours()).toBe(9);
  });

  it('refuses a schedule that is not a cron expression, naming its key', () => {
    expect(errorOf(`${minimal(paymentCheck)}\nschedule:\n  timezone: UTC\n  reconcile: '0 * * * *'\n  digest: '0 9 * * FUNDAY'`)).toMatch(/policy\.schedule\.digest: "0 9 \* \* FUNDAY" is not a cron expression/);
  });

  it('refuses a check on a CRM other than the policy crm', () => {
    expect(errorOf(`crm: gohighlevel\nchecks:\n${paymentCheck}`)).toContain('policy.checks[0].target.system: expected gohighlevel');
  });

  it('refuses a map on a recency check', () => {
    expect(errorOf(minimal(paymentCheck.replace('source_of_truth', 'recency')))).toContain('policy.checks[0].map: rule recency compares values as they are');
  });

  it('refuses two checks with one name', () => {
    expect(errorOf(minimal(`${paymentCheck}${paymentCheck}`))).toContain('duplicate check name "payment-status"');
  });

  it('reports YAML that does not parse with its line', () => {
    expect(errorOf('crm: hubspot\nchecks: [\n')).toMatch(/not valid YAML at line \d/);
  });

  it('tells where to find an example when the file is missing', async () => {
    await expect(loadPolicy('does-not-exist.yml')).rejects.toThrow(/not found: set RECON_CONFIG or copy examples/);
  });
});

describe('the environment', () => {
  it('uses the embedded database when DATABASE_URL is unset', () => {
    const env = loadEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.RECON_DB_DIR).toBe('.recon/db');
  });

  it('refuses a Stripe key of the wrong shape without echoing it', () => {
    try {
      loadEnv({ STRIPE_SECRET_KEY: 'pk_test_not_a_secret_key_value' });
      throw new Error('expected refusal');
    } catch (error) {
      expect((error as Error).message).toContain('STRIPE_SECRET_KEY: expected a secret or restricted key');
      expect((error as Error).message).not.toContain('pk_test_not_a_secret_key_value');
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadEnv({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });
});
