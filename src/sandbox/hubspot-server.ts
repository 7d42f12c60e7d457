/**
 * The HubSpot CRM v3 subset Recon uses: deals and contacts (list, read, batch/read, batch/update)
 * and deal pipelines, with HubSpot's auth, error bodies and ten-secondly rate limit.
 */
import { randomUUID } from 'node:crypto';
import { bearerToken, parseJson, Router } from './http.ts';
import type { ApiContext, SandboxRequest, SandboxResponse } from './http.ts';
import { HUBSPOT_OBJECT_TYPE_IDS, SINGULAR } from './hubspot-objects.ts';
import type { HubSpotObject, HubSpotObjectType } from './hubspot-objects.ts';
import { propertyDefinitions } from './hubspot-properties.ts';
import { HubSpotApiError, listPage, toPublicObject, validationError } from './hubspot-views.ts';
import type { ViewOptions } from './hubspot-views.ts';
import { RollingWindowLimiter } from './rate-limit.ts';
import { applyHubSpotUpdate } from './state.ts';
import type { SandboxState } from './state.ts';

const MAX_BATCH = 100;
const MAX_PAGE = 100;
/** Search answers at most 200 per page and 10,000 per query; its own limit is 4 requests per second. */
const MAX_SEARCH_PAGE = 200;
const SEARCH_CAP = 10_000;
const SEARCH_PER_SECOND = 4;
const MAX_PAGE_WITH_HISTORY = 50;
const READ_ONLY = new Set(['hs_object_id', 'createdate', 'hs_lastmodifieddate', 'lastmodifieddate']);

function objectType(segment: string | undefined): HubSpotObjectType {
  const type = HUBSPOT_OBJECT_TYPE_IDS[segment ?? ''];
  if (!type) throw validationError(`Unable to infer object type from: ${segment}`);
  return type;
}

/** `properties=a,b&properties=c` (comma lists, repeated or both) as one list. */
function listParam(query: URLSearchParams, name: string): string[] {
  return query.getAll(name).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw validationError(`Invalid input JSON: ${field} must be an array of strings`);
  return value as string[];
}

