import type { Rule } from './discrepancy.ts';
import type { SystemName } from './records.ts';

export interface CheckSide {
  system: SystemName;
  object: string;
  field: string;
  /** Any write into Stripe, or a field the policy marks financial. */
  financial: boolean;
}

export interface Category {
  name: string;
  source?: ReadonlySet<string> | undefined;
  sourceNot?: ReadonlySet<string> | undefined;
  target?: ReadonlySet<string> | undefined;
  targetNot?: ReadonlySet<string> | undefined;
}

/**
 * The values a field may be set to, as its system says now. `scopeField` names the field that
 * decides which list applies to a record (a HubSpot deal's `pipeline` for `dealstage`): a stage of
 * another pipeline is refused by HubSpot, so it is never written. `byScope` has one list per scope
 * value; an unscoped field has one list under the key `''`.
 */
export interface AllowedValues {
  scopeField: string | null;
  byScope: ReadonlyMap<string, ReadonlySet<string>>;
  /** Names of the scopes for people (pipeline id → label). */
  scopeLabels?: ReadonlyMap<string, string>;
}

/** The list of values that applies to `record`, or null when nothing is known to limit them. */
export function allowedFor(allowed: AllowedValues | null, fields: Readonly<Record<string, unknown>>): ReadonlySet<string> | null | 'unknown_scope' {
  if (!allowed) return null;
  if (allowed.scopeField === null) return allowed.byScope.get('') ?? null;
  const scope = fields[allowed.scopeField];
  if (scope === null || scope === undefined || scope === '') return 'unknown_scope';
  return allowed.byScope.get(String(scope)) ?? 'unknown_scope';
}

/** A policy check with its defaults applied and its lists turned into sets, ready for the engine. */
export interface Check {
  name: string;
  source: CheckSide;
  target: CheckSide;
  rule: Rule;
  map: ReadonlyMap<string, { write: string; accept: ReadonlySet<string> }> | null;
  categories: Category[];
  /** Escalate when this numeric field of one side reaches `atLeast` (deal amount, say). */
  highValue: { field: string; atLeast: number; side: 'source' | 'target' } | null;
  humanEditWindowMs: number | null;
  clockSkewMs: number;
  reportUnmatched: boolean;
  /** The policy names one pipeline (or other scope) for the target field: its values are checked against it. */
  targetScope: string | null;
  /**
   * What the target field accepts, per scope, when the system has a fixed vocabulary; filled in
   * by the preflight against the live system. A planned write outside it is a mapping gap.
   */
  targetValues: AllowedValues | null;
  /** The same for the source side, for writes into it (recency, merge, an Override the other way). */
  sourceValues: AllowedValues | null;
}

/**
 * Whether a field is financial by the policy: any write into Stripe, or a field listed in
 * `financial` as `system:object:field` (a field is financial for every check once one says so).
 */
export function isFinancialField(field: { system: string; object: string; field: string }, financial: ReadonlySet<string>): boolean {
  return field.system === 'stripe' || financial.has(`${field.system}:${field.object}:${field.field}`);
}
