import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.ts';
import { loadPolicy } from '../../src/config/load-policy.ts';
import type { OpenDatabase } from '../../src/db/connect.ts';
import type { ConnectorsBySystem } from '../../src/domain/ports.ts';
import { silentLogger } from '../../src/log.ts';
import { buildConnectors, sharedBudgets, storeFor, type Budgets } from '../../src/main.ts';
import type { LimiterFactory } from '../../src/util/shared-limiter.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { addBookings, hubspotBookingCrm } from '../../src/sandbox/generate-bookings.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { runRecon } from '../support/child.ts';
import { TEST_DATABASE_URL, useTestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY } from '../support/world.ts';

const database = useTestDatabase();

/** HubSpot's window, made small so that three replicas overrun it within seconds if they do not share it. */
const HUBSPOT_PER_10S = 30;
const CLICK_EVERY_MS = 2_500;

/**
 * Three replicas on one Postgres, each with its own connectors and database pool, against one
 * sandbox whose vendors answer 429 past their limits: two run cycles (one check each, as the
 * checks' locks share them out), the third reads everything as a cycle does, and people click on
 * all three meanwhile (a compare-and-set read at a person's priority).
 */
describe.runIf(TEST_DATABASE_URL)('three replicas sharing one vendor budget', () => {
  it('stay within every vendor limit together, and a click starts its vendor call within a second', async () => {
    const scenario = generateScenario({ customers: 500, seed: 19, now: Date.now(), driftRate: 0.02 });
    addBookings(scenario, { crm: hubspotBookingCrm(scenario.state), now: Date.now(), seed: 19 });
    const sandbox = await startSandbox(scenario.state, { rateLimits: { hubspotPer10s: HUBSPOT_PER_10S } });
    const keyDir = await mkdtemp(join(tmpdir(), 'recon-budget-'));
    const env = loadEnv({
      ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
      STRIPE_SECRET_KEY: 'sk_test_recon_replicas', STRIPE_API_URL: sandbox.stripeUrl,
      HUBSPOT_ACCESS_TOKEN: 'pat-test-recon-replicas', HUBSPOT_API_URL: sandbox.hubspotUrl, HUBSPOT_RATE_LIMIT: String(HUBSPOT_PER_10S),
      DATABASE_URL: database.url,
    });
    const policy = await loadPolicy(EXAMPLE_POLICY);
    const replicas: { db: OpenDatabase; budgets: Budgets; connectors: ConnectorsBySystem }[] = [];
    for (let i = 0; i < 3; i++) {
      // A budget request may wait for a busy test machine (the whole suite beside it): this test is
      // about people going first through the ledger, not about the fallback a slow ledger causes.
      const budgets = sharedBudgets(env, silentLogger, { timeoutMs: 10_000 });
      budgets.observe({ sent: () => undefined, waited: () => undefined, throttled: () => undefined, share: () => undefined, fallback: (key, on) => on && fallbacks.push(key) });
      // Each person's wait for a slot, from asking the limiter to being let through (the vendor call then leaves).
      const timed: LimiterFactory = (budget, limit) => {
        const limiter = budgets.limiters(budget, limit);
        return {
          ...limiter,
          limit: limiter.limit,
          pauseFor: (ms) => limiter.pauseFor(ms),
          observeRemaining: (remaining) => limiter.observeRemaining(remaining),
          async take(priority) {
            const asked = performance.now();
            const release = await limiter.take(priority);
            if (priority === 'interactive') slotWaits.push(performance.now() - asked);
            return release;
          },
        };
      };
      replicas.push({ db: await database.replica(), budgets, connectors: buildConnectors(env, policy, silentLogger, timed) });
    }
    const clicks: number[] = [];
    const slotWaits: number[] = [];
    const fallbacks: string[] = [];
    let working = true;
    try {
      const dealIds = [...scenario.state.hubspot.deals.keys()];
      const customerIds = [...scenario.state.stripe.customers.keys()];
      const clicking = replicas.map(async ({ connectors }, r) => {
        for (let n = 0; working; n++) {
          await new Promise((resolve) => setTimeout(resolve, CLICK_EVERY_MS));
          if (!working) return;
          const started = performance.now();
          // A click's first vendor call: the compare-and-set read before its write.
          if (n % 2 === 0) await connectors.hubspot?.read('deals', [dealIds[(r * 7 + n) % dealIds.length] as string], ['dealstage'], { priority: 'interactive' });
          else await connectors.stripe?.read('customers', [customerIds[(r * 7 + n) % customerIds.length] as string], ['subscription_status'], { priority: 'interactive' });
          clicks.push(performance.now() - started);
        }
      });
      const [a, b, c] = replicas as [typeof replicas[number], typeof replicas[number], typeof replicas[number]];
      const deps = (replica: typeof a) => ({ store: storeFor(replica.db), connectors: replica.connectors, policy, logger: silentLogger });
      const readEverything = async () => {
        for (let pass = 0; pass < 2; pass++) {
          for await (const page of c.connectors.hubspot!.list('deals', ['dealstage'])) void page;
          for await (const page of c.connectors.stripe!.list('customers', ['subscription_status'])) void page;
        }
      };
      const work = Promise.all([
        runCycle(deps(a), { checks: ['payment-status'], full: true }),
        runCycle(deps(b), { checks: ['booking-stage'], full: true }),
        readEverything(),
      ]);
      const [first, second] = await work.finally(() => {
        working = false;
      });
      await Promise.all(clicking);

      expect(first.checks.map((check) => check.status)).toEqual(['succeeded']);
      expect(second.checks.map((check) => check.status)).toEqual(['succeeded']);
      const counts = sandbox.requests();
      expect(counts.hubspot).toBeGreaterThan(HUBSPOT_PER_10S);
      expect(counts.rateLimited).toBe(0);
      expect(clicks.length).toBeGreaterThanOrEqual(6);
      // A click's first vendor call leaves once the limiter lets it through: within a second at p99.
      const sorted = [...slotWaits].sort((x, y) => x - y);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] as number;
      expect(p99, `people's waits for a slot, ms: ${sorted.map(Math.round).join(', ')}; fallbacks: ${fallbacks.join(', ') || 'none'}; whole clicks: ${clicks.map(Math.round).join(', ')}`).toBeLessThanOrEqual(1_000);
    } finally {
      working = false;
      await Promise.all(replicas.map(async (replica) => {
        await replica.budgets.close();
        await replica.db.close();
      }));
      await sandbox.close();
      await rm(keyDir, { recursive: true, force: true });
    }
  });

  it('as processes (recon run of each check at once), send no request over a vendor limit', async () => {
    const scenario = generateScenario({ customers: 500, seed: 23, now: Date.now(), driftRate: 0.02 });
    addBookings(scenario, { crm: hubspotBookingCrm(scenario.state), now: Date.now(), seed: 23 });
    const sandbox = await startSandbox(scenario.state, { rateLimits: { hubspotPer10s: HUBSPOT_PER_10S } });
    const keyDir = await mkdtemp(join(tmpdir(), 'recon-budget-'));
    try {
      const env: NodeJS.ProcessEnv = {
        ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
        PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', RECON_CONFIG: EXAMPLE_POLICY,
        STRIPE_SECRET_KEY: 'sk_test_recon_processes', STRIPE_API_URL: sandbox.stripeUrl,
        HUBSPOT_ACCESS_TOKEN: 'pat-test-recon-processes', HUBSPOT_API_URL: sandbox.hubspotUrl, HUBSPOT_RATE_LIMIT: String(HUBSPOT_PER_10S),
        HUBSPOT_APP_ID: String(scenario.state.hubspot.appId), DATABASE_URL: database.url,
      };
      const runs = await Promise.all(['payment-status', 'deal-amount', 'booking-stage'].map((check) => runRecon(['run', '--full', '--check', check, '--json'], env)));
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const counts = sandbox.requests();
      // Each process alone would keep to the limit; three of them over it, unless they share it.
      expect(counts.hubspot).toBeGreaterThan(HUBSPOT_PER_10S);
      expect(counts.rateLimited).toBe(0);
    } finally {
      await sandbox.close();
      await rm(keyDir, { recursive: true, force: true });
    }
  });
});
