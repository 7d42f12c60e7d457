import type { CheckPolicy } from '../config/policy.ts';
import type { SystemName } from '../domain/records.ts';
import type { Rule } from '../domain/discrepancy.ts';

/** The object a side reads when the policy does not name one. */
export const DEFAULT_OBJECT: Record<SystemName, string> = {
  stripe: 'customers',
  hubspot: 'deals',
  gohighlevel: 'opportunities',
  google_calendar: 'events',
  slack: 'messages',
};

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
}

const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

const fieldKey = (s: CheckPolicy['source']) => `${s.system}:${s.object ?? DEFAULT_OBJECT[s.system]}:${s.field}`;

/**
 * Every field any check marks financial, as `system:object:field`: a field is financial for all
 * checks once one says so, so a check that forgot the flag cannot auto-write it.
 */
export function financialFields(checks: readonly CheckPolicy[]): Set<string> {
  const fields = new Set<string>();
  for (const c of checks) for (const s of [c.source, c.target]) if (s.financial) fields.add(fieldKey(s));
  return fields;
}

/**
 * Whether a field is financial by the policy: any write into Stripe, or a field in `financial`
 * (from {@link financialFields}).
 */
export function isFinancialField(field: { system: string; object: string; field: string }, financial: ReadonlySet<string>): boolean {
  return field.system === 'stripe' || financial.has(`${field.system}:${field.object}:${field.field}`);
}

/** `financial`: the policy's financial fields (from {@link financialFields}); this check's own flags count anyway. */
export function resolveCheck(policy: CheckPolicy, financial: ReadonlySet<string> = new Set()): Check {
  const side = (s: CheckPolicy['source']): CheckSide => {
    const field = { system: s.system, object: s.object ?? DEFAULT_OBJECT[s.system], field: s.field };
    return { ...field, financial: s.financial === true || isFinancialField(field, financial) };
  };
  const toSet = (values: string[] | undefined) => (values ? new Set(values) : undefined);
  return {
    name: policy.name,
    source: side(policy.source),
    target: side(policy.target),
    rule: policy.rule,
    map: policy.map
      ? new Map(Object.entries(policy.map).map(([key, e]) => [key, { write: e.write, accept: new Set(e.accept ?? [e.write]) }]))
      : null,
    categories: Object.entries(policy.categories ?? {}).map(([name, c]) => ({
      name,
      source: toSet(c.source),
      sourceNot: toSet(c.sourceNot),
      target: toSet(c.target),
      targetNot: toSet(c.targetNot),
    })),
    highValue: policy.highValue ?? null,
    humanEditWindowMs: policy.humanEditWindow ?? null,
    clockSkewMs: policy.clockSkew ?? DEFAULT_CLOCK_SKEW_MS,
    reportUnmatched: policy.reportUnmatched ?? true,
  };
}
