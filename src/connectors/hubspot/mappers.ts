import {
  normaliseEmail, type ChangedBy, type FieldChange, type FieldEntry, type FieldValue, type SystemRecord,
} from '../../domain/records.ts';
import type { FieldDescription, ObjectDescription, Vocabulary } from '../../domain/ports.ts';
import type { HubSpotHistoryEntry, HubSpotObject, HubSpotPipeline, HubSpotProperty, HubSpotStandardError } from './schemas.ts';

/**
 * HubSpot records: object `deals` or `contacts`, id the HubSpot record id, `fields` the requested
 * properties (numbers parsed for numeric properties; empty and missing values are null),
 * `refs.stripe` the property holding the Stripe customer id, `aliases` a deal's associated contact ids.
 */

/** HubSpot's object type ids, used in record URLs. */
export const OBJECT_TYPE_IDS: Record<string, string> = { contacts: '0-1', deals: '0-3' };

/** Deal properties HubSpot stores as numbers; others stay strings. */
export const DEFAULT_NUMBER_PROPERTIES = [
  'amount', 'amount_in_home_currency', 'hs_acv', 'hs_arr', 'hs_mrr', 'hs_tcv', 'hs_deal_stage_probability',
];

/**
 * `sourceType` values that mean a person made the change. HubSpot documents `sourceType` as a free
 * string; the values come from its PropertyValue `source` enum and its "property change source"
 * help pages:
 * - CRM_UI, CRM_UI_BULK_ACTION: an edit (or bulk edit) in the HubSpot web app.
 * - MOBILE_IOS, MOBILE_ANDROID: an edit in the mobile apps.
 * - EMAIL, SALES, EXTENSION: a rep acting from the inbox / Sales tools / Chrome extension.
 * - IMPORT: a person uploaded a file; the values are theirs, typed by hand or exported from elsewhere.
 * Counting these as human makes Recon escalate rather than overwrite them: a human edit wrongly
 * taken for an integration's would be silently reverted, the worse mistake.
 */
const HUMAN_SOURCES = new Set([
  'CRM_UI', 'CRM_UI_BULK_ACTION', 'MOBILE_IOS', 'MOBILE_ANDROID', 'EMAIL', 'SALES', 'EXTENSION', 'IMPORT',
]);

/**
 * `sourceType` values of machines: apps and API clients (INTEGRATION, API, INTEGRATIONS_PLATFORM,
 * INTEGRATIONS_SYNC, SALESFORCE, BATCH_UPDATE, MIGRATION), HubSpot automation (AUTOMATION_PLATFORM is
 * workflows; WORKFLOWS, SEQUENCES, BOT), values HubSpot computes (CALCULATED, ANALYTICS,
 * BEHAVIORAL_EVENTS, DATA_ENRICHMENT, INTERNAL_PROCESSING, PORTAL_OBJECT_SYNC) and merges.
 * Anything else (FORM, CONTACTS, DEALS, a value HubSpot adds later) is `unknown`.
 */
const INTEGRATION_SOURCES = new Set([
  'INTEGRATION', 'API', 'INTEGRATIONS_PLATFORM', 'INTEGRATIONS_SYNC', 'SALESFORCE', 'BATCH_UPDATE', 'MIGRATION',
  'AUTOMATION_PLATFORM', 'WORKFLOWS', 'SEQUENCES', 'BOT', 'CALCULATED', 'ANALYTICS', 'BEHAVIORAL_EVENTS',
  'DATA_ENRICHMENT', 'INTERNAL_PROCESSING', 'PORTAL_OBJECT_SYNC', 'MERGE_OBJECTS', 'MERGE_CONTACTS', 'MERGE_COMPANIES',
]);

export interface HubSpotMapContext {
  /** The property holding the Stripe customer id. */
  stripeIdProperty: string;
  numberProperties: ReadonlySet<string>;
  /** HubSpot account id, for record URLs; null leaves `url` null. */
  portalId: string | null;
  /** Recon's own app id: history entries with this `sourceId` are Recon's writes. */
  ownSourceId: string | null;
}

