/**
 * The webhook endpoints' one job: prove the request came from the vendor (on the raw bytes, before
 * anything is parsed), turn it into inbox events, and store them durably before answering 200. A
 * vendor retries anything else, so an answer other than 200 must mean "nothing was stored":
 *
 * - no secret configured for the provider → 404 (the endpoint does not exist);
 * - missing or bad signature, stale or future timestamp, unknown channel → 401, nothing stored;
 * - a signed body of the wrong shape → 400, nothing stored (a retry would not fix it);
 * - an event type no check uses → 200, dropped and counted;
 * - a duplicate → 200, stored once (the inbox's unique key answers it);
 * - the database unreachable → 503, so the vendor retries later.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Policy } from '../config/policy.ts';
import { countDropped, insertEvents, type InsertedEvents } from '../db/repositories/inbox.ts';
import type { Db } from '../db/connect.ts';
import type { InboxEvent } from '../domain/events.ts';
import type { Logger } from '../log.ts';
import { eventIsUsed } from '../reconcile/event.ts';
import { googleCalendarInboxEvents, goHighLevelInboxEvents, hubSpotInboxEvents, stripeInboxEvents } from './events.ts';
import { MalformedWebhookError, WebhookVerificationError, type WebhookProvider } from './verify/errors.ts';
import { goHighLevelWebhookConfig, verifyGoHighLevelWebhook, type GoHighLevelWebhookConfig } from './verify/gohighlevel.ts';
import { verifyGoogleCalendarNotification } from './verify/google.ts';
import { publicRequestUri, verifyHubSpotWebhook } from './verify/hubspot.ts';
import { stripeWebhookSecrets, verifyStripeWebhook } from './verify/stripe.ts';

/** The path of each provider's endpoint under `recon serve`. */
export const WEBHOOK_PATHS: Readonly<Record<WebhookProvider, string>> = {
  stripe: '/webhooks/stripe',
  hubspot: '/webhooks/hubspot',
  gohighlevel: '/webhooks/gohighlevel',
  google_calendar: '/webhooks/google-calendar',
};

/** What proves each provider's requests; a provider without an entry has no endpoint. */
export interface WebhookSecrets {
  stripe?: { secrets: string[] };
  hubspot?: { clientSecret: string; publicUrl: string };
  gohighlevel?: GoHighLevelWebhookConfig;
  google_calendar?: { channelToken: string };
}

/**
 * The endpoints the environment turns on. Stripe needs `STRIPE_WEBHOOK_SECRET`; HubSpot needs
 * `HUBSPOT_CLIENT_SECRET` and `RECON_PUBLIC_URL` (its signature covers the full URI it called);
 * GoHighLevel needs `GHL_WEBHOOK_PUBLIC_KEY` (its app's Ed25519 key; `GHL_APP_ID` narrows it to one
 * app); Calendar needs `GOOGLE_CALENDAR_CHANNEL_TOKEN`. A half-configured provider, or a deprecated
 * variable, is a problem to report; a key that cannot be read throws a `ConfigError` naming it.
 */
export function webhookSecrets(env: Readonly<Record<string, unknown>>, systems: readonly string[]): { secrets: WebhookSecrets; problems: string[] } {
  const text = (name: string) => (typeof env[name] === 'string' && env[name] !== '' ? (env[name] as string) : undefined);
  const secrets: WebhookSecrets = {};
  const problems: string[] = [];
  const stripe = text('STRIPE_WEBHOOK_SECRET');
  if (stripe) secrets.stripe = { secrets: stripeWebhookSecrets(stripe) };
  const hubspot = text('HUBSPOT_CLIENT_SECRET');
  const publicUrl = text('RECON_PUBLIC_URL');
  if (hubspot && publicUrl) secrets.hubspot = { clientSecret: hubspot, publicUrl };
  else if (hubspot) problems.push('HUBSPOT_CLIENT_SECRET is set but RECON_PUBLIC_URL is not: HubSpot signs the full URI it calls, so its webhooks cannot be verified (the endpoint stays off)');
  const gohighlevel = goHighLevelWebhookConfig(env);
  if (gohighlevel.config) secrets.gohighlevel = gohighlevel.config;
  problems.push(...gohighlevel.problems);
  if (!gohighlevel.config && text('GHL_APP_ID')) problems.push('GHL_APP_ID is set but GHL_WEBHOOK_PUBLIC_KEY is not: GoHighLevel webhooks cannot be verified (the endpoint stays off)');
  const channelToken = text('GOOGLE_CALENDAR_CHANNEL_TOKEN');
  if (channelToken) secrets.google_calendar = { channelToken };
  return { secrets, problems };
}

/** The providers whose endpoint is on. */
export function enabledProviders(secrets: WebhookSecrets): WebhookProvider[] {
  return (Object.keys(WEBHOOK_PATHS) as WebhookProvider[]).filter((provider) => secrets[provider] !== undefined);
}