function batchInputs(body: unknown): { id: string; properties?: unknown }[] {
  const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
  if (!Array.isArray(inputs)) throw validationError('Invalid input JSON: the request needs an "inputs" array');
  if (inputs.length > MAX_BATCH) {
    throw validationError(`Batch input has ${inputs.length} inputs; the limit is ${MAX_BATCH}.`, {
      errors: [{ message: `size must be between 0 and ${MAX_BATCH}`, in: 'inputs' }],
    });
  }
  return inputs.map((input: unknown, i) => {
    const id = (input as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' && typeof id !== 'number') throw validationError(`Invalid input JSON: inputs[${i}].id is required`);
    return { id: String(id), properties: (input as { properties?: unknown }).properties };
  });
}

/** A `StandardError` of a batch response, naming the ids it could not find. */
function notFound(ids: string[], message: string): Record<string, unknown> {
  return { status: 'error', category: 'OBJECT_NOT_FOUND', message, context: { ids }, errors: [], links: {} };
}

export function createHubSpotApi(state: SandboxState, context: ApiContext): (request: SandboxRequest) => Promise<SandboxResponse> {
  const records = (type: HubSpotObjectType): Map<string, HubSpotObject> => state.hubspot[type];
  const view = (type: HubSpotObjectType, record: HubSpotObject, options: ViewOptions) => toPublicObject(type, record, options, state.hubspot.deals);

  const viewOptions = (query: URLSearchParams): ViewOptions => {
    const named = listParam(query, 'properties');
    return {
      properties: named.length > 0 ? named : null,
      propertiesWithHistory: listParam(query, 'propertiesWithHistory'),
      // Unknown association types are ignored, as the spec says.
      associations: listParam(query, 'associations').flatMap((name) => HUBSPOT_OBJECT_TYPE_IDS[name] ?? []),
    };
  };

  const list = (request: SandboxRequest): SandboxResponse => {
    const type = objectType(request.params.type);
    const options = viewOptions(request.query);
    const rawLimit = request.query.get('limit');
    const asked = rawLimit === null ? 10 : Number(rawLimit);
    if (!Number.isInteger(asked) || asked < 1) throw validationError(`Invalid limit: ${rawLimit}`);
    // HubSpot caps silently: 100 per page, 50 when history is asked for.
    const limit = Math.min(asked, options.propertiesWithHistory.length > 0 ? MAX_PAGE_WITH_HISTORY : MAX_PAGE);
    const page = listPage(records(type), limit, request.query.get('after'), request.query.get('archived') === 'true');
    const body: Record<string, unknown> = { results: page.records.map((record) => view(type, record, options)) };
    if (page.next !== null) {
      const query = new URLSearchParams(request.query);
      query.set('after', page.next);
      body.paging = { next: { after: page.next, link: `http://${request.headers.host ?? '127.0.0.1'}${request.path}?${query}` } };
    }
    return { status: 200, body };
  };

  const read = (request: SandboxRequest): SandboxResponse => {
    const type = objectType(request.params.type);
    const id = request.params.id ?? '';
    const idProperty = request.query.get('idProperty');
    const archived = request.query.get('archived') === 'true';
    const record = idProperty && idProperty !== 'hs_object_id'
      ? [...records(type).values()].find((candidate) => candidate.properties[idProperty] === id)
      : records(type).get(id);
    if (!record || record.archived !== archived) throw new HubSpotApiError(404, 'OBJECT_NOT_FOUND', 'resource not found');
    return { status: 200, body: view(type, record, viewOptions(request.query)) };
  };

  const batchRead = (request: SandboxRequest): SandboxResponse => {
    const type = objectType(request.params.type);
    const startedAt = new Date().toISOString();
    const body = parseJson(request.body) as { properties?: unknown; propertiesWithHistory?: unknown; idProperty?: unknown } | undefined;
    const inputs = batchInputs(body);
    const options: ViewOptions = {
      properties: stringList(body?.properties, 'properties'),
      propertiesWithHistory: stringList(body?.propertiesWithHistory, 'propertiesWithHistory'),
      associations: [],
    };
    const idProperty = typeof body?.idProperty === 'string' && body.idProperty !== 'hs_object_id' ? body.idProperty : null;
    const archived = request.query.get('archived') === 'true';
    const byId = idProperty
      ? new Map([...records(type).values()].map((record) => [record.properties[idProperty] ?? '', record]))
      : records(type);
    const results = [];
    const missing: string[] = [];
    for (const id of new Set(inputs.map((input) => input.id))) {
      const record = byId.get(id);
      if (record && record.archived === archived) results.push(view(type, record, options));
      else missing.push(id);
    }
    const response: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    if (missing.length === 0) return { status: 200, body: response };
    const message = `Could not get some ${SINGULAR[type].toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`;
    return { status: 207, body: { ...response, numErrors: 1, errors: [notFound(missing, message)] } };
  };

  const batchUpdate = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const type = objectType(request.params.type);
    const startedAt = new Date().toISOString();
    const inputs = batchInputs(parseJson(request.body)).map((input, i) => ({ id: input.id, properties: propertyValues(input.properties, i) }));
    const duplicates = inputs.map((input) => input.id).filter((id, i, ids) => ids.indexOf(id) !== i);
    if (duplicates.length > 0) throw validationError(`Duplicate IDs found in batch input: [${[...new Set(duplicates)].join(', ')}]. IDs must be unique`);
    const found = inputs.filter((input) => records(type).get(input.id)?.archived === false);
    const missing = inputs.filter((input) => !found.includes(input)).map((input) => input.id);
    for (const input of found) validateValues(type, records(type).get(input.id), input.properties);
    for (const input of found) await context.faults.beforeWrite('hubspot', type, input.id);
    // Applied together, after every check and hook, so a rejected batch writes nothing.
    const at = new Date();
    const results = found.flatMap((input) => {
      const record = records(type).get(input.id);
      if (!record) return [];
      applyHubSpotUpdate(state, type, record, input.properties, at);
      state.writes.push({ system: 'hubspot', object: type, id: input.id, properties: { ...input.properties }, at: at.getTime() });
      return [view(type, record, { properties: Object.keys(input.properties), propertiesWithHistory: [], associations: [] })];
    });
    const response: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    if (missing.length === 0) return { status: 200, body: response };
    return { status: 207, body: { ...response, numErrors: 1, errors: [notFound(missing, 'Object not found. objectId are usually numeric.')] } };
  };

  /** As HubSpot: an unknown property, a read-only one, or an option not in the list refuses the whole batch. */
  const validateValues = (type: HubSpotObjectType, record: HubSpotObject | undefined, changes: Record<string, string | null>): void => {
    const definitions = new Map(propertyDefinitions(type, state.hubspot.pipelines).map((d) => [d.name, d]));
    for (const [name, value] of Object.entries(changes)) {
      const definition = definitions.get(name);
      if (!definition) throw invalidProperty(name, `Property "${name}" does not exist`, 'PROPERTY_DOESNT_EXIST');
      if (READ_ONLY.has(name) || definition.modificationMetadata.readOnlyValue) throw invalidProperty(name, `${name} is a read only property; its value cannot be set.`, 'READ_ONLY_VALUE');
      if (definition.type === 'number' && value !== null && value !== '' && !Number.isFinite(Number(value))) {
        throw invalidProperty(name, `${value} was not a valid number.`, 'INVALID_INTEGER');
      }
      if (definition.type === 'enumeration' && name !== 'dealstage' && name !== 'pipeline' && value && definition.options.length > 0 && !definition.options.some((o) => o.value === value)) {
        throw invalidProperty(name, `${value} was not one of the allowed options: [${definition.options.map((o) => o.value).join(', ')}]`, 'INVALID_OPTION');
      }
    }
    if (type !== 'deals' || (changes.dealstage === undefined && changes.pipeline === undefined)) return;
    const pipelineId = changes.pipeline ?? record?.properties.pipeline ?? 'default';
    const pipeline = state.hubspot.pipelines.find((candidate) => candidate.id === pipelineId && !candidate.archived);
    if (!pipeline) throw invalidProperty('pipeline', `${pipelineId} was not one of the allowed options: [${state.hubspot.pipelines.map((p) => p.id).join(', ')}]`, 'INVALID_OPTION');
    const stage = changes.dealstage ?? record?.properties.dealstage;
    if (stage && !pipeline.stages.some((candidate) => candidate.id === stage && !candidate.archived)) {
      throw invalidProperty('dealstage', `${stage} was not one of the allowed options: [${pipeline.stages.map((s) => s.id).join(', ')}]`, 'INVALID_OPTION');
    }
  };

  const pipelines = (request: SandboxRequest): SandboxResponse => {
    const type = objectType(request.params.type);
    const all = type === 'deals' ? state.hubspot.pipelines : [];
    if (request.params.pipelineId === undefined) return { status: 200, body: { results: all } };
    const pipeline = all.find((candidate) => candidate.id === request.params.pipelineId);
    if (!pipeline) throw new HubSpotApiError(404, 'OBJECT_NOT_FOUND', `Unable to find pipeline ${request.params.pipelineId}`);
    return { status: 200, body: pipeline };
  };

  const properties = (request: SandboxRequest): SandboxResponse => {
    const type = objectType(request.params.type);
    return { status: 200, body: { results: propertyDefinitions(type, state.hubspot.pipelines) } };
  };

  const searchLimiter = context.limiter ? new RollingWindowLimiter(SEARCH_PER_SECOND, 1000) : null;
  /**
   * `POST /crm/v3/objects/{type}/search`: filter groups (OR) of filters (AND) on property values,
   * one sort, `limit` up to 200 and `after` an offset; past 10,000 results a query is refused.
   */
  const search = (request: SandboxRequest): SandboxResponse => {
    const type = objectType(request.params.type);
    if (searchLimiter && !searchLimiter.take(`search:${bearerToken(request.headers) ?? ''}`).allowed) {
      throw new HubSpotApiError(429, 'RATE_LIMITS', 'You have reached your secondly limit.', { policyName: 'SECONDLY' });
    }
    const body = parseJson(request.body) as { filterGroups?: unknown; sorts?: unknown; properties?: unknown; limit?: unknown; after?: unknown } | undefined;
    if (!body || typeof body !== 'object') throw validationError('Invalid input JSON on line 1, column 1: Cannot build PublicObjectSearchRequest');
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_PAGE) throw validationError(`limit must be between 1 and ${MAX_SEARCH_PAGE}`);
    const offset = body.after === undefined ? 0 : Number(body.after);
    if (!Number.isInteger(offset) || offset < 0) throw validationError(`Invalid after: ${String(body.after)}`);
    if (offset + limit > SEARCH_CAP) throw validationError(`Search queries are limited to ${SEARCH_CAP} total results.`);
    const groups = searchFilterGroups(body.filterGroups);
    const sort = searchSort(body.sorts);
    const matches = [...records(type).values()].filter((record) => !record.archived && (groups.length === 0 || groups.some((group) => group.every((f) => f(record)))));
    matches.sort((a, b) => compareProperty(a, b, sort.property) * (sort.descending ? -1 : 1) || compareProperty(a, b, 'hs_object_id'));
    const page = matches.slice(offset, offset + limit);
    const options: ViewOptions = { properties: stringList(body.properties, 'properties').length ? stringList(body.properties, 'properties') : null, propertiesWithHistory: [], associations: [] };
    const next = offset + limit < matches.length ? String(offset + limit) : null;
    return {
      status: 200,
      body: { total: matches.length, results: page.map((record) => view(type, record, options)), ...(next ? { paging: { next: { after: next } } } : {}) },
    };
  };

  type Route = (request: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;
  const router = new Router<Route>()
    .on('GET', '/crm/v3/properties/:type', properties)
    .on('POST', '/crm/v3/objects/:type/search', search)
    .on('GET', '/crm/v3/objects/:type', list)
    .on('POST', '/crm/v3/objects/:type/batch/read', batchRead)
    .on('POST', '/crm/v3/objects/:type/batch/update', batchUpdate)
    .on('GET', '/crm/v3/objects/:type/:id', read)
    .on('GET', '/crm/v3/pipelines/:type', pipelines)
    .on('GET', '/crm/v3/pipelines/:type/:pipelineId', pipelines);

  /** The routed answer, with any failure turned into HubSpot's error body. */
  const respond = async (request: SandboxRequest, failWith: number | null): Promise<SandboxResponse> => {
    try {
      if (failWith !== null) throw new HubSpotApiError(failWith, 'INTERNAL_ERROR', 'internal error');
      const match = router.match(request.method, request.path);
      if (!match) throw new HubSpotApiError(404, 'OBJECT_NOT_FOUND', `No route for ${request.method} ${request.path}`);
      return await match.handler({ ...request, params: match.params });
    } catch (error) {
      return (error instanceof HubSpotApiError ? error : new HubSpotApiError(500, 'INTERNAL_ERROR', 'internal error')).toResponse();
    }
  };

  const handle = async (request: SandboxRequest, token: string): Promise<SandboxResponse> => {
    const fault = context.faults.decide('hubspot', request.method === 'GET' || request.path.endsWith('/batch/read'));
    if (fault.kind === 'rate_limit') return rateLimited(fault.retryAfterSeconds);
    const failWith = fault.kind === 'server_error' ? fault.status : null;
    if (!context.limiter) return respond(request, failWith);
    const decision = context.limiter.take(token);
    const headers = rateLimitHeaders(decision.limit, decision.remaining, decision.windowMs);
    const response = decision.allowed ? await respond(request, failWith) : rateLimited(Math.ceil(decision.retryAfterMs / 1000));
    return { ...response, headers: { ...response.headers, ...headers } };
  };

  const rateLimited = (retryAfterSeconds: number): SandboxResponse => ({
    status: 429,
    headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)), ...rateLimitHeaders(context.limiter?.limit, 0, context.limiter?.windowMs) },
    body: {
      status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT',
      correlationId: randomUUID(), policyName: 'TEN_SECONDLY_ROLLING',
    },
  });

  return async (request) => {
    const token = bearerToken(request.headers);
    if (token === null) {
      return new HubSpotApiError(401, 'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview').toResponse();
    }
    return handle(request, token);
  };
}

