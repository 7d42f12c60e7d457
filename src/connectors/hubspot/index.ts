import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createHubSpotConnector } from './adapter.ts';
import { hubspotDeclaration } from './declaration.ts';

/** HubSpot as Recon connects to it: its declaration and the factory of its connector. */
export const hubspot = defineConnector({
  ...hubspotDeclaration,
  create({ env, logger, limiters }) {
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
      limiters,
    });
  },
});
