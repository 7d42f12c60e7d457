/** Stripe list semantics: newest first, cursor pagination, range filters and `expand`. Pure. */
import { asList } from './http.ts';
import type { ParamValue, Params } from './http.ts';
import { stripeErrors } from './stripe-errors.ts';
import type { StripeList } from './stripe-objects.ts';

interface Ordering {
  size: number;
  ids: string[];
  position: Map<string, number>;
}

const orderings = new WeakMap<Map<string, unknown>, Ordering>();

/** Ids newest first (`created` descending, later insertion first on ties), cached until the map changes size. */
function newestFirst<T extends { created: number }>(map: Map<string, T>): Ordering {
  const cached = orderings.get(map);
  const ends = cached ? [cached.ids[0], cached.ids[cached.ids.length - 1]] : [];
  if (cached && cached.size === map.size && ends.every((id) => id === undefined || map.has(id))) return cached;
  const entries = [...map.entries()].map(([id, item], insertion) => ({ id, created: item.created, insertion }));
  entries.sort((a, b) => b.created - a.created || b.insertion - a.insertion);
  const ids = entries.map((entry) => entry.id);
  const ordering = { size: map.size, ids, position: new Map(ids.map((id, i) => [id, i])) };
  orderings.set(map, ordering);
  return ordering;
}

export function integerParam(params: Params, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) throw stripeErrors.invalidInteger(name, String(raw));
  return Number(raw);
}

export function stringParam(params: Params, name: string): string | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw stripeErrors.invalidValue(name, `Invalid string: ${JSON.stringify(raw)}`);
  return raw;
}

/** `created=123` or `created[gte]=100&created[lt]=200`, as a predicate on epoch seconds. */
export function rangeFilter(params: Params, name: string): ((value: number) => boolean) | null {
  const raw = params[name];
  if (raw === undefined) return null;
  if (typeof raw === 'string') {
    const exact = integerParam(params, name);
    return (value) => value === exact;
  }
  if (Array.isArray(raw)) throw stripeErrors.invalidValue(name, `Invalid ${name}: expected an integer or a range`);
  const bound = (op: string): number | undefined => integerParam(raw, op);
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  for (const key of Object.keys(raw)) if (!['gt', 'gte', 'lt', 'lte'].includes(key)) throw stripeErrors.unknownParameter(`${name}[${key}]`);
  return (value) => (gt === undefined || value > gt) && (gte === undefined || value >= gte)
    && (lt === undefined || value < lt) && (lte === undefined || value <= lte);
}

/**
 * One page of a Stripe list: `limit` (1..100, default 10), `starting_after` (older than the cursor) or
 * `ending_before` (newer than the cursor, still returned newest first).
 */
export function listPage<T extends { id: string; created: number }>(
  map: Map<string, T>, params: Params, url: string, objectName: string, keep: (item: T) => boolean,
): StripeList<T> {
  const limit = integerParam(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw stripeErrors.outOfRange('limit', limit, 1, 100);
  const startingAfter = stringParam(params, 'starting_after');
  const endingBefore = stringParam(params, 'ending_before');
  if (startingAfter !== undefined && endingBefore !== undefined) throw stripeErrors.cursorConflict();
  const ordering = newestFirst(map);
  const cursor = startingAfter ?? endingBefore;
  let from = -1;
  if (cursor !== undefined) {
    const at = ordering.position.get(cursor);
    if (at === undefined || !map.has(cursor)) {
      throw stripeErrors.noSuch(objectName, cursor, startingAfter !== undefined ? 'starting_after' : 'ending_before');
    }
    from = at;
  }
  const step = endingBefore !== undefined ? -1 : 1;
  const found: T[] = [];
  for (let i = from + step; i >= 0 && i < ordering.ids.length && found.length <= limit; i += step) {
    const item = map.get(ordering.ids[i] ?? '');
    if (item && keep(item)) found.push(item);
  }
  const data = found.slice(0, limit);
  if (step === -1) data.reverse();
  return { object: 'list', url, has_more: found.length > limit, data };
}

/** Resolves one expandable field of one object type to the object it names, or throws "cannot be expanded". */
export type Expander = (objectType: string, field: string, value: unknown) => object | null;

/** Groups `expand` paths (`data.latest_invoice.customer`) by their first segment. */
function groupPaths(paths: string[][]): Map<string, string[][]> {
  const groups = new Map<string, string[][]>();
  for (const [head, ...rest] of paths) {
    if (head === undefined) continue;
    const group = groups.get(head) ?? [];
    if (rest.length > 0) group.push(rest);
    groups.set(head, group);
  }
  return groups;
}

/** Returns a copy of `target` with the fields named by `paths` replaced by the objects they name. */
export function expandObject<T extends { object: string }>(target: T, paths: string[][], expander: Expander, shown: string[] = []): T {
  if (paths.length === 0) return target;
  const copy: Record<string, unknown> = { ...target };
  for (const [field, rest] of groupPaths(paths)) {
    const value = copy[field];
    const path = [...shown, field].join('.');
    if (!(field in copy)) throw stripeErrors.notExpandable(path);
    let expanded: unknown = value;
    if (typeof value === 'string') {
      expanded = expander(target.object, field, value);
      if (expanded === null) throw stripeErrors.notExpandable(path);
    } else if (value === null) {
      continue;
    } else if (typeof value !== 'object' || Array.isArray(value) || !('object' in value)) {
      throw stripeErrors.notExpandable(path);
    }
    copy[field] = expandObject(expanded as { object: string }, rest, expander, [...shown, field]);
  }
  return copy as T;
}

/** Reads `expand`, `expand[]` or `expand[0]` into dotted paths, rejecting more than 4 levels. */
export function expandPaths(expand: ParamValue | undefined): string[][] {
  const paths = asList(expand).map((path) => path.split('.'));
  if (paths.some((path) => path.length > 4)) throw stripeErrors.tooDeep();
  return paths;
}

/** Expands each item of a list: paths must start with `data.` like Stripe requires. */
export function expandList<T extends { object: string }>(list: StripeList<T>, paths: string[][], expander: Expander): StripeList<T> {
  if (paths.length === 0) return list;
  const itemPaths = paths.map((path) => {
    const [head, ...rest] = path;
    if (head !== 'data' || rest.length === 0) throw stripeErrors.notExpandable(path.join('.'), `data.${path.join('.')}`);
    return rest;
  });
  return { ...list, data: list.data.map((item) => expandObject(item, itemPaths, expander, ['data'])) };
}
