import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goHighLevelInboxEvents, googleCalendarInboxEvents, hubSpotEventKey, hubSpotInboxEvents, stripeInboxEvents } from '../../src/fastloop/events.ts';
import { MalformedWebhookError } from '../../src/fastloop/verify/errors.ts';
import { hubSpotNotificationSchema } from '../../src/fastloop/webhook-schemas.ts';
import { loadSpec, ref, shapeProblems, SPECS_DIR } from '../support/openapi-shape.ts';

const FIXTURES = join(SPECS_DIR, '../fixtures');
const fixture = (file: string) => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
const hubSpotBatch = readFileSync(join(FIXTURES, 'hubspot/webhook-batch.json'), 'utf8');

/** A Stripe event around an API object from the fixtures, as Stripe sends it to an endpoint. */
function stripeEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: 'evt_1NnmX5GPxmnHQRkJ9Xq2mB3z', object: 'event', api_version: '2023-08-16', created: 1696701800,
    data: { object, ...extra }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type,
  };
}

/** The example of a GoHighLevel event doc, with the `webhookId` and `timestamp` its authentication guide adds. */
function goHighLevelExample(file: string): Record<string, unknown> {
  const doc = readFileSync(join(SPECS_DIR, 'gohighlevel/webhook-events', file), 'utf8');
  const example = /#### Example\s+```json\s+([\s\S]+?)```/.exec(doc)?.[1] ?? '{}';
  return { ...(JSON.parse(example) as Record<string, unknown>), timestamp: '2025-01-28T14:35:00Z', webhookId: `wh-${file}` };
}

function malformed(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedWebhookError);
    return (error as MalformedWebhookError).message;
  }
}

