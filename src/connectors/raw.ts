import type { z } from 'zod';
import type { SystemName } from '../domain/records.ts';

/**
 * A raw API object that does not have the shape Recon relies on (schema drift, a broken fake).
 * Names the object and the first offending path, so a person can look it up:
 * `stripe subscription sub_123 does not match the expected shape: items.data[0].price.unit_amount: expected number, received string`.
 */
export class RawObjectError extends Error {
  override readonly name = 'RawObjectError';
  constructor(
    readonly system: SystemName,
    readonly kind: string,
    readonly objectId: string | null,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${system} ${kind} ${objectId ?? '(no id)'} does not match the expected shape: ${path || '(root)'}: ${problem}`);
  }
}

/** `items.data[0].price` from zod's path segments. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function idOf(raw: unknown): string | null {
  if (raw !== null && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return null;
}

/** Parses one raw object, or throws a {@link RawObjectError} naming it. */
export function parseRaw<S extends z.ZodType>(system: SystemName, kind: string, schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new RawObjectError(system, kind, idOf(raw), formatPath(issue?.path ?? []), issue?.message ?? 'invalid');
}
