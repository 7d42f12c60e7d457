import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.RECON_TEST_IMPORTS_FILE) appendFileSync(process.env.RECON_TEST_IMPORTS_FILE, `${resolved.url}\n`);
  return resolved;
}