/** ISO date or epoch-ms string → epoch ms; null when unreadable. */
export function parseTimestamp(value: string | null | undefined): number | null {
  if (value == null || value === '') return null;
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/** A property value as Recon compares it: null for empty, a number for numeric properties. */
export function propertyValue(name: string, raw: string | null | undefined, numberProperties: ReadonlySet<string>): FieldValue {
  if (raw == null || raw === '') return null;
  if (!numberProperties.has(name)) return raw;
  const number = Number(raw);
  // A non-number in a number property stays visible as text (a mapping gap), never a silent null.
  return Number.isFinite(number) ? number : raw;
}

export function changedByOf(entry: Pick<HubSpotHistoryEntry, 'sourceType' | 'sourceId'>, ownSourceId: string | null): ChangedBy {
  if (ownSourceId !== null && entry.sourceId === ownSourceId) return 'recon';
  if (HUMAN_SOURCES.has(entry.sourceType)) return 'human';
  if (INTEGRATION_SOURCES.has(entry.sourceType)) return 'integration';
  return 'unknown';
}

/** The last change of a property: its newest history entry. */
export function lastChange(entries: readonly HubSpotHistoryEntry[], ownSourceId: string | null): FieldChange | null {
  let newest: HubSpotHistoryEntry | null = null;
  let newestAt = -Infinity;
  for (const entry of entries) {
    const at = parseTimestamp(entry.timestamp) ?? -Infinity;
    if (newest === null || at > newestAt) {
      newest = entry;
      newestAt = at;
    }
  }
  if (newest === null) return null;
  return {
    changedAt: Number.isFinite(newestAt) ? newestAt : null,
    changedBy: changedByOf(newest, ownSourceId),
    sourceType: newest.sourceType,
  };
}

/** A property's history, newest first (ties in HubSpot's own order), as values Recon compares. */
export function fieldTrail(field: string, entries: readonly HubSpotHistoryEntry[], context: Pick<HubSpotMapContext, 'numberProperties' | 'ownSourceId'>): FieldEntry[] {
  return entries
    .map((entry, order) => ({ entry, order, at: parseTimestamp(entry.timestamp) }))
    .sort((a, b) => (b.at ?? -Infinity) - (a.at ?? -Infinity) || a.order - b.order)
    .map(({ entry, at }) => ({ value: propertyValue(field, entry.value, context.numberProperties), changedAt: at, changedBy: changedByOf(entry, context.ownSourceId) }));
}

/** Associated contact ids of a deal, in HubSpot's order, without repeats (labelled associations repeat ids). */
export function associatedContactIds(object: HubSpotObject): string[] {
  const results = object.associations?.contacts?.results ?? [];
  return [...new Set(results.map((association) => association.id))];
}

/**
 * One HubSpot record. `contactEmails` maps contact ids to emails, for a deal's email: the first
 * associated contact that has one.
 */
export function toHubSpotRecord(
  objectType: 'deals' | 'contacts',
  raw: HubSpotObject,
  fields: readonly string[],
  context: HubSpotMapContext,
  contactEmails: ReadonlyMap<string, string | null> = new Map(),
): SystemRecord {
  const values: Record<string, FieldValue> = {};
  for (const field of fields) values[field] = propertyValue(field, raw.properties[field], context.numberProperties);

  const aliases = objectType === 'deals' ? associatedContactIds(raw) : [];
  let email: string | null = null;
  if (objectType === 'contacts') email = normaliseEmail(raw.properties.email);
  else {
    for (const contactId of aliases) {
      email = normaliseEmail(contactEmails.get(contactId));
      if (email !== null) break;
    }
  }

  const history: Record<string, FieldChange> = {};
  const trail: Record<string, FieldEntry[]> = {};
  for (const [field, entries] of Object.entries(raw.propertiesWithHistory ?? {})) {
    const change = lastChange(entries, context.ownSourceId);
    if (change) history[field] = change;
    if (context.ownSourceId !== null) trail[field] = fieldTrail(field, entries, context);
  }

  const stripeId = raw.properties[context.stripeIdProperty]?.trim();
  const modified = objectType === 'deals' ? raw.properties.hs_lastmodifieddate : raw.properties.lastmodifieddate;
  const typeId = OBJECT_TYPE_IDS[objectType] ?? objectType;
  return {
    system: 'hubspot',
    object: objectType,
    id: raw.id,
    fields: values,
    email,
    refs: stripeId ? { stripe: stripeId } : {},
    aliases,
    updatedAt: parseTimestamp(modified) ?? parseTimestamp(raw.updatedAt),
    history,
    ...(Object.keys(trail).length > 0 ? { trail } : {}),
    url: context.portalId !== null ? `https://app.hubspot.com/contacts/${context.portalId}/record/${typeId}/${raw.id}` : null,
  };
}

/** A property value as HubSpot takes it: always a string; '' clears it; lists are `;`-separated. */
export function toPropertyString(value: FieldValue): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.join(';');
  return String(value);
}

/**
 * Deal stages of every pipeline, in HubSpot's display order. Labels carry the pipeline's name
 * when there is more than one pipeline, since stage labels repeat across pipelines.
 */
export function stagesVocabulary(pipelines: readonly HubSpotPipeline[]): Vocabulary {
  const live = pipelines.filter((pipeline) => !pipeline.archived).sort((a, b) => a.displayOrder - b.displayOrder);
  const values: Vocabulary['values'] = [];
  for (const pipeline of live) {
    const stages = pipeline.stages.filter((stage) => !stage.archived).sort((a, b) => a.displayOrder - b.displayOrder);
    for (const stage of stages) {
      values.push({ value: stage.id, label: live.length > 1 ? `${pipeline.label}: ${stage.label}` : stage.label });
    }
  }
  return { values };
}

