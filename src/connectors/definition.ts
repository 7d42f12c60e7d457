/**
 * What a system is to Recon, declared once in its folder's `declaration.ts` and listed in
 * `catalog.ts`; its folder's `index.ts` adds the factory of its connector, listed in `registry.ts`.
 * The policy's system names, the environment, secrets to redact, `doctor`, the wiring in
 * `main.ts` and the sandbox all read them from there. Adding a system is one folder and one line
 * in each list (a test checks that the two agree). The declaration stays apart so that what
 * only needs the names and the environment (`recon status`) never loads a vendor's SDK.
 */
import type { z } from 'zod';
import type { Connector } from '../domain/ports.ts';
import type { Logger } from '../log.ts';
import type { RateLimit } from '../util/limiter.ts';
import type { LimiterFactory } from '../util/shared-limiter.ts';

export type ConnectorRole = 'billing' | 'crm' | 'calendar';

export interface EnvVariable {
  /** How the value is validated; any input is a string. An empty string counts as unset. */
  schema: z.ZodType;
  /** What it is, for `doctor` and error messages. */
  description: string;
  /** Needed whenever the policy uses this system. */
  required?: boolean;
  /** Never logged, never printed: redacted wherever it sits in a logged object. */
  secret?: boolean;
}

export interface ConnectorContext {
  /** This system's environment variables, validated (unset ones absent). */
  env: Readonly<Record<string, unknown>>;
  /** The CRM the policy names, for ids other systems hold for it (Stripe `metadata.crm_id`). */
  crm: string;
  logger: Logger;
  /** Makes the connector's rate limiters; absent, each lives in this process (one process, the embedded database). */
  limiters?: LimiterFactory | undefined;
}

/** What a system is to Recon, without its factory: light to import (`declaration.ts` of its folder). */
export interface ConnectorDeclaration {
  /** The name the policy uses: `stripe`, `hubspot`, `gohighlevel`, `google_calendar`. */
  name: string;
  displayName: string;
  role: ConnectorRole;
  /** The objects Recon reads; the first is the default when a check names none. */
  objects: readonly { name: string; singular: string }[];
  /** Whether Recon ever writes into this system (Calendar: never). */
  writable: boolean;
  /** Every write into this system is financial (Stripe): never made without a financial approver. */
  allFieldsFinancial: boolean;
  /** The variables this system reads, by name. */
  env: Readonly<Record<string, EnvVariable>>;
  /** The vendor's documented limits the connector paces itself by, as `doctor` prints them. */
  limits: readonly (RateLimit & { what: string })[];
  /** The API version the connector pins, as `doctor` prints it. */
  apiVersion: string;
}

/** A system's declaration and the factory of its connector (`index.ts` of its folder). */
export interface ConnectorDefinition extends ConnectorDeclaration {
  /** Builds the connector from validated variables; throws a ConfigError naming a missing one. */
  create(context: ConnectorContext): Connector;
}

/** Declares what a system is; the identity function, for type checking and a place to document. */
export function declareConnector<const D extends ConnectorDeclaration>(declaration: D): D {
  return declaration;
}

/** Defines a connector: its declaration and its factory; the identity function, as above. */
export function defineConnector<const D extends ConnectorDefinition>(definition: D): D {
  return definition;
}