export interface WebhookRequest {
  method: string;
  /** The request target as received (`/webhooks/hubspot?x=1`): HubSpot's signature covers it. */
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

export interface WebhookAnswer {
  status: 200 | 400 | 401 | 404 | 503;
  body: { ok: boolean; stored?: number; duplicates?: number; dropped?: number; error?: string; message?: string };
}

/** How a request ended, for the metrics: per event for those that got so far, once otherwise. */
export type ReceiptOutcome = 'stored' | 'duplicate' | 'dropped' | 'unauthorized' | 'malformed' | 'not_configured' | 'unavailable';

export interface IngestDeps {
  db: Db;
  policy: Policy;
  secrets: WebhookSecrets;
  logger: Logger;
  now?: () => number;
  /** The Calendar channels Recon opened and has not stopped (read again for an id not known yet). */
  openChannels?: (asked?: string) => Promise<ReadonlySet<string>>;
  /** Called for each outcome (with the event type when there is one), for `/metrics`. */
  observe?: (provider: WebhookProvider, type: string, outcome: ReceiptOutcome) => void;
  /** Called after events were stored: wakes a worker. */
  stored?: () => void;
  /**
   * Stores events in the inbox: by default one insert per request; `recon serve` writes the
   * requests that arrive together in one ({@link coalescedInserts}).
   */
  insert?: (events: InboxEvent[]) => Promise<InsertedEvents>;
}

/** Verifies, normalises and stores one webhook request; see the file's comment for each answer. */
export async function receiveWebhook(deps: IngestDeps, provider: WebhookProvider, request: WebhookRequest): Promise<WebhookAnswer> {
  const now = deps.now ?? Date.now;
  const observe = deps.observe ?? (() => {});
  if (!deps.secrets[provider]) {
    observe(provider, '', 'not_configured');
    return { status: 404, body: { ok: false, error: 'not_configured', message: `the ${provider} webhook endpoint is off: its secret is not configured` } };
  }
  let events: InboxEvent[];
  try {
    events = await verifyAndRead(deps, provider, request, now);
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      observe(provider, '', 'unauthorized');
      deps.logger.warn({ provider, code: error.code, reason: error.message }, 'webhook refused: not proven to come from the vendor');
      return { status: 401, body: { ok: false, error: error.code } };
    }
    if (error instanceof MalformedWebhookError) {
      observe(provider, '', 'malformed');
      deps.logger.warn({ provider, reason: error.message }, 'webhook refused: signed, but not the shape the vendor documents');
      return { status: 400, body: { ok: false, error: error.code, message: error.message } };
    }
    throw error;
  }

  const used = events.filter((event) => eventIsUsed(deps.policy, event));
  const unused = events.filter((event) => !eventIsUsed(deps.policy, event));
  try {
    const { stored, duplicates, storedIds } = await (deps.insert ?? ((e: InboxEvent[]) => insertEvents(deps.db, e)))(used);
    for (const event of unused) await countDropped(deps.db, event.provider, event.type, new Date(now()));
    for (const event of unused) observe(provider, event.type, 'dropped');
    for (const event of used) observe(provider, event.type, storedIds.has(event.eventId) ? 'stored' : 'duplicate');
    if (stored > 0) deps.stored?.();
    return { status: 200, body: { ok: true, stored, duplicates, dropped: unused.length } };
  } catch (error) {
    observe(provider, '', 'unavailable');
    deps.logger.error({ provider, err: error }, 'webhook not stored: the database did not answer; the vendor will retry');
    return { status: 503, body: { ok: false, error: 'unavailable', message: 'not stored; retry later' } };
  }
}

async function verifyAndRead(deps: IngestDeps, provider: WebhookProvider, request: WebhookRequest, now: () => number): Promise<InboxEvent[]> {
  const { secrets } = deps;
  const { rawBody, headers } = request;
  switch (provider) {
    case 'stripe':
      verifyStripeWebhook({ rawBody, headers, secrets: secrets.stripe!.secrets, now });
      return stripeInboxEvents(rawBody);
    case 'hubspot': {
      const { clientSecret, publicUrl } = secrets.hubspot!;
      verifyHubSpotWebhook({ method: request.method, uri: publicRequestUri(publicUrl, request.url), rawBody, headers, clientSecret, now });
      return hubSpotInboxEvents(rawBody);
    }
    case 'gohighlevel': {
      const { keys, appId } = secrets.gohighlevel!;
      const verified = verifyGoHighLevelWebhook({ rawBody, headers, keys, appId, now });
      return goHighLevelInboxEvents(verified.body);
    }
    case 'google_calendar': {
      const asked = request.headers['x-goog-channel-id'];
      const openChannels = (await deps.openChannels?.(typeof asked === 'string' ? asked : undefined)) ?? new Set<string>();
      const verified = verifyGoogleCalendarNotification({ headers, channelToken: secrets.google_calendar!.channelToken, openChannels });
      return googleCalendarInboxEvents(verified, now());
    }
  }
}
