/**
 * The composition root: the only place that builds concrete adapters from the environment and
 * the policy. Commands ask it for what they need and close it when done.
 */
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
export function buildConnectors(env: Env, policy: Policy, logger: Logger): ConnectorsBySystem {
  const connectors: ConnectorsBySystem = {};
  for (const system of systemsOf(policy)) {
    const definition = connectorDefinition(system);
    if (!definition) throw new ConfigError(`the policy uses ${system}, which this version of Recon cannot connect to`);
    const own = Object.fromEntries(Object.keys(definition.env).flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
    connectors[system] = definition.create({ env: own, crm: policy.crm, logger: logger.child({ system }) });
  }
  return connectors;
}

/** The store port over an open database. */
export function storeFor(database: OpenDatabase): ReconStore {
  return createStore(database);
}
