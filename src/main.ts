/**
 * The composition root: the only place that builds concrete adapters from the environment and
 * the policy. Commands ask it for what they need and close it when done.
 */
import type { Env } from './config/env.ts';
import type { Policy } from './config/policy.ts';
import { connectorDefinition } from './connectors/registry.ts';
import { openDatabase, type OpenDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { databaseError } from './db/errors.ts';
import { createStore } from './db/store.ts';
import { ConfigError, ReconError } from './domain/errors.ts';
import type { ConnectorsBySystem } from './domain/ports.ts';
import type { SystemName } from './domain/records.ts';
import type { ReconStore } from './domain/store.ts';
import type { Logger } from './log.ts';

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

/** Opens the configured database and brings its schema up to date. */
export async function openMigratedDatabase(env: Pick<Env, 'DATABASE_URL' | 'RECON_DB_DIR'>, logger: Logger): Promise<OpenDatabase> {
  const database = await openDatabase({ url: env.DATABASE_URL, embeddedDir: env.RECON_DB_DIR });
  try {
    const { applied } = await migrate(database);
    if (applied.length) logger.info({ applied, database: database.describe }, 'migrations applied');
  } catch (error) {
    await database.close().catch((closeError: unknown) => logger.debug({ err: closeError }, 'could not close the database after a failed start'));
    throw error instanceof ReconError ? error : databaseError(error, database.describe);
  }
  return database;
}

/** The store port over an open database. */
export function storeFor(database: OpenDatabase): ReconStore {
  return createStore(database);
}
