import type {
  PushChannel, CallOptions, ConnectionHealth, Connector, FieldWrite, ListOptions, ObjectDescription, RecordPage, WriteOutcome,
} from '../../domain/ports.ts';
import { normaliseEmail, type SystemName, type SystemRecord } from '../../domain/records.ts';
import { silentLogger, type Logger } from '../../log.ts';
import { chunk } from '../../util/concurrency.ts';
import type { LimiterClock, RateLimit, RateLimiter } from '../../util/limiter.ts';
import { localLimiters, type LimiterFactory } from '../../util/shared-limiter.ts';
import { ApiError, withRetry, type RetryOptions } from '../http/retry.ts';
import { parseRaw } from '../raw.ts';
import { createCalendarClient, toApiError, type GoogleCalendarClient } from './client.ts';
import {
  BOOKING_FIELDS, bookingsOf, describeBookings, eventTime, groupPeople, identitiesOf, nextStartAfter, toBookingRecord,
  type Booking, type BookingMapContext, type PersonBookings,
} from './mappers.ts';
import { googleEventSchema, googleEventsPageSchema, type GoogleEvent, type ServiceAccountCredentials } from './schemas.ts';
import { GOOGLE_CALENDAR_PROJECT_RATE_LIMIT, GOOGLE_CALENDAR_RATE_LIMIT } from './declaration.ts';

export { GOOGLE_CALENDAR_PROJECT_RATE_LIMIT, GOOGLE_CALENDAR_RATE_LIMIT };

/** The largest page `events.list` answers. */
export const EVENTS_PAGE_SIZE = 2500;
/** Records per page yielded to the cycle. */
const RECORDS_PER_PAGE = 1000;
/** Without a full read to size the calendar by, this many targeted reads are tried before reading everything. */
const DEFAULT_TARGETED_READS = 20;

export interface GoogleCalendarConnectorOptions {
  /** The service account key (`GOOGLE_APPLICATION_CREDENTIALS`, read). */
  key: ServiceAccountCredentials;
  /** `GOOGLE_CALENDAR_ID`: the calendar whose events are the bookings, shared with the service account. */
  calendarId: string;
  /** `GOOGLE_API_URL`: another root for calendar calls (the sandbox). */
  apiUrl?: string | undefined;
  /** The CRM whose record id events hold in `extendedProperties.private.crm_id`. Default `hubspot`. */
  crmSystem?: SystemName | undefined;
  /** The private extended property holding the CRM id. Default `crm_id`, as Stripe's metadata. */
  crmIdProperty?: string | undefined;
  /** The private extended property holding the Stripe customer id. Default `stripe_customer_id`, as HubSpot's property. */
  stripeIdProperty?: string | undefined;
  /** Default {@link GOOGLE_CALENDAR_RATE_LIMIT}. */
  rateLimit?: RateLimit | undefined;
  limiter?: RateLimiter | undefined;
  limiterClock?: Partial<LimiterClock> | undefined;
  /** Makes this connector's rate limiters: in this process (default) or shared by the replicas on one Postgres. */
  limiters?: LimiterFactory | undefined;
  retry?: RetryOptions | undefined;
  timeoutMs?: number | undefined;
  /**
   * How many filtered reads (one per email or id of a changed person) an incremental pass may make
   * before it reads the whole calendar instead. Default: as many as the pages of a full read, so the
   * cheaper of the two is chosen.
   */
  maxTargetedReads?: number | undefined;
  logger?: Logger | undefined;
  /** Now in ms: what is upcoming and what is past. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** A prebuilt client (tests); built from `key` and `apiUrl` when absent. */
  client?: GoogleCalendarClient | undefined;
}

/**
 * Where the next incremental pass resumes: Google's sync token, when the statuses it derived were
 * true (`readAt`), the earliest start of a confirmed booking after that (a status that will change
 * with no event changing), and the calendar's size at its last full read (what a full read costs).
 */
interface SyncCursor {
  v: 1;
  syncToken: string;
  readAt: number;
  nextStartAt: number | null;
  events: number;
}

function parseCursor(text: string | null | undefined): SyncCursor | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Partial<SyncCursor>;
    if (parsed.v === 1 && typeof parsed.syncToken === 'string' && typeof parsed.readAt === 'number' && typeof parsed.events === 'number'
      && (parsed.nextStartAt === null || typeof parsed.nextStartAt === 'number')) {
      return parsed as SyncCursor;
    }
  } catch {
    // An unreadable cursor is no cursor: a full pass follows.
  }
  return null;
}

