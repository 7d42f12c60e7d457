/**
 * Every system Recon connects to, one line each. The policy's system names, the environment and
 * its redaction, `doctor`, the wiring in `main.ts` and the sandbox are derived from this list.
 */
import { singularObject } from '../domain/records.ts';
import type { ConnectorDefinition } from './definition.ts';
import { gohighlevel } from './gohighlevel/index.ts';
import { googleCalendar } from './google_calendar/index.ts';
import { hubspot } from './hubspot/index.ts';
import { stripe } from './stripe/index.ts';

export const CONNECTORS: readonly ConnectorDefinition[] = [stripe, hubspot, gohighlevel, googleCalendar];

export function connectorDefinition(name: string): ConnectorDefinition | undefined {
  return CONNECTORS.find((definition) => definition.name === name);
}

/** The systems a policy may name, and those that can be its CRM. */
export const SYSTEM_NAMES: readonly string[] = CONNECTORS.map((definition) => definition.name);
export const CRM_NAMES: readonly string[] = CONNECTORS.filter((definition) => definition.role === 'crm').map((definition) => definition.name);

/** The display name of a system: `HubSpot` for `hubspot`, or the name itself. */
export function displayName(system: string): string {
  return connectorDefinition(system)?.displayName ?? system;
}

/** The environment variables whose values must never reach a log line or a message. */
export function secretVariables(): string[] {
  return CONNECTORS.flatMap((definition) => Object.entries(definition.env).filter(([, v]) => v.secret).map(([name]) => name));
}

/** The singular of an object, for sentences: `deal` for HubSpot `deals`. */
export function singularOf(system: string, object: string): string {
  return connectorDefinition(system)?.objects.find((o) => o.name === object)?.singular ?? singularObject(object);
}
