/** Webhook verification, one pure function per vendor; see each module for the scheme it checks. */
export { WebhookVerificationError, MalformedWebhookError } from './errors.ts';
export type { WebhookProvider, WebhookVerificationCode } from './errors.ts';
export type { WebhookHeaders, RawBody } from './request.ts';
export { verifyStripeWebhook, stripeWebhookSecrets, signStripePayload, parseStripeSignatureHeader, STRIPE_TOLERANCE_SECONDS } from './stripe.ts';
export type { StripeWebhookRequest, VerifiedStripeWebhook } from './stripe.ts';
export { verifyHubSpotWebhook, signHubSpotRequest, hubSpotSignedUri, publicRequestUri, HUBSPOT_MAX_AGE_MS } from './hubspot.ts';
export type { HubSpotWebhookRequest, VerifiedHubSpotWebhook } from './hubspot.ts';
export { verifyGoHighLevelWebhook, goHighLevelWebhookConfig, GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY, GOHIGHLEVEL_REPLAY_WINDOW_MS } from './gohighlevel.ts';
export type { GoHighLevelKeys, GoHighLevelWebhookConfig, GoHighLevelWebhookRequest, VerifiedGoHighLevelWebhook } from './gohighlevel.ts';
export { verifyGoogleCalendarNotification, calendarIdOf } from './google.ts';
export type { GoogleCalendarNotificationRequest, VerifiedGoogleCalendarNotification, GoogleResourceState } from './google.ts';
