/**
 * The composition root: the only place that builds concrete adapters from the environment and
 * the policy. Commands ask it for what they need and close it when done.
 */
import type { Env } from './config/env.ts';
import { ConfigError } from './config/errors.ts';
import type { Policy } from './config/policy.ts';
import { createHubSpotConnector } from './connectors/hubspot/adapter.ts';
import type { Connector } from './connectors/ports.ts';
import { createStripeConnector } from './connectors/stripe/adapter.ts';
import { openDatabase, type OpenDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import type { SystemName } from './domain/records.ts';
import type { ConnectorsBySystem } from './engine/apply.ts';
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

function required<K extends keyof Env>(env: Env, key: K, why: string): NonNullable<Env[K]> {
  const value = env[key];
  if (value === undefined || value === null) throw new ConfigError(`${String(key)} is not set: ${why}`);
  return value as NonNullable<Env[K]>;
}

/** Builds one connector per system the policy uses; a missing credential is a config error naming it. */
export function buildConnectors(env: Env, policy: Policy, logger: Logger): ConnectorsBySystem {
  const connectors: ConnectorsBySystem = {};
  for (const system of systemsOf(policy)) {
    connectors[system] = buildConnector(system, env, policy, logger);
  }
  return connectors;
}

function buildConnector(system: SystemName, env: Env, policy: Policy, logger: Logger): Connector {
  switch (system) {
    case 'stripe':
      return createStripeConnector({
        secretKey: required(env, 'STRIPE_SECRET_KEY', 'the policy reads Stripe'),
        apiUrl: env.STRIPE_API_URL,
        crmSystem: policy.crm,
        logger: logger.child({ system }),
      });
    case 'hubspot':
      return createHubSpotConnector({
        accessToken: required(env, 'HUBSPOT_ACCESS_TOKEN', 'the policy reads HubSpot (a private app token with crm.objects.deals and contacts scopes)'),
        apiUrl: env.HUBSPOT_API_URL,
        portalId: env.HUBSPOT_PORTAL_ID,
        ownSourceId: env.HUBSPOT_APP_ID,
        ...(env.HUBSPOT_RATE_LIMIT ? { rateLimit: { requests: env.HUBSPOT_RATE_LIMIT, perMs: 10_000 } } : {}),
        logger: logger.child({ system }),
      });
    default:
      throw new ConfigError(`the policy uses ${system}, which this version of Recon cannot connect to yet`);
  }
}

/** Opens the configured database and brings its schema up to date. */
export async function openMigratedDatabase(env: Pick<Env, 'DATABASE_URL' | 'RECON_DB_DIR'>, logger: Logger): Promise<OpenDatabase> {
  const database = await openDatabase({ url: env.DATABASE_URL, embeddedDir: env.RECON_DB_DIR });
  try {
    const { applied } = await migrate(database);
    if (applied.length) logger.info({ applied, database: database.describe }, 'migrations applied');
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
