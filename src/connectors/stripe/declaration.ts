/**
 * What Stripe is to Recon, without the code that talks to it: its name, objects, environment,
 * limits and API version. Light to import (the environment, the policy and every command read it);
 * `index.ts` adds the connector's factory.
 */
import { z } from 'zod';
import { declareConnector } from '../definition.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/**
 * The Stripe API version every request names (`Stripe-Version`), pinned here rather than left to
 * the SDK's default, so an SDK upgrade never changes the shapes Stripe answers with unnoticed. It
 * is the version stripe-node 23.1 was generated for; the raw schemas also accept the 2023-08-16
 * shapes of the published spec (the subscription period moved to its items in between).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

/** Stripe: customers, their subscriptions and latest invoices, one record per customer. */
export const stripeDeclaration = declareConnector({
  name: 'stripe',
  displayName: 'Stripe',
  role: 'billing',
  objects: [{ name: 'customers', singular: 'customer' }],
  writable: true,
  allFieldsFinancial: true,
  env: {
    STRIPE_SECRET_KEY: {
      schema: z.string().regex(/^(sk|rk)_(test|live)_\w+$/, 'expected a secret or restricted key such as sk_test_...'),
      description: 'a secret or restricted key with read access to customers, subscriptions, invoices and events',
      required: true,
      secret: true,
    },
    STRIPE_WEBHOOK_SECRET: { schema: z.string().min(1), description: 'the signing secret of the webhook endpoint (whsec_...)', secret: true },
    STRIPE_API_URL: { schema: url, description: 'another base URL (stripe-mock, the sandbox)' },
  },
  limits: [
    { requests: 100, perMs: 1000, what: 'requests per second, live mode' },
    { requests: 25, perMs: 1000, what: 'requests per second, test mode and per endpoint' },
  ],
  apiVersion: STRIPE_API_VERSION,
});
