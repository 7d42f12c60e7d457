/**
 * The composition root: the only place that builds concrete adapters from the environment and
 * the policy. Commands ask it for what they need and close it when done.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Env } from './config/env.ts';
import type { Policy } from './config/policy.ts';
import { connectorDefinition } from './connectors/registry.ts';
import type { OpenDatabase } from './db/connect.ts';
import { createStore } from './db/store.ts';
import { ConfigError } from './domain/errors.ts';
import type { ConnectorsBySystem } from './domain/ports.ts';
import type { SystemName } from './domain/records.ts';
import type { ReconStore } from './domain/store.ts';
import type { Logger } from './log.ts';
import { openDatabase } from './db/connect.ts';
import { budgetLedger } from './db/repositories/budget.ts';
import { createRateLimiter, type RateLimiter } from './util/limiter.ts';
import { budgetKey, createSharedRateLimiter, type BudgetLedger, type BudgetObserver, type LimiterFactory } from './util/shared-limiter.ts';

/** Opens the configured database and brings its schema up to date (in db/, so that the CLI reaches it without this module). */
export { openMigratedDatabase } from './db/open.ts';

/** The systems a policy reads or writes. */
export function systemsOf(policy: Policy): Set<SystemName> {
  const systems = new Set<SystemName>();
  for (const check of policy.checks) {
    systems.add(check.source.system);
    systems.add(check.target.system);
  }
  return systems;
}

/** Builds one connector per system the policy uses; a missing credential is a config error naming it. */
export function buildConnectors(env: Env, policy: Policy, logger: Logger, limiters?: LimiterFactory): ConnectorsBySystem {
  const connectors: ConnectorsBySystem = {};
  for (const system of systemsOf(policy)) {
    const definition = connectorDefinition(system);
    if (!definition) throw new ConfigError(`the policy uses ${system}, which this version of Recon cannot connect to`);
    const own = Object.fromEntries(Object.keys(definition.env).flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
    connectors[system] = definition.create({ env: own, crm: policy.crm, logger: logger.child({ system }), limiters });
  }
  return connectors;
}

/** The store port over an open database. */
export function storeFor(database: OpenDatabase): ReconStore {
  return createStore(database);
}

/** Connections of the budget ledger's own: a request's budget never waits behind a cycle's queries. */
const BUDGET_CONNECTIONS = 2;

/** The vendor budgets of this process, and where their figures go. */
export interface Budgets {
  /** Makes every connector limiter: shared through Postgres, or this process's own on the embedded database. */
  limiters: LimiterFactory;
  /** Whether the budgets are shared with other replicas (Postgres). */
  shared: boolean;
  /** Sends the budgets' figures to `/metrics` from now on. */
  observe(observer: BudgetObserver): void;
  /** Where 429s are recorded for `recon status`, once the database is open (the embedded one: the process's own handle). */
  recordThrottlesIn(database: OpenDatabase): void;
  close(): Promise<void>;
}

/**
 * On Postgres (DATABASE_URL), every replica takes each vendor request from one budget per vendor
 * credential kept in the database (docs/architecture.md, "Rate limits across replicas"); the
 * ledger opens its own small pool when first asked. On the embedded database, one process: the
 * limiters stay in it, as before, and only report their figures.
 */
export function sharedBudgets(env: { DATABASE_URL?: string | undefined }, logger: Logger, options: { timeoutMs?: number } = {}): Budgets {
  let target: BudgetObserver | null = null;
  const relay: BudgetObserver = {
    sent: (key, priority) => target?.sent(key, priority),
    waited: (key, priority, ms) => target?.waited(key, priority, ms),
    throttled: (key) => target?.throttled(key),
    share: (key, share, replicas) => target?.share(key, share, replicas),
    fallback: (key, on) => target?.fallback(key, on),
  };
  const replica = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const observe = (observer: BudgetObserver) => void (target = observer);
  const url = env.DATABASE_URL;
  if (!url) {
    let recorder: BudgetLedger | null = null;
    const limiters: LimiterFactory = (budget, limit) => observedLocally(createRateLimiter(limit), budgetKey(budget), relay, (key) => recorder?.throttled(key, replica));
    return { limiters, shared: false, observe, recordThrottlesIn: (database) => void (recorder = budgetLedger(database.db)), close: async () => {} };
  }

  let opened: ReturnType<typeof openDatabase> | null = null;
  let ledgerOnce: Promise<BudgetLedger> | null = null;
  const ledgerOf = () =>
    // A pool that could not be made is made again on the next request (the limiter falls back meanwhile).
    (ledgerOnce ??= (opened = openDatabase({ url, poolSize: BUDGET_CONNECTIONS })).then((database) => budgetLedger(database.db), (error: unknown) => {
      opened = null;
      ledgerOnce = null;
      throw error;
    }));
  const ledger: BudgetLedger = {
    take: async (request) => (await ledgerOf()).take(request),
    observe: async (request) => (await ledgerOf()).observe(request),
    settle: async (request) => (await ledgerOf()).settle(request),
    pause: async (key, ms) => (await ledgerOf()).pause(key, ms),
    throttled: async (key, at) => (await ledgerOf()).throttled(key, at),
  };
  const log = logger.child({ component: 'budget' });
  return {
    limiters: (budget, limit) => createSharedRateLimiter({ key: budgetKey(budget), limit, ledger, replica, observer: relay, logger: log, clock: limit.clock, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }),
    shared: true,
    observe,
    recordThrottlesIn: () => {},
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}

/** A limiter of this process that reports what it sends and each 429, as a shared one does. */
function observedLocally(limiter: RateLimiter, key: string, observer: BudgetObserver, record: (key: string) => Promise<void> | undefined): RateLimiter {
  return {
    limit: limiter.limit,
    async take(priority = 'background') {
      const release = await limiter.take(priority);
      observer.sent(key, priority);
      return release;
    },
    pauseFor(ms) {
      limiter.pauseFor(ms);
      if (!(ms > 0)) return;
      observer.throttled(key);
      void Promise.resolve(record(key)).catch(() => undefined);
    },
    observeRemaining: (remaining) => limiter.observeRemaining(remaining),
  };
}
