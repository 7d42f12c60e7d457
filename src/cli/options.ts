/**
 * Parsers of option values, for commander: each returns the typed value or throws
 * `InvalidArgumentError` with what was expected (the CLI turns it into exit code 2).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/duration.ts';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError('expected a port number (0 for any free port).');
  return n;
}

/** A length of time such as `90s`, `30m`, `2h`, `3d`, `1w`, in milliseconds. */
export function duration(value: string): number {
  const weeks = /^(\d+(?:\.\d+)?)\s*w$/.exec(value.trim());
  const ms = weeks ? Math.round(Number(weeks[1]) * 7 * 86_400_000) : parseDuration(value);
  if (ms === null || ms <= 0) throw new InvalidArgumentError('expected a duration such as 30m, 2h, 3d or 1w.');
  return ms;
}

/** Where `--since` starts: a length of time back from now, or a moment. */
export type Since = { ago: number } | { at: Date };

/** `2h`, `3d` (back from now), or an ISO date or time such as `2026-12-01` or `2026-12-01T09:00Z`. */
export function since(value: string): Since {
  try {
    return { ago: duration(value) };
  } catch {
    const at = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? new Date(value.trim()) : null;
    if (!at || Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected a duration such as 2h or 3d, or an ISO date such as 2026-12-01 or 2026-12-01T09:00Z.');
    return { at };
  }
}

export function sinceDate(value: Since, now: number): Date {
  return 'at' in value ? value.at : new Date(now - value.ago);
}

/** A review item's id, as the queue lists it. */
export function itemId(value: string): string {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a review item id such as 42 (see `recon queue`).');
  return value.trim();
}

/** The repeatable `--check NAME`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** How many rows a listing shows: 1 to 10,000. */
export function limit(value: string): number {
  const n = positiveInteger(value);
  if (n > 10_000) throw new InvalidArgumentError('expected a number from 1 to 10000.');
  return n;
}
