/**
 * The policy checked against the systems themselves, before anything is read or written: every
 * check's object and field exists (HubSpot's properties, the fields the Stripe connector derives),
 * every value the map writes or accepts is one the field takes (in the check's pipeline, when it
 * names one), and the vocabularies each check needs are kept for the engine, per pipeline.
 */
import { resolveChecks } from '../config/checks.ts';
import type { CheckPolicy, Policy } from '../config/policy.ts';
import type { AllowedValues, Check, CheckSide } from '../domain/check.ts';
import { ReconError } from '../domain/errors.ts';
import { nearest } from '../domain/nearest.ts';
import type { CallPriority, ConnectorsBySystem, FieldDescription, ObjectDescription, VocabularyValue } from '../domain/ports.ts';

/** One thing the policy says that the system does not have. */
export interface PolicyProblem {
  check: string;
  /** Where in the policy: `checks[0].target.field`. */
  key: string;
  /** The value that is wrong. */
  value: string;
  /** What is wrong, in words. */
  message: string;
  /** The nearest valid value, when one is close. */
  suggestion: string | null;
}

/** The policy does not match the systems: nothing was read or written. The CLI exits 2. */
export class PolicyMismatchError extends ReconError {
  override readonly name = 'PolicyMismatchError';
  constructor(readonly problems: PolicyProblem[]) {
    super('policy.mismatch', problems.map(problemLine).join('\n'), {
      exitCode: 2,
      hint: 'fix the policy (RECON_CONFIG); nothing was read or written',
    });
  }
}

/** `check payment-status: checks[0].target.field "deal_stage" is not a hubspot deals property; did you mean "dealstage"?` */
export function problemLine(problem: PolicyProblem): string {
  return `check ${problem.check}: ${problem.key} ${JSON.stringify(problem.value)} ${problem.message}${problem.suggestion ? `; did you mean ${JSON.stringify(problem.suggestion)}?` : ''}`;
}

export interface Preflight {
  /** The checks, with the vocabularies of their fields from the live systems. */
  checks: Check[];
  problems: PolicyProblem[];
  /** What each `system:object` the checks read has, as described. */
  descriptions: Map<string, ObjectDescription>;
}

const describeKey = (side: { system: string; object: string }) => `${side.system}:${side.object}`;

/** The description of one field, or of a field of an open family (`metadata.plan`). */
export function fieldOf(description: ObjectDescription, name: string): FieldDescription | null {
  const found = description.fields.find((f) => f.name === name);
  if (found) return found;
  const prefix = description.openPrefixes.find((p) => name.startsWith(p) && name.length > p.length);
  return prefix ? { name, label: name, type: 'string', writable: true, options: null } : null;
}

/** What the engine checks a planned write against: the field's values, per scope when it has scopes. */
export function allowedValuesOf(field: FieldDescription | null): AllowedValues | null {
  if (!field) return null;
  if (field.scoped) {
    return {
      scopeField: field.scoped.by,
      byScope: new Map(field.scoped.scopes.map((scope) => [scope.id, new Set(scope.options.map((o) => o.value))])),
      scopeLabels: new Map(field.scoped.scopes.map((scope) => [scope.id, scope.label])),
    };
  }
  if (field.options) return { scopeField: null, byScope: new Map([['', new Set(field.options.map((o) => o.value))]]) };
  return null;
}

/** Every value of a field in any scope, or in one scope; null when the field takes any value. */
function valuesOf(field: FieldDescription, scope: string | null): VocabularyValue[] | null {
  if (field.options) return field.options;
  if (!field.scoped) return null;
  const scopes = scope === null ? field.scoped.scopes : field.scoped.scopes.filter((s) => s.id === scope);
  const seen = new Map<string, VocabularyValue>();
  for (const s of scopes) for (const option of s.options) if (!seen.has(option.value)) seen.set(option.value, option);
  return [...seen.values()];
}

/**
 * Describes every object the policy's checks use and checks the policy against them. Problems
 * are returned, not thrown, so `doctor` can list them all; {@link assertPolicyMatches} throws.
 * A system that cannot be described (unreachable, refused) throws: nothing can be checked then.
 */
export interface PreflightOptions {
  priority?: CallPriority;
  /** Only these checks. */
  only?: readonly string[];
  /** Describes an object; a long-running process passes its cache so each cycle does not ask again. */
  describe?: (system: string, object: string, priority?: CallPriority) => Promise<ObjectDescription>;
}

