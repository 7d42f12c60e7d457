import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.ts';
import { join } from 'node:path';
import { SPECS_DIR } from '../support/openapi-shape.ts';

/**
 * The fixtures stand for the vendors' real bodies, so they are checked against the vendors' own
 * OpenAPI specs: every required field present, and primitive types right.
 */
type Schema = {
  $ref?: string; type?: string; nullable?: boolean; required?: string[];
  properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; additionalProperties?: Schema | boolean;
};
type Spec = { components: { schemas: Record<string, Schema> } };

const loadSpec = (path: string): Spec => JSON.parse(readFileSync(join(SPECS_DIR, path), 'utf8'));
const stripeSpec = loadSpec('stripe/spec3.json');
const dealsSpec = loadSpec('hubspot/deals-v3.json');

/**
 * Where the real API departs from its spec: HubSpot types property values as strings, but sends
 * `null` for a requested property that has no value.
 */
const knownNulls = [/\.properties\.[^.]+$/];

function problems(spec: Spec, schema: Schema, value: unknown, path = '$'): string[] {
  const resolved = schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop() as string] ?? {} : schema;
  if (value === null) {
    return resolved.nullable || !resolved.type || (spec === dealsSpec && knownNulls.some((p) => p.test(path))) ? [] : [`${path}: null but not nullable`];
  }
  if (resolved.anyOf) {
    const fits = resolved.anyOf.map((option) => problems(spec, option, value, path));
    return fits.some((p) => p.length === 0) ? [] : (fits[fits.length - 1] ?? []);
  }
  const type = resolved.type;
  if (type === 'string' && typeof value !== 'string') return [`${path}: expected string`];
  if (type === 'integer' && !Number.isInteger(value)) return [`${path}: expected integer`];
  if (type === 'boolean' && typeof value !== 'boolean') return [`${path}: expected boolean`];
  if (type === 'array') {
    if (!Array.isArray(value)) return [`${path}: expected array`];
    return value.flatMap((item, i) => (resolved.items ? problems(spec, resolved.items, item, `${path}[${i}]`) : []));
  }
  if ((type === 'object' || resolved.properties) && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const missing = (resolved.required ?? []).filter((key) => !(key in object)).map((key) => `${path}.${key}: missing`);
    const nested = Object.entries(object).flatMap(([key, child]) => {
      const childSchema = resolved.properties?.[key] ?? (typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined);
      return childSchema ? problems(spec, childSchema, child, `${path}.${key}`) : [];
    });
    return [...missing, ...nested];
  }
  return [];
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

describe('fixtures agree with the vendor specs', () => {
  it.each([
    ['stripe/customer', 'customer'],
    ['stripe/subscription', 'subscription'],
    ['stripe/invoice', 'invoice'],
  ])('%s is a Stripe %s', (name, schema) => {
    expect(problems(stripeSpec, ref(schema), fixture(name))).toEqual([]);
  });

  it.each(['stripe/error-invalid-request', 'stripe/error-resource-missing', 'stripe/error-rate-limit'])('%s is a Stripe error', (name) => {
    expect(problems(stripeSpec, ref('error'), fixture(name))).toEqual([]);
  });

  it.each(['hubspot/deals-page-1', 'hubspot/deals-page-2', 'hubspot/contacts-page'])('%s is a HubSpot list page', (name) => {
    expect(problems(dealsSpec, ref('CollectionResponseSimplePublicObjectWithAssociationsForwardPaging'), fixture(name))).toEqual([]);
  });

  it.each(['hubspot/deals-batch-read-history', 'hubspot/deals-batch-update-207', 'hubspot/contacts-batch-read'])('%s is a HubSpot batch answer', (name) => {
    expect(problems(dealsSpec, ref('BatchResponseSimplePublicObjectWithErrors'), fixture(name))).toEqual([]);
  });

  it('hubspot/error-validation is a HubSpot error', () => {
    expect(problems(dealsSpec, ref('Error'), fixture('hubspot/error-validation'))).toEqual([]);
  });
});
