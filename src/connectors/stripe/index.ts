import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createStripeConnector } from './adapter.ts';
import { stripeDeclaration } from './declaration.ts';

/** Stripe as Recon connects to it: its declaration and the factory of its connector. */
export const stripe = defineConnector({
  ...stripeDeclaration,
  create({ env, crm, logger, limiters }) {
    const secretKey = env.STRIPE_SECRET_KEY as string | undefined;
    if (!secretKey) throw new ConfigError('STRIPE_SECRET_KEY is not set: the policy reads Stripe', { code: 'config.missing_env' });
    return createStripeConnector({ secretKey, apiUrl: env.STRIPE_API_URL as string | undefined, crmSystem: crm, logger, limiters });
  },
});
