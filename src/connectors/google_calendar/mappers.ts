import type { ObjectDescription } from '../../domain/ports.ts';
import { normaliseEmail, type FieldChange, type FieldValue, type SystemRecord } from '../../domain/records.ts';
import type { GoogleAttendee, GoogleEvent } from './schemas.ts';

/**
 * One Google Calendar record per person who booked (object `bookings`), derived from every event of
 * the calendar that person takes part in. Its normalised fields:
 *
 * | field             | value                                                                                   |
 * |-------------------|-----------------------------------------------------------------------------------------|
 * | `booking_status`  | `upcoming_confirmed`, `cancelled`, `past` or `none` (see {@link deriveBookingStatus})     |
 * | `next_booking_at` | start of the soonest confirmed booking still to come (ISO 8601), or null                |
 * | `last_booking_at` | start of the latest booking that has taken place (ISO 8601), or null                    |
 * | `event_id`        | the event that decides the status, or null                                              |
 * | `email`           | the person's attendee email, normalised                                                 |
 *
 * The record's id is the person's key: the CRM id a booking tool stored in the event's
 * `extendedProperties.private` (`crm_id`), else the Stripe customer id stored there
 * (`stripe_customer_id`), else the normalised attendee email. Those ids are the record's `refs`.
 * Events of one person are found through any of their emails or ids (see {@link groupPeople}).
 */