describe('stripeInboxEvents', () => {
  it("builds its test events in the shape of Stripe's spec", () => {
    expect(shapeProblems(loadSpec('stripe/spec3.json'), ref('event'), stripeEvent('customer.subscription.updated', fixture('stripe/subscription.json')))).toEqual([]);
  });

  it('makes one event of a subscription update, naming the subscription and its customer', () => {
    const body = JSON.stringify(stripeEvent('customer.subscription.updated', fixture('stripe/subscription.json'), { previous_attributes: { status: 'active' } }));
    expect(stripeInboxEvents(body)).toEqual([{
      provider: 'stripe', eventId: 'evt_1NnmX5GPxmnHQRkJ9Xq2mB3z', type: 'customer.subscription.updated', objectType: 'subscription',
      objectId: 'sub_1NnmX4GPxmnHQRkJrhGrFloA', customerId: 'cus_Oaxlz8kB0PJWGa', occurredAt: 1696701800_000, payload: JSON.parse(body),
    }]);
  });

  it('names the customer of an invoice event', () => {
    const [event] = stripeInboxEvents(JSON.stringify(stripeEvent('invoice.paid', fixture('stripe/invoice.json'))));
    expect(event).toMatchObject({ objectType: 'invoice', customerId: 'cus_Oaxlz8kB0PJWGa' });
  });

  it('names the customer itself for a customer event', () => {
    const [event] = stripeInboxEvents(JSON.stringify(stripeEvent('customer.updated', fixture('stripe/customer.json'))));
    expect(event).toMatchObject({ objectType: 'customer', objectId: event?.customerId });
  });

  it('reads the customer of an object whose customer is expanded', () => {
    const [event] = stripeInboxEvents(JSON.stringify(stripeEvent('customer.subscription.deleted', { ...fixture('stripe/subscription.json'), customer: { id: 'cus_Expanded', object: 'customer' } })));
    expect(event?.customerId).toBe('cus_Expanded');
  });

  it('calls a body that is not JSON malformed', () => {
    expect(malformed(() => stripeInboxEvents('{"id": "evt_1"'))).toMatch(/not JSON/);
  });

  it('calls an event without data.object malformed, naming where', () => {
    expect(malformed(() => stripeInboxEvents(JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', created: 1, data: {} })))).toMatch(/data\.object/);
  });
});

describe('hubSpotInboxEvents', () => {
  it('makes one event of each notification in a batch', () => {
    expect(hubSpotInboxEvents(hubSpotBatch).map((event) => event.type)).toEqual([
      'contact.propertyChange', 'contact.creation', 'deal.propertyChange', 'deal.deletion', 'deal.associationChange',
    ]);
  });

  it('reads a deal stage change as HubSpot sends it', () => {
    const event = hubSpotInboxEvents(hubSpotBatch)[2];
    expect(event).toMatchObject({
      provider: 'hubspot', type: 'deal.propertyChange', objectType: 'deal', objectId: '9045031', occurredAt: 1462216309120,
      payload: { propertyName: 'dealstage', propertyValue: 'closedwon', changeSource: 'CRM_UI', sourceId: 'userId:7001' },
    });
  });

  it('keys an event by portal, subscription and event id, with its object and time', () => {
    expect(hubSpotInboxEvents(hubSpotBatch)[0]?.eventId).toBe('33:25:3816279340:1246965:1462216307945');
  });

  it('gives a retry of a notification the same key', () => {
    const [first] = JSON.parse(hubSpotBatch) as Record<string, unknown>[];
    const retry = { ...first, attemptNumber: 3 };
    expect(hubSpotEventKey(hubSpotNotificationSchema.parse(retry))).toBe(hubSpotEventKey(hubSpotNotificationSchema.parse(first)));
  });

  it('tells apart the same event id in two portals', () => {
    const [first] = JSON.parse(hubSpotBatch) as Record<string, unknown>[];
    expect(hubSpotEventKey(hubSpotNotificationSchema.parse({ ...first, portalId: 34 }))).not.toBe(hubSpotEventKey(hubSpotNotificationSchema.parse(first)));
  });

  it('tells apart the same event id under two subscriptions', () => {
    const [first] = JSON.parse(hubSpotBatch) as Record<string, unknown>[];
    expect(hubSpotEventKey(hubSpotNotificationSchema.parse({ ...first, subscriptionId: 26 }))).not.toBe(hubSpotEventKey(hubSpotNotificationSchema.parse(first)));
  });

  it('takes the source object of an association change as its object', () => {
    expect(hubSpotInboxEvents(hubSpotBatch)[4]).toMatchObject({ objectType: 'deal', objectId: '9045031' });
  });

  it('names the object of a generic object.* notification by its objectTypeId', () => {
    const body = JSON.stringify([{ eventId: 1, subscriptionId: 2, portalId: 3, occurredAt: 4, subscriptionType: 'object.propertyChange', objectTypeId: '0-3', objectId: 55 }]);
    expect(hubSpotInboxEvents(body)[0]).toMatchObject({ objectType: 'deal', objectId: '55' });
  });

  it('calls a body that is one notification rather than a batch malformed', () => {
    const [first] = JSON.parse(hubSpotBatch) as unknown[];
    expect(malformed(() => hubSpotInboxEvents(JSON.stringify(first)))).toMatch(/batch/);
  });

  it('calls a notification without a subscription id malformed', () => {
    expect(malformed(() => hubSpotInboxEvents(JSON.stringify([{ eventId: 1, portalId: 3, occurredAt: 4, subscriptionType: 'deal.creation', objectId: 5 }])))).toMatch(/0\.subscriptionId/);
  });
});

describe('goHighLevelInboxEvents', () => {
  it('makes one event of an opportunity stage change, keyed by its webhookId', () => {
    const body = goHighLevelExample('OpportunityStageUpdate.md');
    expect(goHighLevelInboxEvents(JSON.stringify(body))).toEqual([{
      provider: 'gohighlevel', eventId: 'wh-OpportunityStageUpdate.md', type: 'OpportunityStageUpdate', objectType: 'opportunity',
      objectId: 'wWhVuzqpRuOA1ZVWi4FC', occurredAt: Date.parse('2025-01-28T14:35:00Z'), payload: body,
    }]);
  });

  it('reads every documented event type with its object', () => {
    const files = ['OpportunityCreate.md', 'OpportunityStatusUpdate.md', 'OpportunityMonetaryValueUpdate.md', 'OpportunityDelete.md', 'ContactUpdate.md', 'AppointmentCreate.md'];
    expect(files.map((file) => {
      const [event] = goHighLevelInboxEvents(goHighLevelExample(file));
      return `${event?.objectType}:${event?.objectId}`;
    })).toEqual([
      'opportunity:wWhVuzqpRuOA1ZVWi4FC', 'opportunity:wWhVuzqpRuOA1ZVWi4FC', 'opportunity:wWhVuzqpRuOA1ZVWi4FC', 'opportunity:wWhVuzqpRuOA1ZVWi4FC',
      'contact:nmFmQEsNgz6AVpgLVUJ0', 'appointment:0007BWpSzSwfiuSl0tR2',
    ]);
  });

  it('keeps a type Recon does not know, for the endpoint to drop', () => {
    const [event] = goHighLevelInboxEvents({ type: 'NoteCreate', webhookId: 'w1', timestamp: '2025-01-28T14:35:00Z', id: 'n1' });
    expect(event).toMatchObject({ type: 'NoteCreate', objectType: 'NoteCreate', objectId: 'n1' });
  });

  it('calls an opportunity event without an id malformed', () => {
    expect(malformed(() => goHighLevelInboxEvents({ type: 'OpportunityStatusUpdate', webhookId: 'w1', timestamp: '2025-01-28T14:35:00Z' }))).toMatch(/has no id/);
  });

  it('calls an event without a webhookId malformed', () => {
    const { webhookId: _dropped, ...body } = goHighLevelExample('ContactUpdate.md');
    expect(malformed(() => goHighLevelInboxEvents(body))).toMatch(/webhookId/);
  });
});

describe('googleCalendarInboxEvents', () => {
  const notification = {
    channelId: 'chan-1', resourceId: 'ret08u3rv24htgh289g', resourceUri: 'https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json',
    calendarId: 'primary', resourceState: 'exists' as const, messageNumber: 7, channelExpiresAt: undefined,
  };

  it('makes one calendar.changed event keyed by channel and message number', () => {
    expect(googleCalendarInboxEvents(notification, 1_700_000_000_000)).toEqual([{
      provider: 'google_calendar', eventId: 'chan-1:7', type: 'calendar.changed', objectType: 'calendar', objectId: 'primary', occurredAt: 1_700_000_000_000, payload: notification,
    }]);
  });

  it('calls the first message of a channel calendar.sync', () => {
    expect(googleCalendarInboxEvents({ ...notification, resourceState: 'sync', messageNumber: 1 }, 0)[0]?.type).toBe('calendar.sync');
  });

  it('falls back to the resource id when the URI names no calendar', () => {
    expect(googleCalendarInboxEvents({ ...notification, resourceUri: undefined, calendarId: undefined }, 0)[0]?.objectId).toBe('ret08u3rv24htgh289g');
  });
});
