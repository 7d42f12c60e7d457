/**
 * The whole-system simulation: a seeded world in the sandbox's four systems, Recon's real code
 * (cycles, the fast loop's ingest and worker, decisions, the store on a real database, the real
 * connectors over HTTP), driven through a history of steps, with Recon's promises checked after
 * every step (DESIGN section 11). A failing history is shrunk to the steps that still break a promise.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { databaseReports } from '../../src/cli/reports.ts';
import { financialFields } from '../../src/config/checks.ts';
import { loadEnv } from '../../src/config/env.ts';
import { parsePolicy } from '../../src/config/load-policy.ts';
import type { Policy } from '../../src/config/policy.ts';
import { OPEN_STATUSES } from '../../src/db/repositories/review-items.ts';
import { heldOf } from '../../src/db/repositories/guard.ts';
import { decideItem, type DecisionRequest, type DecisionResult } from '../../src/decisions/decide.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import { digestFigures } from '../../src/digest/query.ts';
import { isFinancialField } from '../../src/domain/check.ts';
import type { ConnectorsBySystem } from '../../src/domain/ports.ts';
import type { FieldValue, SystemName } from '../../src/domain/records.ts';
import type { ReconStore } from '../../src/domain/store.ts';
import { sameValue } from '../../src/engine/values.ts';
import { receiveWebhook, type IngestDeps } from '../../src/fastloop/ingest.ts';
import { startInboxWorker } from '../../src/fastloop/worker.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createHubSpotConnector } from '../../src/connectors/hubspot/adapter.ts';
import { createStripeConnector } from '../../src/connectors/stripe/adapter.ts';
import { buildConnectors, storeFor } from '../../src/main.ts';
import { runCycle, type CycleResult } from '../../src/reconcile/cycle.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { generateScenario } from '../../src/sandbox/generate.ts';
import { addBookings, hubspotBookingCrm } from '../../src/sandbox/generate-bookings.ts';
import { googleCalendarEnv } from '../../src/sandbox/google-calendar-auth.ts';
import { cancelCalendarEvent, expireCalendarSyncTokens } from '../../src/sandbox/google-calendar-state.ts';
import { validationError } from '../../src/sandbox/hubspot-views.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { seededRandom } from '../../src/sandbox/random.ts';
import { applyHubSpotUpdate, changeStripeSubscription, observeSandbox, type SandboxChange, type SandboxState } from '../../src/sandbox/state.ts';
import { hubSpotSignatureHeaders, stripeSignatureHeader } from '../../src/sandbox/webhook-signing.ts';
import type { TestDatabase } from '../support/database.ts';
import { EXAMPLE_POLICY } from '../support/world.ts';
import { describeStep, drawHistory, type Step } from './history.ts';

/** The guard every history runs under: small, so that it trips. */
export const SIM_GUARD = 3;
const LEAD = 'U0OPSLEAD';
const STRIPE_SECRET = 'whsec_test_simulation_0000000000000000';
const HUBSPOT_SECRET = 'test-hubspot-client-secret-simulation';
const PUBLIC_URL = 'https://recon.example.test';
const MACHINE = new Set(['auto', 'fast-loop']);

const EXAMPLE = readFileSync(EXAMPLE_POLICY, 'utf8').replace('\nchecks:\n', `\nguards: { maxAutoFixes: ${SIM_GUARD}, window: 1h }\nchecks:\n`);
const BOOKING_CHECK = EXAMPLE.slice(EXAMPLE.indexOf('  - name: booking-stage'));

function policyText(variant: { dropBooking: boolean; remapPastDue: boolean }): string {
  let text = EXAMPLE;
  if (variant.dropBooking) text = text.replace(BOOKING_CHECK, '');
  if (variant.remapPastDue) text = text.replace('past_due: { write: closedwon,  accept: [closedwon] }', 'past_due: { write: closedlost, accept: [closedlost] }');
  return text;
}

