/**
 * From a verified webhook to the events the inbox stores: one `InboxEvent` per thing that happened,
 * with an id unique per provider (the inbox refuses a second copy by it) and the object to re-read.
 * Pure. Call only after the request is verified; a verified body of the wrong shape is a
 * `MalformedWebhookError` (400): the vendor will not fix it by retrying, and nothing is stored.
 */
import type { z } from 'zod';
import type { InboxEvent } from '../domain/events.ts';
import { MalformedWebhookError } from './verify/errors.ts';
import type { WebhookProvider } from './verify/errors.ts';
import { rawBytes } from './verify/request.ts';
import type { RawBody } from './verify/request.ts';
import type { VerifiedGoogleCalendarNotification } from './verify/google.ts';
import { goHighLevelEventSchema, hubSpotBatchSchema, stripeEventSchema } from './webhook-schemas.ts';
import type { HubSpotNotification } from './webhook-schemas.ts';

export type { InboxEvent };

function parseJson(provider: WebhookProvider, body: RawBody): unknown {
  try {
    return JSON.parse(rawBytes(body).toString('utf8'));
  } catch (error) {
    throw new MalformedWebhookError(provider, `${provider} webhook body is not JSON`, { cause: error });
  }
}

function shaped<T>(provider: WebhookProvider, schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new MalformedWebhookError(provider, `${what} is not the shape the vendor documents${where}: ${issue?.message ?? 'invalid'}`, { cause: result.error });
}

/** Stripe: one event per body. Subscription and invoice events also name their customer. */
export function stripeInboxEvents(rawBody: RawBody): InboxEvent[] {
  const payload = parseJson('stripe', rawBody);
  const event = shaped('stripe', stripeEventSchema, payload, 'Stripe event');
  const object = event.data.object;
  const owner = object.object === 'customer' ? object.id : typeof object.customer === 'string' ? object.customer : object.customer?.id;
  return [{
    provider: 'stripe',
    eventId: event.id,
    type: event.type,
    objectType: object.object,
    objectId: object.id ?? null,
    ...(owner ? { customerId: owner } : {}),
    occurredAt: event.created * 1000,
    payload,
  }];
}

/** The object types behind HubSpot's `objectTypeId` for generic `object.*` subscriptions. */
const HUBSPOT_OBJECT_TYPE_IDS: Readonly<Record<string, string>> = {
  '0-1': 'contact', '0-2': 'company', '0-3': 'deal', '0-5': 'ticket', '0-7': 'product', '0-8': 'line_item',
};

function hubSpotObject(notification: HubSpotNotification): { objectType: string; objectId: string | null } {
  const prefix = notification.subscriptionType.slice(0, notification.subscriptionType.indexOf('.'));
  const objectType = prefix === 'object' && notification.objectTypeId
    ? HUBSPOT_OBJECT_TYPE_IDS[notification.objectTypeId] ?? notification.objectTypeId
    : prefix;
  const id = notification.objectId ?? notification.primaryObjectId ?? notification.fromObjectId;
  return { objectType, objectId: id === undefined ? null : String(id) };
}

/**
 * HubSpot's `eventId` is "not guaranteed to be unique" on its own: a notification is sent per
 * portal that installed the app and per subscription. The key is portal, subscription and event id,
 * with the object and `occurredAt` besides: all the same on a retry (only `attemptNumber` grows),
 * and each makes two different events sharing an id less likely to be taken for one.
 */
export function hubSpotEventKey(notification: HubSpotNotification): string {
  const { objectId } = hubSpotObject(notification);
  return [notification.portalId, notification.subscriptionId, notification.eventId, objectId ?? '-', notification.occurredAt].map(String).join(':');
}

/** HubSpot: a batch (a JSON array) of notifications, one event each. */
export function hubSpotInboxEvents(rawBody: RawBody): InboxEvent[] {
  const payload = parseJson('hubspot', rawBody);
  if (!Array.isArray(payload)) throw new MalformedWebhookError('hubspot', 'HubSpot webhook body is not a batch (a JSON array) of notifications');
  const batch = shaped('hubspot', hubSpotBatchSchema, payload, 'HubSpot notification batch');
  return batch.map((notification, i) => ({
    provider: 'hubspot',
    eventId: hubSpotEventKey(notification),
    type: notification.subscriptionType,
    ...hubSpotObject(notification),
    occurredAt: notification.occurredAt,
    payload: payload[i],
  }));
}

/** Which object a GoHighLevel event is about, by the prefix of its type, and where its id is. */
const GOHIGHLEVEL_OBJECTS: readonly { prefix: string; objectType: string; inAppointment: boolean }[] = [
  { prefix: 'Opportunity', objectType: 'opportunity', inAppointment: false },
  { prefix: 'Contact', objectType: 'contact', inAppointment: false },
  { prefix: 'Appointment', objectType: 'appointment', inAppointment: true },
];

/**
 * GoHighLevel: one event per body, keyed by its `webhookId`. Takes the raw body, or the body
 * `verifyGoHighLevelWebhook` already parsed.
 */
export function goHighLevelInboxEvents(body: RawBody | Readonly<Record<string, unknown>>): InboxEvent[] {
  const payload = typeof body === 'string' || body instanceof Uint8Array ? parseJson('gohighlevel', body) : body;
  const event = shaped('gohighlevel', goHighLevelEventSchema, payload, 'GoHighLevel webhook');
  const known = GOHIGHLEVEL_OBJECTS.find((candidate) => event.type.startsWith(candidate.prefix));
  const objectId = known?.inAppointment ? event.appointment?.id : event.id;
  if (known && !objectId) {
    throw new MalformedWebhookError('gohighlevel', `GoHighLevel ${event.type} has no ${known.inAppointment ? 'appointment.id' : 'id'}`);
  }
  return [{
    provider: 'gohighlevel',
    eventId: event.webhookId,
    type: event.type,
    objectType: known?.objectType ?? event.type,
    objectId: objectId ?? null,
    occurredAt: Date.parse(event.timestamp),
    payload,
  }];
}

/**
 * Google Calendar: a notification says only that the calendar changed (or, `sync`, that the channel
 * is open), keyed by channel and message number. `receivedAt` stands in for when: Google sends no time.
 */
export function googleCalendarInboxEvents(notification: VerifiedGoogleCalendarNotification, receivedAt: number): InboxEvent[] {
  return [{
    provider: 'google_calendar',
    eventId: `${notification.channelId}:${notification.messageNumber}`,
    type: notification.resourceState === 'sync' ? 'calendar.sync' : 'calendar.changed',
    objectType: 'calendar',
    objectId: notification.calendarId ?? notification.resourceId,
    occurredAt: receivedAt,
    payload: notification,
  }];
}
