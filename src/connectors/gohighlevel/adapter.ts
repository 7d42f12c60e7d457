import type {
  CallOptions, ConnectionHealth, Connector, FieldWrite, ListOptions, ObjectDescription, ReadOptions, RecordPage, WriteOutcome,
} from '../../domain/ports.ts';
import type { SystemRecord } from '../../domain/records.ts';
import { silentLogger, type Logger } from '../../log.ts';
import { mapConcurrent } from '../../util/concurrency.ts';
import type { LimiterClock, RateLimit } from '../../util/limiter.ts';
import { localLimiters, type LimiterFactory } from '../../util/shared-limiter.ts';
import { ApiError, type RetryOptions } from '../http/retry.ts';
import { parseRaw } from '../raw.ts';
import { GoHighLevelClient } from './client.ts';
import {
  contactBodyPart, contactUrl, describeContacts, describeOpportunities, opportunityBodyPart, opportunityUrl, parseTimestamp,
  statusBody, toContactRecord, toOpportunityRecord, type GhlMapContext,
} from './mappers.ts';
import {
  ghlContactAnswerSchema, ghlContactSchema, ghlContactsPageSchema, ghlOpportunityAnswerSchema, ghlOpportunitySchema,
  ghlOpportunitySearchSchema, ghlPipelineSchema, ghlPipelinesSchema, ghlSucceededSchema, type GhlSearchMeta,
} from './schemas.ts';
import { GHL_RATE_LIMITS } from './declaration.ts';
export { GHL_RATE_LIMITS };

export interface GoHighLevelConnectorOptions {
  /** `GHL_ACCESS_TOKEN`: a Private Integration token of the sub-account (or an OAuth access token). */
  accessToken: string;
  /** `GHL_LOCATION_ID`: the sub-account every request is about. */
  locationId: string;
  /** `GHL_API_URL`; default `https://services.leadconnectorhq.com`. */
  apiUrl?: string | undefined;
  /** Base of record links; default `https://app.gohighlevel.com` (white-label domains differ). */
  appUrl?: string | undefined;
  /** The id of the opportunity (or contact) custom field holding the Stripe customer id. */
  stripeIdField?: string | null | undefined;
  /** Default {@link GHL_RATE_LIMITS}.burst and `.daily`. */
  rateLimit?: RateLimit | undefined;
  dailyLimit?: RateLimit | undefined;
  limiterClock?: Partial<LimiterClock> | undefined;
  /** Makes this connector's rate limiters: in this process (default) or shared by the replicas on one Postgres. */
  limiters?: LimiterFactory | undefined;
  retry?: RetryOptions | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Single-record reads and writes in flight at once. Default 4; the limiters still pace them. */
  concurrency?: number | undefined;
  fetch?: typeof fetch | undefined;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
}

type ObjectType = 'opportunities' | 'contacts';
const OBJECT_TYPES: readonly string[] = ['opportunities', 'contacts'];
/** The largest page both list endpoints allow ("maximum up to 100"). */
const PAGE_SIZE = 100;

type RecordOutcome = { ok: true } | { ok: false; error: string; retryable: boolean };

/** A read of an id GoHighLevel does not know: 404, or the 400 "... not found" the API answers for a stale id. */
function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || (error.status === 400 && /not found/i.test(error.vendorMessage)));
}

/**
 * GoHighLevel as Recon's CRM: opportunities (with their contacts' emails) and contacts.
 *
 * Lists are always full passes. The documented search (`GET /opportunities/search`) filters by
 * creation date only (`date`, `endDate`) and orders by when records were added; POST search's
 * filters and sorts are not in the published spec. Nothing lists records by update time, so
 * an incremental read could miss changes: every list is `mode: 'full'` with no cursor.
 */
export class GoHighLevelConnector implements Connector {
  readonly system = 'gohighlevel' as const;
  readonly objects = ['opportunities', 'contacts'] as const;
  /** GoHighLevel says only when a record last changed, not who changed which field: a person's edit is inferred. */
  readonly fieldHistory = 'record' as const;

