import { z } from 'zod';
import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createHubSpotConnector, HUBSPOT_RATE_LIMITS, HUBSPOT_SEARCH_RATE_LIMIT } from './adapter.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/** The CRM v3 APIs Recon calls; HubSpot versions them in the path. */
export const HUBSPOT_API_VERSION = 'CRM v3 (objects, search, properties, pipelines)';

/** HubSpot: deals (with their contacts' emails) and contacts. */
export const hubspot = defineConnector({
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
  create({ env, logger }) {
    const accessToken = env.HUBSPOT_ACCESS_TOKEN as string | undefined;
    if (!accessToken) {
      throw new ConfigError('HUBSPOT_ACCESS_TOKEN is not set: the policy reads HubSpot (a private app token with crm.objects.deals and contacts scopes)', { code: 'config.missing_env' });
    }
    const rate = env.HUBSPOT_RATE_LIMIT as number | undefined;
    return createHubSpotConnector({
      accessToken,
      apiUrl: env.HUBSPOT_API_URL as string | undefined,
      portalId: env.HUBSPOT_PORTAL_ID as number | undefined,
      ownSourceId: env.HUBSPOT_APP_ID as string | undefined,
      ...(rate ? { rateLimit: { requests: rate, perMs: 10_000 } } : {}),
      logger,
    });
  },
});
