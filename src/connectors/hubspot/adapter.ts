import type {
  CallOptions, ConnectionHealth, Connector, FieldWrite, ListOptions, ObjectDescription, ReadOptions, RecordPage, WriteOutcome,
} from '../../domain/ports.ts';
import { normaliseEmail, type SystemRecord } from '../../domain/records.ts';
import { silentLogger, type Logger } from '../../log.ts';
import { chunk, mapConcurrent } from '../../util/concurrency.ts';
import { combineLimiters, type LimiterClock, type RateLimit, type RateLimiter } from '../../util/limiter.ts';
import { localLimiters, type LimiterFactory } from '../../util/shared-limiter.ts';
import { ApiError, type RetryOptions } from '../http/retry.ts';
import { parseRaw } from '../raw.ts';
import { HubSpotClient } from './client.ts';
import {
  associatedContactIds, batchUpdateOutcomes, DEFAULT_NUMBER_PROPERTIES, describeHubSpotObject, OBJECT_TYPE_IDS, parseTimestamp,
  toHubSpotRecord, toPropertyString, type HubSpotMapContext, type RecordOutcome,
} from './mappers.ts';
import {
  hubspotBatchResponseSchema, hubspotCollectionSchema, hubspotObjectSchema, hubspotPipelineSchema, hubspotPipelinesSchema,
  hubspotPropertiesSchema, hubspotPropertySchema, hubspotSearchResponseSchema, type HubSpotObject,
} from './schemas.ts';
import { HUBSPOT_RATE_LIMITS, HUBSPOT_SEARCH_RATE_LIMIT } from './declaration.ts';

export { HUBSPOT_RATE_LIMITS, HUBSPOT_SEARCH_RATE_LIMIT };

export interface HubSpotConnectorOptions {
  /** `HUBSPOT_ACCESS_TOKEN` (private app or OAuth access token). */
  accessToken: string;
  /** `HUBSPOT_API_URL`; default `https://api.hubapi.com`. */
  apiUrl?: string | undefined;
  /** HubSpot account id, for record URLs; without it `url` is null. */
  portalId?: string | number | null | undefined;
  /** Recon's own app id, as HubSpot reports it in `sourceId` of the property changes Recon made. */
  ownSourceId?: string | number | null | undefined;
  /** The deal (or contact) property holding the Stripe customer id. Default `stripe_customer_id`. */
  stripeIdProperty?: string | undefined;
  /** Properties read as numbers. Default: `amount` and HubSpot's other numeric deal amounts. */
  numberProperties?: readonly string[] | undefined;
  /** Default {@link HUBSPOT_RATE_LIMITS}.starter; use `.professional` on Professional and Enterprise. */
  rateLimit?: RateLimit | undefined;
  /** A limiter shared with other users of the same app; built from `rateLimit` when absent. */
  limiter?: RateLimiter | undefined;
  /** The search endpoints' own limit. Default {@link HUBSPOT_SEARCH_RATE_LIMIT}. */
  searchRateLimit?: RateLimit | undefined;
  limiterClock?: Partial<LimiterClock> | undefined;
  /** Makes this connector's rate limiters: in this process (default) or shared by the replicas on one Postgres. */
  limiters?: LimiterFactory | undefined;
  retry?: RetryOptions | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Batch reads in flight at once. Default 4; the limiter still paces them. */
  readConcurrency?: number | undefined;
  fetch?: typeof fetch | undefined;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
}

type ObjectType = 'deals' | 'contacts';
const OBJECT_TYPES: readonly string[] = ['deals', 'contacts'];
const SINGULAR: Record<ObjectType, string> = { deals: 'deal', contacts: 'contact' };
const MODIFIED_PROPERTY: Record<ObjectType, string> = { deals: 'hs_lastmodifieddate', contacts: 'lastmodifieddate' };
/** Largest page of the list endpoint and largest batch of batch/read and batch/update. */
const PAGE_SIZE = 100;
/** Largest page of the search endpoints. */
const SEARCH_PAGE_SIZE = 200;
/** The search endpoints answer at most this many results for one query; paging past it is a 400. */
export const SEARCH_RESULT_CAP = 10_000;
/** HubSpot refuses batch reads of more than 50 inputs when `propertiesWithHistory` is asked for. */
const HISTORY_BATCH_SIZE = 50;
/**
 * The search index trails writes by a few seconds: an incremental read's next cursor stays this far
 * behind the moment it started, so a record indexed late is read next time instead of never.
 */