  private readonly client: GoHighLevelClient;
  private readonly context: GhlMapContext;
  private readonly concurrency: number;
  private readonly logger: Logger;

  constructor(options: GoHighLevelConnectorOptions) {
    if (!options.locationId) throw new Error('gohighlevel: a location id is required (GHL_LOCATION_ID)');
    this.logger = options.logger ?? silentLogger;
    const clock = options.limiterClock ? { clock: options.limiterClock } : {};
    const make = (name: string, limit: RateLimit) => (options.limiters ?? localLimiters)({ system: 'gohighlevel', credential: `${options.locationId}:${options.accessToken}`, name }, { ...limit, ...clock });
    this.client = new GoHighLevelClient({
      accessToken: options.accessToken, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs, retry: options.retry,
      fetch: options.fetch, logger: this.logger, now: options.now,
      limiters: {
        burst: make('burst', options.rateLimit ?? GHL_RATE_LIMITS.burst),
        daily: make('daily', options.dailyLimit ?? GHL_RATE_LIMITS.daily),
      },
    });
    this.context = {
      locationId: options.locationId,
      stripeIdField: options.stripeIdField ?? null,
      appUrl: (options.appUrl ?? 'https://app.gohighlevel.com').replace(/\/+$/, ''),
    };
    this.concurrency = options.concurrency ?? 4;
  }

  apiCalls(): number {
    return this.client.requestCount();
  }

  recordUrl(object: string, id: string): string | null {
    if (object === 'opportunities') return opportunityUrl(this.context, id);
    if (object === 'contacts') return contactUrl(this.context, id);
    return null;
  }

  async describe(object: string, options: CallOptions = {}): Promise<ObjectDescription> {
    if (this.objectType(object) === 'contacts') return describeContacts();
    return describeOpportunities(await this.pipelines(options.priority ?? 'interactive'));
  }

  async *list(object: string, fields: string[], options: ListOptions = {}): AsyncGenerator<RecordPage> {
    const objectType = this.objectType(object);
    let fetched = 0;
    let any = false;
    for await (const page of objectType === 'opportunities' ? this.opportunityPages(options) : this.contactPages(options)) {
      fetched += page.length;
      options.progress?.({ system: 'gohighlevel', object: objectType, fetched });
      any = true;
      yield { records: page.map((raw) => this.toRecord(objectType, raw, fields)), mode: 'full', cursor: null };
    }
    if (!any) yield { records: [], mode: 'full', cursor: null };
  }

