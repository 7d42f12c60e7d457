import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { RUN_WITHIN_MS, runRecon } from '../support/child.ts';

let dir: string;
let sandbox: RunningSandbox;
let world: ReturnType<typeof generateScenario>['state'];
let googleEnv: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-cli-'));
  const { state } = generateScenario({ customers: 60, seed: 5, now: Date.now() });
  world = state;
  sandbox = await startSandbox(state, { rateLimits: false });
  googleEnv = googleCalendarEnv(state.calendar, { dir, baseUrl: sandbox.urls.google_calendar as string });
});
afterAll(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in a child process; asynchronously, so the sandbox in this process keeps answering. */
function recon(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runRecon(args, { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', RECON_DB_DIR: join(dir, 'db'), ...env });
}

const sandboxEnv = () => ({
  ...googleEnv,
  RECON_CONFIG: 'examples/recon.config.hubspot.yml',
  STRIPE_SECRET_KEY: 'sk_test_cli',
  STRIPE_API_URL: sandbox.stripeUrl,
  HUBSPOT_ACCESS_TOKEN: 'pat-cli',
  HUBSPOT_API_URL: sandbox.hubspotUrl,
});

describe('the recon command', { timeout: RUN_WITHIN_MS + 10_000 }, () => {
  it('exits 2 and names the key path when the policy is wrong', async () => {
    const policy = join(dir, 'bad.yml');
    await writeFile(policy, 'crm: hubspot\nchecks:\n  - name: x\n    source: { system: stripe, field: s }\n    target: { system: hubspot, object: deals, field: t }\n    rule: sometimes\n');
    const { code, stderr } = await recon(['run'], { RECON_CONFIG: policy });
    expect(code).toBe(2);
    expect(stderr).toContain('policy.checks[0].rule');
  });

  it('stops a run whose target field does not exist in HubSpot with exit 2, the mismatch and what to do, and no write', async () => {
    const policy = join(dir, 'typo.yml');
    await writeFile(policy, (await readFile('examples/recon.config.hubspot.yml', 'utf8')).replace('field: dealstage }', 'field: deal_stage }'));
    const writesBefore = world.writes.length;
    const { code, stderr } = await recon(['run'], { ...sandboxEnv(), RECON_CONFIG: policy });
    expect(code).toBe(2);
    // The line naming the check, the key, the wrong value and the nearest one; then what to do.
    const [what, todo, ...rest] = stderr.trim().split('\n');
    expect(what).toContain('check payment-status: checks[0].target.field "deal_stage" is not a field of hubspot deals; did you mean "dealstage"?');
    expect(todo).toContain('nothing was read or written');
    expect(rest).toEqual([]);
    expect(world.writes.length).toBe(writesBefore);
  });

  it('reports the same mismatch in doctor and exits 2', async () => {
    const policy = join(dir, 'typo-doctor.yml');
    await writeFile(policy, (await readFile('examples/recon.config.hubspot.yml', 'utf8')).replace('field: dealstage }', 'field: deal_stage }'));
    const { code, stdout, stderr } = await recon(['doctor'], { ...sandboxEnv(), RECON_CONFIG: policy });
    expect(code).toBe(2);
    expect(stdout + stderr).toContain('did you mean "dealstage"?');
  });

  it('exits 2 on an unknown option', async () => {
    const { code, stderr } = await recon(['run', '--fast']);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--fast'");
  });

  it('exits 2 and names the variable when a credential is missing', async () => {
    const { code, stderr } = await recon(['run'], { RECON_CONFIG: 'examples/recon.config.hubspot.yml' });
    expect(code).toBe(2);
    expect(stderr).toContain('STRIPE_SECRET_KEY is not set');
  });

  it('prints one JSON object with the figures of each check', async () => {
    const { code, stdout } = await recon(['run', '--json', '--dry-run'], sandboxEnv());
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const check = result.checks.find((c: { check: string }) => c.check === 'payment-status');
    expect(Object.keys(check)).toEqual(expect.arrayContaining(['read', 'discrepancies', 'autoFixed', 'escalated', 'suppressed', 'noop', 'failed', 'apiCalls']));
    expect(check.discrepancies.byKind).toHaveProperty('value_mismatch');
    expect(check.apiCalls.stripe).toBeGreaterThan(0);
  });

  it('checks each connection in doctor', async () => {
    const { code, stdout } = await recon(['doctor'], sandboxEnv());
    expect(stdout).toMatch(/^ok +Stripe: /m);
    expect(stdout).toMatch(/^ok +HubSpot: /m);
    expect(stdout).toMatch(/^ok +Google Calendar: /m);
    expect(stdout).toMatch(/^ok +every check's objects, fields and map values exist/m);
    expect(code).toBe(0);
  });

  it('prints in doctor the vendor API versions Recon pins', async () => {
    const { stdout } = await recon(['doctor'], sandboxEnv());
    expect(stdout).toContain('2026-10-28.endive');
    expect(stdout).toMatch(/HubSpot.*v3/);
  });

  it('says in doctor when each schedule runs next', async () => {
    const { stdout } = await recon(['doctor'], sandboxEnv());
    expect(stdout).toMatch(/schedule\.reconcile "0 \*\/6 \* \* \*": next \d{1,2} \w{3} \d{4}, \d{2}:\d{2} \(Europe\/Berlin\)/);
    expect(stdout).not.toContain('next never');
  });

  it('says in doctor which webhook endpoints are on and which answer 404', async () => {
    const { stdout } = await recon(['doctor'], { ...sandboxEnv(), STRIPE_WEBHOOK_SECRET: 'whsec_test_cli', RECON_PUBLIC_URL: 'https://recon.example.com' });
    expect(stdout).toMatch(/^ok +Stripe webhooks: on \(POST https:\/\/recon\.example\.com\/webhooks\/stripe\)$/m);
    expect(stdout).toMatch(/^info +HubSpot webhooks: off, \/webhooks\/hubspot answers 404: set HUBSPOT_CLIENT_SECRET and RECON_PUBLIC_URL to take them$/m);
  });

  it('answers an unknown command with help and exit 2', async () => {
    const { code, stderr } = await recon(['reconcile']);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage:');
  });
});
