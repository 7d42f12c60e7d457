import type { FieldDescription, ObjectDescription } from '../../domain/ports.ts';
import { normaliseEmail, type FieldValue, type SystemRecord } from '../../domain/records.ts';
import type { GhlContact, GhlOpportunity, GhlPipeline } from './schemas.ts';

/**
 * GoHighLevel records: object `opportunities` or `contacts`, id the GoHighLevel id, `fields` the
 * requested fields (custom fields as `customFields.<id>`), an opportunity's email that of the
 * contact its search answer embeds, `refs.stripe` the custom field holding the Stripe customer id,
 * `aliases` an opportunity's contact id. GoHighLevel keeps no per-field history: `history` stays
 * empty and `updatedAt` is the record's own.
 */

/** The statuses an opportunity can be in. The spec's fifth value, `all`, is a search filter, not a state. */
export const GHL_STATUSES = ['open', 'won', 'lost', 'abandoned'] as const;

/** Custom fields are named `customFields.<id>`: answers carry a custom field's id, never its key. */
export const CUSTOM_FIELD_PREFIX = 'customFields.';

export interface GhlMapContext {
  locationId: string;
  /** The id of the custom field holding the Stripe customer id, or null. */
  stripeIdField: string | null;
  /** Base of links a person opens: `https://app.gohighlevel.com`. */
  appUrl: string;
}