function rateLimitHeaders(limit: number | undefined, remaining: number, windowMs: number | undefined): Record<string, string> {
  if (limit === undefined || windowMs === undefined) return {};
  return {
    'X-HubSpot-RateLimit-Max': String(limit),
    'X-HubSpot-RateLimit-Remaining': String(remaining),
    'X-HubSpot-RateLimit-Interval-Milliseconds': String(windowMs),
  };
}

function invalidProperty(name: string, message: string, code: string): HubSpotApiError {
  const detail = { isValid: false, message, error: code, name };
  return validationError(`Property values were not valid: ${JSON.stringify([detail])}`, {
    errors: [{ message, code, context: { propertyName: [name] } }],
  });
}

function propertyValues(raw: unknown, index: number): Record<string, string | null> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw validationError(`Invalid input JSON: inputs[${index}].properties must be an object`);
  const values: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== null && typeof value === 'object') throw validationError(`Invalid input JSON: inputs[${index}].properties.${name} must be a string`);
    values[name] = value === null ? null : String(value);
  }
  return values;
}

type Filter = (record: HubSpotObject) => boolean;

/** A property's value as search compares it: numbers and dates (ms or ISO) as numbers, else text. */
function comparable(name: string, raw: string | null | undefined): number | string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (name === 'hs_object_id' || /^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? raw : date;
}

