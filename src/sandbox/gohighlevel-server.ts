/**
 * The GoHighLevel API v2 subset Recon uses: opportunity search, pipelines, one opportunity, its
 * update and status update; the contact list, one contact and its update. With GoHighLevel's
 * bearer auth, `Version` header, strict validation (unknown properties refused, stages checked
 * against their pipeline), error bodies and per-location burst and daily limits.
 */
import { bearerToken, Router } from './http.ts';
import type { ApiContext, SandboxRequest, SandboxResponse } from './http.ts';
import { GHL_OPPORTUNITY_STATUSES, applyGoHighLevelUpdate } from './gohighlevel-objects.ts';
import type { GhlContact, GhlOpportunity, GhlOpportunityChanges } from './gohighlevel-objects.ts';
import {
  bodyObject, customFieldWrites, limitParam, onlyParams, requiredParam, statusProperty, stringProperty,
} from './gohighlevel-validation.ts';
import { badRequest, contactListEntry, contactView, GhlApiError, opportunityView, unprocessable } from './gohighlevel-views.ts';
import type { SandboxState } from './state.ts';

export const GHL_VERSION = '2021-07-28';
/** The documented daily limit per app (or Private Integration) per location. */
export const GHL_DAILY_LIMIT = 200_000;
const SEARCH_PARAMS = [
  'q', 'location_id', 'pipeline_id', 'pipeline_stage_id', 'contact_id', 'status', 'assigned_to', 'campaignId', 'id', 'order',
  'endDate', 'startAfter', 'startAfterId', 'date', 'country', 'page', 'limit', 'getTasks', 'getNotes', 'getCalendarEvents',
];
/** Documented search filters the sandbox does not evaluate: refused rather than silently ignored. */
const UNIMPLEMENTED_FILTERS = ['campaignId', 'endDate', 'date', 'country'];
const CONTACT_UPDATE_FIELDS = ['firstName', 'lastName', 'name', 'email', 'phone', 'website', 'timezone', 'dnd', 'tags', 'customFields', 'source', 'country', 'assignedTo'];
/** UpdateContactDto fields the sandbox does not store. */
const CONTACT_UNIMPLEMENTED = ['address1', 'city', 'state', 'postalCode', 'dndSettings', 'inboundDndSettings', 'dateOfBirth'];

