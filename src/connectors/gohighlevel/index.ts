import { z } from 'zod';
import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createGoHighLevelConnector, GHL_RATE_LIMITS } from './adapter.ts';
import { GHL_API_VERSION } from './client.ts';
import { GHL_WEBHOOK_ENV } from './webhook-env.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/** GoHighLevel (API v2): opportunities (with their contacts' emails) and contacts of one location. */
export const gohighlevel = defineConnector({
  name: 'gohighlevel',
  displayName: 'GoHighLevel',
  role: 'crm',
  objects: [{ name: 'opportunities', singular: 'opportunity' }, { name: 'contacts', singular: 'contact' }],
  writable: true,
  allFieldsFinancial: false,
  env: {
    GHL_ACCESS_TOKEN: {
      schema: z.string().min(1),
      description: 'a Private Integration token of the sub-account with opportunities.readonly, opportunities.write, contacts.readonly and contacts.write',
      required: true,
      secret: true,
    },
    GHL_LOCATION_ID: { schema: z.string().min(1), description: 'the sub-account (location) id Recon reconciles', required: true },
    GHL_API_URL: { schema: url, description: 'another base URL (the sandbox); default https://services.leadconnectorhq.com' },
    ...GHL_WEBHOOK_ENV,
    GHL_STRIPE_ID_FIELD: {
      schema: z.string().min(1),
      description: 'the id of the opportunity custom field holding the Stripe customer id (cus_...), for matching by shared id',
    },
  },
  limits: [
    { ...GHL_RATE_LIMITS.burst, what: 'requests per 10 s per location (burst)' },
    { ...GHL_RATE_LIMITS.daily, what: 'requests per day per location' },
  ],
  apiVersion: GHL_API_VERSION,
  create({ env, logger }) {
    const accessToken = env.GHL_ACCESS_TOKEN as string | undefined;
    if (!accessToken) {
      throw new ConfigError('GHL_ACCESS_TOKEN is not set: the policy reads GoHighLevel (a Private Integration token of the sub-account)', { code: 'config.missing_env' });
    }
    const locationId = env.GHL_LOCATION_ID as string | undefined;
    if (!locationId) {
      throw new ConfigError('GHL_LOCATION_ID is not set: the policy reads GoHighLevel, and every request names its sub-account (location)', { code: 'config.missing_env' });
    }
    return createGoHighLevelConnector({
      accessToken,
      locationId,
      apiUrl: env.GHL_API_URL as string | undefined,
      stripeIdField: env.GHL_STRIPE_ID_FIELD as string | undefined,
      logger,
    });
  },
});
