/**
 * Google API discovery documents (not OpenAPI: `schemas` by id, `resources` of `methods` with
 * `parameters`) as test oracles: the shape of a body against a schema, and whether a request is
 * one the document declares (path, HTTP method, query parameters and their types).
 *
 * @example
 * const calendar = loadDiscovery('google-calendar/calendar-v3.json');
 * expect(discoveryShapeProblems(calendar, 'Events', body)).toEqual([]);
 * expect(undocumentedRequest(calendar, { method: 'GET', path, query })).toBeNull();
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SPECS_DIR } from './openapi-shape.ts';

export interface DiscoverySchema {
  id?: string;
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, DiscoverySchema>;
  additionalProperties?: DiscoverySchema;
  items?: DiscoverySchema;
  enum?: string[];
}

export interface DiscoveryParameter {
  type: string;
  location: 'path' | 'query';
  required?: boolean;
  repeated?: boolean;
  enum?: string[];
  format?: string;
  minimum?: string;
  maximum?: string;
}

export interface DiscoveryMethod {
  id: string;
  path: string;
  httpMethod: string;
  parameters?: Record<string, DiscoveryParameter>;
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

export interface DiscoveryDocument {
  servicePath: string;
  parameters: Record<string, DiscoveryParameter>;
  schemas: Record<string, DiscoverySchema>;
  resources: Record<string, DiscoveryResource>;
}

export function loadDiscovery(file: string): DiscoveryDocument {
  return JSON.parse(readFileSync(path.join(SPECS_DIR, file), 'utf8')) as DiscoveryDocument;
}

function resolve(doc: DiscoveryDocument, schema: DiscoverySchema | string): DiscoverySchema {
  let current = typeof schema === 'string' ? { $ref: schema } : schema;
  for (let depth = 0; current.$ref; depth += 1) {
    const target = doc.schemas[current.$ref];
    if (!target || depth > 20) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

/**
 * Every way `value` departs from the schema, as `path: problem` lines. Properties a schema does not
 * declare are problems too: Google's own answers never carry them, so a fake that sends one leaks.
 */
export function discoveryShapeProblems(doc: DiscoveryDocument, schema: DiscoverySchema | string, value: unknown, at = '$'): string[] {
  const resolved = resolve(doc, schema);
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  switch (resolved.type) {
    case 'string': {
      if (actual !== 'string') return [`${at}: expected string, got ${actual}`];
      const text = value as string;
      if (resolved.enum && !resolved.enum.includes(text)) return [`${at}: ${JSON.stringify(text)} is not one of ${resolved.enum.join(', ')}`];
      if (resolved.format === 'date-time' && Number.isNaN(Date.parse(text))) return [`${at}: ${JSON.stringify(text)} is not a date-time`];
      if ((resolved.format === 'int64' || resolved.format === 'uint64') && !/^-?\d+$/.test(text)) return [`${at}: ${JSON.stringify(text)} is not an int64 string`];
      if (resolved.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(text)) return [`${at}: ${JSON.stringify(text)} is not a date`];
      return [];
    }
    case 'integer': return Number.isInteger(value) ? [] : [`${at}: expected integer, got ${JSON.stringify(value)}`];
    case 'number': return actual === 'number' ? [] : [`${at}: expected number, got ${actual}`];
    case 'boolean': return actual === 'boolean' ? [] : [`${at}: expected boolean, got ${actual}`];
    case 'any': return [];
    case 'array':
      if (actual !== 'array') return [`${at}: expected array, got ${actual}`];
      return (value as unknown[]).flatMap((item, i) => (resolved.items ? discoveryShapeProblems(doc, resolved.items, item, `${at}[${i}]`) : []));
    case 'object': {
      if (actual !== 'object') return [`${at}: expected object, got ${actual}`];
      const problems: string[] = [];
      for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
        const declared = resolved.properties?.[name];
        if (declared) problems.push(...discoveryShapeProblems(doc, declared, item, `${at}.${name}`));
        else if (resolved.additionalProperties) problems.push(...discoveryShapeProblems(doc, resolved.additionalProperties, item, `${at}.${name}`));
        else problems.push(`${at}.${name}: not a property of ${resolved.id ?? 'this object'}`);
      }
      return problems;
    }
    default: return [`${at}: the schema has no type Recon's checker knows (${String(resolved.type)})`];
  }
}