  /** One `GET /opportunities/{id}` (or `/contacts/{id}`) per id, a few at a time: the API has no batch read. */
  async read(object: string, ids: string[], fields: string[], options: ReadOptions = {}): Promise<SystemRecord[]> {
    const objectType = this.objectType(object);
    const found = await mapConcurrent([...new Set(ids)], this.concurrency, async (id) => {
      try {
        if (objectType === 'opportunities') {
          const body = await this.client.request({
            method: 'GET', path: `/opportunities/${encodeURIComponent(id)}`, schema: ghlOpportunityAnswerSchema, kind: 'opportunity answer', priority: options.priority,
          });
          return this.toRecord(objectType, body.opportunity, fields);
        }
        const body = await this.client.request({
          method: 'GET', path: `/contacts/${encodeURIComponent(id)}`, schema: ghlContactAnswerSchema, kind: 'contact answer', priority: options.priority,
        });
        return this.toRecord(objectType, body.contact, fields);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
    return found.filter((record): record is SystemRecord => record !== null);
  }

  /**
   * One `PUT /opportunities/{id}` (or `/contacts/{id}`) per record with every field written to it,
   * and `PUT /opportunities/{id}/status` for a status. A write GoHighLevel refuses fails alone,
   * with its message. One outcome per write, in order; never throws.
   */
  async write(writes: FieldWrite[], options: CallOptions = {}): Promise<WriteOutcome[]> {
    const outcomes = new Array<WriteOutcome>(writes.length);
    const records = new Map<string, { objectType: ObjectType; id: string; indexes: number[] }>();
    writes.forEach((write, index) => {
      if (!OBJECT_TYPES.includes(write.object)) {
        outcomes[index] = { id: write.id, field: write.field, ok: false, retryable: false, error: `gohighlevel: cannot write object "${write.object}"; Recon writes opportunities and contacts` };
        return;
      }
      const key = `${write.object}\u0000${write.id}`;
      const record = records.get(key) ?? { objectType: write.object as ObjectType, id: write.id, indexes: [] };
      records.set(key, record);
      record.indexes.push(index);
    });
    const settle = (indexes: number[], result: RecordOutcome) => {
      for (const index of indexes) {
        const write = writes[index] as FieldWrite;
        outcomes[index] = result.ok ? { id: write.id, field: write.field, ok: true } : { id: write.id, field: write.field, ...result };
      }
    };

    await mapConcurrent([...records.values()], this.concurrency, async ({ objectType, id, indexes }) => {
      const body: Record<string, unknown> = {};
      const inBody: number[] = [];
      const statuses: number[] = [];
      for (const index of indexes) {
        const write = writes[index] as FieldWrite;
        if (objectType === 'opportunities' && write.field === 'status') {
          statuses.push(index);
          continue;
        }
        const part = objectType === 'opportunities' ? opportunityBodyPart(write.field, write.value) : contactBodyPart(write.field, write.value);
        if (!part.ok) settle([index], { ok: false, error: part.error, retryable: false });
        else {
          part.apply(body);
          inBody.push(index);
        }
      }
      const path = `/${objectType}/${encodeURIComponent(id)}`;
      if (inBody.length > 0) settle(inBody, await this.put(path, body, objectType === 'opportunities' ? ghlOpportunityAnswerSchema : ghlContactAnswerSchema, options));
      for (const index of statuses) {
        const status = statusBody((writes[index] as FieldWrite).value);
        settle([index], status.ok ? await this.put(`${path}/status`, status.body, ghlSucceededSchema, options) : { ok: false, error: status.error, retryable: false });
      }
    });
    return outcomes;
  }

  async health(options: CallOptions = {}): Promise<ConnectionHealth> {
    try {
      const pipelines = await this.pipelines(options.priority ?? 'interactive', { maxAttempts: 1 });
      return { system: 'gohighlevel', ok: true, detail: `location ${this.context.locationId} readable (${pipelines.length} pipelines)` };
    } catch (error) {
      return { system: 'gohighlevel', ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private async pipelines(priority: CallOptions['priority'], retry?: RetryOptions) {
    const body = await this.client.request({
      method: 'GET', path: '/opportunities/pipelines', query: { locationId: this.context.locationId },
      schema: ghlPipelinesSchema, kind: 'pipelines answer', priority, ...(retry ? { retry } : {}),
    });
    return body.pipelines.map((raw) => parseRaw('gohighlevel', 'pipeline', ghlPipelineSchema, raw));
  }

  /** Writes are retried only after a 429 (not applied); after a 5xx or a timeout the caller re-reads first. */
  private async put(path: string, body: unknown, schema: typeof ghlSucceededSchema | typeof ghlOpportunityAnswerSchema | typeof ghlContactAnswerSchema, options: CallOptions): Promise<RecordOutcome> {
    try {
      await this.client.request({ method: 'PUT', path, body, schema, kind: 'update answer', mode: 'rate-limited-only', priority: options.priority });
      return { ok: true };
    } catch (error) {
      if (error instanceof ApiError) return { ok: false, error: error.message, retryable: error.retryable };
      return { ok: false, error: `gohighlevel PUT ${path}: ${error instanceof Error ? error.message : String(error)}`, retryable: false };
    }
  }

  /**
   * Every opportunity of the location, 100 per page, oldest first: keyset paging by
   * `startAfter`/`startAfterId` from each answer's meta, so records added meanwhile land at the end.
   */
  private async *opportunityPages(options: CallOptions): AsyncGenerator<unknown[]> {
    let after: { startAfter: number; startAfterId: string } | null = null;
    for (;;) {
      const body = await this.client.request({
        method: 'GET', path: '/opportunities/search',
        query: {
          location_id: this.context.locationId, status: 'all', order: 'added_asc', limit: String(PAGE_SIZE),
          ...(after ? { startAfter: String(after.startAfter), startAfterId: after.startAfterId } : {}),
        },
        schema: ghlOpportunitySearchSchema, kind: 'opportunities search answer', priority: options.priority,
      });
      yield body.opportunities;
      after = this.nextPage(body.opportunities.length, body.meta ?? null, after, null);
      if (!after) return;
    }
  }

  /**
   * Every contact of the location, 100 per page, by `GET /contacts/`. GoHighLevel marks it
   * deprecated for POST /contacts/search, whose request body the published spec leaves undocumented.
   */
  private async *contactPages(options: CallOptions): AsyncGenerator<unknown[]> {
    let after: { startAfter: number; startAfterId: string } | null = null;
    for (;;) {
      const body = await this.client.request({
        method: 'GET', path: '/contacts/',
        query: {
          locationId: this.context.locationId, limit: String(PAGE_SIZE),
          ...(after ? { startAfter: String(after.startAfter), startAfterId: after.startAfterId } : {}),
        },
        schema: ghlContactsPageSchema, kind: 'contacts page', priority: options.priority,
      });
      yield body.contacts;
      // Without meta, the next page starts after the last contact (the list is ordered by date added).
      const last = body.contacts.at(-1) as { id?: unknown; dateAdded?: unknown } | undefined;
      const fallback = typeof last?.id === 'string' && typeof last.dateAdded === 'string' && parseTimestamp(last.dateAdded) !== null
        ? { startAfter: parseTimestamp(last.dateAdded) as number, startAfterId: last.id } : null;
      after = this.nextPage(body.contacts.length, body.meta ?? null, after, fallback);
      if (!after) return;
    }
  }

  /** Where the next page starts, or null after the last one. */
  private nextPage(
    size: number, meta: GhlSearchMeta | null, previous: { startAfter: number; startAfterId: string } | null,
    fallback: { startAfter: number; startAfterId: string } | null,
  ): { startAfter: number; startAfterId: string } | null {
    if (size < PAGE_SIZE || meta?.nextPage === null) return null;
    const next = meta?.startAfterId && meta.startAfter != null ? { startAfter: meta.startAfter, startAfterId: meta.startAfterId } : meta ? null : fallback;
    if (!next) return null;
    if (previous && next.startAfter === previous.startAfter && next.startAfterId === previous.startAfterId) {
      // Asking again would loop forever; a full pass that cannot finish must not pass for complete.
      throw new Error(`gohighlevel: paging did not advance past ${next.startAfterId}; the list cannot be read to the end`);
    }
    return next;
  }

  private toRecord(objectType: ObjectType, raw: unknown, fields: readonly string[]): SystemRecord {
    return objectType === 'opportunities'
      ? toOpportunityRecord(parseRaw('gohighlevel', 'opportunity', ghlOpportunitySchema, raw), fields, this.context)
      : toContactRecord(parseRaw('gohighlevel', 'contact', ghlContactSchema, raw), fields, this.context);
  }

  private objectType(object: string): ObjectType {
    if (!OBJECT_TYPES.includes(object)) throw new Error(`gohighlevel: unknown object "${object}"; Recon reads "opportunities" and "contacts"`);
    return object as ObjectType;
  }
}

export function createGoHighLevelConnector(options: GoHighLevelConnectorOptions): GoHighLevelConnector {
  return new GoHighLevelConnector(options);
}
