/**
 * The webhook bodies Recon reads, as the vendors document them: zod schemas of the fields Recon
 * relies on, loose so that a field a vendor adds tomorrow does not refuse today's event.
 */
import { z } from 'zod';

const id = z.string().min(1);
/** HubSpot ids are numbers in webhook payloads; a string form is taken too. */
const hubSpotId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);

/** Stripe's `event` object (spec3.json `event`): `data.object` is the API object the event is about. */
export const stripeEventSchema = z.looseObject({
  id,
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int().nonnegative(),
  livemode: z.boolean().optional(),
  data: z.looseObject({
    object: z.looseObject({
      object: z.string().min(1),
      id: z.string().min(1).optional(),
      customer: z.union([z.string(), z.looseObject({ id: z.string() }), z.null()]).optional(),
    }),
    previous_attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type StripeWebhookEvent = z.infer<typeof stripeEventSchema>;

/**
 * One notification of a HubSpot batch (webhooks v3 payload): property changes carry `propertyName`
 * and `propertyValue`; association changes `fromObjectId` and `toObjectId` instead of `objectId`;
 * merges `primaryObjectId`. The generic `object.*` types name the object in `objectTypeId`.
 */
export const hubSpotNotificationSchema = z.looseObject({
  eventId: hubSpotId,
  subscriptionId: hubSpotId,
  portalId: hubSpotId,
  appId: hubSpotId.optional(),
  occurredAt: z.number().int().nonnegative(),
  subscriptionType: z.string().regex(/^[a-z_]+\.[A-Za-z]+$/, 'expected <object>.<event>, e.g. deal.propertyChange'),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: hubSpotId.optional(),
  objectTypeId: z.string().optional(),
  fromObjectId: hubSpotId.optional(),
  primaryObjectId: hubSpotId.optional(),
  propertyName: z.string().optional(),
  propertyValue: z.string().nullable().optional(),
  changeSource: z.string().optional(),
  sourceId: z.string().nullable().optional(),
});
export const hubSpotBatchSchema = z.array(hubSpotNotificationSchema);
export type HubSpotNotification = z.infer<typeof hubSpotNotificationSchema>;

/**
 * A GoHighLevel webhook (webhook-events/*.md): `type` names the event; opportunity and contact
 * events carry the object's `id` at the top, appointment events inside `appointment`.
 */
export const goHighLevelEventSchema = z.looseObject({
  type: z.string().min(1),
  webhookId: id,
  timestamp: z.iso.datetime({ offset: true }),
  locationId: z.string().optional(),
  id: z.string().optional(),
  appointment: z.looseObject({ id: z.string().optional() }).optional(),
});
export type GoHighLevelWebhookEvent = z.infer<typeof goHighLevelEventSchema>;
