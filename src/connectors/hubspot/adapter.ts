import type { SystemRecord } from '../../domain/records.ts';
import { silentLogger, type Logger } from '../../log.ts';
import type {
  ConnectionHealth, CrmConnector, FieldWrite, PageProgress, ReadOptions, Vocabulary, WriteOutcome,
} from '../ports.ts';
import { chunk, mapConcurrent } from '../http/concurrency.ts';
import { createRateLimiter, type LimiterClock, type RateLimit, type RateLimiter } from '../http/limiter.ts';
import { ApiError, type RetryOptions } from '../http/retry.ts';
import { parseRaw } from '../raw.ts';
import { HubSpotClient } from './client.ts';
import {
  associatedContactIds, batchUpdateOutcomes, DEFAULT_NUMBER_PROPERTIES, pipelinesVocabulary, stagesVocabulary, toHubSpotRecord, toPropertyString,
  type HubSpotMapContext, type RecordOutcome,
} from './mappers.ts';
import {
  hubspotBatchResponseSchema, hubspotCollectionSchema, hubspotObjectSchema, hubspotPipelineSchema, hubspotPipelinesSchema,
  type HubSpotObject,
} from './schemas.ts';

/** HubSpot's documented burst limits per private app: 100 requests per 10 s, 150 on Professional and Enterprise. */
export const HUBSPOT_RATE_LIMITS = {
  starter: { requests: 100, perMs: 10_000 },
  professional: { requests: 150, perMs: 10_000 },
} as const satisfies Record<string, RateLimit>;

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
  limiterClock?: Partial<LimiterClock> | undefined;
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
/** HubSpot refuses batch reads of more than 50 inputs when `propertiesWithHistory` is asked for. */
const HISTORY_BATCH_SIZE = 50;

/**
 * HubSpot as Recon's CRM: deals and contacts over CRM v3.
 *
 * `list('deals')` gives each deal the email of its first associated contact that has one, read with
 * contact batch reads of just the associated contacts (never more calls than listing every contact).
 * `read` uses batch/read, which cannot return associations: its records carry `email: null` and no
 * `aliases` for deals; match on `list` records, use `read` for current values and history.
 */
export class HubSpotConnector implements CrmConnector {
  readonly system = 'hubspot' as const;
  readonly role = 'crm' as const;

  private readonly client: HubSpotClient;
  private readonly logger: Logger;
  private readonly context: HubSpotMapContext;
  private readonly readConcurrency: number;

