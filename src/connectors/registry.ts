/**
 * Every system Recon connects to, one line each, with the factory of its connector (which loads
 * the vendor's SDK). What only needs a system's name, environment or objects reads `catalog.ts`
 * instead, re-exported here.
 */
import type { ConnectorDefinition } from './definition.ts';
import { gohighlevel } from './gohighlevel/index.ts';
import { googleCalendar } from './google_calendar/index.ts';
import { hubspot } from './hubspot/index.ts';
import { stripe } from './stripe/index.ts';

export { CRM_NAMES, SYSTEM_NAMES, displayName, secretVariables, singularOf } from './catalog.ts';

/** In the catalog's order. */
export const CONNECTORS: readonly ConnectorDefinition[] = [stripe, hubspot, gohighlevel, googleCalendar];

export function connectorDefinition(name: string): ConnectorDefinition | undefined {
  return CONNECTORS.find((definition) => definition.name === name);
}