/** The four policies a history moves between, each parsed once (Recon never mutates a parsed policy). */
const parsedPolicies = new Map<string, Policy>();
function policyOf(variant: { dropBooking: boolean; remapPastDue: boolean }): Policy {
  const text = policyText(variant);
  const policy = parsedPolicies.get(text) ?? deepFreeze(parsePolicy(text));
  parsedPolicies.set(text, policy);
  return policy;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Backoff between retries of a vendor's 5xx or 429, shortened: the simulation checks what Recon
 * decides after a fault, not how long it waits (the connectors' own tests pin the waits).
 */
const QUICK_RETRY = { baseDelayMs: 1, maxDelayMs: 4 };

/** A promise broken: which, at which step, and what was seen. */
export class BrokenPromise extends Error {}

class Killed extends Error {
  constructor() {
    super('the process was killed');
  }
}

/** A store whose calls fail once `budget.left` runs out: the process died there. */
function killable(store: ReconStore, budget: { left: number | null }): ReconStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (budget.left !== null) {
          // A dead process's call fails as the method would: a stream when it is read, any other call as a rejection.
          if (budget.left <= 0) {
            if (typeof key === 'string' && key.startsWith('stream')) return (async function* () { throw new Killed(); })();
            return Promise.reject(new Killed());
          }
          budget.left--;
        }
        if (key === 'transaction') {
          const work = args[0] as (tx: ReconStore) => Promise<unknown>;
          return target.transaction((tx) => work(killable(tx, budget)));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

interface Delivery {
  provider: 'stripe' | 'hubspot';
  body: Record<string, unknown>;
}

interface Sim {
  seed: number;
  db: TestDatabase;
  state: SandboxState;
  sandbox: RunningSandbox;
  env: Record<string, unknown>;
  variant: { dropBooking: boolean; remapPastDue: boolean };
  policy: Policy;
  connectors: ConnectorsBySystem;
  describe: ReturnType<typeof cachedDescriptions>;
  budget: { left: number | null };
  store: ReconStore;
  queue: Delivery[];
  /** What the next change's webhook does: delivered later, or lost. */
  fate: 'queued' | 'lost';
  random: () => number;
  hubspotEventId: number;
  /** Item statuses after the last step, to see which closed and why. */
  statuses: Map<string, string>;
  /** The step at which the policy or a link last changed: an item may then close with the same values. */
  lastPolicyOrLinkStep: number;
  /** Events answered 200 (provider:id) and used by a check: each must be in the inbox. */
  answered: Set<string>;
  keyDir: string;
  close(): Promise<void>;
}

async function startSim(db: TestDatabase, seed: number, customers: number): Promise<Sim> {
  await db.reset();
  const now = Date.now();
  const scenario = generateScenario({ customers, seed, now, driftRate: 0.08 });
  addBookings(scenario, { crm: hubspotBookingCrm(scenario.state), now, seed });
  const sandbox = await startSandbox(scenario.state, { rateLimits: false, faults: { retryAfterSeconds: 0 } });
  const keyDir = await mkdtemp(join(tmpdir(), 'recon-sim-'));
  const env = loadEnv({
    ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
    STRIPE_SECRET_KEY: 'sk_test_recon_simulation',
    STRIPE_API_URL: sandbox.stripeUrl,
    HUBSPOT_ACCESS_TOKEN: 'pat-test-recon-simulation',
    HUBSPOT_API_URL: sandbox.hubspotUrl,
    HUBSPOT_PORTAL_ID: String(scenario.state.hubspot.portalId),
    HUBSPOT_APP_ID: String(scenario.state.hubspot.appId),
  }) as Record<string, unknown>;
  const variant = { dropBooking: false, remapPastDue: false };
  const policy = policyOf(variant);
  // The sandbox answers every request: the vendors' pacing (HubSpot's search at 4 a second, Stripe's 25 a second
  // in test mode) is the benchmarks' to measure, not the simulation's, which is about promises.
  const connectors: ConnectorsBySystem = {
    ...buildConnectors(env as never, policy, silentLogger),
    hubspot: createHubSpotConnector({
      accessToken: 'pat-test-recon-simulation', apiUrl: sandbox.hubspotUrl, portalId: scenario.state.hubspot.portalId, ownSourceId: String(scenario.state.hubspot.appId),
      rateLimit: { requests: 1_000_000, perMs: 10_000 }, searchRateLimit: { requests: 100_000, perMs: 1_000 }, logger: silentLogger, retry: QUICK_RETRY,
    }),
    stripe: createStripeConnector({
      secretKey: 'sk_test_recon_simulation', apiUrl: sandbox.stripeUrl, crmSystem: 'hubspot', logger: silentLogger,
      rateLimit: { requests: 100_000, perMs: 1_000 }, endpointRateLimit: null, retry: QUICK_RETRY,
    }),
  };
  const budget = { left: null as number | null };
  const sim: Sim = {
    seed, db, state: scenario.state, sandbox, env, variant, policy, connectors, describe: cachedDescriptions(connectors), budget,
    store: killable(storeFor(db), budget), queue: [], fate: 'queued', random: seededRandom(seed * 31 + 7), hubspotEventId: 5_000_000,
    statuses: new Map(), lastPolicyOrLinkStep: -1, answered: new Set(), keyDir,
    close: async () => {
      stopObserving();
      await sandbox.close();
      await rm(keyDir, { recursive: true, force: true });
    },
  };
  // Every change in Stripe and HubSpot sends its webhook, Recon's own writes included, as the vendors do.
  const stopObserving = observeSandbox(scenario.state, (change) => {
    if (sim.fate === 'lost') return;
    for (const delivery of deliveriesOf(sim, change)) sim.queue.push(delivery);
  });
  return sim;
}

function deliveriesOf(sim: Sim, change: SandboxChange): Delivery[] {
  if (change.system === 'stripe') return [{ provider: 'stripe', body: change.event as unknown as Record<string, unknown> }];
  if (change.system !== 'hubspot') return [];
  return change.changes.map(({ name, value }) => ({
    provider: 'hubspot' as const,
    body: {
      eventId: ++sim.hubspotEventId, subscriptionId: 2001, portalId: sim.state.hubspot.portalId, appId: sim.state.hubspot.appId,
      occurredAt: change.at, subscriptionType: `${change.objectType === 'deals' ? 'deal' : 'contact'}.propertyChange`, attemptNumber: 0,
      objectId: Number(change.id), propertyName: name, propertyValue: value ?? '',
      changeSource: change.by === 'person' ? 'CRM_UI' : 'INTEGRATION', sourceId: change.by === 'person' ? 'userId:7001' : String(sim.state.hubspot.appId),
    },
  }));
}

/** Rounds of retried writes wait a moment, not seconds (as QUICK_RETRY). */
const quickSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 2)));
const cycleDeps = (sim: Sim) => ({ store: sim.store, connectors: sim.connectors, policy: sim.policy, logger: silentLogger, describe: sim.describe, sleep: quickSleep });

