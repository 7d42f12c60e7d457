/**
 * What GoHighLevel is to Recon, without the code that talks to it: its name, objects, environment,
 * limits and API version. Light to import (the environment, the policy and every command read it);
 * `index.ts` adds the connector's factory.
 */
import { z } from 'zod';
import { declareConnector } from '../definition.ts';
import type { RateLimit } from '../../util/limiter.ts';
import { GHL_WEBHOOK_ENV } from './webhook-env.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/**
 * GoHighLevel's documented limits for API v2, counted per app (or Private Integration) per
 * location: a burst of 100 requests per 10 s, and 200,000 requests a day.
 */
export const GHL_RATE_LIMITS = {
  burst: { requests: 100, perMs: 10_000 },
  daily: { requests: 200_000, perMs: 86_400_000 },
} as const satisfies Record<string, RateLimit>;

/** The API version every request names in its `Version` header; the spec accepts only this one. */
export const GHL_API_VERSION = '2021-07-28';

/** GoHighLevel (API v2): opportunities (with their contacts' emails) and contacts of one location. */
export const gohighlevelDeclaration = declareConnector({
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
});