const INDEX_LAG_MS = 60_000;
/** 400 categories that a batch gets for some of its inputs: split it and try the halves. */
const INPUT_ERROR_CATEGORIES = new Set(['VALIDATION_ERROR', 'INVALID_OPTION', 'PROPERTY_DOESNT_EXIST', 'READ_ONLY_VALUE']);

/** Where an incremental read resumes: records modified at `ts` (ms) or later, except those already read at `ts`. */
interface SearchCursor {
  ts: number;
  ids: string[];
}

function parseCursor(text: string | null | undefined): SearchCursor | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Partial<SearchCursor>;
    if (typeof parsed.ts === 'number' && Number.isFinite(parsed.ts) && Array.isArray(parsed.ids)) return { ts: parsed.ts, ids: parsed.ids.map(String) };
  } catch {
    // An unreadable cursor is no cursor: a full pass follows.
  }
  return null;
}

/**
 * HubSpot as Recon's CRM: deals and contacts over CRM v3.
 *
 * A full `list('deals')` pages through every deal and gives each the email of its first
 * associated contact that has one, read with one contact batch read per page of deals while the
 * next page is fetched. An incremental list searches on `hs_lastmodifieddate` (ascending), and
 * past the search's 10,000-result cap starts a new query at the last timestamp it read, so no
 * record is lost or read twice. Incremental records carry no email or associated contacts: they
 * are matched by link or shared id; email matching waits for a full pass.
 */
export class HubSpotConnector implements Connector {
  readonly system = 'hubspot' as const;
  readonly objects = ['deals', 'contacts'] as const;

  private readonly client: HubSpotClient;
  private readonly searchClient: HubSpotClient;
  private readonly logger: Logger;
  private readonly context: HubSpotMapContext;
  private readonly readConcurrency: number;
  private readonly now: () => number;

  constructor(options: HubSpotConnectorOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    const clock = options.limiterClock ? { clock: options.limiterClock } : {};
    const make = (name: string, limit: RateLimit) => (options.limiters ?? localLimiters)({ system: 'hubspot', credential: options.accessToken, name }, { ...limit, ...clock });
    const limiter = options.limiter ?? make('general', options.rateLimit ?? HUBSPOT_RATE_LIMITS.starter);
    const shared = {
      accessToken: options.accessToken, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs,
      retry: options.retry, fetch: options.fetch, logger: this.logger, now: options.now,
    };
    this.client = new HubSpotClient({ ...shared, limiter });
    // Search has a limit of its own on top of the app's; both count the same requests.
    this.searchClient = this.client.withLimiter(combineLimiters(make('search', options.searchRateLimit ?? HUBSPOT_SEARCH_RATE_LIMIT), limiter));
    this.context = {
      stripeIdProperty: options.stripeIdProperty ?? 'stripe_customer_id',
      numberProperties: new Set(options.numberProperties ?? DEFAULT_NUMBER_PROPERTIES),
      portalId: options.portalId != null ? String(options.portalId) : null,
      ownSourceId: options.ownSourceId != null ? String(options.ownSourceId) : null,
    };
    this.readConcurrency = options.readConcurrency ?? 4;
  }

  apiCalls(): number {
    return this.client.requestCount();
  }

  /** Requests by what they were for: list pages, search pages, batch reads, history reads, writes. */
  apiCallsByKind(): Record<string, number> {
    return this.client.requestsByKind();
  }

  /** The records those requests carried or brought, by the same kinds: search results, batch inputs. */
  apiItemsByKind(): Record<string, number> {
    return this.client.itemsByKind();
  }

  recordUrl(object: string, id: string): string | null {
    const typeId = OBJECT_TYPE_IDS[object];
    return this.context.portalId !== null && typeId ? `https://app.hubspot.com/contacts/${this.context.portalId}/record/${typeId}/${id}` : null;
  }