/** The parameters of one `events.list` call besides the calendar and the page. */
interface EventQuery {
  singleEvents: true;
  maxResults: number;
  showDeleted?: boolean;
  syncToken?: string;
  q?: string;
  privateExtendedProperty?: string[];
  orderBy?: 'startTime';
  timeMin?: string;
}

/** Every instance of every event, cancelled ones too: a booking's cancellation is what Recon looks for. */
const EVERY_EVENT = { singleEvents: true, showDeleted: true, maxResults: EVENTS_PAGE_SIZE } as const;

interface Derived {
  records: SystemRecord[];
  mode: RecordPage['mode'];
  cursor: string | null;
}

/**
 * Google Calendar as Recon's calendar: one record per person who booked, derived from every event
 * of one calendar (see mappers.ts). Recon never writes to Calendar.
 *
 * A person's status depends on all of their events, so it is always derived from all of them:
 * - A full pass reads every event (`singleEvents`, `showDeleted`, 2,500 per page) and keeps the
 *   sync token of its last page.
 * - An incremental pass asks for the events changed since that token (one call when nothing
 *   changed) and, when a confirmed booking was due to start since the last pass, for the events that
 *   started since (a status that changes with no event changing). The people those events name are
 *   then read again whole: one filtered read per email (`q`) or id (`privateExtendedProperty`),
 *   repeated for the emails and ids those reads reveal until the people are complete. When that
 *   would take more calls than reading the whole calendar, the whole calendar is read instead and
 *   only those people are yielded. Either way only those people are yielded: the pass stays
 *   incremental for the other side of the check.
 * - A sync token Google no longer honours (410 Gone) means a full pass. So does a changed event that
 *   cannot be told whose it was (a deleted event sent with only its id): everyone is yielded again.
 * An event whose attendee was replaced is seen for the new attendee only; the old one's status is
 * corrected by the next full pass (at the latest the daily one).
 */
export class GoogleCalendarConnector implements Connector {
  readonly system = 'google_calendar' as const;
  readonly objects = ['bookings'] as const;

  private readonly client: GoogleCalendarClient;
  private readonly limiter: RateLimiter;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly calendarId: string;
  private readonly crmSystem: SystemName;
  private readonly crmIdProperty: string;
  private readonly stripeIdProperty: string;
  /** Pages of the last full read this process made or learnt of from a cursor; sizes the targeted reads. */
  private fullReadPages: number | null = null;
  /** Each record's link (the deciding event's htmlLink), for messages: `recordUrl` is asked by id. */
  private readonly urls = new Map<string, string>();

  constructor(private readonly options: GoogleCalendarConnectorOptions) {
    if (!options.calendarId) throw new Error('google_calendar: a calendar id is required (GOOGLE_CALENDAR_ID)');
    this.client = options.client ?? createCalendarClient({ key: options.key, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs });
    this.limiter = options.limiter ?? (options.limiters ?? localLimiters)(
      { system: 'google_calendar', credential: options.key.client_email, name: 'calendar' },
      { ...(options.rateLimit ?? GOOGLE_CALENDAR_RATE_LIMIT), ...(options.limiterClock ? { clock: options.limiterClock } : {}) },
    );
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.calendarId = options.calendarId;
    this.crmSystem = options.crmSystem ?? 'hubspot';
    this.crmIdProperty = options.crmIdProperty ?? 'crm_id';
    this.stripeIdProperty = options.stripeIdProperty ?? 'stripe_customer_id';
  }

  apiCalls(): number {
    return this.client.requestCount();
  }

  recordUrl(object: string, id: string): string | null {
    return object === 'bookings' ? (this.urls.get(id) ?? null) : null;
  }

  async describe(object: string): Promise<ObjectDescription> {
    this.assertBookings(object);
    return describeBookings();
  }

