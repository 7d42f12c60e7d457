/**
 * Copies an OpenAPI document with only some paths and the component schemas they reference
 * (transitively), so the repository's test specs stay small. Run from the repository root:
 *
 *   npx tsx scripts/trim-openapi.ts ../shared/specs/stripe/spec3.json test/specs/stripe/spec3.json \
 *     /v1/customers /v1/customers/{customer} /v1/subscriptions /v1/subscriptions/{subscription_exposed_id} \
 *     /v1/invoices /v1/invoices/{invoice} /v1/events /v1/events/{id}
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [from, to, ...paths] = process.argv.slice(2);
if (!from || !to || paths.length === 0) throw new Error('usage: trim-openapi.ts SOURCE.json TARGET.json PATH...');
const spec = JSON.parse(readFileSync(from, 'utf8')) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>;
const schemas = spec.components.schemas;
const needed = new Set<string>(['customer', 'subscription', 'invoice', 'event', 'error', 'deleted_customer'].filter((name) => name in schemas));
const queue = [...needed];
const walk = (node: unknown): void => {
  if (Array.isArray(node)) node.forEach(walk);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!needed.has(name)) {
          needed.add(name);
          queue.push(name);
        }
      } else walk(value);
    }
  }
};
const kept = Object.fromEntries(paths.filter((p) => p in spec.paths).map((p) => [p, spec.paths[p]]));
walk(kept);
while (queue.length) walk(schemas[queue.pop() as string]);
const out = { ...spec, paths: kept, components: { ...spec.components, schemas: Object.fromEntries([...needed].sort().map((name) => [name, schemas[name]])) } };
writeFileSync(to, JSON.stringify(out));
process.stdout.write(`${Object.keys(kept).length} paths, ${needed.size} of ${Object.keys(schemas).length} schemas written to ${to}\n`);