  async describe(object: string, options: CallOptions = {}): Promise<ObjectDescription> {
    const objectType = this.objectType(object);
    const priority = options.priority ?? 'interactive';
    const [properties, pipelines] = await Promise.all([
      this.client.request({ method: 'GET', path: `/crm/v3/properties/${objectType}`, schema: hubspotPropertiesSchema, kind: 'properties', priority }),
      objectType === 'deals'
        ? this.client.request({ method: 'GET', path: '/crm/v3/pipelines/deals', schema: hubspotPipelinesSchema, kind: 'pipelines', priority })
        : Promise.resolve(null),
    ]);
    return describeHubSpotObject(
      objectType,
      properties.body.results.map((raw) => parseRaw('hubspot', 'property', hubspotPropertySchema, raw)),
      (pipelines?.body.results ?? []).map((raw) => parseRaw('hubspot', 'pipeline', hubspotPipelineSchema, raw)),
    );
  }

  async *list(object: string, fields: string[], options: ListOptions = {}): AsyncGenerator<RecordPage> {
    const objectType = this.objectType(object);
    const since = parseCursor(options.since);
    if (since) yield* this.listChanged(objectType, fields, since, options);
    else yield* this.listEverything(objectType, fields, options);
  }

  async read(object: string, ids: string[], fields: string[], options: ReadOptions = {}): Promise<SystemRecord[]> {
    const objectType = this.objectType(object);
    if (options.withEmail && objectType === 'deals' && !options.withHistory) return this.readWithContacts([...new Set(ids)], fields, options);
    const historyFields = options.withHistory ? [...new Set(fields)] : [];
    const objects = await this.batchRead(objectType, [...new Set(ids)], this.propertiesFor(objectType, fields), historyFields, options, options.asListed ? 'counterpart reads' : undefined);
    const byId = new Map(objects.map((raw) => [raw.id, raw]));
    const records: SystemRecord[] = [];
    for (const id of new Set(ids)) {
      const raw = byId.get(id);
      if (raw) records.push(toHubSpotRecord(objectType, raw, fields, this.context));
    }
    return records;
  }

  /**
   * Groups writes by record into batch/update calls of at most 100 records; values are sent as
   * strings. HubSpot refuses a whole batch when one input is invalid (an unknown property, a stage
   * of another pipeline): such a batch is split in halves until every valid record is written and
   * each invalid one fails alone with HubSpot's message. One outcome per write, in order; never throws.
   */
  async write(writes: FieldWrite[], options: CallOptions = {}): Promise<WriteOutcome[]> {
    const outcomes = new Array<WriteOutcome>(writes.length);
    const byObject = new Map<ObjectType, Map<string, number[]>>();
    writes.forEach((write, index) => {
      if (!OBJECT_TYPES.includes(write.object)) {
        outcomes[index] = { id: write.id, field: write.field, ok: false, retryable: false, error: `hubspot: cannot write object "${write.object}"; Recon writes deals and contacts` };
        return;
      }
      const objectType = write.object as ObjectType;
      const records = byObject.get(objectType) ?? new Map<string, number[]>();
      byObject.set(objectType, records);
      const indexes = records.get(write.id) ?? [];
      records.set(write.id, indexes);
      indexes.push(index);
    });

    for (const [objectType, records] of byObject) {
      for (const batch of chunk([...records.entries()], PAGE_SIZE)) {
        const inputs = batch.map(([id, indexes]) => {
          const properties: Record<string, string> = {};
          for (const index of indexes) {
            const write = writes[index] as FieldWrite;
            properties[write.field] = toPropertyString(write.value);
          }
          return { id, properties };
        });
        const results = await this.updateSplitting(objectType, inputs, options);
        for (const [id, indexes] of batch) {
          const result = results.get(id) ?? { ok: false as const, error: `hubspot batch/update gave no answer for ${SINGULAR[objectType]} ${id}`, retryable: true };
          for (const index of indexes) {
            const write = writes[index] as FieldWrite;
            outcomes[index] = result.ok ? { id, field: write.field, ok: true } : { id, field: write.field, ...result };
          }
        }
      }
    }
    return outcomes;
  }

