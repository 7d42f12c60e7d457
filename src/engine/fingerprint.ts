import { createHash } from 'node:crypto';
import type { FieldValue } from '../domain/records.ts';
import { stableJson } from './values.ts';

/**
 * The identity of a discrepancy: same check, entity and values → same fingerprint. Ignores and
 * open review items attach to it, so it must not change while nothing changes.
 */
export function fingerprint(check: string, entityKey: string, sourceValue: FieldValue, targetValue: FieldValue): string {
  return createHash('sha256')
    .update(`${check}\u0000${entityKey}\u0000${stableJson(sourceValue)}\u0000${stableJson(targetValue)}`)
    .digest('hex')
    .slice(0, 32);
}