/** A token that looks like a Private Integration token (`pit-...`) or an OAuth access token (a JWT). */
const TOKEN_SHAPE = /^(pit-[A-Za-z0-9-]{8,}|[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/** Opportunities in the answer's order: by date added (then id), `added_asc` or the default `added_desc`. */
function ordered(opportunities: GhlOpportunity[], descending: boolean): GhlOpportunity[] {
  const key = (o: GhlOpportunity) => Date.parse(o.createdAt);
  return opportunities.sort((a, b) => (key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * (descending ? -1 : 1));
}

export function createGoHighLevelApi(state: SandboxState, context: ApiContext): (request: SandboxRequest) => Promise<SandboxResponse> {
  const ghl = state.gohighlevel;
  const opportunityOf = (id: string): GhlOpportunity => {
    const found = ghl.opportunities.get(id);
    if (!found) throw badRequest(`Opportunity with id ${id} not found`);
    return found;
  };
  const contactOf = (id: string): GhlContact => {
    const found = ghl.contacts.get(id);
    if (!found) throw badRequest(`Contact with id ${id} not found`);
    return found;
  };
  const location = (query: URLSearchParams, name: string): void => {
    if (requiredParam(query, name) !== ghl.locationId) throw new GhlApiError(403, 'The token does not have access to this location.');
  };

  /** `GET /opportunities/search`: filters, then keyset paging by date added and id (`startAfter`, `startAfterId`). */
  const search = (request: SandboxRequest): SandboxResponse => {
    const { query } = request;
    onlyParams(query, SEARCH_PARAMS);
    location(query, 'location_id');
    const used = UNIMPLEMENTED_FILTERS.filter((name) => query.has(name));
    if (used.length > 0) throw unprocessable(...used.map((name) => `the sandbox does not evaluate the ${name} filter`));
    const limit = limitParam(query);
    const order = query.get('order') ?? 'added_desc';
    if (order !== 'added_asc' && order !== 'added_desc') throw unprocessable('order must be one of the following values: added_asc, added_desc');
    const status = query.get('status') ?? 'all';
    if (status !== 'all' && !(GHL_OPPORTUNITY_STATUSES as readonly string[]).includes(status)) {
      throw unprocessable(`status must be one of the following values: ${[...GHL_OPPORTUNITY_STATUSES, 'all'].join(', ')}`);
    }
    const equals: [string | null, (o: GhlOpportunity) => string | null][] = [
      [query.get('pipeline_id'), (o) => o.pipelineId], [query.get('pipeline_stage_id'), (o) => o.pipelineStageId],
      [query.get('contact_id'), (o) => o.contactId], [query.get('assigned_to'), (o) => o.assignedTo], [query.get('id'), (o) => o.id],
      [status === 'all' ? null : status, (o) => o.status],
    ];
    const text = query.get('q')?.toLowerCase() ?? '';
    const matches = ordered([...ghl.opportunities.values()].filter((o) => {
      if (!equals.every(([wanted, read]) => wanted === null || wanted === '' || read(o) === wanted)) return false;
      if (text === '') return true;
      const contact = ghl.contacts.get(o.contactId);
      return [o.name, contact?.email, contact?.firstName, contact?.lastName].some((v) => v?.toLowerCase().includes(text));
    }), order === 'added_desc');

    const startAfterId = query.get('startAfterId');
    const startAfter = query.get('startAfter');
    let start = 0;
    if (startAfterId !== null || startAfter !== null) {
      if (!startAfterId || startAfter === null || !/^\d+$/.test(startAfter)) throw unprocessable('startAfter (epoch ms) and startAfterId go together');
      const at = Number(startAfter);
      // Past the (date added, id) the cursor names, in the answer's order.
      const after = (o: GhlOpportunity) => {
        const t = Date.parse(o.createdAt);
        return order === 'added_asc' ? t > at || (t === at && o.id > startAfterId) : t < at || (t === at && o.id < startAfterId);
      };
      start = matches.findIndex(after);
      if (start < 0) start = matches.length;
    } else {
      const page = Number(query.get('page') ?? 1);
      if (!Number.isInteger(page) || page < 1) throw unprocessable('page must be a positive integer');
      start = (page - 1) * limit;
    }
    const found = matches.slice(start, start + limit);
    const last = found.at(-1);
    const currentPage = Math.floor(start / limit) + 1;
    const meta: Record<string, unknown> = { total: matches.length, currentPage, ...(currentPage > 1 ? { prevPage: currentPage - 1 } : {}) };
    if (last && start + limit < matches.length) {
      const next = new URLSearchParams(query);
      next.set('startAfter', String(Date.parse(last.createdAt)));
      next.set('startAfterId', last.id);
      next.set('page', String(currentPage + 1));
      Object.assign(meta, {
        startAfterId: last.id, startAfter: Date.parse(last.createdAt), nextPage: currentPage + 1,
        nextPageUrl: `http://${request.headers.host ?? '127.0.0.1'}${request.path}?${next}`,
      });
    }
    const extras = { notes: query.get('getNotes') === 'true', tasks: query.get('getTasks') === 'true', calendarEvents: query.get('getCalendarEvents') === 'true' };
    return { status: 200, body: { opportunities: found.map((o) => opportunityView(ghl, o, extras)), meta, aggregations: {} } };
  };

  const pipelines = (request: SandboxRequest): SandboxResponse => {
    onlyParams(request.query, ['locationId']);
    location(request.query, 'locationId');
    return { status: 200, body: { pipelines: ghl.pipelines } };
  };

  const getOpportunity = (request: SandboxRequest): SandboxResponse => {
    onlyParams(request.query, []);
    return { status: 200, body: { opportunity: opportunityView(ghl, opportunityOf(request.params.id ?? '')) } };
  };

  /** Applies a validated change: the fault hook first, then the record and the write log. */
  const applyOpportunity = async (opportunity: GhlOpportunity, changes: GhlOpportunityChanges): Promise<void> => {
    await context.faults.beforeWrite('gohighlevel', 'opportunities', opportunity.id);
    const at = new Date();
    applyGoHighLevelUpdate(opportunity, changes, at);
    const properties: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(changes)) {
      if (name === 'customFields') for (const field of value as { id: string; fieldValue: unknown }[]) properties[`customFields.${field.id}`] = field.fieldValue;
      else properties[name] = value;
    }
    state.writes.push({ system: 'gohighlevel', object: 'opportunities', id: opportunity.id, properties, at: at.getTime() });
  };

  const updateOpportunity = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const opportunity = opportunityOf(request.params.id ?? '');
    const body = bodyObject(request.body, ['pipelineId', 'name', 'pipelineStageId', 'status', 'monetaryValue', 'assignedTo', 'customFields']);
    const changes: GhlOpportunityChanges = {};
    for (const name of ['pipelineId', 'name', 'pipelineStageId', 'assignedTo'] as const) {
      const value = stringProperty(body, name);
      if (value === '') throw unprocessable(`${name} should not be empty`);
      if (value) changes[name] = value;
    }
    if (body.monetaryValue !== undefined) {
      if (typeof body.monetaryValue !== 'number' || !Number.isFinite(body.monetaryValue)) throw unprocessable('monetaryValue must be a number conforming to the specified constraints');
      changes.monetaryValue = body.monetaryValue;
    }
    const status = statusProperty(body);
    if (status) changes.status = status;
    const custom = customFieldWrites(ghl, body.customFields, 'opportunity');
    if (custom.length > 0) changes.customFields = custom.map((field) => ({ id: field.id, fieldValue: field.value }));
    // A stage belongs to one pipeline: the one the update names, else the opportunity's own.
    const pipelineId = changes.pipelineId ?? opportunity.pipelineId;
    const pipeline = ghl.pipelines.find((candidate) => candidate.id === pipelineId);
    if (!pipeline) throw badRequest(`Pipeline with id ${pipelineId} not found`);
    const stage = changes.pipelineStageId ?? opportunity.pipelineStageId;
    if (!pipeline.stages.some((candidate) => candidate.id === stage)) {
      throw badRequest(`Pipeline stage ${stage} does not belong to pipeline ${pipeline.name} (${pipeline.id})`);
    }
    await applyOpportunity(opportunity, changes);
    return { status: 200, body: { opportunity: opportunityView(ghl, opportunity) } };
  };

  const updateStatus = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const opportunity = opportunityOf(request.params.id ?? '');
    const body = bodyObject(request.body, ['status', 'lostReasonId']);
    const status = statusProperty(body);
    if (!status) throw unprocessable('status should not be empty', `status must be one of the following values: ${GHL_OPPORTUNITY_STATUSES.join(', ')}`);
    const lostReasonId = stringProperty(body, 'lostReasonId');
    await applyOpportunity(opportunity, { status, ...(lostReasonId ? { lostReasonId } : {}) });
    return { status: 200, body: { succeded: true } };
  };

  /** `GET /contacts/`: by date added, then id, keyset paging with `startAfter` and `startAfterId`. */
  const listContacts = (request: SandboxRequest): SandboxResponse => {
    const { query } = request;
    onlyParams(query, ['locationId', 'startAfterId', 'startAfter', 'query', 'limit']);
    location(query, 'locationId');
    const limit = limitParam(query);
    const text = query.get('query')?.toLowerCase() ?? '';
    const all = [...ghl.contacts.values()]
      .filter((c) => text === '' || [c.email, c.firstName, c.lastName].some((v) => v?.toLowerCase().includes(text)))
      .sort((a, b) => Date.parse(a.dateAdded) - Date.parse(b.dateAdded) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const afterId = query.get('startAfterId');
    const after = query.get('startAfter');
    let start = 0;
    if (afterId !== null || after !== null) {
      if (!afterId || after === null || !/^\d+$/.test(after)) throw unprocessable('startAfter (epoch ms) and startAfterId go together');
      start = all.findIndex((c) => Date.parse(c.dateAdded) > Number(after) || (Date.parse(c.dateAdded) === Number(after) && c.id > afterId));
      if (start < 0) start = all.length;
    }
    const found = all.slice(start, start + limit);
    const last = found.at(-1);
    const currentPage = Math.floor(start / limit) + 1;
    const meta: Record<string, unknown> = { total: all.length, currentPage, prevPage: currentPage > 1 ? currentPage - 1 : null };
    if (last && start + limit < all.length) {
      const startAfter = Date.parse(last.dateAdded);
      Object.assign(meta, {
        startAfterId: last.id, startAfter, nextPage: currentPage + 1,
        nextPageUrl: `http://${request.headers.host ?? '127.0.0.1'}/contacts/?locationId=${ghl.locationId}&startAfter=${startAfter}&startAfterId=${last.id}`,
      });
    }
    return { status: 200, body: { contacts: found.map(contactListEntry), count: all.length, meta } };
  };

  const getContact = (request: SandboxRequest): SandboxResponse => {
    onlyParams(request.query, []);
    return { status: 200, body: { contact: contactView(contactOf(request.params.contactId ?? '')) } };
  };

  const updateContact = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const contact = contactOf(request.params.contactId ?? '');
    const body = bodyObject(request.body, [...CONTACT_UPDATE_FIELDS, ...CONTACT_UNIMPLEMENTED]);
    const unimplemented = CONTACT_UNIMPLEMENTED.filter((name) => name in body);
    if (unimplemented.length > 0) throw unprocessable(...unimplemented.map((name) => `the sandbox does not store ${name}`));
    const changes: Partial<GhlContact> = {};
    for (const name of ['firstName', 'lastName', 'email', 'phone', 'website', 'timezone', 'source', 'country', 'assignedTo'] as const) {
      const value = stringProperty(body, name, { nullable: true });
      if (value !== undefined) changes[name] = value;
    }
    if (typeof changes.email === 'string' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(changes.email)) throw unprocessable('email must be an email');
    const name = stringProperty(body, 'name', { nullable: true });
    if (typeof name === 'string') [changes.firstName, changes.lastName] = [name.split(' ')[0] ?? name, name.split(' ').slice(1).join(' ') || null];
    if (body.dnd !== undefined) {
      if (typeof body.dnd !== 'boolean') throw unprocessable('dnd must be a boolean value');
      changes.dnd = body.dnd;
    }
    if (body.tags !== undefined) {
      if (!Array.isArray(body.tags) || body.tags.some((tag) => typeof tag !== 'string')) throw unprocessable('each value in tags must be a string');
      changes.tags = body.tags as string[];
    }
    const custom = customFieldWrites(ghl, body.customFields, 'contact');
    await context.faults.beforeWrite('gohighlevel', 'contacts', contact.id);
    const at = new Date();
    Object.assign(contact, changes);
    for (const field of custom) {
      const existing = contact.customFields.find((candidate) => candidate.id === field.id);
      if (existing) existing.value = field.value;
      else contact.customFields.push({ id: field.id, value: field.value });
    }
    contact.dateUpdated = at.toISOString();
    const properties: Record<string, unknown> = { ...changes };
    for (const field of custom) properties[`customFields.${field.id}`] = field.value;
    state.writes.push({ system: 'gohighlevel', object: 'contacts', id: contact.id, properties, at: at.getTime() });
    return { status: 200, body: { succeded: true, contact: contactView(contact) } };
  };

  type Route = (request: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;
  const router = new Router<Route>()
    .on('GET', '/opportunities/search', search)
    .on('GET', '/opportunities/pipelines', pipelines)
    .on('GET', '/opportunities/:id', getOpportunity)
    .on('PUT', '/opportunities/:id', updateOpportunity)
    .on('PUT', '/opportunities/:id/status', updateStatus)
    .on('GET', '/contacts/', listContacts)
    .on('GET', '/contacts/:contactId', getContact)
    .on('PUT', '/contacts/:contactId', updateContact);

  const respond = async (request: SandboxRequest, failWith: number | null): Promise<SandboxResponse> => {
    try {
      if (failWith !== null) throw new GhlApiError(failWith, 'Internal server error');
      const version = request.headers.version;
      if (version === undefined) throw badRequest('Version header was not found');
      if (version !== GHL_VERSION) throw badRequest(`Version ${String(version)} is not supported; send Version: ${GHL_VERSION}`);
      const match = router.match(request.method, request.path);
      if (!match) throw new GhlApiError(404, `Cannot ${request.method} ${request.path}`);
      return await match.handler({ ...request, params: match.params });
    } catch (error) {
      return (error instanceof GhlApiError ? error : new GhlApiError(500, 'Internal server error')).toResponse();
    }
  };

  /** The daily budget per token and location, counted per UTC day. */
  const daily = new Map<string, { day: string; used: number }>();
  const takeDaily = (key: string): number => {
    const day = new Date().toISOString().slice(0, 10);
    const entry = daily.get(key);
    const current = entry && entry.day === day ? entry : { day, used: 0 };
    daily.set(key, current);
    if (current.used >= GHL_DAILY_LIMIT) return -1;
    current.used += 1;
    return GHL_DAILY_LIMIT - current.used;
  };

  const rateLimited = (retryAfterSeconds: number, headers: Record<string, string>): SandboxResponse => ({
    status: 429, headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)), ...headers }, body: { statusCode: 429, message: 'Too Many Requests' },
  });

  return async (request) => {
    const token = bearerToken(request.headers);
    if (token === null || !TOKEN_SHAPE.test(token)) return new GhlApiError(401, 'Invalid JWT').toResponse();
    const fault = context.faults.decide('gohighlevel', request.method === 'GET');
    if (fault.kind === 'rate_limit') return rateLimited(fault.retryAfterSeconds, {});
    const failWith = fault.kind === 'server_error' ? fault.status : null;
    if (!context.limiter) return respond(request, failWith);
    const key = `${ghl.locationId}:${token}`;
    const burst = context.limiter.take(key);
    const dailyRemaining = burst.allowed ? takeDaily(key) : Math.max(0, GHL_DAILY_LIMIT - (daily.get(key)?.used ?? 0));
    const headers = {
      'X-RateLimit-Limit-Daily': String(GHL_DAILY_LIMIT), 'X-RateLimit-Daily-Remaining': String(Math.max(0, dailyRemaining)),
      'X-RateLimit-Interval-Milliseconds': String(burst.windowMs), 'X-RateLimit-Max': String(burst.limit), 'X-RateLimit-Remaining': String(burst.remaining),
    };
    if (!burst.allowed) return rateLimited(Math.ceil(burst.retryAfterMs / 1000), headers);
    if (dailyRemaining < 0) return rateLimited(Math.ceil((Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`) + 86_400_000 - Date.now()) / 1000), headers);
    const response = await respond(request, failWith);
    return { ...response, headers: { ...response.headers, ...headers } };
  };
}
