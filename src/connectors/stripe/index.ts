import { z } from 'zod';
import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createStripeConnector } from './adapter.ts';
import { STRIPE_API_VERSION } from './client.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/** Stripe: customers, their subscriptions and latest invoices, one record per customer. */
export const stripe = defineConnector({
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
  create({ env, crm, logger }) {
    const secretKey = env.STRIPE_SECRET_KEY as string | undefined;
    if (!secretKey) throw new ConfigError('STRIPE_SECRET_KEY is not set: the policy reads Stripe', { code: 'config.missing_env' });
    return createStripeConnector({ secretKey, apiUrl: env.STRIPE_API_URL as string | undefined, crmSystem: crm, logger });
  },
});