/** ISO date or epoch-ms string → epoch ms; null when unreadable. */
export function parseTimestamp(value: string | number | null | undefined): number | null {
  if (value == null || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/** A custom field's value as Recon compares it: text, a list of texts, or JSON text for anything else. */
export function customFieldValue(raw: unknown): FieldValue {
  if (raw == null || raw === '') return null;
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) return raw as string[];
  return JSON.stringify(raw);
}

const text = (value: string | null | undefined): FieldValue => (value == null || value === '' ? null : value);

const OPPORTUNITY_VALUES: Record<string, (raw: GhlOpportunity) => FieldValue> = {
  name: (raw) => text(raw.name),
  monetaryValue: (raw) => raw.monetaryValue ?? null,
  pipelineId: (raw) => text(raw.pipelineId),
  pipelineStageId: (raw) => text(raw.pipelineStageId),
  status: (raw) => text(raw.status),
  assignedTo: (raw) => text(raw.assignedTo),
  contactId: (raw) => text(raw.contactId ?? raw.contact?.id),
  source: (raw) => text(raw.source),
  lostReasonId: (raw) => text(raw.lostReasonId),
  createdAt: (raw) => text(raw.createdAt),
  updatedAt: (raw) => text(raw.updatedAt),
  lastStatusChangeAt: (raw) => text(raw.lastStatusChangeAt),
  lastStageChangeAt: (raw) => text(raw.lastStageChangeAt),
};

const CONTACT_VALUES: Record<string, (raw: GhlContact) => FieldValue> = {
  email: (raw) => text(raw.email),
  firstName: (raw) => text(raw.firstName),
  lastName: (raw) => text(raw.lastName),
  name: (raw) => text(raw.name ?? raw.contactName),
  phone: (raw) => text(raw.phone),
  companyName: (raw) => text(raw.companyName),
  source: (raw) => text(raw.source),
  assignedTo: (raw) => text(raw.assignedTo),
  country: (raw) => text(raw.country),
  timezone: (raw) => text(raw.timezone),
  website: (raw) => text(raw.website),
  dnd: (raw) => raw.dnd ?? null,
  tags: (raw) => raw.tags ?? null,
  dateAdded: (raw) => text(raw.dateAdded),
  dateUpdated: (raw) => text(raw.dateUpdated),
};

function opportunityCustomField(raw: GhlOpportunity, id: string): FieldValue {
  return customFieldValue(raw.customFields?.find((field) => field.id === id)?.fieldValue);
}

function contactCustomField(raw: GhlContact, id: string): FieldValue {
  return customFieldValue(raw.customFields?.find((field) => field.id === id)?.value);
}

function stripeRef(value: FieldValue): Partial<Record<string, string>> {
  return typeof value === 'string' && value.trim() !== '' ? { stripe: value.trim() } : {};
}

export function opportunityUrl(context: Pick<GhlMapContext, 'appUrl' | 'locationId'>, id: string): string {
  // The opportunities board of the sub-account, opened on this opportunity; the board itself if the app ignores the id.
  return `${context.appUrl}/v2/location/${context.locationId}/opportunities/list?opportunityId=${encodeURIComponent(id)}`;
}

export function contactUrl(context: Pick<GhlMapContext, 'appUrl' | 'locationId'>, id: string): string {
  return `${context.appUrl}/v2/location/${context.locationId}/contacts/detail/${encodeURIComponent(id)}`;
}

/** One opportunity as a record; its email is the embedded contact's. */
export function toOpportunityRecord(raw: GhlOpportunity, fields: readonly string[], context: GhlMapContext): SystemRecord {
  const values: Record<string, FieldValue> = {};
  for (const field of fields) {
    values[field] = field.startsWith(CUSTOM_FIELD_PREFIX)
      ? opportunityCustomField(raw, field.slice(CUSTOM_FIELD_PREFIX.length))
      : OPPORTUNITY_VALUES[field]?.(raw) ?? null;
  }
  const contactId = raw.contactId ?? raw.contact?.id ?? null;
  return {
    system: 'gohighlevel',
    object: 'opportunities',
    id: raw.id,
    fields: values,
    email: normaliseEmail(raw.contact?.email),
    refs: context.stripeIdField ? stripeRef(opportunityCustomField(raw, context.stripeIdField)) : {},
    aliases: contactId ? [contactId] : [],
    updatedAt: parseTimestamp(raw.updatedAt) ?? parseTimestamp(raw.createdAt),
    history: {},
    url: opportunityUrl(context, raw.id),
  };
}

export function toContactRecord(raw: GhlContact, fields: readonly string[], context: GhlMapContext): SystemRecord {
  const values: Record<string, FieldValue> = {};
  for (const field of fields) {
    values[field] = field.startsWith(CUSTOM_FIELD_PREFIX)
      ? contactCustomField(raw, field.slice(CUSTOM_FIELD_PREFIX.length))
      : CONTACT_VALUES[field]?.(raw) ?? null;
  }
  return {
    system: 'gohighlevel',
    object: 'contacts',
    id: raw.id,
    fields: values,
    email: normaliseEmail(raw.email),
    refs: context.stripeIdField ? stripeRef(contactCustomField(raw, context.stripeIdField)) : {},
    aliases: [],
    updatedAt: parseTimestamp(raw.dateUpdated) ?? parseTimestamp(raw.dateAdded),
    history: {},
    url: contactUrl(context, raw.id),
  };
}

const field = (name: string, label: string, type: FieldDescription['type'], writable: boolean): FieldDescription =>
  ({ name, label, type, writable, options: null });

/**
 * What an opportunity has. A stage belongs to a pipeline: GoHighLevel refuses a stage of another
 * pipeline, so `pipelineStageId` takes its values per `pipelineId`. Custom fields are an open family:
 * the specs Recon holds document no way to list a location's custom fields.
 */
export function describeOpportunities(pipelines: readonly GhlPipeline[]): ObjectDescription {
  const ordered = pipelines.map((pipeline) => ({
    id: pipeline.id,
    label: pipeline.name,
    options: [...pipeline.stages]
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
      .map((stage) => ({ value: stage.id, label: stage.name })),
  }));
  return {
    system: 'gohighlevel',
    object: 'opportunities',
    fields: [
      field('name', 'Opportunity name', 'string', true),
      { ...field('pipelineId', 'Pipeline', 'enumeration', true), options: ordered.map((p) => ({ value: p.id, label: p.label })) },
      { ...field('pipelineStageId', 'Stage', 'enumeration', true), scoped: { by: 'pipelineId', byLabel: 'pipeline', scopes: ordered } },
      { ...field('status', 'Status', 'enumeration', true), options: GHL_STATUSES.map((s) => ({ value: s, label: s[0]?.toUpperCase() + s.slice(1) })) },
      field('monetaryValue', 'Opportunity value', 'number', true),
      field('assignedTo', 'Assigned to (user id)', 'string', true),
      field('contactId', 'Contact', 'string', false),
      field('source', 'Source', 'string', false),
      field('lostReasonId', 'Lost reason', 'string', false),
      field('createdAt', 'Created', 'datetime', false),
      field('updatedAt', 'Last updated', 'datetime', false),
      field('lastStatusChangeAt', 'Status last changed', 'datetime', false),
      field('lastStageChangeAt', 'Stage last changed', 'datetime', false),
    ],
    openPrefixes: [CUSTOM_FIELD_PREFIX],
  };
}

/** What a contact has: the fields `PUT /contacts/{id}` takes are writable. */
export function describeContacts(): ObjectDescription {
  return {
    system: 'gohighlevel',
    object: 'contacts',
    fields: [
      field('email', 'Email', 'string', true),
      field('firstName', 'First name', 'string', true),
      field('lastName', 'Last name', 'string', true),
      field('name', 'Name', 'string', true),
      field('phone', 'Phone', 'string', true),
      field('source', 'Source', 'string', true),
      field('assignedTo', 'Assigned to (user id)', 'string', true),
      field('country', 'Country', 'string', true),
      field('timezone', 'Time zone', 'string', true),
      field('website', 'Website', 'string', true),
      field('dnd', 'Do not disturb', 'boolean', true),
      field('tags', 'Tags', 'list', true),
      field('companyName', 'Company', 'string', false),
      field('dateAdded', 'Added', 'datetime', false),
      field('dateUpdated', 'Last updated', 'datetime', false),
    ],
    openPrefixes: [CUSTOM_FIELD_PREFIX],
  };
}

/** Fields `PUT /opportunities/{id}` takes (status has its own endpoint). */
const OPPORTUNITY_BODY_FIELDS = new Set(['name', 'pipelineId', 'pipelineStageId', 'monetaryValue', 'assignedTo']);
const CONTACT_BODY_FIELDS = new Set(['email', 'firstName', 'lastName', 'name', 'phone', 'source', 'assignedTo', 'country', 'timezone', 'website', 'dnd', 'tags']);

export type BodyPart = { ok: true; apply(body: Record<string, unknown>): void } | { ok: false; error: string };

/** A custom field write: `{ id, field_value }`, text or a list of texts; null clears it. */
function customFieldPart(id: string, value: FieldValue): BodyPart {
  if (id === '') return { ok: false, error: 'gohighlevel: a custom field is named customFields.<id>; the id is missing' };
  const fieldValue = value === null ? '' : Array.isArray(value) ? value : String(value);
  return { ok: true, apply: (body) => ((body.customFields ??= []) as unknown[]).push({ id, field_value: fieldValue }) };
}

/** Where one write goes in the `PUT /opportunities/{id}` body, or why it cannot be sent. */
export function opportunityBodyPart(name: string, value: FieldValue): BodyPart {
  if (name.startsWith(CUSTOM_FIELD_PREFIX)) return customFieldPart(name.slice(CUSTOM_FIELD_PREFIX.length), value);
  if (!OPPORTUNITY_BODY_FIELDS.has(name)) return { ok: false, error: `gohighlevel: opportunity field "${name}" cannot be written` };
  if (name === 'monetaryValue') {
    const amount = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(amount)) return { ok: false, error: `gohighlevel: monetaryValue must be a number, not ${JSON.stringify(value)}` };
    return { ok: true, apply: (body) => void (body.monetaryValue = amount) };
  }
  if (typeof value !== 'string' || value === '') return { ok: false, error: `gohighlevel: ${name} must be a non-empty text, not ${JSON.stringify(value)}` };
  return { ok: true, apply: (body) => void (body[name] = value) };
}

