import { describe, expect, it } from 'vitest';
import {
  bookingsOf, deriveBookingStatus, groupPeople, nextStartAfter, toBookingRecord, type Booking, type BookingMapContext,
} from '../../../src/connectors/google_calendar/mappers.ts';
import type { GoogleEvent } from '../../../src/connectors/google_calendar/schemas.ts';
import { discoveryShapeProblems, loadDiscovery } from '../../support/discovery.ts';
import { fixture } from '../fixtures.ts';
import { calendarEvent } from './events.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const DAY = 86_400_000;
const context: BookingMapContext = {
  calendarId: 'bookings@acme.example', crmSystem: 'hubspot', crmIdProperty: 'crm_id', stripeIdProperty: 'stripe_customer_id', now: NOW,
};

function bookings(...events: GoogleEvent[]): Booking[] {
  return events.flatMap((event) => {
    const read = bookingsOf(event, context);
    return read.kind === 'bookings' ? read.bookings : [];
  });
}

function statusOf(...events: GoogleEvent[]) {
  return deriveBookingStatus(bookings(...events), NOW);
}

describe('Google Calendar mappers: who booked', () => {
  it('counts the invitee, not the organizer, the calendar itself or a room', () => {
    const event = calendarEvent({
      id: 'e1', start: NOW + DAY,
      attendees: [
        { email: 'bookings@acme.example', organizer: true, self: true, responseStatus: 'accepted' },
        { email: 'Ada@Example.com ', responseStatus: 'accepted' },
        { email: 'room-1@resource.calendar.google.com', resource: true, responseStatus: 'accepted' },
      ],
    });
    expect(bookings(event).map((b) => b.email)).toEqual(['ada@example.com']);
  });

  it('gives the private ids to the first invitee and books the other guests by email', () => {
    const event = calendarEvent({
      id: 'e1', start: NOW + DAY, private: { crm_id: '901', stripe_customer_id: 'cus_1' },
      attendees: [{ email: 'ada@example.com' }, { email: 'grace@example.com' }],
    });
    expect(bookings(event).map((b) => [b.email, b.crmId, b.stripeId])).toEqual([['ada@example.com', '901', 'cus_1'], ['grace@example.com', null, null]]);
  });

  it('has no booking in an internal meeting', () => {
    expect(bookingsOf(calendarEvent({ id: 'e1', start: NOW + DAY, attendees: [] }), context)).toEqual({ kind: 'bookings', bookings: [] });
  });

  it('cannot tell whose a deleted event was when Google sends only its id', () => {
    expect(bookingsOf({ kind: 'calendar#event', id: 'gone1', status: 'cancelled' }, context)).toEqual({ kind: 'unattributable', eventId: 'gone1' });
  });

  it('counts a declined invitation as a cancelled booking for that person', () => {
    const event = calendarEvent({ id: 'e1', start: NOW + DAY, attendees: [{ email: 'ada@example.com', responseStatus: 'declined' }] });
    expect(bookings(event)[0]?.state).toBe('cancelled');
  });
});

describe('Google Calendar mappers: one person, whatever the events know them by', () => {
  it('joins a booking made by hand to the bookings a tool tagged with the CRM id, through the email', () => {
    const people = groupPeople(bookings(
      calendarEvent({ id: 'e1', start: NOW - DAY, private: { crm_id: '901' }, attendees: [{ email: 'ada@example.com' }] }),
      calendarEvent({ id: 'e2', start: NOW + DAY, attendees: [{ email: 'ADA@example.com' }] }),
      calendarEvent({ id: 'e3', start: NOW + DAY, attendees: [{ email: 'grace@example.com' }] }),
    ));
    expect(people.map((p) => [p.key, p.bookings.map((b) => b.eventId)])).toEqual([['901', ['e1', 'e2']], ['grace@example.com', ['e3']]]);
  });

  it('keys a person by the Stripe id when no CRM id is known, and by the email when neither is', () => {
    const people = groupPeople(bookings(
      calendarEvent({ id: 'e1', start: NOW + DAY, private: { stripe_customer_id: 'cus_9' }, attendees: [{ email: 'ada@example.com' }] }),
      calendarEvent({ id: 'e2', start: NOW + DAY, attendees: [{ email: 'grace@example.com' }] }),
    ));
    expect(people.map((p) => p.key)).toEqual(['cus_9', 'grace@example.com']);
  });

  it('names no CRM ref when one person carries two CRM ids', () => {
    const [person] = groupPeople(bookings(
      calendarEvent({ id: 'e1', start: NOW + DAY, private: { crm_id: '901' }, attendees: [{ email: 'ada@example.com' }] }),
      calendarEvent({ id: 'e2', start: NOW + 2 * DAY, private: { crm_id: '902' }, attendees: [{ email: 'ada@example.com' }] }),
    ));
    const record = toBookingRecord(person!, ['booking_status'], context);
    expect(record.id).toBe('ada@example.com');
    expect(record.refs).toEqual({});
  });
});