function setPolicy(sim: Sim): void {
  sim.policy = policyOf(sim.variant);
}

/** Delivers some of the waiting webhooks through the real ingest (signature checked), then works the inbox through. */
async function deliver(sim: Sim, step: Extract<Step, { kind: 'deliver' }>): Promise<void> {
  const taken: Delivery[] = [];
  for (let i = 0; i < step.take && sim.queue.length > 0; i++) {
    const at = step.shuffle ? Math.floor(sim.random() * sim.queue.length) : 0;
    taken.push(...sim.queue.splice(at, 1));
  }
  if (step.duplicate && taken[0]) taken.push(taken[0]);
  const ingest: IngestDeps = {
    db: sim.db.db, policy: sim.policy, logger: silentLogger,
    secrets: { stripe: { secrets: [STRIPE_SECRET] }, hubspot: { clientSecret: HUBSPOT_SECRET, publicUrl: PUBLIC_URL } },
  };
  const inboxSize = async () => Number((await sim.db.db.selectFrom('inbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  if (step.forge) {
    const before = await inboxSize();
    const forged = taken[0] ?? { provider: 'stripe' as const, body: { id: 'evt_forged', object: 'event', type: 'customer.subscription.updated', created: Math.floor(Date.now() / 1000), data: { object: { id: 'sub_x', object: 'subscription', customer: 'cus_x' } } } };
    const answer = await send(ingest, forged, { forged: true });
    if (answer !== 401) throw new BrokenPromise(`a forged ${forged.provider} webhook was answered ${answer}, not 401`);
    if ((await inboxSize()) !== before) throw new BrokenPromise('a forged webhook was stored');
  }
  for (const delivery of taken) {
    const answer = await send(ingest, delivery, { forged: false });
    if (answer !== 200) throw new BrokenPromise(`a signed ${delivery.provider} webhook was answered ${answer}`);
    const id = delivery.provider === 'stripe' ? String(delivery.body.id) : String(delivery.body.eventId);
    sim.answered.add(`${delivery.provider}:${id}`);
  }
  await drain(sim);
}

async function send(ingest: IngestDeps, delivery: Delivery, options: { forged: boolean }): Promise<number> {
  const now = Date.now();
  if (delivery.provider === 'stripe') {
    const body = JSON.stringify(delivery.body);
    const signature = stripeSignatureHeader(body, [options.forged ? 'whsec_test_not_the_secret_00000000000' : STRIPE_SECRET], Math.floor(now / 1000));
    return (await receiveWebhook(ingest, 'stripe', { method: 'POST', url: '/webhooks/stripe', headers: { 'stripe-signature': signature }, rawBody: Buffer.from(body) })).status;
  }
  const body = JSON.stringify([delivery.body]);
  const headers = hubSpotSignatureHeaders({ uri: `${PUBLIC_URL}/webhooks/hubspot`, body, clientSecret: options.forged ? 'not-the-client-secret' : HUBSPOT_SECRET, timestampMs: now });
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (await receiveWebhook(ingest, 'hubspot', { method: 'POST', url: '/webhooks/hubspot', headers: lower, rawBody: Buffer.from(body) })).status;
}

/** Works the inbox through; time passes meanwhile, so events waiting for a retry are due. */
async function drain(sim: Sim): Promise<void> {
  await sim.db.db.updateTable('inbox').set({ next_attempt_at: new Date(Date.now() - 1_000) }).where('status', '=', 'pending').execute();
  await sim.db.db.updateTable('inbox').set({ status: 'pending', claimed_at: null, claimed_by: null }).where('status', '=', 'processing').execute();
  const worker = startInboxWorker({ db: sim.db.db, process: (event) => processEvent(cycleDeps(sim), event), subjectKey, logger: silentLogger, maxAttempts: 50 }, false);
  // A few rounds: an event that fails under an injected fault waits for a later delivery step.
  for (let round = 0; round < 4 && (await worker.drainOnce()) > 0; round++) {
    await sim.db.db.updateTable('inbox').set({ next_attempt_at: new Date(Date.now() - 1_000) }).where('status', '=', 'pending').execute();
  }
}

async function openItemsOrdered(sim: Sim) {
  return sim.db.db.selectFrom('review_items').selectAll().where('status', 'in', OPEN_STATUSES).orderBy('id').execute();
}

/** A person's decision, as Slack's buttons and `recon decide` make it: the same service. */
async function decision(sim: Sim, step: Extract<Step, { kind: 'decide' }>): Promise<void> {
  const items = (await openItemsOrdered(sim)).filter((i) => i.status !== 'deciding');
  // Mostly an item the action fits (Release a guard item, Retry a failed one, pick in an ambiguous match); now and then any.
  const fits = items.filter((i) => step.action === 'release' ? i.kind === 'guard' : step.action === 'retry' ? i.status === 'failed' : step.action === 'pick' ? i.reason === 'ambiguous_match' : i.kind !== 'guard');
  const pool = fits.length > 0 && step.n % 5 !== 0 ? fits : items;
  const item = pool[step.n % Math.max(1, pool.length)];
  if (!item) return;
  const user = step.stranger ? 'U0STRANGER' : LEAD;
  const candidates = (item.suggestion as { candidates?: { system: string; id: string }[] } | null)?.candidates ?? [];
  const request: DecisionRequest = step.action === 'approve' ? { action: 'approve', itemId: item.id, user }
    : step.action === 'ignore' ? { action: 'ignore', itemId: item.id, user, snoozeDays: null, reason: 'simulated' }
      : step.action === 'snooze' ? { action: 'ignore', itemId: item.id, user, snoozeDays: 3, reason: 'simulated' }
        : step.action === 'override' ? { action: 'override', itemId: item.id, user, value: 'closedlost', reason: 'simulated override' }
          : step.action === 'release' ? { action: 'release', itemId: item.id, user }
            : step.action === 'retry' ? { action: 'retry', itemId: item.id, user }
              : { action: 'pick', itemId: item.id, user, candidate: candidates.find((c) => c.system === 'hubspot')?.id ?? 'none' };
  const deps = { store: sim.store, connectors: sim.connectors, policy: sim.policy, directory: { membersOf: async () => [] }, logger: silentLogger, describe: sim.describe, sleep: quickSleep };
  const writesOf = async () => Number((await sim.db.db.selectFrom('changes').select((eb) => eb.fn.countAll<string>().as('n')).where('origin', '=', `decision:${item.id}`).executeTakeFirstOrThrow()).n);
  // Counted before anything starts: a promise started and not yet awaited must not fail unwatched meanwhile.
  const before = await writesOf();
  const alongside = step.alongside === 'cycle' ? runCycle(cycleDeps(sim), { full: true }).then(() => null)
    : step.alongside === 'deliver' ? deliver(sim, { kind: 'deliver', take: 3, shuffle: true, duplicate: false, forge: false }).then(() => null)
      : step.alongside === 'same_item' ? decideItem(deps, { ...request, user: LEAD } as DecisionRequest)
        : Promise.resolve(null);
  // Both finish before the step does, even when one dies: nothing may go on writing while the promises are checked.
  const [first, second] = await Promise.allSettled([decideItem(deps, request), alongside]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  const [result, other] = [first.value, second.value];
  if (step.stranger) {
    if (result.kind !== 'refused') throw new BrokenPromise(`a person who is not an approver decided item ${item.id}: ${result.message}`);
    if ((await writesOf()) !== before && step.alongside !== 'same_item') throw new BrokenPromise(`a refused decision wrote to item ${item.id}'s records`);
  }
  if (step.alongside === 'same_item' && !step.stranger) twoClicks(item.id, result, other as DecisionResult);
  if (request.action === 'pick' && result.kind === 'decided') sim.lastPolicyOrLinkStep = Number.MAX_SAFE_INTEGER;
}

/** Two approvers clicking at once: one decides, the other is told so. */
function twoClicks(itemId: string, a: DecisionResult, b: DecisionResult): void {
  const decided = [a, b].filter((r) => r.kind === 'decided' && r.outcome !== 'stale');
  if (decided.length > 1) throw new BrokenPromise(`two clicks on item ${itemId} both decided it: ${a.message} / ${b.message}`);
}

async function applyFault(sim: Sim, fault: Extract<Step, { kind: 'fault' }>['fault']): Promise<() => void> {
  const faults = sim.sandbox.faults;
  if (fault === 'rate_limit') faults.rateLimitNext(3);
  else if (fault === 'server_error') faults.set({ retryAfterSeconds: 0, readErrorRate: 0.2, seed: sim.seed });
  else if (fault === 'write_fails') faults.set({ retryAfterSeconds: 0, beforeWrite: () => { throw new Error('injected write failure'); } });
  else {
    let refused = false;
    faults.set({
      retryAfterSeconds: 0,
      beforeWrite: (system) => {
        if (system !== 'hubspot' || refused) return;
        refused = true;
        throw validationError('Property values were not valid: the record is locked (injected)');
      },
    });
  }
  return () => faults.set({ retryAfterSeconds: 0 });
}

async function runStep(sim: Sim, step: Step, index: number): Promise<{ cycle?: CycleResult }> {
  const { state } = sim;
  switch (step.kind) {
    case 'stripe': {
      const subscriptions = [...state.stripe.subscriptions.values()];
      const subscription = subscriptions[step.n % subscriptions.length];
      if (!subscription || subscription.status === step.status) return {};
      sim.fate = step.fate;
      changeStripeSubscription(state, subscription.id, { status: step.status }, Date.now());
      sim.fate = 'queued';
      return {};
    }
    case 'hubspot': {
      const deals = [...state.hubspot.deals.values()].filter((d) => (d.properties.pipeline ?? 'default') === 'default');
      const deal = deals[step.n % deals.length];
      if (!deal) return {};
      sim.fate = step.fate;
      applyHubSpotUpdate(state, 'deals', deal, { dealstage: step.stage }, new Date(), step.by);
      sim.fate = 'queued';
      return {};
    }
    case 'calendar': {
      const events = [...state.calendar.events.values()].filter((e) => !e.deleted && e.resource.status !== 'cancelled');
      const event = events[step.n % Math.max(1, events.length)];
      if (event) cancelCalendarEvent(state.calendar, event.resource.id, Date.now());
      return {};
    }
    case 'bulk': {
      sim.fate = step.fate;
      const active = [...state.stripe.subscriptions.values()].filter((s) => s.status === 'active').slice(0, step.count);
      for (const s of active) changeStripeSubscription(state, s.id, { status: 'canceled' }, Date.now());
      sim.fate = 'queued';
      return {};
    }
    case 'deliver':
      await deliver(sim, step);
      return {};
    case 'cycle': {
      // A check the policy no longer has is refused as a usage error before anything is read (tested on its own).
      if (step.check && !sim.policy.checks.some((c) => c.name === step.check)) return {};
      const cycle = await runCycle(cycleDeps(sim), {
        ...(step.mode === 'full' ? { full: true } : {}), ...(step.mode === 'dry_run' ? { dryRun: true } : {}), ...(step.check ? { checks: [step.check] } : {}),
      });
      return { cycle };
    }
    case 'decide':
      await decision(sim, step);
      return {};
    case 'policy':
      if (step.change === 'drop_booking_check') sim.variant.dropBooking = true;
      else if (step.change === 'remap_past_due') sim.variant.remapPastDue = !sim.variant.remapPastDue;
      else sim.variant = { dropBooking: false, remapPastDue: false };
      setPolicy(sim);
      sim.lastPolicyOrLinkStep = index;
      return {};
    case 'expire_cursor':
      expireCalendarSyncTokens(state.calendar);
      return {};
    case 'fault':
    case 'kill':
      return {};
  }
}

export interface HistoryOutcome {
  ok: boolean;
  /** What the history exercised (when it passed). */
  stats?: Record<string, number>;
  /** The step whose promise broke (index into the history), and what broke. */
  failedAt?: number;
  error?: string;
}

/** Runs one history on a fresh world and checks every promise after each step. */
export async function runHistory(db: TestDatabase, seed: number, steps: Step[], options: { customers?: number } = {}): Promise<HistoryOutcome> {
  const sim = await startSim(db, seed, options.customers ?? 14);
  try {
    let pendingFault: Extract<Step, { kind: 'fault' }>['fault'] | null = null;
    let pendingKill: number | null = null;
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index] as Step;
      if (step.kind === 'fault') {
        pendingFault = step.fault;
        continue;
      }
      if (step.kind === 'kill') {
        pendingKill = step.afterCalls;
        continue;
      }
      const clearFault = pendingFault ? await applyFault(sim, pendingFault) : () => {};
      const disturbed = pendingFault !== null || pendingKill !== null;
      sim.budget.left = pendingKill;
      pendingFault = null;
      pendingKill = null;
      let result: { cycle?: CycleResult } = {};
      try {
        result = await runStep(sim, step, index);
      } catch (error) {
        if (error instanceof BrokenPromise) return { ok: false, failedAt: index, error: error.message };
        // A fault or a death may stop a step; anything else escaping Recon is a bug.
        if (!disturbed) return { ok: false, failedAt: index, error: `step threw: ${(error as Error).stack ?? String(error)}` };
      } finally {
        sim.budget.left = null;
        clearFault();
      }
      try {
        await checkPromises(sim, step, index, result.cycle, disturbed);
      } catch (error) {
        if (error instanceof BrokenPromise) return { ok: false, failedAt: index, error: error.message };
        return { ok: false, failedAt: index, error: `checking threw: ${(error as Error).stack ?? String(error)}` };
      }
    }
    return { ok: true, stats: await historyStats(sim) };
  } finally {
    await sim.close();
  }
}

/** What a history exercised, so a run can show it did more than nothing. */
async function historyStats(sim: Sim): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, string>>`
    SELECT
      (SELECT count(*) FROM changes WHERE outcome = 'applied' AND actor IN ('auto', 'fast-loop')) AS "autoFixes",
      (SELECT count(*) FROM review_items WHERE kind = 'guard') AS "guardItems",
      (SELECT count(*) FROM decision_log WHERE action = 'release' AND outcome = 'approved') AS "released",
      (SELECT count(*) FROM decision_log WHERE outcome IN ('approved', 'overridden', 'ignored')) AS "decided",
      (SELECT count(*) FROM decision_log WHERE outcome = 'refused') AS "refused",
      (SELECT count(*) FROM inbox WHERE status = 'done') AS "eventsProcessed",
      (SELECT count(*) FROM review_items WHERE status = 'resolved_elsewhere') AS "resolvedElsewhere"`.execute(sim.db.db);
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

/** Every promise of DESIGN section 11, against the database, the sandbox's systems and Recon's own reports. */
async function checkPromises(sim: Sim, step: Step, index: number, cycle: CycleResult | undefined, disturbed: boolean): Promise<void> {
  const { db } = sim.db;
  const changes = await db.selectFrom('changes').selectAll().orderBy('id').execute();
  const financial = financialFields(policyOf({ dropBooking: false, remapPastDue: false }).checks);

  // 1. No machine write to a financial field; no machine write at all to Stripe.
  for (const c of changes) {
    if (c.outcome !== 'applied' || !MACHINE.has(c.actor)) continue;
    if (c.system === 'stripe' || isFinancialField({ system: c.system, object: c.object, field: c.field }, financial)) {
      throw new BrokenPromise(`${c.actor} wrote the financial field ${c.system} ${c.object}.${c.field} of ${c.external_id}`);
    }
  }

  // 2. Each write compare-and-set and made once: the change log equals the vendor's log of writes.
  const key = (system: string, id: string, field: string, value: unknown) => `${system}|${id}|${field}|${value === null || value === undefined ? '' : String(value)}`;
  const vendor = new Map<string, number>();
  for (const w of sim.state.writes) for (const [field, value] of Object.entries(w.properties)) vendor.set(key(w.system, w.id, field, value), (vendor.get(key(w.system, w.id, field, value)) ?? 0) + 1);
  const logged = new Map<string, number>();
  for (const c of changes) if (c.outcome === 'applied') logged.set(key(c.system, c.external_id, c.field, c.after), (logged.get(key(c.system, c.external_id, c.field, c.after)) ?? 0) + 1);
  const unsettled = await db.selectFrom('write_intents').selectAll().where('settled_at', 'is', null).execute();
  const inFlight = new Map<string, number>();
  for (const i of unsettled) inFlight.set(key(i.system, i.external_id, i.field, i.after), (inFlight.get(key(i.system, i.external_id, i.field, i.after)) ?? 0) + 1);
  for (const [k, n] of logged) if ((vendor.get(k) ?? 0) < n) throw new BrokenPromise(`the change log has ${n} applied writes ${k}, the vendor saw ${vendor.get(k) ?? 0}`);
  for (const [k, n] of vendor) if ((logged.get(k) ?? 0) + (inFlight.get(k) ?? 0) < n) throw new BrokenPromise(`the vendor saw ${n} writes ${k}, the change log has ${logged.get(k) ?? 0} applied`);
  const perEvent = new Map<string, number>();
  for (const c of changes) {
    if (c.outcome !== 'applied' || !c.origin.startsWith('event:')) continue;
    // Processing an event again (its first attempt died) reads the records as they are then: it may
    // write another value, never the same one twice.
    const k = `${c.origin}|${c.external_id}|${c.field}|${JSON.stringify(c.after)}`;
    perEvent.set(k, (perEvent.get(k) ?? 0) + 1);
    if ((perEvent.get(k) ?? 0) > 1) throw new BrokenPromise(`event ${c.origin} wrote ${c.external_id} ${c.field} = ${JSON.stringify(c.after)} twice`);
  }

  // 5. Auto-fixes per check within the guard's window (every history is shorter than it) never exceed the guard.
  const perCheck = new Map<string, number>();
  for (const c of changes) if (c.outcome === 'applied' && MACHINE.has(c.actor) && !c.origin.startsWith('decision:') && c.check_name) perCheck.set(c.check_name, (perCheck.get(c.check_name) ?? 0) + 1);
  for (const [check, n] of perCheck) if (n > SIM_GUARD) throw new BrokenPromise(`check ${check} made ${n} auto-fixes within the guard's window, more than its guard of ${SIM_GUARD}`);

  // 4. An item closes only when its disagreement is gone, a person decided it, or its check left.
  const items = await db.selectFrom('review_items').selectAll().orderBy('id').execute();
  const decisions = await db.selectFrom('decision_log').selectAll().execute();
  for (const item of items) {
    const was = sim.statuses.get(item.id);
    const isOpen = (OPEN_STATUSES as readonly string[]).includes(item.status);
    if (isOpen || (was !== undefined && !(OPEN_STATUSES as readonly string[]).includes(was))) continue;
    if (['approved', 'overridden', 'ignored'].includes(item.status)) {
      if (!item.decided_by || MACHINE.has(item.decided_by) || !decisions.some((d) => d.review_item_id === item.id && d.actor === item.decided_by)) {
        throw new BrokenPromise(`item ${item.id} is ${item.status} with no person's decision behind it`);
      }
    } else if (item.status === 'obsolete') {
      if (sim.policy.checks.some((c) => c.name === item.check_name)) throw new BrokenPromise(`item ${item.id} was closed as obsolete while check ${item.check_name} is in the policy`);
    } else if (item.status === 'resolved_elsewhere') {
      await closedForAReason(sim, item, index);
    }
  }
  sim.statuses = new Map(items.map((i) => [i.id, i.status]));

  // 1b. No machine write the rules would escalate: each write of a cycle answers a discrepancy it decided to fix.
  if (cycle) {
    for (const check of cycle.checks) {
      if (!check.runId) continue;
      const decided = new Map((await db.selectFrom('discrepancies').select(['fingerprint', 'resolution']).where('run_id', '=', check.runId).execute()).map((d) => [d.fingerprint, d.resolution]));
      for (const c of changes) {
        if (c.run_id !== check.runId || !MACHINE.has(c.actor) || c.outcome !== 'applied' || !c.fingerprint) continue;
        if (decided.get(c.fingerprint) !== 'auto_fix') throw new BrokenPromise(`run ${check.runId} wrote ${c.system} ${c.external_id} ${c.field} for ${c.fingerprint}, which it decided was ${decided.get(c.fingerprint) ?? 'not a discrepancy'}`);
      }
    }
  }

  // 3. No lost drift: what a full read found is fixed, queued, held or suppressed.
  if (cycle && !disturbed && step.kind === 'cycle' && step.mode === 'full') await nothingLost(sim, cycle, items);

  // 6. The queue, the status, the digest's figures agree with the database.
  const reports = databaseReports(db, 'simulation');
  const open = items.filter((i) => (OPEN_STATUSES as readonly string[]).includes(i.status));
  const status = await reports.status();
  if (status.queue.open !== open.length) throw new BrokenPromise(`recon status says ${status.queue.open} open items; the database has ${open.length}`);
  const queue = await reports.queue({ limit: 100_000 });
  if (queue.total !== open.length || queue.items.length !== open.length) throw new BrokenPromise(`recon queue lists ${queue.total} open items; the database has ${open.length}`);
  const guards = open.filter((i) => i.kind === 'guard');
  const heldByCheck = Object.fromEntries(guards.map((g) => [g.check_name, heldOf(g)?.orders.length ?? 0]));
  const statusHeld = Object.fromEntries(Object.entries(status.held).map(([check, h]) => [check, h.writes]));
  if (!sameCounts(statusHeld, heldByCheck)) throw new BrokenPromise(`recon status holds ${JSON.stringify(statusHeld)}; the guard items hold ${JSON.stringify(heldByCheck)}`);
  const digest = await digestFigures(db, new Date());
  const digestHeld = Object.fromEntries((digest.heldNow ?? []).map((h) => [h.check, h.writes]));
  if (!sameCounts(digestHeld, heldByCheck)) throw new BrokenPromise(`the digest holds ${JSON.stringify(digestHeld)}; the guard items hold ${JSON.stringify(heldByCheck)}`);
  if (guards.length > new Set(guards.map((g) => g.check_name)).size) throw new BrokenPromise('a check has two open guard items');
  const metrics = await createMetrics({ db, connectors: sim.connectors, defaults: false }).registry.getMetricsAsJSON();
  const gauge = (name: string) => metrics.find((m) => m.name === name)?.values ?? [];
  const queueGauge = gauge('recon_review_queue_open')[0]?.value;
  if (queueGauge !== open.length) throw new BrokenPromise(`/metrics says ${queueGauge} open items; the database has ${open.length}`);
  const metricsHeld = Object.fromEntries(gauge('recon_guard_held_writes').map((v) => [String(v.labels.check), v.value]));
  if (!sameCounts(metricsHeld, heldByCheck)) throw new BrokenPromise(`/metrics holds ${JSON.stringify(metricsHeld)}; the guard items hold ${JSON.stringify(heldByCheck)}`);

  // 7. An event answered 200 is stored once and, once the inbox is worked through, processed.
  if (step.kind === 'deliver' && !disturbed) {
    const inbox = await db.selectFrom('inbox').select(['provider', 'event_id', 'status']).execute();
    const stored = new Map(inbox.map((e) => [`${e.provider}:${e.event_id}`, e.status]));
    for (const answered of sim.answered) {
      const [provider] = answered.split(':');
      const status = stored.get(answered);
      // HubSpot's inbox key is its event id; an event no check uses is answered 200 and not stored.
      if (status === undefined && provider === 'stripe') continue;
      if (status !== undefined && status !== 'done') throw new BrokenPromise(`event ${answered} was answered 200 and is still ${status} after the inbox was worked through`);
    }
  }
}

/** Two `check → count` maps with the same entries, in any order. */
function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const sorted = (m: Record<string, number>) => JSON.stringify(Object.entries(m).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}

/** A resolved item's disagreement is gone: its values changed, or the policy or a link changed since. */
async function closedForAReason(sim: Sim, item: { id: string; kind: string; check_name: string; source: unknown; target: unknown; decision: unknown; suggestion: unknown }, index: number): Promise<void> {
  if (item.kind === 'guard') {
    const why = item.decision as { closedBecause?: string } | null;
    if (why?.closedBecause !== 'held_records_agree') throw new BrokenPromise(`guard item ${item.id} closed without a person and without its records agreeing`);
    return;
  }
  if (item.kind !== 'value_mismatch' || sim.lastPolicyOrLinkStep >= 0) return;
  const side = async (stored: unknown): Promise<boolean> => {
    const s = stored as { system: SystemName; object: string; id: string; field: string; value: FieldValue } | null;
    if (!s) return true;
    const connector = sim.connectors[s.system];
    if (!connector) return true;
    const [record] = await connector.read(s.object, [s.id], [s.field]);
    return record !== undefined && sameValue(record.fields[s.field] ?? null, s.value);
  };
  if ((await side(item.source)) && (await side(item.target))) {
    throw new BrokenPromise(`item ${item.id} (${item.check_name}) was closed as resolved elsewhere at step ${index} though both records still hold the values it was raised on`);
  }
}

/** After a full cycle: every disagreement it saw is fixed, queued, held by the guard, or suppressed by a person. */
async function nothingLost(sim: Sim, cycle: CycleResult, items: { id: string; fingerprint: string; status: string; kind: string; check_name: string; suggestion: unknown; decided_by: string | null }[]): Promise<void> {
  const { db } = sim.db;
  for (const check of cycle.checks) {
    if (!check.runId || check.status === 'failed' || check.status === 'skipped') continue;
    const run = await db.selectFrom('runs').selectAll().where('id', '=', check.runId).executeTakeFirstOrThrow();
    if (run.status !== 'succeeded') continue;
    const found = await db.selectFrom('discrepancies').selectAll().where('run_id', '=', check.runId).execute();
    const written = new Set((await db.selectFrom('changes').select('fingerprint').where('run_id', '=', check.runId).execute()).map((c) => c.fingerprint));
    const guard = items.find((i) => i.kind === 'guard' && i.check_name === check.check && (OPEN_STATUSES as readonly string[]).includes(i.status));
    const held = new Set((heldOf(guard as never)?.orders ?? []).map((o) => o.fingerprint));
    const suppressed = new Set((await db.selectFrom('suppressions').select('fingerprint').execute()).map((s) => s.fingerprint));
    for (const d of found) {
      const queued = items.some((i) => i.fingerprint === d.fingerprint && ((OPEN_STATUSES as readonly string[]).includes(i.status) || i.decided_by));
      const accounted = d.resolution === 'auto_fix' ? written.has(d.fingerprint) || held.has(d.fingerprint) || queued
        : d.resolution === 'escalate' ? queued
          : d.resolution === 'suppressed' ? suppressed.has(d.fingerprint)
            : true;
      if (!accounted) throw new BrokenPromise(`check ${check.check}: a full read found ${d.kind} ${d.fingerprint} (${d.resolution}, ${d.reason ?? ''}) and it is neither fixed, queued, held nor suppressed`);
    }
  }
}

export interface SimulationReport {
  histories: number;
  failures: { seed: number; steps: Step[]; failedAt: number; error: string }[];
}

/** Removes steps while the history still breaks a promise: one at a time, from the end. */
export async function shrink(db: TestDatabase, seed: number, steps: Step[], failedAt: number, options: { customers?: number; budget?: number; error?: string } = {}): Promise<{ steps: Step[]; failedAt: number; error: string }> {
  let current = steps.slice(0, failedAt + 1);
  let last = await runHistory(db, seed, current, options);
  if (last.ok) return { steps, failedAt, error: `${options.error ?? 'a promise broke'} (it did not replay: something in the history depends on timing)` };
  let tries = options.budget ?? 200;
  for (let i = current.length - 2; i >= 0 && tries > 0; i--) {
    const candidate = [...current.slice(0, i), ...current.slice(i + 1)];
    tries--;
    const outcome = await runHistory(db, seed, candidate, options);
    if (!outcome.ok) {
      current = candidate.slice(0, (outcome.failedAt ?? candidate.length - 1) + 1);
      last = outcome;
      i = Math.min(i, current.length - 1);
    }
  }
  return { steps: current, failedAt: last.failedAt ?? current.length - 1, error: last.error ?? '' };
}

/** A failure as a person replays it. */
export function failureReport(seed: number, shrunk: { steps: Step[]; failedAt: number; error: string }): string {
  return [
    `seed ${seed}: ${shrunk.error}`,
    `replay: npm run simulate -- --seed ${seed}`,
    `shrunk to ${shrunk.steps.length} steps:`,
    ...shrunk.steps.map((s, i) => `  ${i}. ${describeStep(s)}`),
  ].join('\n');
}

export { drawHistory };
