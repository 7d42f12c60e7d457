import type { FieldValue } from '../domain/records.ts';

/** The text a map or category compares: null stays null, lists are not mapped. */
export function valueKey(value: FieldValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** Agreement without a map: numbers to the cent, lists as sets, text exactly. */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = new Set(Array.isArray(a) ? a : [String(a)]);
    const right = new Set(Array.isArray(b) ? b : [String(b)]);
    return left.size === right.size && [...left].every((v) => right.has(v));
  }
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== null && nb !== null) return Math.abs(na - nb) < 0.005;
  return String(a) === String(b);
}

export function asNumber(value: FieldValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return null;
}

/** Stable JSON for fingerprints and the change log. */
export function stableJson(value: FieldValue): string {
  return JSON.stringify(Array.isArray(value) ? [...value].sort() : value);
}
