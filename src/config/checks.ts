import type { Check, CheckSide } from '../domain/check.ts';
import { isFinancialField } from '../domain/check.ts';
import { connectorDeclaration } from '../connectors/catalog.ts';
import type { CheckPolicy, Policy } from './policy.ts';

const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/** The object a side reads when the policy does not name one: the system's first. */
export function defaultObject(system: string): string {
  return connectorDeclaration(system)?.objects[0]?.name ?? 'records';
}

const fieldKey = (s: CheckPolicy['source']) => `${s.system}:${s.object ?? defaultObject(s.system)}:${s.field}`;

/**
 * Every field any check marks financial, as `system:object:field`, and every field of a system
 * whose writes are all financial: a field is financial for all checks once one says so, so a check
 * that forgot the flag cannot auto-write it.
 */
export function financialFields(checks: readonly CheckPolicy[]): Set<string> {
  const fields = new Set<string>();
  for (const c of checks) {
    for (const s of [c.source, c.target]) if (s.financial || connectorDeclaration(s.system)?.allFieldsFinancial) fields.add(fieldKey(s));
  }
  return fields;
}

/** `financial`: the policy's financial fields (from {@link financialFields}); this check's own flags count anyway. */
export function resolveCheck(policy: CheckPolicy, financial: ReadonlySet<string> = new Set()): Check {
  const side = (s: CheckPolicy['source']): CheckSide => {
    const field = { system: s.system, object: s.object ?? defaultObject(s.system), field: s.field };
    const allFinancial = connectorDeclaration(s.system)?.allFieldsFinancial === true;
    return { ...field, financial: s.financial === true || allFinancial || isFinancialField(field, financial) };
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
    targetScope: policy.target.pipeline ?? null,
    targetValues: null,
    sourceValues: null,
  };
}

/** Every check of the policy, resolved, financial fields shared across them. */
export function resolveChecks(policy: Policy): Check[] {
  const financial = financialFields(policy.checks);
  return policy.checks.map((c) => resolveCheck(c, financial));
}

/** Without a guard in the policy: 5% of the records a check read, and never fewer than this. */
export const DEFAULT_MAX_AUTO_FIXES = { share: 0.05, atLeast: 25 } as const;

/** The guard's rolling window when the policy names none. */
export const DEFAULT_GUARD_WINDOW_MS = 3_600_000;

/** The check's guard window in milliseconds: its own `guards.window`, else the policy's, else an hour. */
export function guardWindowMs(policy: Policy, check: string): number {
  return policy.checks.find((c) => c.name === check)?.guards?.window ?? policy.guards?.window ?? DEFAULT_GUARD_WINDOW_MS;
}

/**
 * How many records a check may fix on its own per guard window, having read `records`: its own
 * `guards.maxAutoFixes`, else the policy's, else {@link DEFAULT_MAX_AUTO_FIXES}.
 */
export function maxAutoFixes(policy: Policy, check: string, records: number): number {
  const limit = policy.checks.find((c) => c.name === check)?.guards?.maxAutoFixes ?? policy.guards?.maxAutoFixes;
  if (typeof limit === 'number') return limit;
  if (typeof limit === 'string') return Math.floor((records * Number(limit.slice(0, -1))) / 100);
  return Math.max(DEFAULT_MAX_AUTO_FIXES.atLeast, Math.ceil(records * DEFAULT_MAX_AUTO_FIXES.share));
}