export async function preflight(policy: Policy, connectors: ConnectorsBySystem, options: PreflightOptions = {}): Promise<Preflight> {
  const checks = resolveChecks(policy);
  const descriptions = new Map<string, ObjectDescription>();
  const problems: PolicyProblem[] = [];
  const selected = checks.map((check, index) => ({ check, index, policy: policy.checks[index] as CheckPolicy }))
    .filter(({ check }) => !options.only?.length || options.only.includes(check.name));

  // Objects first: a system's objects are known without a call.
  for (const { check, index } of selected) {
    for (const [sideName, side] of [['source', check.source], ['target', check.target]] as const) {
      const connector = connectors[side.system];
      if (!connector) continue; // buildConnectors already refused a policy naming a system without credentials
      if (!connector.objects.includes(side.object)) {
        problems.push({
          check: check.name, key: `checks[${index}].${sideName}.object`, value: side.object,
          message: `is not an object Recon reads from ${side.system} (it reads ${connector.objects.join(', ')})`,
          suggestion: nearest(side.object, connector.objects),
        });
      }
    }
  }
  const wanted = new Map<string, CheckSide>();
  for (const { check } of selected) {
    for (const side of [check.source, check.target]) {
      if (connectors[side.system]?.objects.includes(side.object)) wanted.set(describeKey(side), side);
    }
  }
  await Promise.all([...wanted].map(async ([key, side]) => {
    descriptions.set(key, options.describe
      ? await options.describe(side.system, side.object, options.priority ?? 'background')
      : await (connectors[side.system] as NonNullable<ConnectorsBySystem[string]>).describe(side.object, { priority: options.priority ?? 'background' }));
  }));

  for (const { check, index, policy: raw } of selected) {
    const source = descriptions.get(describeKey(check.source));
    const target = descriptions.get(describeKey(check.target));
    if (!source || !target) continue;
    const at = (path: string) => `checks[${index}].${path}`;
    const fieldProblem = (description: ObjectDescription, name: string, key: string): FieldDescription | null => {
      const field = fieldOf(description, name);
      if (field) return field;
      const near = nearest(name, [...description.fields.map((f) => f.name), ...description.fields.map((f) => f.label)]);
      const families = description.openPrefixes.length ? ` (nor ${description.openPrefixes.map((p) => `${p}<key>`).join(', ')})` : '';
      problems.push({
        check: check.name, key: at(key), value: name,
        message: `is not a field of ${description.system} ${description.object}${families}`,
        suggestion: near === null ? null : resolveName(near, description),
      });
      return null;
    };
    const sourceField = fieldProblem(source, check.source.field, 'source.field');
    const targetField = fieldProblem(target, check.target.field, 'target.field');
    if (check.highValue) fieldProblem(check.highValue.side === 'source' ? source : target, check.highValue.field, 'highValue.field');

    // A side the rule may write must be writable: the target always, the source under recency and merge.
    const writesSource = check.rule === 'recency' || check.rule === 'merge';
    for (const [writes, field, sideName, side] of [[true, targetField, 'target', check.target], [writesSource, sourceField, 'source', check.source]] as const) {
      if (writes && field && !field.writable) {
        problems.push({
          check: check.name, key: at(`${sideName}.field`), value: field.name,
          message: `is read-only in ${side.system} (calculated or derived), and rule ${check.rule} would write it`, suggestion: null,
        });
      }
    }

    // The pipeline the check names must be one of the target field's.
    let scope: string | null = null;
    if (raw.target.pipeline !== undefined && targetField) {
      const scopes = targetField.scoped?.scopes ?? [];
      const match = scopes.find((s) => s.id === raw.target.pipeline) ?? scopes.find((s) => s.label.toLowerCase() === raw.target.pipeline?.toLowerCase());
      if (!targetField.scoped) {
        problems.push({ check: check.name, key: at('target.pipeline'), value: raw.target.pipeline, message: `is given, but ${check.target.system} ${check.target.field} has no pipelines`, suggestion: null });
      } else if (!match) {
        problems.push({
          check: check.name, key: at('target.pipeline'), value: raw.target.pipeline, message: `is not a ${check.target.system} ${check.target.object} ${targetField.scoped.byLabel}`,
          suggestion: nearest(raw.target.pipeline, [...scopes.map((s) => s.id), ...scopes.map((s) => s.label)]),
        });
      } else scope = match.id;
    }

    const valueProblem = (field: FieldDescription | null, fieldScope: string | null, value: string, key: string, what: string) => {
      if (!field) return;
      const values = valuesOf(field, fieldScope);
      if (values === null || values.some((v) => v.value === value)) return;
      const byLabel = values.find((v) => v.label.toLowerCase() === value.toLowerCase());
      const where = fieldScope !== null ? ` of ${field.scoped?.byLabel ?? 'scope'} ${JSON.stringify(fieldScope)}` : field.scoped ? ` in any ${field.scoped.byLabel}` : '';
      problems.push({
        check: check.name, key: at(key), value,
        message: `is not ${what} ${field.name} value${where}`,
        suggestion: byLabel?.value ?? nearest(value, values.map((v) => v.value)),
      });
    };
    for (const [sourceValue, entry] of Object.entries(raw.map ?? {})) {
      valueProblem(sourceField, null, sourceValue, `map`, `a ${check.source.system}`);
      valueProblem(targetField, scope, entry.write, `map.${sourceValue}.write`, `a ${check.target.system}`);
      (entry.accept ?? []).forEach((accepted, n) => valueProblem(targetField, scope, accepted, `map.${sourceValue}.accept[${n}]`, `a ${check.target.system}`));
    }
    for (const [name, category] of Object.entries(raw.categories ?? {})) {
      for (const list of ['source', 'sourceNot'] as const) (category[list] ?? []).forEach((v, n) => valueProblem(sourceField, null, v, `categories.${name}.${list}[${n}]`, `a ${check.source.system}`));
      for (const list of ['target', 'targetNot'] as const) (category[list] ?? []).forEach((v, n) => valueProblem(targetField, scope, v, `categories.${name}.${list}[${n}]`, `a ${check.target.system}`));
    }

    check.targetValues = allowedValuesOf(targetField);
    check.sourceValues = allowedValuesOf(sourceField);
  }
  return { checks, problems, descriptions };
}

/** The real name of a field a suggestion found by its label. */
function resolveName(found: string, description: ObjectDescription): string {
  return description.fields.find((f) => f.name === found || f.label === found)?.name ?? found;
}

/** Preflight that throws {@link PolicyMismatchError} when the policy names anything the systems do not have. */
export async function assertPolicyMatches(policy: Policy, connectors: ConnectorsBySystem, options: PreflightOptions = {}): Promise<Preflight> {
  const result = await preflight(policy, connectors, options);
  if (result.problems.length) throw new PolicyMismatchError(result.problems);
  return result;
}
