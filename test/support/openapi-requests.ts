/**
 * Checks a request a client sent against the operations a published OpenAPI spec documents: the
 * path matches a template, the method exists there, every query parameter is declared, required
 * parameters and headers are present, and every body field is declared in the request schema.
 *
 * @example
 * expect(requestProblems([spec], { method: 'GET', url: new URL('https://x/opportunities/search?limit=100'), headers, body: undefined })).toEqual([]);
 */
import { shapeProblems, type OpenApiDocument, type Schema } from './openapi-shape.ts';

interface Parameter { name: string; in: 'query' | 'header' | 'path' | 'cookie'; required?: boolean; schema?: Schema }
interface Operation { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }
type Paths = Record<string, Record<string, Operation>>;

export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** The parsed JSON body, or undefined. */
  body: unknown;
}

function resolve(spec: OpenApiDocument, schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 20; depth++) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(current.$ref)?.[1];
    current = (name && spec.components?.schemas?.[name]) || {};
  }
  return current;
}

/** Body fields the schema does not declare, as `$.path` lines (anyOf/oneOf: the best-fitting alternative). */
export function undeclaredFields(spec: OpenApiDocument, schema: Schema, value: unknown, at = '$'): string[] {
  const resolved = resolve(spec, schema);
  const alternatives = resolved.anyOf ?? resolved.oneOf;
  if (alternatives) {
    const attempts = alternatives.map((option) => undeclaredFields(spec, option, value, at));
    return attempts.reduce((best, problems) => (problems.length < best.length ? problems : best));
  }
  if (Array.isArray(value)) return resolved.items ? value.flatMap((item, i) => undeclaredFields(spec, resolved.items as Schema, item, `${at}[${i}]`)) : [];
  if (value === null || typeof value !== 'object') return [];
  // An object the spec leaves open (no properties) declares nothing, and so allows nothing to be checked.
  if (!resolved.properties) return resolved.additionalProperties === false ? Object.keys(value).map((name) => `${at}.${name}: not declared`) : [];
  return Object.entries(value).flatMap(([name, item]) => {
    const property = resolved.properties?.[name];
    return property ? undeclaredFields(spec, property, item, `${at}.${name}`) : [`${at}.${name}: not declared`];
  });
}

/** The operation a path and method match, most literal segments first, with the spec it is in. */
function operationOf(specs: OpenApiDocument[], method: string, path: string): { spec: OpenApiDocument; template: string; operation: Operation } | null {
  const segments = path.split('/');
  let best: { spec: OpenApiDocument; template: string; operation: Operation; literal: number } | null = null;
  for (const spec of specs) {
    for (const [template, operations] of Object.entries((spec.paths ?? {}) as Paths)) {
      const parts = template.split('/');
      if (parts.length !== segments.length) continue;
      let literal = 0;
      const fits = parts.every((part, i) => {
        const segment = segments[i] ?? '';
        if (/^\{.+\}$/.test(part)) return segment !== '';
        literal++;
        return part === segment;
      });
      const operation = operations[method.toLowerCase()];
      if (fits && operation && (!best || literal > best.literal)) best = { spec, template, operation, literal };
    }
  }
  return best;
}

/** Every way a request departs from what the specs document; empty when it is a documented call. */
export function requestProblems(specs: OpenApiDocument[], request: SentRequest): string[] {
  const where = `${request.method} ${request.url.pathname}`;
  const found = operationOf(specs, request.method, request.url.pathname);
  if (!found) return [`${where}: no documented operation has this path and method`];
  const { spec, template, operation } = found;
  const problems: string[] = [];
  const parameters = operation.parameters ?? [];
  const declared = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of new Set(request.url.searchParams.keys())) {
    if (!declared.has(name)) problems.push(`${where}: query parameter ${name} is not declared by ${template}`);
  }
  for (const parameter of parameters.filter((p) => p.required)) {
    if (parameter.in === 'query' && !request.url.searchParams.has(parameter.name)) problems.push(`${where}: required query parameter ${parameter.name} is missing`);
    if (parameter.in === 'header') {
      const value = request.headers.get(parameter.name);
      const allowed = parameter.schema?.enum;
      if (value === null) problems.push(`${where}: required header ${parameter.name} is missing`);
      else if (allowed && !allowed.includes(value)) problems.push(`${where}: header ${parameter.name} ${value} is not one of ${JSON.stringify(allowed)}`);
    }
  }
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
  if (request.body !== undefined) {
    if (!bodySchema) problems.push(`${where}: sends a body, but ${template} documents none`);
    else {
      problems.push(...undeclaredFields(spec, bodySchema, request.body).map((line) => `${where}: body ${line}`));
      problems.push(...shapeProblems(spec, bodySchema, request.body).map((line) => `${where}: body ${line}`));
    }
  }
  return problems;
}
