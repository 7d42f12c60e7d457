/** Real-shaped Calendar events for connector tests, built from `test/fixtures/google_calendar/event.json`. */
import type { GoogleEvent } from '../../../src/connectors/google_calendar/schemas.ts';
import { fixture } from '../fixtures.ts';

export interface EventSpec {
  id: string;
  /** Epoch ms. */
  start: number;
  status?: 'confirmed' | 'tentative' | 'cancelled';
  /** Epoch ms; default a week before `start`. */
  updated?: number;
  /** The customers; the organizer (this calendar) is added first. */
  attendees?: { email: string; responseStatus?: string; organizer?: boolean; self?: boolean; resource?: boolean }[];
  private?: Record<string, string>;
}

/** An event of the calendar `bookings@acme.example` as `events.list` returns it. */
export function calendarEvent(spec: EventSpec): GoogleEvent {
  const template = fixture('google_calendar/event');
  const updated = new Date(spec.updated ?? spec.start - 7 * 86_400_000).toISOString();
  const attendees = spec.attendees ?? [{ email: 'ada.lovelace@example.com', responseStatus: 'accepted' }];
  const hasOrganizer = attendees.some((a) => a.organizer);
  const event = {
    ...template,
    id: spec.id,
    iCalUID: `${spec.id}@google.com`,
    status: spec.status ?? 'confirmed',
    htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${spec.id} bookings@acme.example`).toString('base64url')}`,
    created: updated,
    updated,
    start: { dateTime: new Date(spec.start).toISOString(), timeZone: 'Europe/Berlin' },
    end: { dateTime: new Date(spec.start + 30 * 60_000).toISOString(), timeZone: 'Europe/Berlin' },
    attendees: [
      ...(hasOrganizer || attendees.length === 0 ? [] : [{ email: 'bookings@acme.example', organizer: true, self: true, responseStatus: 'accepted' }]),
      ...attendees.map((a) => ({ responseStatus: 'accepted', ...a })),
    ],
  };
  if (spec.private) event.extendedProperties = { private: spec.private };
  else delete event.extendedProperties;
  return event;
}