  async *list(object: string, fields: string[], options: ListOptions = {}): AsyncGenerator<RecordPage> {
    this.assertBookings(object);
    this.warnUnknownFields(fields);
    const cursor = parseCursor(options.since);
    let derived: Derived | null = null;
    if (cursor) {
      this.fullReadPages ??= Math.max(1, Math.ceil(cursor.events / EVENTS_PAGE_SIZE));
      try {
        derived = await this.readChanged(cursor, fields, options);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 410)) throw error;
        this.logger.info({ reason: error.vendorCode }, 'google calendar sync token no longer valid (410): a full pass');
      }
    } else if (options.since) {
      this.logger.info({ cursor: options.since }, 'google calendar cursor unreadable: a full pass');
    }
    derived ??= await this.readEverything(fields, options);
    const pages = chunk(derived.records, RECORDS_PER_PAGE);
    if (pages.length === 0) pages.push([]);
    for (const records of pages) yield { records, mode: derived.mode, cursor: derived.cursor };
  }

  /**
   * The bookings of these people (record ids: a CRM id, a Stripe id or an email), each derived
   * from all of their events. People without any event are left out.
   */
  async read(object: string, ids: string[], fields: string[], options: CallOptions = {}): Promise<SystemRecord[]> {
    this.assertBookings(object);
    const wanted = new Set(ids);
    if (wanted.size === 0) return [];
    const now = this.now();
    const identities = new Set<string>();
    for (const id of wanted) {
      // A record id is an email, else a Stripe customer id (cus_...) when the person has no CRM id, else a CRM id.
      const email = id.includes('@') ? normaliseEmail(id) : null;
      identities.add(email !== null ? `email:${email}` : id.startsWith('cus_') ? `stripe:${id}` : `crm:${id}`);
    }
    const found = await this.eventsOfPeople(identities, this.options.maxTargetedReads ?? this.fullReadPages ?? DEFAULT_TARGETED_READS, [], options);
    const bookings = found ? this.bookingsFrom(found.values()).bookings : (await this.readAllEvents(options)).bookings;
    return groupPeople(bookings).filter((person) => wanted.has(person.key)).map((person) => this.record(person, fields, now));
  }

  /** Recon never writes to Google Calendar: every write is refused without a call. */
  async write(writes: FieldWrite[]): Promise<WriteOutcome[]> {
    return writes.map((write) => ({
      id: write.id, field: write.field, ok: false as const, retryable: false,
      error: `google_calendar: Recon never writes to Google Calendar; ${write.object}.${write.field} is read-only`,
    }));
  }

  /** `events.watch` on the bookings calendar: Google posts to `address` whenever an event changes. */
  async openChannel(request: { id: string; address: string; token: string; ttlSeconds: number }, options: CallOptions = {}): Promise<PushChannel> {
    const answer = (await this.call(
      () => this.client.calendar.events.watch({
        calendarId: this.calendarId,
        requestBody: { id: request.id, type: 'web_hook', address: request.address, token: request.token, params: { ttl: String(request.ttlSeconds) } },
      }),
      { priority: options.priority ?? 'interactive', retry: { maxAttempts: 3 } },
    )) as { id?: string; resourceId?: string; expiration?: string };
    if (!answer.resourceId || !answer.expiration) throw new Error(`Google Calendar events.watch answered without resourceId or expiration for channel ${request.id}`);
    return { id: answer.id ?? request.id, resourceId: answer.resourceId, expiresAt: Number(answer.expiration) };
  }

  /** `channels.stop`; a channel Google no longer knows (404) has stopped already. */
  async closeChannel(channel: Pick<PushChannel, 'id' | 'resourceId'>, options: CallOptions = {}): Promise<void> {
    try {
      await this.call(() => this.client.calendar.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }), { priority: options.priority ?? 'interactive', retry: { maxAttempts: 3 } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return;
      throw error;
    }
  }

  async health(options: CallOptions = {}): Promise<ConnectionHealth> {
    try {
      await this.call(() => this.client.calendar.events.list({ calendarId: this.calendarId, singleEvents: true, maxResults: 1 }), {
        priority: options.priority ?? 'interactive', retry: { maxAttempts: 1 },
      });
      return { system: 'google_calendar', ok: true, detail: `events of calendar ${this.calendarId} readable as ${this.options.key.client_email}` };
    } catch (error) {
      return { system: 'google_calendar', ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Every event, then every person. */
  private async readEverything(fields: string[], options: ListOptions): Promise<Derived> {
    const now = this.now();
    const read = await this.readAllEvents(options);
    const records = groupPeople(read.bookings).map((person) => this.record(person, fields, now));
    const cursor: SyncCursor | null = read.syncToken === null ? null : {
      v: 1, syncToken: read.syncToken, readAt: now, nextStartAt: nextStartAfter(read.bookings, now), events: read.events,
    };
    if (cursor === null) this.logger.warn('google calendar gave no sync token on its last page: the next pass reads everything again');
    return { records, mode: 'full', cursor: cursor && JSON.stringify(cursor) };
  }

  /** The people named by what changed since the cursor, each derived from all of their events. */
  private async readChanged(cursor: SyncCursor, fields: string[], options: ListOptions): Promise<Derived> {
    const now = this.now();
    const changed: GoogleEvent[] = [];
    let syncToken = cursor.syncToken;
    let fetched = 0;
    for await (const page of this.eventPages({ ...EVERY_EVENT, syncToken: cursor.syncToken }, options)) {
      changed.push(...page.events);
      if (page.nextSyncToken) syncToken = page.nextSyncToken;
      fetched += page.events.length;
      options.progress?.({ system: 'google_calendar', object: 'events', fetched });
    }
    let nextStartAt = cursor.nextStartAt;
    let started: GoogleEvent[] = [];
    if (nextStartAt !== null && nextStartAt <= now) ({ started, nextStartAt } = await this.startedBetween(cursor.readAt, now, options));

    const fromChanges = this.bookingsFrom([...changed, ...started]);
    if (fromChanges.unattributable.length > 0) {
      this.logger.info({ events: fromChanges.unattributable.slice(0, 5) }, 'google calendar sent a deleted event without its attendees: everyone is read again');
      return this.readEverything(fields, options);
    }
    const seeds = new Set(fromChanges.bookings.flatMap(identitiesOf));
    const carry = (events: number, next: number | null): string => JSON.stringify({ v: 1, syncToken, readAt: now, nextStartAt: next, events } satisfies SyncCursor);
    if (seeds.size === 0) return { records: [], mode: 'incremental', cursor: carry(cursor.events, nextStartAt) };

    const budget = this.options.maxTargetedReads ?? Math.max(1, Math.ceil(cursor.events / EVENTS_PAGE_SIZE));
    const found = await this.eventsOfPeople(seeds, budget, [...changed, ...started], options);
    let bookings: Booking[];
    let events = cursor.events;
    if (found) {
      bookings = this.bookingsFrom(found.values()).bookings;
      nextStartAt = min(nextStartAt, nextStartAfter(bookings, now));
    } else {
      const all = await this.readAllEvents(options);
      bookings = all.bookings;
      events = all.events;
      nextStartAt = nextStartAfter(bookings, now);
    }
    const touched = groupPeople(bookings).filter((person) => person.identities.some((identity) => seeds.has(identity)));
    // The sync token of the changes, not of a full read made since: what changed in between is read next time.
    return { records: touched.map((person) => this.record(person, fields, now)), mode: 'incremental', cursor: carry(events, nextStartAt) };
  }

  /**
   * Confirmed bookings that started after `since` and by `now` (their people's status changes by
   * itself), and the next one to start: events ending after `since`, by start time, read until one
   * starts after `now`.
   */
  private async startedBetween(since: number, now: number, options: CallOptions): Promise<{ started: GoogleEvent[]; nextStartAt: number | null }> {
    const started: GoogleEvent[] = [];
    const query: EventQuery = { singleEvents: true, orderBy: 'startTime', timeMin: new Date(since).toISOString(), maxResults: EVENTS_PAGE_SIZE };
    for await (const page of this.eventPages(query, options)) {
      for (const event of page.events) {
        const start = eventTime(event.start);
        if (start === null || start <= since) continue;
        if (start <= now) {
          started.push(event);
          continue;
        }
        const read = bookingsOf(event, this.context(now));
        if (read.kind === 'bookings' && read.bookings.some((booking) => booking.state === 'confirmed')) return { started, nextStartAt: start };
      }
    }
    return { started, nextStartAt: null };
  }

  /**
   * Every event of the people with these identities, found by filtered reads: `q` for an email,
   * `privateExtendedProperty` for an id; the emails and ids those events reveal are read too, until
   * each person found is complete. Null when that would take more than `budget` reads.
   */
  private async eventsOfPeople(seeds: ReadonlySet<string>, budget: number, known: readonly GoogleEvent[], options: CallOptions): Promise<Map<string, GoogleEvent> | null> {
    const events = new Map(known.map((event) => [event.id, event]));
    const queried = new Set<string>();
    let pending = [...seeds];
    let reads = 0;
    while (pending.length > 0) {
      if (reads + pending.length > budget) return null;
      for (const identity of pending) {
        queried.add(identity);
        for await (const page of this.eventPages(this.queryFor(identity), options)) {
          reads++;
          for (const event of page.events) events.set(event.id, event);
        }
      }
      const people = groupPeople(this.bookingsFrom(events.values()).bookings).filter((person) => person.identities.some((identity) => seeds.has(identity)));
      pending = [...new Set(people.flatMap((person) => person.identities))].filter((identity) => !queried.has(identity));
    }
    return events;
  }

  private queryFor(identity: string): EventQuery {
    const colon = identity.indexOf(':');
    const kind = identity.slice(0, colon);
    const value = identity.slice(colon + 1);
    if (kind === 'email') return { ...EVERY_EVENT, q: value };
    return { ...EVERY_EVENT, privateExtendedProperty: [`${kind === 'crm' ? this.crmIdProperty : this.stripeIdProperty}=${value}`] };
  }

  /** Every event of the calendar, reduced to bookings as the pages arrive. */
  private async readAllEvents(options: ListOptions): Promise<{ bookings: Booking[]; syncToken: string | null; events: number }> {
    const bookings: Booking[] = [];
    let syncToken: string | null = null;
    let events = 0;
    let pages = 0;
    for await (const page of this.eventPages(EVERY_EVENT, options)) {
      pages++;
      events += page.events.length;
      bookings.push(...this.bookingsFrom(page.events).bookings);
      if (page.nextSyncToken) syncToken = page.nextSyncToken;
      options.progress?.({ system: 'google_calendar', object: 'events', fetched: events });
    }
    this.fullReadPages = Math.max(1, pages);
    return { bookings, syncToken, events };
  }

  private bookingsFrom(events: Iterable<GoogleEvent>): { bookings: Booking[]; unattributable: string[] } {
    const context = this.context(this.now());
    const bookings: Booking[] = [];
    const unattributable: string[] = [];
    for (const event of events) {
      const read = bookingsOf(event, context);
      if (read.kind === 'bookings') bookings.push(...read.bookings);
      else unattributable.push(read.eventId);
    }
    return { bookings, unattributable };
  }

  /** The events of one `events.list` query, a page at a time, each page paced and retried. */
  private async *eventPages(query: EventQuery, options: CallOptions): AsyncGenerator<{ events: GoogleEvent[]; nextSyncToken: string | undefined }> {
    let pageToken: string | undefined;
    for (;;) {
      const raw = await this.call(
        () => this.client.calendar.events.list({ calendarId: this.calendarId, ...query, ...(pageToken ? { pageToken } : {}) }),
        { priority: options.priority },
      );
      const page = parseRaw('google_calendar', 'events page', googleEventsPageSchema, raw);
      yield { events: (page.items ?? []).map((item) => parseRaw('google_calendar', 'event', googleEventSchema, item)), nextSyncToken: page.nextSyncToken };
      if (!page.nextPageToken) return;
      pageToken = page.nextPageToken;
    }
  }

  /**
   * One `events.list` call, paced by the limiter and retried: rate limits (429, and 403
   * `rateLimitExceeded`) and server errors with backoff; a 401 once after a fresh token exchange
   * (a token revoked or issued by a server that restarted).
   */
  private call(send: () => Promise<{ data: unknown }>, options: { priority?: CallOptions['priority']; retry?: RetryOptions }): Promise<unknown> {
    const request = { system: 'google_calendar' as const, method: 'GET', path: `/calendar/v3/calendars/${encodeURIComponent(this.calendarId)}/events` };
    let reauthenticated = false;
    return withRetry(
      { ...request, mode: 'idempotent', limiter: this.limiter, priority: options.priority },
      async () => {
        try {
          return (await send()).data;
        } catch (error) {
          const mapped = toApiError(error, request, this.now());
          if (mapped instanceof ApiError && mapped.status === 401 && !reauthenticated) {
            reauthenticated = true;
            this.client.forgetToken();
            throw new ApiError({ ...request, kind: 'http', status: 401, vendorMessage: mapped.vendorMessage, vendorCode: mapped.vendorCode, vendorSaysRetry: true });
          }
          throw mapped;
        }
      },
      { logger: this.logger, now: this.now, ...this.options.retry, ...options.retry },
    );
  }

  private record(person: PersonBookings, fields: readonly string[], now: number): SystemRecord {
    const record = toBookingRecord(person, fields, this.context(now));
    if (record.url) this.urls.set(record.id, record.url);
    return record;
  }

  private context(now: number): BookingMapContext {
    return {
      calendarId: normaliseEmail(this.calendarId) ?? this.calendarId.trim().toLowerCase(),
      crmSystem: this.crmSystem, crmIdProperty: this.crmIdProperty, stripeIdProperty: this.stripeIdProperty, now,
    };
  }

  private assertBookings(object: string): void {
    if (object !== 'bookings') throw new Error(`google_calendar: unknown object "${object}"; Recon reads "bookings"`);
  }

  private warnUnknownFields(fields: readonly string[]): void {
    const known: readonly string[] = BOOKING_FIELDS;
    const unknown = fields.filter((field) => !known.includes(field));
    if (unknown.length > 0) this.logger.warn({ fields: unknown }, 'google calendar bookings have no such fields; they read as null');
  }
}

function min(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

export function createGoogleCalendarConnector(options: GoogleCalendarConnectorOptions): GoogleCalendarConnector {
  return new GoogleCalendarConnector(options);
}
