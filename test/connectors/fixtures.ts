import { readFileSync } from 'node:fs';

/**
 * A fresh copy of a real-shaped vendor body from `test/fixtures/`, e.g. `fixture('stripe/customer')`.
 * Typed loosely on purpose: tests change single values to build the case they need.
 */
export function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8'));
}