function compareProperty(a: HubSpotObject, b: HubSpotObject, name: string): number {
  const x = comparable(name, name === 'hs_object_id' ? a.id : a.properties[name]);
  const y = comparable(name, name === 'hs_object_id' ? b.id : b.properties[name]);
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return x < y ? -1 : 1;
}

/** `filterGroups` as predicates: groups are ORed, a group's filters ANDed (at most 6 groups, as HubSpot). */
function searchFilterGroups(raw: unknown): Filter[][] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError('filterGroups must be an array');
  if (raw.length > 6) throw validationError('Too many filter groups: the limit is 6.');
  return raw.map((group, g) => {
    const filters = (group as { filters?: unknown } | null)?.filters;
    if (!Array.isArray(filters)) throw validationError(`filterGroups[${g}].filters must be an array`);
    return filters.map((filter, f): Filter => {
      const { propertyName, operator, value } = (filter ?? {}) as { propertyName?: unknown; operator?: unknown; value?: unknown };
      if (typeof propertyName !== 'string' || typeof operator !== 'string') throw validationError(`filterGroups[${g}].filters[${f}] needs propertyName and operator`);
      // Search by association, as HubSpot documents it: `associations.contact` EQ a contact id.
      if (propertyName === 'associations.contact') {
        if (operator !== 'EQ') throw validationError(`associations.contact supports EQ only`);
        return (r) => r.associations.contacts.includes(String(value));
      }
      const wanted = comparable(propertyName, value === undefined || value === null ? null : String(value));
      const read = (record: HubSpotObject) => comparable(propertyName, propertyName === 'hs_object_id' ? record.id : record.properties[propertyName]);
      switch (operator) {
        case 'EQ': return (r) => read(r) === wanted;
        case 'NEQ': return (r) => read(r) !== wanted;
        case 'GT': return (r) => { const v = read(r); return v !== null && wanted !== null && v > wanted; };
        case 'GTE': return (r) => { const v = read(r); return v !== null && wanted !== null && v >= wanted; };
        case 'LT': return (r) => { const v = read(r); return v !== null && wanted !== null && v < wanted; };
        case 'LTE': return (r) => { const v = read(r); return v !== null && wanted !== null && v <= wanted; };
        case 'HAS_PROPERTY': return (r) => read(r) !== null;
        case 'NOT_HAS_PROPERTY': return (r) => read(r) === null;
        default: throw validationError(`Unsupported operator in the sandbox: ${operator}`);
      }
    });
  });
}

/** The one sort a search takes: `{ propertyName, direction }` as the guides show it, or a property name. */
function searchSort(raw: unknown): { property: string; descending: boolean } {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return { property: 'hs_object_id', descending: false };
  if (!Array.isArray(raw)) throw validationError('sorts must be an array');
  if (raw.length > 1) throw validationError('Only one sort is supported');
  const sort = raw[0] as unknown;
  if (typeof sort === 'string') return { property: sort.replace(/^-/, ''), descending: sort.startsWith('-') };
  const { propertyName, direction } = (sort ?? {}) as { propertyName?: unknown; direction?: unknown };
  if (typeof propertyName !== 'string') throw validationError('sorts[0].propertyName is required');
  if (direction !== undefined && direction !== 'ASCENDING' && direction !== 'DESCENDING') throw validationError(`sorts[0].direction must be ASCENDING or DESCENDING`);
  return { property: propertyName, descending: direction === 'DESCENDING' };
}
