import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createGoHighLevelConnector } from './adapter.ts';
import { gohighlevelDeclaration } from './declaration.ts';

/** GoHighLevel as Recon connects to it: its declaration and the factory of its connector. */
export const gohighlevel = defineConnector({
  ...gohighlevelDeclaration,
  create({ env, logger, limiters }) {
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
      limiters,
    });
  },
});
