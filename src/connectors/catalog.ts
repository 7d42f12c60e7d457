/**
 * Every system Recon knows, by its declaration only: names, roles, objects, environment and
 * secrets. The environment, the policy and the logger's redaction read this list; it loads no
 * vendor SDK, so a command that only reads the database starts without them. `registry.ts` lists
 * the same systems with their connectors' factories.
 */
import { singularObject } from '../domain/records.ts';
import type { ConnectorDeclaration } from './definition.ts';
import { gohighlevelDeclaration } from './gohighlevel/declaration.ts';
import { googleCalendarDeclaration } from './google_calendar/declaration.ts';
import { hubspotDeclaration } from './hubspot/declaration.ts';
import { stripeDeclaration } from './stripe/declaration.ts';

export const DECLARATIONS: readonly ConnectorDeclaration[] = [stripeDeclaration, hubspotDeclaration, gohighlevelDeclaration, googleCalendarDeclaration];

export function connectorDeclaration(name: string): ConnectorDeclaration | undefined {
  return DECLARATIONS.find((declaration) => declaration.name === name);
}

/** The systems a policy may name, and those that can be its CRM. */
export const SYSTEM_NAMES: readonly string[] = DECLARATIONS.map((declaration) => declaration.name);
export const CRM_NAMES: readonly string[] = DECLARATIONS.filter((declaration) => declaration.role === 'crm').map((declaration) => declaration.name);

/** The display name of a system: `HubSpot` for `hubspot`, or the name itself. */
export function displayName(system: string): string {
  return connectorDeclaration(system)?.displayName ?? system;
}

/** The environment variables whose values must never reach a log line or a message. */
export function secretVariables(): string[] {
  return DECLARATIONS.flatMap((declaration) => Object.entries(declaration.env).filter(([, v]) => v.secret).map(([name]) => name));
}

/** The singular of an object, for sentences: `deal` for HubSpot `deals`. */
export function singularOf(system: string, object: string): string {
  return connectorDeclaration(system)?.objects.find((o) => o.name === object)?.singular ?? singularObject(object);
}
