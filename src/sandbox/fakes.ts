/**
 * Every system the sandbox fakes, one entry each: where its API lives (path prefixes on the
 * sandbox's one port), how its handler is built, its documented rate limit, and the environment
 * that points Recon's connector at it. The server and `recon sandbox` are derived from this list.
 */
import { sandboxKeyFile, SANDBOX_TOKEN_PATH } from './google-calendar-auth.ts';
import { createGoogleCalendarApi } from './google-calendar-server.ts';
import type { ApiContext, SandboxRequest, SandboxResponse } from './http.ts';
import { GHL_STRIPE_ID_FIELD } from './gohighlevel-objects.ts';
import { createGoHighLevelApi } from './gohighlevel-server.ts';
import { createHubSpotApi } from './hubspot-server.ts';
import type { SandboxState } from './state.ts';
import { createStripeApi } from './stripe-server.ts';

export interface SandboxFake {
  /** The connector's system name. */
  system: string;
  /** Path prefixes this fake answers (`/v1/` for Stripe). */
  prefixes: readonly string[];
  /** The vendor's documented limit, enforced per token unless rate limits are turned off; null for none. */
  rateLimit: { requests: number; perMs: number } | null;
  create(state: SandboxState, context: ApiContext): (request: SandboxRequest) => Promise<SandboxResponse>;
  /** The variables that point Recon at this fake, given the sandbox's base URL. */
  env(baseUrl: string, state: SandboxState): Record<string, string>;
  /** A line for `recon sandbox`: what this fake holds. */
  describe(state: SandboxState): string;
}

export const FAKES: readonly SandboxFake[] = [
  {
    system: 'stripe',
    prefixes: ['/v1/'],
    rateLimit: { requests: 25, perMs: 1_000 },
    create: createStripeApi,
    env: (base) => ({ STRIPE_SECRET_KEY: 'sk_test_sandbox', STRIPE_API_URL: base }),
    describe: (state) => `${state.stripe.customers.size} Stripe customers`,
  },
  {
    system: 'hubspot',
    prefixes: ['/crm/'],
    rateLimit: { requests: 100, perMs: 10_000 },
    create: createHubSpotApi,
    env: (base, state) => ({
      HUBSPOT_ACCESS_TOKEN: 'pat-sandbox', HUBSPOT_API_URL: base, HUBSPOT_PORTAL_ID: String(state.hubspot.portalId), HUBSPOT_APP_ID: String(state.hubspot.appId),
    }),
    describe: (state) => `${state.hubspot.deals.size} HubSpot deals in ${state.hubspot.pipelines.length} pipelines`,
  },
  {
    system: 'gohighlevel',
    prefixes: ['/opportunities/', '/contacts/'],
    // Per location (and app or Private Integration); the daily 200,000 is enforced by the fake itself.
    rateLimit: { requests: 100, perMs: 10_000 },
    create: createGoHighLevelApi,
    env: (base, state) => ({
      GHL_ACCESS_TOKEN: 'pit-sandbox-0000-0000-recon', GHL_API_URL: base, GHL_LOCATION_ID: state.gohighlevel.locationId, GHL_STRIPE_ID_FIELD,
    }),
    describe: (state) => `${state.gohighlevel.opportunities.size} GoHighLevel opportunities in ${state.gohighlevel.pipelines.length} pipelines`,
  },
  {
    system: 'google_calendar',
    // The Calendar API, and the OAuth token endpoint the key file's token_uri names.
    prefixes: ['/calendar/v3/', SANDBOX_TOKEN_PATH],
    rateLimit: { requests: 600, perMs: 60_000 },
    create: createGoogleCalendarApi,
    env: (base, state) => ({
      GOOGLE_APPLICATION_CREDENTIALS: sandboxKeyFile(state.calendar, base), GOOGLE_CALENDAR_ID: state.calendar.calendarId, GOOGLE_API_URL: base,
    }),
    describe: (state) => `${state.calendar.events.size} Google Calendar events`,
  },
];

export function fakeFor(path: string): SandboxFake | undefined {
  return FAKES.find((fake) => fake.prefixes.some((prefix) => path.startsWith(prefix)));
}
