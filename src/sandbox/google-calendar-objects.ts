/** Google Calendar objects as the sandbox stores and serves them (calendar v3 `Event`, `Channel`). Pure. */
import { createHash } from 'node:crypto';

export type CalendarEventStatus = 'confirmed' | 'tentative' | 'cancelled';

export interface CalendarEventDateTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

export interface CalendarAttendee {
  email: string;
  displayName?: string;
  organizer?: boolean;
  self?: boolean;
  resource?: boolean;
  optional?: boolean;
  /** needsAction, declined, tentative, accepted. */
  responseStatus: string;
}

/** An `Event` resource with the fields Google fills in for an event on a calendar the caller can read. */
export interface CalendarEventResource {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: CalendarEventStatus;
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  creator: { email: string; displayName?: string; self?: boolean };
  organizer: { email: string; displayName?: string; self?: boolean };
  start: CalendarEventDateTime;
  end: CalendarEventDateTime;
  iCalUID: string;
  sequence: number;
  attendees?: CalendarAttendee[];
  attendeesOmitted?: boolean;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  reminders: { useDefault: boolean };
}

/** What the sandbox keeps per event: the resource, and when it last changed in the calendar's change order. */
export interface StoredCalendarEvent {
  resource: CalendarEventResource;
  /** The calendar's change counter at the event's last change: sync tokens compare against it. */
  seq: number;
  /**
   * Deleted rather than cancelled: Google then lists it with only `kind`, `etag`, `id` and `status`
   * ("deleted events are only guaranteed to have the id field populated").
   */
  deleted: boolean;
}

/** A notification channel made by `events.watch`. */
export interface CalendarChannel {
  kind: 'api#channel';
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  /** Unix ms, as a string, as Google sends it. */
  expiration: string;
  /** Where notifications would go; not part of the answer. */
  address: string;
  type: string;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** An event id as Google makes them: base32hex characters (a-v, 0-9), 26 long, derived from a counter. */
export function calendarEventId(sequence: number): string {
  const digest = createHash('sha256').update(`event:${sequence}`).digest();
  let id = '';
  for (let i = 0; i < 26; i += 1) id += BASE32HEX[(digest[i] as number) % 32];
  return id;
}

/** The link Google gives an event: `eid` is the base64 of "<event id> <calendar id>". */
export function calendarHtmlLink(eventId: string, calendarId: string): string {
  return `https://www.google.com/calendar/event?eid=${Buffer.from(`${eventId} ${calendarId}`).toString('base64url')}`;
}

/** Google's etags are quoted microsecond counters. */
export function calendarEtag(seq: number): string {
  return `"${3_425_120_736_918_000 + seq * 1000}"`;
}

export interface NewCalendarEvent {
  id: string;
  calendarId: string;
  calendarSummary: string;
  timeZone: string;
  status: CalendarEventStatus;
  summary: string;
  description?: string | undefined;
  /** Epoch ms. */
  start: number;
  durationMinutes: number;
  attendees: Omit<CalendarAttendee, 'organizer' | 'self'>[];
  privateProperties?: Record<string, string> | undefined;
  createdAt: number;
  seq: number;
}

/** An event organised by the calendar itself (as a booking page makes them), the calendar listed first among the attendees. */
export function buildCalendarEvent(input: NewCalendarEvent): CalendarEventResource {
  const created = new Date(input.createdAt).toISOString();
  const event: CalendarEventResource = {
    kind: 'calendar#event',
    etag: calendarEtag(input.seq),
    id: input.id,
    status: input.status,
    htmlLink: calendarHtmlLink(input.id, input.calendarId),
    created,
    updated: created,
    summary: input.summary,
    ...(input.description ? { description: input.description } : {}),
    creator: { email: input.calendarId, displayName: input.calendarSummary, self: true },
    organizer: { email: input.calendarId, displayName: input.calendarSummary, self: true },
    start: { dateTime: new Date(input.start).toISOString(), timeZone: input.timeZone },
    end: { dateTime: new Date(input.start + input.durationMinutes * 60_000).toISOString(), timeZone: input.timeZone },
    iCalUID: `${input.id}@google.com`,
    sequence: 0,
    attendees: [
      { email: input.calendarId, displayName: input.calendarSummary, organizer: true, self: true, responseStatus: 'accepted' },
      ...input.attendees,
    ],
    reminders: { useDefault: true },
  };
  if (input.privateProperties && Object.keys(input.privateProperties).length > 0) event.extendedProperties = { private: { ...input.privateProperties } };
  return event;
}
