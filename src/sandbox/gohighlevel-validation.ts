/** GoHighLevel's request validation, as its API applies it: unknown properties refused, types and enums checked. */
import { GHL_OPPORTUNITY_STATUSES } from './gohighlevel-objects.ts';
import type { GhlCustomFieldValue, GhlOpportunity, GoHighLevelState } from './gohighlevel-objects.ts';
import { badRequest, unprocessable } from './gohighlevel-views.ts';

/** The largest page both list endpoints allow. */
const MAX_LIMIT = 100;

export function onlyParams(query: URLSearchParams, allowed: readonly string[]): void {
  const unknown = [...new Set(query.keys())].filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw unprocessable(...unknown.map((name) => `property ${name} should not exist`));
}

export function requiredParam(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (!value) throw unprocessable(`${name} should not be empty`, `${name} must be a string`);
  return value;
}

export function limitParam(query: URLSearchParams): number {
  const raw = query.get('limit');
  const limit = raw === null ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1) throw unprocessable('limit must be a positive integer');
  if (limit > MAX_LIMIT) throw unprocessable(`limit must not be greater than ${MAX_LIMIT}`);
  return limit;
}

/** The request body as an object with only the given properties, or the API's 400/422. */
export function bodyObject(text: string, allowed: readonly string[]): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('Unexpected token in JSON body');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw unprocessable('the body must be a JSON object');
  const unknown = Object.keys(body).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw unprocessable(...unknown.map((name) => `property ${name} should not exist`));
  return body as Record<string, unknown>;
}

export function stringProperty(body: Record<string, unknown>, name: string, { nullable = false } = {}): string | null | undefined {
  const value = body[name];
  if (value === undefined || (nullable && value === null)) return value as null | undefined;
  if (typeof value !== 'string') throw unprocessable(`${name} must be a string`);
  return value;
}

export function statusProperty(body: Record<string, unknown>): GhlOpportunity['status'] | undefined {
  const status = body.status;
  if (status === undefined) return undefined;
  if (typeof status !== 'string' || !(GHL_OPPORTUNITY_STATUSES as readonly string[]).includes(status)) {
    throw unprocessable(`status must be one of the following values: ${GHL_OPPORTUNITY_STATUSES.join(', ')}`);
  }
  return status as GhlOpportunity['status'];
}

/** `customFields: [{ id | key, field_value }]`, each naming a custom field of `model`, as ids. */
export function customFieldWrites(ghl: GoHighLevelState, raw: unknown, model: 'opportunity' | 'contact'): { id: string; value: GhlCustomFieldValue }[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw unprocessable('customFields must be an array');
  return raw.map((item: unknown, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw unprocessable(`customFields.${i} must be an object`);
    const entry = item as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((name) => !['id', 'key', 'field_value'].includes(name));
    if (unknown.length > 0) throw unprocessable(...unknown.map((name) => `customFields.${i}.property ${name} should not exist`));
    const definition = ghl.customFields.find((field) => field.model === model && ((typeof entry.id === 'string' && field.id === entry.id) || (typeof entry.key === 'string' && field.key === entry.key)));
    if (!definition) throw badRequest(`Custom field ${String(entry.id ?? entry.key)} does not exist for ${model}s in this location`);
    const value = entry.field_value;
    const valid = typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string')) || (value !== null && typeof value === 'object');
    if (!valid) throw unprocessable(`customFields.${i}.field_value must be a string, a list of strings or an object`);
    return { id: definition.id, value: value as GhlCustomFieldValue };
  });
}