/** Live pipelines and their live stages, in HubSpot's display order. */
function livePipelines(pipelines: readonly HubSpotPipeline[]): HubSpotPipeline[] {
  return pipelines
    .filter((pipeline) => !pipeline.archived)
    .sort((a, b) => a.displayOrder - b.displayOrder)
    .map((pipeline) => ({ ...pipeline, stages: pipeline.stages.filter((stage) => !stage.archived).sort((a, b) => a.displayOrder - b.displayOrder) }));
}

const PROPERTY_TYPES: Record<string, FieldDescription['type']> = {
  string: 'string', number: 'number', enumeration: 'enumeration', date: 'datetime', datetime: 'datetime', bool: 'boolean',
};

/**
 * An object's properties as Recon checks a policy against them. A deal's `dealstage` takes its
 * values from the deal's pipeline: HubSpot refuses a stage of another pipeline. Calculated and
 * read-only properties are not writable.
 */
export function describeHubSpotObject(objectType: string, properties: readonly HubSpotProperty[], pipelines: readonly HubSpotPipeline[]): ObjectDescription {
  const live = livePipelines(pipelines);
  const fields = properties
    .filter((property) => !property.archived)
    .map((property): FieldDescription => {
      const writable = !property.calculated && property.modificationMetadata?.readOnlyValue !== true;
      const base = { name: property.name, label: property.label, type: PROPERTY_TYPES[property.type] ?? 'string', writable };
      if (objectType === 'deals' && property.name === 'dealstage') {
        return {
          ...base, type: 'enumeration', options: null,
          scoped: {
            by: 'pipeline', byLabel: 'pipeline',
            scopes: live.map((pipeline) => ({ id: pipeline.id, label: pipeline.label, options: pipeline.stages.map((stage) => ({ value: stage.id, label: stage.label })) })),
          },
        };
      }
      if (objectType === 'deals' && property.name === 'pipeline') {
        return { ...base, type: 'enumeration', options: live.map((pipeline) => ({ value: pipeline.id, label: pipeline.label })) };
      }
      const options = property.type === 'enumeration' || property.type === 'bool'
        ? (property.options ?? []).filter((option) => !option.hidden).map((option) => ({ value: option.value, label: option.label }))
        : null;
      return { ...base, options };
    });
  return { system: 'hubspot', object: objectType, fields, openPrefixes: [] };
}

export function pipelinesVocabulary(pipelines: readonly HubSpotPipeline[]): Vocabulary {
  return {
    values: pipelines
      .filter((pipeline) => !pipeline.archived)
      .sort((a, b) => a.displayOrder - b.displayOrder)
      .map((pipeline) => ({ value: pipeline.id, label: pipeline.label })),
  };
}

export type RecordOutcome = { ok: true } | { ok: false; error: string; retryable: boolean };

/** 207 error categories that a later attempt may get past. */
const RETRYABLE_CATEGORIES = new Set(['RATE_LIMITS', 'INTERNAL_ERROR', 'TIMEOUT', 'LOCKED']);

/**
 * The outcome of each record of a batch/update answer (200 or 207): ok when in `results`; failed
 * with the error whose `context.ids` names it; an error naming no ids applies to every record left.
 */
export function batchUpdateOutcomes(
  ids: readonly string[],
  results: readonly unknown[],
  errors: readonly HubSpotStandardError[],
): Map<string, RecordOutcome> {
  const outcome = new Map<string, RecordOutcome>();
  for (const result of results) {
    const id = (result as { id?: unknown } | null)?.id;
    if (typeof id === 'string' || typeof id === 'number') outcome.set(String(id), { ok: true });
  }
  const unattributed: HubSpotStandardError[] = [];
  for (const error of errors) {
    const failed: RecordOutcome = { ok: false, error: `hubspot: ${error.category}: ${error.message}`, retryable: RETRYABLE_CATEGORIES.has(error.category) };
    const errorIds = error.context?.ids ?? [];
    if (errorIds.length === 0) unattributed.push(error);
    for (const id of errorIds) outcome.set(id, failed);
  }
  const rest = ids.filter((id) => !outcome.has(id));
  if (unattributed.length > 0) {
    const failed: RecordOutcome = {
      ok: false,
      error: `hubspot: ${unattributed.map((e) => `${e.category}: ${e.message}`).join('; ')}`,
      retryable: unattributed.every((e) => RETRYABLE_CATEGORIES.has(e.category)),
    };
    for (const id of rest) outcome.set(id, failed);
  }
  return outcome;
}
