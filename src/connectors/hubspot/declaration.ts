/**
 * What HubSpot is to Recon, without the code that talks to it: its name, objects, environment,
 * limits and API version. Light to import (the environment, the policy and every command read it);
 * `index.ts` adds the connector's factory.
 */
import { z } from 'zod';
import { declareConnector } from '../definition.ts';
import type { RateLimit } from '../../util/limiter.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/** HubSpot's documented burst limits per private app: 100 requests per 10 s, 150 on Professional and Enterprise. */
export const HUBSPOT_RATE_LIMITS = {
  starter: { requests: 100, perMs: 10_000 },
  professional: { requests: 150, perMs: 10_000 },
} as const satisfies Record<string, RateLimit>;

/** The CRM search endpoints' own limit: 4 requests per second per account (on top of the burst limit). */
export const HUBSPOT_SEARCH_RATE_LIMIT: RateLimit = { requests: 4, perMs: 1000 };

/** The CRM v3 APIs Recon calls; HubSpot versions them in the path. */
export const HUBSPOT_API_VERSION = 'CRM v3 (objects, search, properties, pipelines)';

/** HubSpot: deals (with their contacts' emails) and contacts. */
export const hubspotDeclaration = declareConnector({
  name: 'hubspot',
  displayName: 'HubSpot',
  role: 'crm',
  objects: [{ name: 'deals', singular: 'deal' }, { name: 'contacts', singular: 'contact' }],
  writable: true,
  allFieldsFinancial: false,
  env: {
    HUBSPOT_ACCESS_TOKEN: {
      schema: z.string().min(1),
      description: 'a private app token with crm.objects.deals.read/write, crm.objects.contacts.read and crm.schemas.deals.read',
      required: true,
      secret: true,
    },
    HUBSPOT_CLIENT_SECRET: { schema: z.string().min(1), description: "the app's client secret, which signs webhooks (X-HubSpot-Signature-v3)", secret: true },
    HUBSPOT_API_URL: { schema: url, description: 'another base URL (the sandbox)' },
    HUBSPOT_PORTAL_ID: { schema: z.coerce.number().int().positive(), description: 'your portal (hub) id, for links to records' },
    HUBSPOT_APP_ID: { schema: z.string().min(1), description: "your private app's id, so Recon recognises its own edits in property history" },
    HUBSPOT_RATE_LIMIT: { schema: z.coerce.number().int().positive(), description: 'requests per 10 s; 100 by default, 150 on Professional and Enterprise' },
  },
  limits: [
    { ...HUBSPOT_RATE_LIMITS.starter, what: 'requests per 10 s per app (150 on Professional and Enterprise)' },
    { ...HUBSPOT_SEARCH_RATE_LIMIT, what: 'search requests per second' },
  ],
  apiVersion: HUBSPOT_API_VERSION,
});
