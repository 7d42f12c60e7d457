/** The sandbox: stateful local Stripe, HubSpot, GoHighLevel and Slack servers with real shapes, limits and faults. */
export {
  createSandboxState, addStripeCustomer, addStripeSubscription, addHubSpotContact, addHubSpotDeal,
  applyHubSpotUpdate, applyStripeCustomerUpdate, changeStripeSubscription, recordStripeEvent, observeSandbox,
} from './state.ts';
export type * from './state.ts';
export { startSandbox, DEFAULT_RATE_LIMITS } from './server.ts';
export type { RunningSandbox, SandboxOptions, RequestCounts } from './server.ts';
export { startWebhookSender } from './webhooks.ts';
export type { WebhookSender, WebhookSenderOptions, WebhookSenderStats, WebhookVendor } from './webhooks.ts';
export { createSlackState } from './slack-state.ts';
export type {
  SlackState, SlackCall, SlackFailure, SlackFeedEntry, SlackFeedKind, SlackStoredMessage, SlackStoredEphemeral, SlackStoredView, SlackStoredFile, SlackUserSeed,
} from './slack-state.ts';
export { FaultInjector } from './faults.ts';
export type { FaultOptions, BeforeWriteHook, SandboxSystem } from './faults.ts';
export { RollingWindowLimiter } from './rate-limit.ts';
export type { RateLimitDecision } from './rate-limit.ts';
export { defaultDealPipeline } from './hubspot-objects.ts';
export {
  addGoHighLevelContact, addGoHighLevelOpportunity, applyGoHighLevelUpdate, GHL_PARTNER_PIPELINE, GHL_SALES_PIPELINE, GHL_STRIPE_ID_FIELD,
} from './gohighlevel-objects.ts';
export { STRIPE_API_VERSION } from './stripe-server.ts';
