/** HubSpot CRM v3 response shapes and list order, built from sandbox records. Pure. */
import { randomUUID } from 'node:crypto';
import type { SandboxResponse } from './http.ts';
import { ALWAYS_RETURNED, DEFAULT_PROPERTIES, SINGULAR } from './hubspot-objects.ts';
import type { HubSpotHistoryEntry, HubSpotObject, HubSpotObjectType } from './hubspot-objects.ts';

/** `SimplePublicObjectWithAssociations` of the spec. */
export interface PublicObject {
  id: string;
  properties: Record<string, string | null>;
  propertiesWithHistory?: Record<string, HubSpotHistoryEntry[]>;
  associations?: Record<string, { results: { id: string; type: string }[] }>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface ViewOptions {
  /** Requested properties; null means "none named", which returns the type's defaults. */
  properties: string[] | null;
  propertiesWithHistory: string[];
  /** Requested association types, already resolved to object types. */
  associations: HubSpotObjectType[];
}

/** Thrown inside HubSpot handlers; the server turns it into HubSpot's error body. */
export class HubSpotApiError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toResponse(): SandboxResponse {
    return {
      status: this.status,
      body: { status: 'error', message: this.message, correlationId: randomUUID(), category: this.category, ...this.extra },
    };
  }
}

export function validationError(message: string, extra: Record<string, unknown> = {}): HubSpotApiError {
  return new HubSpotApiError(400, 'VALIDATION_ERROR', message, extra);
}

// Which deals each contact belongs to, rebuilt when the number of deals changes.
const reverseAssociations = new WeakMap<Map<string, HubSpotObject>, { size: number; byContact: Map<string, string[]> }>();

function dealsOfContact(deals: Map<string, HubSpotObject>, contactId: string): string[] {
  let index = reverseAssociations.get(deals);
  if (!index || index.size !== deals.size) {
    const byContact = new Map<string, string[]>();
    for (const deal of deals.values()) {
      for (const contact of deal.associations.contacts) byContact.set(contact, [...(byContact.get(contact) ?? []), deal.id]);
    }
    index = { size: deals.size, byContact };
    reverseAssociations.set(deals, index);
  }
  return index.byContact.get(contactId) ?? [];
}

/**
 * One record as HubSpot returns it: the requested properties (null when the record has no value)
 * plus those HubSpot always returns, history newest first, and associations only when there are some.
 */
export function toPublicObject(
  type: HubSpotObjectType, record: HubSpotObject, options: ViewOptions, deals: Map<string, HubSpotObject>,
): PublicObject {
  const names = new Set([...(options.properties ?? DEFAULT_PROPERTIES[type]), ...ALWAYS_RETURNED[type]]);
  const properties: Record<string, string | null> = {};
  for (const name of [...names].sort()) properties[name] = record.properties[name] ?? null;
  const view: PublicObject = { id: record.id, properties, createdAt: record.createdAt, updatedAt: record.updatedAt, archived: record.archived };
  if (record.archived) view.archivedAt = record.updatedAt;
  if (options.propertiesWithHistory.length > 0) {
    const history: Record<string, HubSpotHistoryEntry[]> = {};
    for (const name of options.propertiesWithHistory) {
      const entries = record.history[name];
      if (entries && entries.length > 0) history[name] = entries.map((entry) => ({ ...entry }));
    }
    view.propertiesWithHistory = history;
  }
  for (const other of options.associations) {
    const ids = type === 'deals' && other === 'contacts' ? record.associations.contacts
      : type === 'contacts' && other === 'deals' ? dealsOfContact(deals, record.id) : [];
    if (ids.length === 0) continue;
    view.associations ??= {};
    view.associations[other] = { results: ids.map((id) => ({ id, type: `${SINGULAR[type]}_to_${SINGULAR[other]}` })) };
  }
  return view;
}

function compareIds(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

const orderings = new WeakMap<Map<string, HubSpotObject>, { size: number; ids: string[] }>();

/** Ids in HubSpot's list order (ascending id), cached until the map changes size. */
function ascendingIds(map: Map<string, HubSpotObject>): string[] {
  const cached = orderings.get(map);
  if (cached && cached.size === map.size) return cached.ids;
  const ids = [...map.keys()].sort(compareIds);
  orderings.set(map, { size: map.size, ids });
  return ids;
}

/**
 * One page of a list: records from the cursor on (the cursor is the id of the first record of the
 * page), and the cursor of the next page when there is one.
 */
export function listPage(
  map: Map<string, HubSpotObject>, limit: number, after: string | null, archived: boolean,
): { records: HubSpotObject[]; next: string | null } {
  const ids = ascendingIds(map);
  let low = 0;
  let high = ids.length;
  if (after !== null) {
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds(ids[middle] ?? '', after) < 0) low = middle + 1;
      else high = middle;
    }
  }
  const records: HubSpotObject[] = [];
  for (let i = after === null ? 0 : low; i < ids.length; i += 1) {
    const record = map.get(ids[i] ?? '');
    if (!record || record.archived !== archived) continue;
    if (records.length === limit) return { records, next: record.id };
    records.push(record);
  }
  return { records, next: null };
}