  /**
   * Deals (or contacts) by email, through the contacts that have it and the deals associated with
   * them; or those whose Stripe id property holds `ref`. By search, so a record changed in the last
   * seconds may not be found yet (the index trails writes): the slow loop catches it.
   */
  async lookup(object: string, by: { email: string } | { ref: { system: string; id: string } }, fields: string[], options: CallOptions = {}): Promise<SystemRecord[]> {
    const objectType = this.objectType(object);
    const properties = this.propertiesFor(objectType, fields);
    const found = async (filters: { propertyName: string; operator: 'EQ'; value: string }[], type: ObjectType = objectType, props = properties) =>
      (await this.search(type, { filterGroups: [{ filters }], sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }] }, props, undefined, options))
        .body.results.map((raw) => parseRaw('hubspot', SINGULAR[type], hubspotObjectSchema, raw));
    if ('ref' in by) {
      if (by.ref.system !== 'stripe') return [];
      return (await found([{ propertyName: this.context.stripeIdProperty, operator: 'EQ', value: by.ref.id }])).map((raw) => toHubSpotRecord(objectType, raw, fields, this.context));
    }
    const contacts = await found([{ propertyName: 'email', operator: 'EQ', value: by.email }], 'contacts', ['email']);
    if (objectType === 'contacts') return contacts.map((raw) => toHubSpotRecord('contacts', raw, fields, this.context));
    const records: SystemRecord[] = [];
    for (const contact of contacts) {
      for (const raw of await found([{ propertyName: 'associations.contact', operator: 'EQ', value: contact.id }])) {
        const record = toHubSpotRecord('deals', raw, fields, this.context);
        if (!records.some((r) => r.id === record.id)) records.push({ ...record, email: normaliseEmail(contact.properties.email), aliases: [contact.id] });
      }
    }
    return records;
  }

  async health(options: CallOptions = {}): Promise<ConnectionHealth> {
    try {
      await this.client.request({
        method: 'GET', path: '/crm/v3/objects/deals', query: { limit: '1' }, schema: hubspotCollectionSchema,
        kind: 'deals page', retry: { maxAttempts: 1 }, priority: options.priority ?? 'interactive',
      });
      return { system: 'hubspot', ok: true, detail: 'deals readable' };
    } catch (error) {
      return { system: 'hubspot', ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Every record of the object, a page at a time; deals with their contacts' emails. */
  private async *listEverything(objectType: ObjectType, fields: string[], options: ListOptions): AsyncGenerator<RecordPage> {
    // Changes made while the pass runs are read again by the next incremental pass.
    const cursor = JSON.stringify({ ts: this.now() - INDEX_LAG_MS, ids: [] } satisfies SearchCursor);
    const properties = this.propertiesFor(objectType, fields);
    const withContacts = objectType === 'deals';
    let fetched = 0;
    let contactsRead = 0;
    let pending: Promise<RecordPage> | null = null;
    let any = false;
    for await (const page of this.pages(objectType, properties, withContacts, options)) {
      // The contacts of this page are read while the next page is fetched.
      const emails = withContacts ? this.contactEmails(page, options).then((found) => {
        contactsRead += found.size;
        options.progress?.({ system: 'hubspot', object: 'contacts', fetched: contactsRead });
        return found;
      }) : Promise.resolve(new Map<string, string | null>());
      const ready = emails.then((found) => ({
        records: page.map((raw) => toHubSpotRecord(objectType, raw, fields, this.context, found)),
        mode: 'full' as const,
        cursor,
      }));
      ready.catch(() => undefined); // awaited below; a failure surfaces there
      if (pending) {
        any = true;
        yield await pending;
      }
      pending = ready;
      fetched += page.length;
      options.progress?.({ system: 'hubspot', object: objectType, fetched });
    }
    if (pending) yield await pending;
    else if (!any) yield { records: [], mode: 'full', cursor };
  }

  /** Deals one by one with their associated contacts (batch reads cannot give those), then the contacts' emails. */
  private async readWithContacts(ids: string[], fields: string[], options: CallOptions): Promise<SystemRecord[]> {
    const properties = this.propertiesFor('deals', fields);
    const deals = (await mapConcurrent(ids, this.readConcurrency, async (id) => {
      try {
        const { body } = await this.client.request({
          method: 'GET', path: `/crm/v3/objects/deals/${encodeURIComponent(id)}`, query: { properties: properties.join(','), associations: 'contacts' },
          schema: hubspotObjectSchema, kind: 'deal', priority: options.priority,
        });
        return body;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    })).filter((deal): deal is HubSpotObject => deal !== null);
    const emails = await this.contactEmails(deals, options);
    return deals.map((deal) => toHubSpotRecord('deals', deal, fields, this.context, emails));
  }

  /** The emails of the contacts associated with a page of deals, by contact id: one batch read per 100 contacts. */
  private async contactEmails(page: HubSpotObject[], options: CallOptions): Promise<Map<string, string | null>> {
    const ids = [...new Set(page.flatMap((deal) => associatedContactIds(deal)))];
    const emails = new Map<string, string | null>();
    if (ids.length === 0) return emails;
    for (const contact of await this.batchRead('contacts', ids, ['email'], [], options)) emails.set(contact.id, contact.properties.email ?? null);
    return emails;
  }

  /**
   * Records modified since the cursor, by search on the last-modified property, ascending. A query
   * answers at most 10,000 results: past that a new query starts at the last timestamp read,
   * skipping the ids already read at it; when more than 10,000 records share one timestamp, those
   * are read by ascending id.
   */
  private async *listChanged(objectType: ObjectType, fields: string[], since: SearchCursor, options: ListOptions): AsyncGenerator<RecordPage> {
    const startedAt = this.now();
    const modified = MODIFIED_PROPERTY[objectType];
    const properties = this.propertiesFor(objectType, fields);
    const seen = new Set<string>();
    // The records read at the cursor's own timestamp last time.
    const skip = new Set(since.ids);
    let lower = since.ts;
    let newest: SearchCursor = { ts: since.ts, ids: [...since.ids] };
    let fetched = 0;
    const pageOf = (results: HubSpotObject[]): SystemRecord[] => {
      const records: SystemRecord[] = [];
      for (const raw of results) {
        const ts = parseTimestamp(raw.properties[modified]) ?? lower;
        if ((ts === since.ts && skip.has(raw.id)) || seen.has(raw.id)) continue;
        seen.add(raw.id);
        records.push(toHubSpotRecord(objectType, raw, fields, this.context));
        if (ts > newest.ts) newest = { ts, ids: [raw.id] };
        else if (ts === newest.ts) newest.ids.push(raw.id);
      }
      fetched += records.length;
      options.progress?.({ system: 'hubspot', object: objectType, fetched });
      return records;
    };
    const cursorNow = () => {
      // Never ahead of what the search index has surely caught up with.
      const lagged = startedAt - INDEX_LAG_MS;
      return JSON.stringify(newest.ts <= lagged ? newest : ({ ts: Math.max(since.ts, lagged), ids: [] } satisfies SearchCursor));
    };
    for (;;) {
      let after: string | undefined;
      let lastTs = lower;
      let complete = false;
      for (let offset = 0; offset + SEARCH_PAGE_SIZE <= SEARCH_RESULT_CAP; offset += SEARCH_PAGE_SIZE) {
        const { body } = await this.search(objectType, {
          filterGroups: [{ filters: [{ propertyName: modified, operator: 'GTE', value: String(lower) }] }],
          sorts: [{ propertyName: modified, direction: 'ASCENDING' }],
        }, properties, after, options);
        const results = body.results.map((raw) => parseRaw('hubspot', SINGULAR[objectType], hubspotObjectSchema, raw));
        for (const raw of results) lastTs = parseTimestamp(raw.properties[modified]) ?? lastTs;
        const records = pageOf(results);
        if (records.length > 0) yield { records, mode: 'incremental', cursor: cursorNow() };
        after = body.paging?.next?.after;
        if (!after) {
          complete = true;
          break;
        }
      }
      if (complete) break;
      if (lastTs === lower) {
        // One timestamp holds more than a query can page through: read all of it by ascending id
        // (HubSpot orders ties as it likes, so from the first id; those read already are skipped), then go past it.
        yield* this.drainTimestamp(objectType, properties, lower, '0', pageOf, cursorNow, options);
        lower += 1;
      } else {
        // Records already read at `lastTs` come again and are skipped as seen.
        lower = lastTs;
      }
    }
    if (fetched === 0) yield { records: [], mode: 'incremental', cursor: cursorNow() };
  }

  /** Every record modified exactly at `ts` with an id above `afterId`, by ascending id, past the result cap. */
  private async *drainTimestamp(
    objectType: ObjectType, properties: string[], ts: number, afterId: string,
    pageOf: (results: HubSpotObject[]) => SystemRecord[], cursor: () => string, options: CallOptions,
  ): AsyncGenerator<RecordPage> {
    const modified = MODIFIED_PROPERTY[objectType];
    let lastId = afterId;
    for (;;) {
      // Fixed for one query (its pages are offsets into it); moved on only when a new query starts.
      const fromId = lastId;
      let after: string | undefined;
      let done = false;
      for (let offset = 0; offset + SEARCH_PAGE_SIZE <= SEARCH_RESULT_CAP; offset += SEARCH_PAGE_SIZE) {
        const { body } = await this.search(objectType, {
          filterGroups: [{ filters: [
            { propertyName: modified, operator: 'EQ', value: String(ts) },
            { propertyName: 'hs_object_id', operator: 'GT', value: fromId },
          ] }],
          sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
        }, properties, after, options);
        const results = body.results.map((raw) => parseRaw('hubspot', SINGULAR[objectType], hubspotObjectSchema, raw));
        const records = pageOf(results);
        if (records.length > 0) yield { records, mode: 'incremental', cursor: cursor() };
        if (results.length > 0) lastId = (results.at(-1) as HubSpotObject).id;
        after = body.paging?.next?.after;
        if (!after) {
          done = true;
          break;
        }
      }
      if (done) return;
    }
  }

  private search(
    objectType: ObjectType,
    query: { filterGroups: unknown[]; sorts: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[] },
    properties: string[],
    after: string | undefined,
    options: CallOptions,
  ) {
    return this.searchClient.request({
      method: 'POST', path: `/crm/v3/objects/${objectType}/search`,
      body: { ...query, properties, limit: SEARCH_PAGE_SIZE, ...(after ? { after } : {}) },
      schema: hubspotSearchResponseSchema, kind: `${objectType} search answer`, counted: `${objectType} search pages`, items: (body) => body.results.length, priority: options.priority,
    });
  }

  /**
   * One batch/update call; per record id, ok or the error. A 400 for some of its inputs splits
   * the batch in halves and sends each, until a single record's own refusal is known.
   */
  private async updateSplitting(
    objectType: ObjectType,
    inputs: { id: string; properties: Record<string, string> }[],
    options: CallOptions,
  ): Promise<Map<string, RecordOutcome>> {
    const attempt = await this.updateBatch(objectType, inputs, options);
    if (attempt.kind === 'answered') return attempt.outcomes;
    if (attempt.kind === 'input_refused' && inputs.length > 1) {
      const middle = Math.ceil(inputs.length / 2);
      const [left, right] = [inputs.slice(0, middle), inputs.slice(middle)];
      this.logger.warn({ objectType, records: inputs.length }, 'hubspot refused a batch for some of its records; splitting it to write the others');
      return new Map([...(await this.updateSplitting(objectType, left, options)), ...(await this.updateSplitting(objectType, right, options))]);
    }
    return new Map(inputs.map((input) => [input.id, attempt.failed]));
  }

  private async updateBatch(
    objectType: ObjectType,
    inputs: { id: string; properties: Record<string, string> }[],
    options: CallOptions,
  ): Promise<{ kind: 'answered'; outcomes: Map<string, RecordOutcome> } | { kind: 'input_refused' | 'failed'; failed: RecordOutcome & { ok: false } }> {
    try {
      const { body } = await this.client.request({
        method: 'POST', path: `/crm/v3/objects/${objectType}/batch/update`, body: { inputs },
        schema: hubspotBatchResponseSchema, kind: 'batch update answer', counted: `${objectType} writes`, items: inputs.length,
        // A 429 is guaranteed not applied; a 5xx or a timeout may have been, so the engine decides.
        mode: 'rate-limited-only', priority: options.priority,
      });
      return { kind: 'answered', outcomes: batchUpdateOutcomes(inputs.map((input) => input.id), body.results, body.errors ?? []) };
    } catch (error) {
      if (error instanceof ApiError) {
        const failed = { ok: false as const, error: error.message, retryable: error.retryable };
        const byInput = error.status === 400 && INPUT_ERROR_CATEGORIES.has(error.vendorCode ?? '');
        return { kind: byInput ? 'input_refused' : 'failed', failed };
      }
      return {
        kind: 'failed',
        failed: { ok: false, error: `hubspot POST /crm/v3/objects/${objectType}/batch/update: ${error instanceof Error ? error.message : String(error)}`, retryable: false },
      };
    }
  }

  /** Every object of a list endpoint, a page (100) at a time. */
  private async *pages(objectType: ObjectType, properties: string[], withContacts: boolean, options: CallOptions): AsyncGenerator<HubSpotObject[]> {
    let after: string | undefined;
    for (;;) {
      const { body } = await this.client.request({
        method: 'GET',
        path: `/crm/v3/objects/${objectType}`,
        query: {
          limit: String(PAGE_SIZE),
          properties: properties.join(','),
          ...(withContacts ? { associations: 'contacts' } : {}),
          after,
        },
        schema: hubspotCollectionSchema,
        kind: `${objectType} page`,
        counted: `${objectType} list pages`,
        priority: options.priority,
      });
      yield body.results.map((raw) => parseRaw('hubspot', SINGULAR[objectType], hubspotObjectSchema, raw));
      after = body.paging?.next?.after;
      if (!after) return;
    }
  }

  /** batch/read in chunks (100, or 50 with history); ids HubSpot does not know are left out. */
  private async batchRead(objectType: ObjectType, ids: string[], properties: string[], historyFields: string[], options: CallOptions, purpose?: string): Promise<HubSpotObject[]> {
    const size = historyFields.length > 0 ? HISTORY_BATCH_SIZE : PAGE_SIZE;
    const answers = await mapConcurrent(chunk(ids, size), this.readConcurrency, async (inputs) => {
      const { body } = await this.client.request({
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/batch/read`,
        // propertiesWithHistory is required by the spec, even when empty.
        body: { inputs: inputs.map((id) => ({ id })), properties, propertiesWithHistory: historyFields },
        schema: hubspotBatchResponseSchema,
        kind: 'batch read answer',
        counted: `${objectType} ${historyFields.length > 0 ? 'history reads' : purpose ?? 'batch reads'}`, items: inputs.length,
        priority: options.priority,
      });
      for (const error of body.errors ?? []) {
        if (error.category !== 'OBJECT_NOT_FOUND') {
          this.logger.warn({ objectType, category: error.category, ids: error.context?.ids }, `hubspot batch read left records out: ${error.message}`);
        }
      }
      return body.results.map((raw) => parseRaw('hubspot', SINGULAR[objectType], hubspotObjectSchema, raw));
    });
    return answers.flat();
  }

  private propertiesFor(objectType: ObjectType, fields: readonly string[]): string[] {
    const extra = objectType === 'contacts' ? ['email'] : [];
    return [...new Set([...fields, this.context.stripeIdProperty, MODIFIED_PROPERTY[objectType], ...extra])];
  }

  private objectType(object: string): ObjectType {
    if (!OBJECT_TYPES.includes(object)) throw new Error(`hubspot: unknown object "${object}"; Recon reads "deals" and "contacts"`);
    return object as ObjectType;
  }
}

export function createHubSpotConnector(options: HubSpotConnectorOptions): HubSpotConnector {
  return new HubSpotConnector(options);
}