export const BOOKING_STATUSES = ['upcoming_confirmed', 'cancelled', 'past', 'none'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const BOOKING_FIELDS = ['booking_status', 'next_booking_at', 'last_booking_at', 'event_id', 'email'] as const;

export interface BookingMapContext {
  /** The calendar read, normalised like an email: it is never a customer of its own events. */
  calendarId: string;
  /** The CRM whose record id `crm_id` holds. */
  crmSystem: string;
  /** The private extended property holding the CRM id. Default `crm_id`. */
  crmIdProperty: string;
  /** The private extended property holding the Stripe customer id. Default `stripe_customer_id`. */
  stripeIdProperty: string;
  /** Now, in ms: a booking starting later is upcoming. */
  now: number;
}

/** One person's part in one event, without the vendor payload: a full pass keeps one per attendee. */
export interface Booking {
  eventId: string;
  email: string | null;
  crmId: string | null;
  stripeId: string | null;
  /** A declined invitation counts as cancelled for that person; a status Google adds later as tentative. */
  state: 'confirmed' | 'tentative' | 'cancelled';
  /** Epoch ms; an all-day event starts at midnight UTC. Null when the event does not say. */
  start: number | null;
  updated: number | null;
  url: string | null;
}

/**
 * What one event says about bookings: the bookings of its customers (none for an internal meeting),
 * or that it cannot be told whose it was: a deleted event that Google sent with only its id.
 */
export type EventBookings = { kind: 'bookings'; bookings: Booking[] } | { kind: 'unattributable'; eventId: string };

/** Epoch ms of an event's start or end; null when absent or unreadable. */
export function eventTime(at: { date?: string | undefined; dateTime?: string | undefined } | undefined): number | null {
  if (!at) return null;
  const parsed = at.dateTime !== undefined ? Date.parse(at.dateTime) : at.date !== undefined ? Date.parse(`${at.date}T00:00:00Z`) : Number.NaN;
  return Number.isNaN(parsed) ? null : parsed;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function trimmed(value: string | undefined): string | null {
  const text = value?.trim();
  return text ? text : null;
}

/**
 * The attendees that are customers: not the organizer, not this calendar, not a room or another
 * calendar (`...calendar.google.com`), and with an email.
 */
export function customerAttendees(event: GoogleEvent, calendarId: string): { attendee: GoogleAttendee; email: string }[] {
  const organizer = normaliseEmail(event.organizer?.email);
  const customers: { attendee: GoogleAttendee; email: string }[] = [];
  for (const attendee of event.attendees ?? []) {
    const email = normaliseEmail(attendee.email);
    if (email === null || attendee.organizer || attendee.self || attendee.resource) continue;
    if (email === calendarId || email === organizer || email.endsWith('.calendar.google.com')) continue;
    customers.push({ attendee, email });
  }
  return customers;
}

function stateOf(eventStatus: string | undefined, responseStatus: string | undefined): Booking['state'] {
  if (eventStatus === 'cancelled' || responseStatus === 'declined') return 'cancelled';
  if (eventStatus === undefined || eventStatus === 'confirmed') return 'confirmed';
  return 'tentative';
}

/**
 * The bookings of one event. The ids in its private extended properties belong to its first
 * customer attendee, the person who booked (booking tools list the invitee first); other customer
 * attendees have a booking of their own, known by email. An event with ids and no attendee is a
 * booking of the person those ids name.
 */
export function bookingsOf(event: GoogleEvent, context: Pick<BookingMapContext, 'calendarId' | 'crmIdProperty' | 'stripeIdProperty'>): EventBookings {
  const ids = event.extendedProperties?.private ?? {};
  const crmId = trimmed(ids[context.crmIdProperty]);
  const stripeId = trimmed(ids[context.stripeIdProperty]);
  const start = eventTime(event.start);
  if (event.status === 'cancelled' && start === null && !event.attendees && crmId === null && stripeId === null) {
    return { kind: 'unattributable', eventId: event.id };
  }
  const base = {
    eventId: event.id,
    start,
    updated: event.updated !== undefined && !Number.isNaN(Date.parse(event.updated)) ? Date.parse(event.updated) : null,
    url: event.htmlLink ?? null,
  };
  const customers = customerAttendees(event, context.calendarId);
  if (customers.length === 0) {
    if (crmId === null && stripeId === null) return { kind: 'bookings', bookings: [] };
    return { kind: 'bookings', bookings: [{ ...base, email: null, crmId, stripeId, state: stateOf(event.status, undefined) }] };
  }
  return {
    kind: 'bookings',
    bookings: customers.map(({ attendee, email }, i) => ({
      ...base, email, crmId: i === 0 ? crmId : null, stripeId: i === 0 ? stripeId : null, state: stateOf(event.status, attendee.responseStatus),
    })),
  };
}

/** The identities a booking is known by: `email:ada@example.com`, `crm:901`, `stripe:cus_123`. */
export function identitiesOf(booking: Booking): string[] {
  const keys: string[] = [];
  if (booking.email !== null) keys.push(`email:${booking.email}`);
  if (booking.crmId !== null) keys.push(`crm:${booking.crmId}`);
  if (booking.stripeId !== null) keys.push(`stripe:${booking.stripeId}`);
  return keys;
}

/** The bookings of one person, and everything they are known by. */
export interface PersonBookings {
  /** The record id: sole CRM id, else sole Stripe id, else the first email, else the first id. */
  key: string;
  /** Every identity of the person (see {@link identitiesOf}): finding their events means finding these. */
  identities: string[];
  emails: string[];
  crmIds: string[];
  stripeIds: string[];
  /** One per event, in the order met. */
  bookings: Booking[];
}

/**
 * Groups bookings into people: two bookings are one person's when they share an email or an id, and
 * so on transitively, so a booking made by hand (an email only) joins the bookings a booking tool
 * tagged with the CRM id. Pure; linear in the number of bookings.
 */
export function groupPeople(bookings: readonly Booking[]): PersonBookings[] {
  const parent = bookings.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] as number;
    while (parent[i] !== root) {
      const next = parent[i] as number;
      parent[i] = root;
      i = next;
    }
    return root;
  };
  const firstWith = new Map<string, number>();
  bookings.forEach((booking, i) => {
    for (const identity of identitiesOf(booking)) {
      const other = firstWith.get(identity);
      if (other === undefined) firstWith.set(identity, i);
      else parent[find(i)] = find(other);
    }
  });
  const groups = new Map<number, Booking[]>();
  bookings.forEach((booking, i) => {
    if (identitiesOf(booking).length === 0) return;
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(booking);
    else groups.set(root, [booking]);
  });
  const people: PersonBookings[] = [];
  for (const group of groups.values()) {
    const seen = new Set<string>();
    const unique = group.filter((booking) => (seen.has(booking.eventId) ? false : (seen.add(booking.eventId), true)));
    const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))].sort();
    const emails = distinct(group.map((b) => b.email));
    const crmIds = distinct(group.map((b) => b.crmId));
    const stripeIds = distinct(group.map((b) => b.stripeId));
    const key = crmIds.length === 1 ? (crmIds[0] as string)
      : crmIds.length === 0 && stripeIds.length === 1 ? (stripeIds[0] as string)
      : (emails[0] ?? crmIds[0] ?? stripeIds[0] as string);
    people.push({
      key, emails, crmIds, stripeIds, bookings: unique,
      identities: [...emails.map((e) => `email:${e}`), ...crmIds.map((c) => `crm:${c}`), ...stripeIds.map((s) => `stripe:${s}`)],
    });
  }
  return people;
}

export interface DerivedStatus {
  status: BookingStatus;
  /** The booking that decides the status; null only when there is none at all. */
  deciding: Booking | null;
  /** Start of the soonest confirmed booking to come. */
  next: number | null;
  /** Start of the latest booking that has taken place. */
  last: number | null;
}

