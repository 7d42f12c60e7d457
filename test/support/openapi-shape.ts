/**
 * A small checker of JSON values against OpenAPI 3 schemas, for tests that hold fakes and fixtures
 * to the vendors' published specs (ajv is not a dependency). It understands `$ref`, `type`,
 * `nullable`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `anyOf`, `oneOf`,
 * `allOf` and `pattern`; it ignores formats and lengths.
 *
 * @example
 * const stripe = loadSpec('stripe/spec3.json');
 * expect(shapeProblems(stripe, ref('customer'), customer)).toEqual([]);
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  pattern?: string;
}

export interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface ShapeOptions {
  /**
   * Accept `null` as a value of a map (`additionalProperties`). HubSpot's spec types property values
   * as strings, but the live API sends `null` for a requested property that has no value.
   */
  nullableMapValues?: boolean;
}

const specs = new Map<string, OpenApiDocument>();

/** The vendors' published specs, copied into the repository (each folder's SOURCE says from where). */
export const SPECS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../specs');

/** Loads a spec from `test/specs/<file>`. */
export function loadSpec(file: string): OpenApiDocument {
  let spec = specs.get(file);
  if (!spec) {
    spec = JSON.parse(readFileSync(path.join(SPECS_DIR, file), 'utf8')) as OpenApiDocument;
    specs.set(file, spec);
  }
  return spec;
}

/** A `$ref` to a component schema. */
export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** The JSON schema of an operation's response, e.g. `responseSchema(spec, '/v1/customers', 'get', '200')`. */
export function responseSchema(spec: OpenApiDocument, pathName: string, method: string, status: string): Schema {
  const content = spec.paths?.[pathName]?.[method]?.responses?.[status]?.content;
  const schema = content?.['application/json']?.schema ?? content?.['*/*']?.schema;
  if (!schema) throw new Error(`spec has no ${status} JSON response for ${method.toUpperCase()} ${pathName}`);
  return schema;
}

function resolve(spec: OpenApiDocument, schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; current.$ref; depth += 1) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(current.$ref)?.[1];
    const target = name === undefined ? undefined : spec.components?.schemas?.[name];
    if (!target || depth > 20) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

function typeProblem(schema: Schema, value: unknown, at: string): string | null {
  const actual = Array.isArray(value) ? 'array' : typeof value;
  switch (schema.type) {
    case undefined: return null;
    case 'integer': return Number.isInteger(value) ? null : `${at}: expected integer, got ${JSON.stringify(value)}`;
    case 'number': return typeof value === 'number' ? null : `${at}: expected number, got ${actual}`;
    case 'object': return actual === 'object' ? null : `${at}: expected object, got ${actual}`;
    default: return actual === schema.type ? null : `${at}: expected ${schema.type}, got ${actual}`;
  }
}

/** Every way `value` departs from `schema`, as `path: problem` lines; empty when it conforms. */
export function shapeProblems(spec: OpenApiDocument, schema: Schema, value: unknown, options: ShapeOptions = {}, at = '$'): string[] {
  const resolved = resolve(spec, schema);
  if (value === null) {
    const nullable = resolved.nullable === true || schema.nullable === true
      || resolved.anyOf?.some((option) => resolve(spec, option).nullable === true) === true;
    return nullable ? [] : [`${at}: null where the schema does not allow it`];
  }
  if (resolved.anyOf || resolved.oneOf) {
    const options_ = resolved.anyOf ?? resolved.oneOf ?? [];
    const attempts = options_.map((option) => shapeProblems(spec, option, value, options, at));
    if (!attempts.some((problems) => problems.length === 0)) {
      const closest = attempts.reduce((best, problems) => (problems.length < best.length ? problems : best));
      return [`${at}: matches none of ${options_.length} alternatives; closest: ${closest.slice(0, 3).join('; ')}`];
    }
  }
  const problems: string[] = [];
  for (const part of resolved.allOf ?? []) problems.push(...shapeProblems(spec, part, value, options, at));
  const wrongType = typeProblem(resolved, value, at);
  if (wrongType) return [...problems, wrongType];
  if (resolved.enum && !resolved.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(resolved.enum)}`);
  if (resolved.pattern && typeof value === 'string' && !new RegExp(resolved.pattern).test(value)) {
    problems.push(`${at}: ${JSON.stringify(value)} does not match ${resolved.pattern}`);
  }
  if (Array.isArray(value) && resolved.items) {
    value.forEach((item, i) => problems.push(...shapeProblems(spec, resolved.items as Schema, item, options, `${at}[${i}]`)));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const name of resolved.required ?? []) if (!(name in record)) problems.push(`${at}.${name}: required but missing`);
    for (const [name, item] of Object.entries(record)) {
      const property = resolved.properties?.[name];
      if (property) {
        problems.push(...shapeProblems(spec, property, item, options, `${at}.${name}`));
      } else if (resolved.additionalProperties === false) {
        problems.push(`${at}.${name}: not allowed by the schema`);
      } else if (typeof resolved.additionalProperties === 'object' && !(item === null && options.nullableMapValues)) {
        problems.push(...shapeProblems(spec, resolved.additionalProperties, item, options, `${at}.${name}`));
      }
    }
  }
  return problems;
}
