/**
 * `recon doctor` and `recon serve`'s environment check on a GoHighLevel policy: whether the
 * GoHighLevel webhook endpoint is on, and why not, in one line each.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY } from '../../src/fastloop/verify/gohighlevel.ts';
import { generateGoHighLevelScenario } from '../../src/sandbox/generate-gohighlevel.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { GHL_STRIPE_ID_FIELD, startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';

let dir: string;
let sandbox: RunningSandbox;
let env: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-doctor-ghl-'));
  const { state } = generateGoHighLevelScenario({ customers: 30, seed: 3, now: Date.now() });
  sandbox = await startSandbox(state, { rateLimits: false });
  env = {
    ...googleCalendarEnv(state.calendar, { dir, baseUrl: sandbox.urls.google_calendar as string }),
    RECON_CONFIG: 'examples/recon.config.gohighlevel.yml',
    STRIPE_SECRET_KEY: 'sk_test_doctor',
    STRIPE_API_URL: sandbox.stripeUrl,
    GHL_ACCESS_TOKEN: 'pit-test-doctor-0000',
    GHL_API_URL: sandbox.urls.gohighlevel as string,
    GHL_LOCATION_ID: state.gohighlevel.locationId,
    GHL_STRIPE_ID_FIELD,
  };
});
afterAll(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

function recon(args: string[], extra: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/recon.js', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', RECON_DB_DIR: join(dir, 'db'), ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const raw = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);

describe('recon doctor on a GoHighLevel policy', () => {
  it('says in one line that the GoHighLevel endpoint answers 404 without GHL_WEBHOOK_PUBLIC_KEY, and what to set', async () => {
    const { stdout } = await recon(['doctor'], {});
    expect(stdout).toMatch(/^info +GoHighLevel webhooks: off, \/webhooks\/gohighlevel answers 404: set GHL_WEBHOOK_PUBLIC_KEY to your app's Ed25519 public key \(PEM, base64 or hex\).*X-GHL-Signature.*$/m);
  }, 60_000);

  it('says the endpoint is on with the key given as hex', async () => {
    const { stdout } = await recon(['doctor'], { GHL_WEBHOOK_PUBLIC_KEY: raw.toString('hex'), RECON_PUBLIC_URL: 'https://recon.example.com' });
    expect(stdout).toMatch(/^ok +GoHighLevel webhooks: on \(POST https:\/\/recon\.example\.com\/webhooks\/gohighlevel\)$/m);
  }, 60_000);

  it('warns that GHL_WEBHOOK_ED25519_PUBLIC_KEY is deprecated, and still turns the endpoint on with it', async () => {
    const { stdout } = await recon(['doctor'], { GHL_WEBHOOK_ED25519_PUBLIC_KEY: raw.toString('base64') });
    expect(stdout).toMatch(/^warn +GHL_WEBHOOK_ED25519_PUBLIC_KEY is deprecated: rename it to GHL_WEBHOOK_PUBLIC_KEY/m);
    expect(stdout).toMatch(/^ok +GoHighLevel webhooks: on /m);
  }, 60_000);

  it('stops at start with exit 2, naming GHL_WEBHOOK_PUBLIC_KEY and what it expects, when it holds an RSA key', async () => {
    const { code, stderr } = await recon(['doctor'], { GHL_WEBHOOK_PUBLIC_KEY: GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY.replaceAll('\n', '\\n') });
    expect(code).toBe(2);
    expect(stderr).toMatch(/GHL_WEBHOOK_PUBLIC_KEY: an RSA key, not GoHighLevel's Ed25519 one.*PEM.*base64.*hex/);
  }, 60_000);
});