/** Later start first; at the same start a booking that stands before a cancelled one, then the newer change. */
function laterFirst(a: Booking, b: Booking): number {
  return (b.start ?? 0) - (a.start ?? 0)
    || (a.state === 'cancelled' ? 1 : 0) - (b.state === 'cancelled' ? 1 : 0)
    || (b.updated ?? 0) - (a.updated ?? 0)
    || a.eventId.localeCompare(b.eventId);
}

/**
 * A person's booking status from all of their bookings:
 * - `upcoming_confirmed`: a confirmed booking starts after `now` (the soonest decides);
 * - otherwise their latest booking by start decides, among those cancelled (or declined) and those
 *   that have taken place: `cancelled` when it was cancelled, `past` when it took place;
 * - `none` when neither exists (only tentative bookings still to come).
 * A tentative booking to come is not a confirmed one, so it does not count until it takes place.
 */
export function deriveBookingStatus(bookings: readonly Booking[], now: number): DerivedStatus {
  let deciding: Booking | null = null;
  let next: number | null = null;
  let last: number | null = null;
  const settled: Booking[] = [];
  for (const booking of bookings) {
    if (booking.start === null) continue;
    const toCome = booking.start > now;
    if (toCome && booking.state === 'confirmed') {
      if (next === null || booking.start < next || (booking.start === next && deciding !== null && booking.eventId < deciding.eventId)) {
        next = booking.start;
        deciding = booking;
      }
      continue;
    }
    if (!toCome && booking.state !== 'cancelled' && (last === null || booking.start > last)) last = booking.start;
    if (booking.state === 'cancelled' || !toCome) settled.push(booking);
  }
  if (deciding) return { status: 'upcoming_confirmed', deciding, next, last };
  const latest = settled.sort(laterFirst)[0];
  if (latest) return { status: latest.state === 'cancelled' ? 'cancelled' : 'past', deciding: latest, next, last };
  return { status: 'none', deciding: bookings[0] ?? null, next, last };
}

/** The earliest start after `now` of a confirmed booking among these, or null: when a status will change by itself. */
export function nextStartAfter(bookings: Iterable<Booking>, now: number): number | null {
  let earliest: number | null = null;
  for (const booking of bookings) {
    if (booking.state !== 'confirmed' || booking.start === null || booking.start <= now) continue;
    if (earliest === null || booking.start < earliest) earliest = booking.start;
  }
  return earliest;
}

/** The person's record, with `fields` filled in (unknown ones null). */
export function toBookingRecord(person: PersonBookings, fields: readonly string[], context: BookingMapContext): SystemRecord {
  const { status, deciding, next, last } = deriveBookingStatus(person.bookings, context.now);
  const email = deciding?.email ?? person.emails[0] ?? null;
  const values: Record<string, FieldValue> = {
    booking_status: status,
    next_booking_at: isoOrNull(next),
    last_booking_at: isoOrNull(last),
    event_id: deciding?.eventId ?? null,
    email,
  };
  for (const field of fields) if (!(field in values)) values[field] = null;
  const history: Record<string, FieldChange> = {};
  if (deciding) history.booking_status = { changedAt: deciding.updated, changedBy: 'unknown' };
  const refs: Record<string, string> = {};
  if (person.crmIds.length === 1) refs[context.crmSystem] = person.crmIds[0] as string;
  if (person.stripeIds.length === 1) refs.stripe = person.stripeIds[0] as string;
  return {
    system: 'google_calendar',
    object: 'bookings',
    id: person.key,
    fields: values,
    email,
    refs,
    aliases: [],
    updatedAt: deciding?.updated ?? null,
    history,
    url: deciding?.url ?? null,
  };
}

function label(value: string): string {
  const words = value.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The fields of `bookings`: all derived from events, none writable (Recon never writes to Calendar). */
export function describeBookings(): ObjectDescription {
  return {
    system: 'google_calendar',
    object: 'bookings',
    openPrefixes: [],
    fields: [
      { name: 'booking_status', label: 'Booking status', type: 'enumeration', writable: false, options: BOOKING_STATUSES.map((value) => ({ value, label: label(value) })) },
      { name: 'next_booking_at', label: 'Next booking', type: 'datetime', writable: false, options: null },
      { name: 'last_booking_at', label: 'Last booking held', type: 'datetime', writable: false, options: null },
      { name: 'event_id', label: 'Deciding event id', type: 'string', writable: false, options: null },
      { name: 'email', label: 'Attendee email', type: 'string', writable: false, options: null },
    ],
  };
}
