/**
 * GoHighLevel's published specs (test/specs/gohighlevel), ready for the shape checker: the error
 * bodies they reference in a file GoHighLevel does not publish with them, and one known defect of
 * the published spec corrected.
 */
import { loadSpec, type OpenApiDocument, type Schema } from './openapi-shape.ts';

/**
 * `../common/common-schemas.json` of GoHighLevel's docs repository, which the copied specs refer to
 * for every 400, 401 and 422 but which is not among them: the error bodies as GoHighLevel documents them.
 */
const COMMON_SCHEMAS: Record<string, Schema> = {
  BadRequestDTO: { type: 'object', properties: { statusCode: { type: 'number' }, message: { type: 'string' } } },
  UnauthorizedDTO: { type: 'object', properties: { statusCode: { type: 'number' }, message: { type: 'string' }, error: { type: 'string' } } },
  UnprocessableDTO: {
    type: 'object',
    properties: { statusCode: { type: 'number' }, message: { type: 'array', items: { type: 'string' } }, error: { type: 'string' } },
  },
};

/**
 * The spec types each pipeline stage as a list (`stages: { items: { type: 'array' } }`); the API,
 * its own examples and every client send objects. Corrected here, and only here.
 */
const STAGE: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, position: { type: 'number' },
    showInFunnel: { type: 'boolean' }, showInPieChart: { type: 'boolean' },
  },
  required: ['id', 'name'],
};

const prepared = new Map<string, OpenApiDocument>();

/** `opportunities.json` or `contacts.json`, with the common error schemas and the stage shape in place. */
export function ghlSpec(file: 'opportunities.json' | 'contacts.json'): OpenApiDocument {
  let spec = prepared.get(file);
  if (!spec) {
    const text = JSON.stringify(loadSpec(`gohighlevel/${file}`)).replaceAll('../common/common-schemas.json#/components/schemas/', '#/components/schemas/');
    spec = JSON.parse(text) as OpenApiDocument;
    const schemas = (spec.components ??= {}).schemas ??= {};
    Object.assign(schemas, COMMON_SCHEMAS);
    const pipeline = schemas.PipelinesResponseSchema?.properties?.stages;
    if (pipeline) pipeline.items = STAGE;
    prepared.set(file, spec);
  }
  return spec;
}