describe('Google Calendar mappers: booking status', () => {
  const ada = [{ email: 'ada@example.com' }];

  it('is upcoming_confirmed while a confirmed booking is still to come, decided by the soonest', () => {
    const derived = statusOf(
      calendarEvent({ id: 'later', start: NOW + 5 * DAY, attendees: ada }),
      calendarEvent({ id: 'sooner', start: NOW + DAY, attendees: ada }),
      calendarEvent({ id: 'old', start: NOW - 9 * DAY, attendees: ada }),
    );
    expect([derived.status, derived.deciding?.eventId, derived.next, derived.last]).toEqual(['upcoming_confirmed', 'sooner', NOW + DAY, NOW - 9 * DAY]);
  });

  it('is upcoming_confirmed for a person who cancelled and booked again', () => {
    const derived = statusOf(
      calendarEvent({ id: 'cancelled', start: NOW + DAY, status: 'cancelled', attendees: ada }),
      calendarEvent({ id: 'rebooked', start: NOW + 3 * DAY, attendees: ada }),
    );
    expect([derived.status, derived.deciding?.eventId]).toEqual(['upcoming_confirmed', 'rebooked']);
  });

  it('is cancelled when the latest booking was cancelled and none to come is confirmed', () => {
    const derived = statusOf(
      calendarEvent({ id: 'held', start: NOW - 20 * DAY, attendees: ada }),
      calendarEvent({ id: 'cancelled', start: NOW + 2 * DAY, status: 'cancelled', attendees: ada }),
    );
    expect([derived.status, derived.deciding?.eventId]).toEqual(['cancelled', 'cancelled']);
  });

  it('is past when the latest booking took place after an earlier cancellation', () => {
    const derived = statusOf(
      calendarEvent({ id: 'cancelled', start: NOW - 20 * DAY, status: 'cancelled', attendees: ada }),
      calendarEvent({ id: 'held', start: NOW - 2 * DAY, attendees: ada }),
    );
    expect([derived.status, derived.deciding?.eventId]).toEqual(['past', 'held']);
  });

  it('prefers the booking that took place over one cancelled at the same time', () => {
    const derived = statusOf(
      calendarEvent({ id: 'a', start: NOW - DAY, status: 'cancelled', attendees: ada }),
      calendarEvent({ id: 'b', start: NOW - DAY, attendees: ada }),
    );
    expect(derived.status).toBe('past');
  });

  it('does not count a tentative booking to come as confirmed', () => {
    expect(statusOf(calendarEvent({ id: 'maybe', start: NOW + DAY, status: 'tentative', attendees: ada })).status).toBe('none');
  });

  it('is past for a person whose only booking started a moment ago', () => {
    expect(deriveBookingStatus(bookings(calendarEvent({ id: 'e', start: NOW, attendees: ada })), NOW).status).toBe('past');
  });

  it('knows when a status will change by itself: the next confirmed start', () => {
    const all = bookings(
      calendarEvent({ id: 'a', start: NOW + 3 * DAY, attendees: ada }),
      calendarEvent({ id: 'b', start: NOW + DAY, status: 'cancelled', attendees: ada }),
      calendarEvent({ id: 'c', start: NOW - DAY, attendees: ada }),
    );
    expect(nextStartAfter(all, NOW)).toBe(NOW + 3 * DAY);
  });
});

describe('Google Calendar mappers: the record', () => {
  it('is the person with their status, the deciding event, its link and when it changed', () => {
    const event = calendarEvent({
      id: 'evt1', start: NOW + DAY, updated: NOW - 2 * DAY, private: { crm_id: '901', stripe_customer_id: 'cus_1' }, attendees: [{ email: 'Ada@example.com' }],
    });
    const [person] = groupPeople(bookings(event));
    expect(toBookingRecord(person!, ['booking_status', 'unknown_field'], context)).toEqual({
      system: 'google_calendar',
      object: 'bookings',
      id: '901',
      fields: {
        booking_status: 'upcoming_confirmed', next_booking_at: new Date(NOW + DAY).toISOString(), last_booking_at: null,
        event_id: 'evt1', email: 'ada@example.com', unknown_field: null,
      },
      email: 'ada@example.com',
      refs: { hubspot: '901', stripe: 'cus_1' },
      aliases: [],
      updatedAt: NOW - 2 * DAY,
      history: { booking_status: { changedAt: NOW - 2 * DAY, changedBy: 'unknown' } },
      url: event.htmlLink,
    });
  });
});

describe('Google Calendar fixtures', () => {
  it('are Event resources and error bodies as calendar-v3.json and Google describe them', () => {
    const spec = loadDiscovery('google-calendar/calendar-v3.json');
    expect(discoveryShapeProblems(spec, 'Event', fixture('google_calendar/event'))).toEqual([]);
    const built = calendarEvent({ id: 'e1', start: NOW, status: 'cancelled', private: { crm_id: '901' }, attendees: [{ email: 'ada@example.com', responseStatus: 'declined' }] });
    expect(discoveryShapeProblems(spec, 'Event', built)).toEqual([]);
    for (const name of ['error-sync-token-gone', 'error-rate-limit', 'error-forbidden']) {
      expect(fixture(`google_calendar/${name}`)).toEqual({ error: { code: expect.any(Number), message: expect.any(String), errors: [{ domain: expect.any(String), reason: expect.any(String), message: expect.any(String) }] } });
    }
  });
});