/** The body of `PUT /opportunities/{id}/status`, or why the value is not a status. */
export function statusBody(value: FieldValue): { ok: true; body: { status: string } } | { ok: false; error: string } {
  if (typeof value === 'string' && (GHL_STATUSES as readonly string[]).includes(value)) return { ok: true, body: { status: value } };
  return { ok: false, error: `gohighlevel: ${JSON.stringify(value)} is not an opportunity status (${GHL_STATUSES.join(', ')})` };
}

/** Where one write goes in the `PUT /contacts/{id}` body, or why it cannot be sent. */
export function contactBodyPart(name: string, value: FieldValue): BodyPart {
  if (name.startsWith(CUSTOM_FIELD_PREFIX)) return customFieldPart(name.slice(CUSTOM_FIELD_PREFIX.length), value);
  if (!CONTACT_BODY_FIELDS.has(name)) return { ok: false, error: `gohighlevel: contact field "${name}" cannot be written` };
  if (name === 'tags') {
    const tags = value === null ? [] : Array.isArray(value) ? value : String(value).split(/[;,]/).map((t) => t.trim()).filter(Boolean);
    return { ok: true, apply: (body) => void (body.tags = tags) };
  }
  if (name === 'dnd') {
    if (typeof value !== 'boolean') return { ok: false, error: `gohighlevel: dnd must be true or false, not ${JSON.stringify(value)}` };
    return { ok: true, apply: (body) => void (body.dnd = value) };
  }
  // The spec marks these nullable: null clears them.
  return { ok: true, apply: (body) => void (body[name] = value === null ? null : String(value)) };
}
