import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv, type Env } from '../../src/config/env.ts';
import { loadPolicy } from '../../src/config/load-policy.ts';
import type { Policy } from '../../src/config/policy.ts';
import type { ConnectorsBySystem } from '../../src/domain/ports.ts';
import type { ReconStore } from '../../src/domain/store.ts';
import { runCycle, type CycleResult } from '../../src/reconcile/cycle.ts';
import { silentLogger } from '../../src/log.ts';
import { buildConnectors, storeFor } from '../../src/main.ts';
import { generateScenario, type Scenario, type ScenarioOptions } from '../../src/sandbox/generate.ts';
import { addBookings, goHighLevelBookingCrm, hubspotBookingCrm } from '../../src/sandbox/generate-bookings.ts';
import { generateGoHighLevelScenario } from '../../src/sandbox/generate-gohighlevel.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { GHL_STRIPE_ID_FIELD, startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/index.ts';
import type { TestDatabase } from './db.ts';

export const EXAMPLE_POLICY = 'examples/recon.config.hubspot.yml';
export const GOHIGHLEVEL_POLICY = 'examples/recon.config.gohighlevel.yml';

/** A seeded sandbox (Stripe, HubSpot and the bookings calendar), the example policy and the real connectors pointed at the sandbox. */
export interface World {
  scenario: Scenario;
  sandbox: RunningSandbox;
  env: Env;
  policy: Policy;
  connectors: ConnectorsBySystem;
  store: ReconStore;
  cycle(options?: Parameters<typeof runCycle>[1]): Promise<CycleResult>;
  close(): Promise<void>;
}

export async function startWorld(
  database: TestDatabase,
  options: Partial<ScenarioOptions> = {},
  sandboxOptions: SandboxOptions = { rateLimits: false },
): Promise<World> {
  const scenario = generateScenario({ customers: 120, seed: 7, now: Date.now(), ...options });
  addBookings(scenario, { crm: hubspotBookingCrm(scenario.state), now: Date.now(), seed: options.seed ?? 7 });
  const sandbox = await startSandbox(scenario.state, sandboxOptions);
  const keyDir = await mkdtemp(join(tmpdir(), 'recon-world-'));
  const env = loadEnv({
    ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
    STRIPE_SECRET_KEY: 'sk_test_recon_tests',
    STRIPE_API_URL: sandbox.stripeUrl,
    HUBSPOT_ACCESS_TOKEN: 'pat-test-recon',
    HUBSPOT_API_URL: sandbox.hubspotUrl,
    HUBSPOT_PORTAL_ID: String(scenario.state.hubspot.portalId),
    HUBSPOT_APP_ID: String(scenario.state.hubspot.appId),
  });
  return assemble(database, scenario, sandbox, env, EXAMPLE_POLICY, keyDir);
}

/** The same on Stripe and GoHighLevel: the GoHighLevel scenario and example policy. */
export async function startGoHighLevelWorld(
  database: TestDatabase,
  options: Partial<ScenarioOptions> = {},
  sandboxOptions: SandboxOptions = { rateLimits: false },
): Promise<World> {
  const scenario = generateGoHighLevelScenario({ customers: 120, seed: 7, now: Date.now(), ...options });
  addBookings(scenario, { crm: goHighLevelBookingCrm(scenario.state), now: Date.now(), seed: options.seed ?? 7 });
  const sandbox = await startSandbox(scenario.state, sandboxOptions);
  const keyDir = await mkdtemp(join(tmpdir(), 'recon-world-'));
  const env = loadEnv({
    ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
    STRIPE_SECRET_KEY: 'sk_test_recon_tests',
    STRIPE_API_URL: sandbox.stripeUrl,
    GHL_ACCESS_TOKEN: 'pit-test-recon-0000-0000',
    GHL_API_URL: sandbox.urls.gohighlevel,
    GHL_LOCATION_ID: scenario.state.gohighlevel.locationId,
    GHL_STRIPE_ID_FIELD,
  });
  return assemble(database, scenario, sandbox, env, GOHIGHLEVEL_POLICY, keyDir);
}

async function assemble(database: TestDatabase, scenario: Scenario, sandbox: RunningSandbox, env: Env, policyPath: string, keyDir?: string): Promise<World> {
  const policy = await loadPolicy(policyPath);
  const connectors = buildConnectors(env, policy, silentLogger);
  const store = storeFor(database);
  return {
    scenario,
    sandbox,
    env,
    policy,
    connectors,
    store,
    cycle: (cycleOptions = {}) => runCycle({ store, connectors, policy, logger: silentLogger }, { full: true, ...cycleOptions }),
    close: async () => {
      await sandbox.close();
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    },
  };
}