/** Every method of the document, however deeply its resources nest. */
export function discoveryMethods(doc: DiscoveryDocument): DiscoveryMethod[] {
  const all: DiscoveryMethod[] = [];
  const walk = (resources: Record<string, DiscoveryResource>) => {
    for (const resource of Object.values(resources)) {
      all.push(...Object.values(resource.methods ?? {}));
      if (resource.resources) walk(resource.resources);
    }
  };
  walk(doc.resources);
  return all;
}

function parameterProblem(name: string, parameter: DiscoveryParameter, values: string[]): string | null {
  if (values.length > 1 && !parameter.repeated) return `${name} is sent ${values.length} times but is not repeated`;
  for (const value of values) {
    if (parameter.type === 'boolean' && value !== 'true' && value !== 'false') return `${name}=${value} is not a boolean`;
    if (parameter.type === 'integer') {
      if (!/^-?\d+$/.test(value)) return `${name}=${value} is not an integer`;
      if (parameter.minimum !== undefined && Number(value) < Number(parameter.minimum)) return `${name}=${value} is below ${parameter.minimum}`;
      if (parameter.maximum !== undefined && Number(value) > Number(parameter.maximum)) return `${name}=${value} is above ${parameter.maximum}`;
    }
    if (parameter.enum && !parameter.enum.includes(value)) return `${name}=${value} is not one of ${parameter.enum.join(', ')}`;
    if (parameter.format === 'date-time' && Number.isNaN(Date.parse(value))) return `${name}=${value} is not a date-time`;
  }
  return null;
}

/**
 * Why a request is not one the document declares (no method with this HTTP method and path, a
 * query parameter it does not declare or of the wrong type, a required one missing), or null.
 */
export function undocumentedRequest(doc: DiscoveryDocument, request: { method: string; path: string; query: [string, string][] }): string | null {
  const prefix = `/${doc.servicePath}`;
  if (!request.path.startsWith(prefix)) return `${request.path} is not under ${prefix}`;
  const parts = request.path.slice(prefix.length).split('/').map(decodeURIComponent);
  const candidates = discoveryMethods(doc).filter((method) => method.httpMethod === request.method).flatMap((method) => {
    const template = method.path.split('/');
    if (template.length !== parts.length) return [];
    const pathParams: Record<string, string> = {};
    const matches = template.every((segment, i) => {
      const param = /^\{\+?(\w+)\}$/.exec(segment)?.[1];
      if (param) {
        pathParams[param] = parts[i] as string;
        return (parts[i] as string) !== '';
      }
      return segment === parts[i];
    });
    return matches ? [{ method, pathParams }] : [];
  });
  if (candidates.length === 0) return `no method of the document is ${request.method} ${request.path}`;
  const { method } = candidates[0] as { method: DiscoveryMethod };
  const byName = new Map<string, string[]>();
  for (const [name, value] of request.query) byName.set(name, [...(byName.get(name) ?? []), value]);
  for (const [name, values] of byName) {
    const parameter = method.parameters?.[name] ?? doc.parameters[name];
    if (!parameter || parameter.location !== 'query') return `${method.id} declares no query parameter ${name}`;
    const problem = parameterProblem(name, parameter, values);
    if (problem) return `${method.id}: ${problem}`;
  }
  for (const [name, parameter] of Object.entries(method.parameters ?? {})) {
    if (parameter.required && parameter.location === 'query' && !byName.has(name)) return `${method.id}: required ${name} is missing`;
  }
  return null;
}