  constructor(options: HubSpotConnectorOptions) {
    this.logger = options.logger ?? silentLogger;
    const limiter = options.limiter ?? createRateLimiter({
      ...(options.rateLimit ?? HUBSPOT_RATE_LIMITS.starter),
      ...(options.limiterClock ? { clock: options.limiterClock } : {}),
    });
    this.client = new HubSpotClient({
      accessToken: options.accessToken, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs, limiter,
      retry: options.retry, fetch: options.fetch, logger: this.logger, now: options.now,
    });
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

  async list(object: string, fields: string[], progress?: PageProgress): Promise<SystemRecord[]> {
    const objectType = this.objectType(object);
    const properties = this.propertiesFor(objectType, fields);
    if (objectType === 'contacts') {
      const contacts: HubSpotObject[] = [];
      for await (const page of this.pages('contacts', properties, false)) {
        contacts.push(...page);
        progress?.({ system: 'hubspot', object: 'contacts', fetched: contacts.length });
      }
      return contacts.map((contact) => toHubSpotRecord('contacts', contact, fields, this.context));
    }

    const deals: HubSpotObject[] = [];
    const emails = new Map<string, string | null>();
    const seen = new Set<string>();
    const pending: string[] = [];
    const reads: Promise<void>[] = [];
    let failure: unknown = null;
    let contactsFetched = 0;
    // Contact emails are read while further deal pages arrive, 100 contacts per batch read.
    const flush = (everything: boolean) => {
      while (pending.length >= PAGE_SIZE || (everything && pending.length > 0)) {
        const ids = pending.splice(0, PAGE_SIZE);
        reads.push(
          this.batchRead('contacts', ids, ['email'], [])
            .then((contacts) => {
              for (const contact of contacts) emails.set(contact.id, contact.properties.email ?? null);
              contactsFetched += contacts.length;
              progress?.({ system: 'hubspot', object: 'contacts', fetched: contactsFetched });
            })
            .catch((error: unknown) => {
              failure ??= error;
            }),
        );
      }
    };
    for await (const page of this.pages('deals', properties, true)) {
      for (const deal of page) {
        deals.push(deal);
        for (const contactId of associatedContactIds(deal)) {
          if (seen.has(contactId)) continue;
          seen.add(contactId);
          pending.push(contactId);
        }
      }
      flush(false);
      progress?.({ system: 'hubspot', object: 'deals', fetched: deals.length });
      if (failure !== null) break;
    }
    if (failure === null) flush(true);
    await Promise.all(reads);
    if (failure !== null) throw failure;
    return deals.map((deal) => toHubSpotRecord('deals', deal, fields, this.context, emails));
  }

  async read(object: string, ids: string[], fields: string[], options?: ReadOptions): Promise<SystemRecord[]> {
    const objectType = this.objectType(object);
    const historyFields = options?.withHistory ? [...new Set(fields)] : [];
    const objects = await this.batchRead(objectType, [...new Set(ids)], this.propertiesFor(objectType, fields), historyFields);
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
   * strings. One outcome per write, in order; never throws.
   */
  async write(writes: FieldWrite[]): Promise<WriteOutcome[]> {
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
        const results = await this.updateBatch(objectType, inputs.map((input) => input.id), inputs);
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

  async vocabulary(object: string, field: string): Promise<Vocabulary | null> {
    if (object !== 'deals' || (field !== 'dealstage' && field !== 'pipeline')) return null;
    const { body } = await this.client.request({
      method: 'GET', path: '/crm/v3/pipelines/deals', schema: hubspotPipelinesSchema, kind: 'pipelines',
    });
    const pipelines = body.results.map((raw) => parseRaw('hubspot', 'pipeline', hubspotPipelineSchema, raw));
    return field === 'dealstage' ? stagesVocabulary(pipelines) : pipelinesVocabulary(pipelines);
  }

  async health(): Promise<ConnectionHealth> {
    try {
      await this.client.request({
        method: 'GET', path: '/crm/v3/objects/deals', query: { limit: '1' }, schema: hubspotCollectionSchema,
        kind: 'deals page', retry: { maxAttempts: 1 },
      });
      return { system: 'hubspot', ok: true, detail: 'deals readable' };
    } catch (error) {
      return { system: 'hubspot', ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** One batch/update call; per record id, ok or the error. */
  private async updateBatch(
    objectType: ObjectType,
    ids: string[],
    inputs: { id: string; properties: Record<string, string> }[],
  ): Promise<Map<string, RecordOutcome>> {
    let body;
    try {
      ({ body } = await this.client.request({
        method: 'POST', path: `/crm/v3/objects/${objectType}/batch/update`, body: { inputs },
        schema: hubspotBatchResponseSchema, kind: 'batch update answer',
        // A 429 is guaranteed not applied; a 5xx or a timeout may have been, so the engine decides.
        mode: 'rate-limited-only',
      }));
    } catch (error) {
      const failed = error instanceof ApiError
        ? { ok: false as const, error: error.message, retryable: error.retryable }
        : { ok: false as const, error: `hubspot POST /crm/v3/objects/${objectType}/batch/update: ${error instanceof Error ? error.message : String(error)}`, retryable: false };
      return new Map(ids.map((id) => [id, failed]));
    }

    return batchUpdateOutcomes(ids, body.results, body.errors ?? []);
  }

  /** Every object of a list endpoint, a page (100) at a time. */
  private async *pages(objectType: ObjectType, properties: string[], withContacts: boolean): AsyncGenerator<HubSpotObject[]> {
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
      });
      yield body.results.map((raw) => parseRaw('hubspot', SINGULAR[objectType], hubspotObjectSchema, raw));
      after = body.paging?.next?.after;
      if (!after) return;
    }
  }

  /** batch/read in chunks (100, or 50 with history); ids HubSpot does not know are left out. */
  private async batchRead(objectType: ObjectType, ids: string[], properties: string[], historyFields: string[]): Promise<HubSpotObject[]> {
    const size = historyFields.length > 0 ? HISTORY_BATCH_SIZE : PAGE_SIZE;
    const answers = await mapConcurrent(chunk(ids, size), this.readConcurrency, async (inputs) => {
      const { body } = await this.client.request({
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/batch/read`,
        // propertiesWithHistory is required by the spec, even when empty.
        body: { inputs: inputs.map((id) => ({ id })), properties, propertiesWithHistory: historyFields },
        schema: hubspotBatchResponseSchema,
        kind: 'batch read answer',
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

export function createHubSpotConnector(options: HubSpotConnectorOptions): CrmConnector {
  return new HubSpotConnector(options);
}
