/**
 * The sandbox's Google Calendar: one calendar of bookings, its change order (what sync tokens
 * point into), the service accounts allowed to exchange a key for a token, the tokens issued and
 * the notification channels. Pure: no I/O and no clock; callers pass every timestamp.
 */
import {
  buildCalendarEvent, calendarEtag, calendarEventId, type CalendarAttendee, type CalendarChannel, type CalendarEventResource,
  type CalendarEventStatus, type StoredCalendarEvent,
} from './google-calendar-objects.ts';

export type * from './google-calendar-objects.ts';

/** One request the sandbox's Google answered, as sent: for tests holding the connector to the discovery document. */
export interface CalendarRequestRecord {
  method: string;
  path: string;
  query: [string, string][];
}

export interface CalendarState {
  calendarId: string;
  summary: string;
  timeZone: string;
  events: Map<string, StoredCalendarEvent>;
  /** Bumped by every change of an event; an event remembers the number of its last change. */
  changeSeq: number;
  /** Bumped by {@link expireCalendarSyncTokens}: every sync token issued before answers 410. */
  syncGeneration: number;
  /** A sync token this many changes old answers 410, as Google expires old tokens. */
  syncTokenMaxChanges: number;
  /** Service accounts that may exchange a key for a token: email → public key (PEM). */
  serviceAccounts: Map<string, string>;
  /** Access tokens issued by the token endpoint. */
  accessTokens: Map<string, { clientEmail: string; scope: string; expiresAt: number }>;
  channels: Map<string, CalendarChannel>;
  /** Every request answered, oldest first (the newest 10,000). */
  requests: CalendarRequestRecord[];
  /** The key file the sandbox's environment names, once written (see google-calendar-auth.ts). */
  keyFile: string | null;
  /** Counter behind generated event ids. */
  sequence: number;
}

export function createCalendarState(options: { calendarId?: string; timeZone?: string } = {}): CalendarState {
  return {
    calendarId: options.calendarId ?? 'c_recon_bookings@group.calendar.google.com',
    summary: 'Bookings',
    timeZone: options.timeZone ?? 'Europe/Berlin',
    events: new Map(),
    changeSeq: 0,
    syncGeneration: 0,
    syncTokenMaxChanges: 100_000,
    serviceAccounts: new Map(),
    accessTokens: new Map(),
    channels: new Map(),
    requests: [],
    keyFile: null,
    sequence: 0,
  };
}

export interface CalendarEventInput {
  id?: string;
  summary: string;
  description?: string;
  /** Epoch ms. */
  start: number;
  durationMinutes?: number;
  status?: CalendarEventStatus;
  /** The people booked; the calendar itself is added as organizer. */
  attendees: { email: string; displayName?: string; responseStatus?: string }[];
  /** `extendedProperties.private`, e.g. `{ crm_id: '901' }`, as a booking tool stores them. */
  privateProperties?: Record<string, string>;
  /** Epoch ms. */
  createdAt: number;
}

export function addCalendarEvent(calendar: CalendarState, input: CalendarEventInput): CalendarEventResource {
  let id = input.id;
  if (id === undefined) {
    do id = calendarEventId(++calendar.sequence); while (calendar.events.has(id));
  } else if (calendar.events.has(id)) {
    throw new Error(`sandbox: calendar event ${id} already exists; pass another id or none`);
  }
  const seq = ++calendar.changeSeq;
  const resource = buildCalendarEvent({
    id, calendarId: calendar.calendarId, calendarSummary: calendar.summary, timeZone: calendar.timeZone,
    status: input.status ?? 'confirmed', summary: input.summary, description: input.description, start: input.start,
    durationMinutes: input.durationMinutes ?? 30,
    attendees: input.attendees.map((a) => ({ email: a.email, ...(a.displayName ? { displayName: a.displayName } : {}), responseStatus: a.responseStatus ?? 'accepted' })),
    privateProperties: input.privateProperties, createdAt: input.createdAt, seq,
  });
  calendar.events.set(id, { resource, seq, deleted: false });
  return resource;
}

export interface CalendarEventChange {
  status?: CalendarEventStatus;
  /** Epoch ms; the duration stays. */
  start?: number;
  attendees?: { email: string; displayName?: string; responseStatus?: string }[];
  privateProperties?: Record<string, string> | null;
}

function stored(calendar: CalendarState, id: string): StoredCalendarEvent {
  const found = calendar.events.get(id);
  if (!found) throw new Error(`sandbox: no calendar event ${id}`);
  return found;
}

/** Changes an event as a person or a booking tool would, at `at` (epoch ms): a new etag, `updated`, and a place in the change order. */
export function updateCalendarEvent(calendar: CalendarState, id: string, change: CalendarEventChange, at: number): CalendarEventResource {
  const event = stored(calendar, id);
  const resource = event.resource;
  if (change.status !== undefined) resource.status = change.status;
  if (change.start !== undefined) {
    const duration = Date.parse(resource.end.dateTime ?? '') - Date.parse(resource.start.dateTime ?? '');
    resource.start = { ...resource.start, dateTime: new Date(change.start).toISOString() };
    resource.end = { ...resource.end, dateTime: new Date(change.start + (Number.isFinite(duration) ? duration : 30 * 60_000)).toISOString() };
    resource.sequence += 1;
  }
  if (change.attendees !== undefined) {
    const organizer: CalendarAttendee[] = (resource.attendees ?? []).filter((a) => a.organizer);
    resource.attendees = [...organizer, ...change.attendees.map((a) => ({ email: a.email, ...(a.displayName ? { displayName: a.displayName } : {}), responseStatus: a.responseStatus ?? 'accepted' }))];
  }
  if (change.privateProperties === null) delete resource.extendedProperties;
  else if (change.privateProperties !== undefined) resource.extendedProperties = { ...resource.extendedProperties, private: { ...change.privateProperties } };
  touch(calendar, event, at);
  return resource;
}

/** Cancels an event (it stays listed with `status: cancelled` and all its details). */
export function cancelCalendarEvent(calendar: CalendarState, id: string, at: number): CalendarEventResource {
  return updateCalendarEvent(calendar, id, { status: 'cancelled' }, at);
}

/** Deletes an event: listed from now on as `cancelled` with nothing but its id, as Google may list deleted events. */
export function deleteCalendarEvent(calendar: CalendarState, id: string, at: number): void {
  const event = stored(calendar, id);
  event.resource.status = 'cancelled';
  event.deleted = true;
  touch(calendar, event, at);
}

/** Every sync token issued so far answers 410 from now on (Google expires tokens when it must). */
export function expireCalendarSyncTokens(calendar: CalendarState): void {
  calendar.syncGeneration += 1;
}

function touch(calendar: CalendarState, event: StoredCalendarEvent, at: number): void {
  event.seq = ++calendar.changeSeq;
  event.resource.etag = calendarEtag(event.seq);
  event.resource.updated = new Date(at).toISOString();
}
