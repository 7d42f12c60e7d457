import cron from 'node-cron';
import { z } from 'zod';
import { CRM_NAMES, SYSTEM_NAMES } from '../connectors/catalog.ts';
import { parseDuration } from './duration.ts';

const systemName = z.string().refine((name) => SYSTEM_NAMES.includes(name), {
  message: `expected one of ${SYSTEM_NAMES.join(', ')}`,
});

const duration = z
  .string()
  .refine((text) => parseDuration(text) !== null, { message: 'expected a duration such as 30s, 15m, 24h or 7d' })
  .transform((text) => parseDuration(text) as number);

const valueList = z.array(z.string().min(1)).min(1);

const mapEntry = z.strictObject({
  /** What Recon writes into the target when the source holds this value. */
  write: z.string().min(1),
  /** Target values that already agree with this source value (an ordered pipeline may be further along). */
  accept: valueList.optional(),
});

const category = z
  .strictObject({
    source: valueList.optional(),
    sourceNot: valueList.optional(),
    target: valueList.optional(),
    targetNot: valueList.optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    message: 'expected at least one of source, sourceNot, target, targetNot',
  });

const side = z.strictObject({
  system: systemName,
  object: z.string().min(1).optional(),
  field: z.string().min(1),
  /** Marks the field as financial: it is never written without a financial approver. */
  financial: z.boolean().optional(),
  /**
   * The pipeline (or other scope) whose values the map names, for a field whose values depend on
   * one (a HubSpot deal stage): the map is checked against that pipeline's stages.
   */
  pipeline: z.string().min(1).optional(),
});

/**
 * How many of a check's records Recon may fix on its own within `window`, cycles and webhooks
 * together: a count (`500`) or a share of the records read (`"5%"`). Past it every further fix of
 * the check is held for a person to release.
 */
const maxAutoFixes = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?%$/, 'expected a count such as 500 or a share such as "5%"'),
]);

const guards = z.strictObject({
  maxAutoFixes: maxAutoFixes.optional(),
  /** The rolling window the budget counts over, such as `1h` (the default) or `24h`. */
  window: duration.optional(),
});

const check = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes'),
    source: side,
    target: side,
    rule: z.enum(['source_of_truth', 'recency', 'merge', 'escalate']),
    map: z.record(z.string(), mapEntry).optional(),
    categories: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected snake_case'), category).optional(),
    highValue: z
      .strictObject({ field: z.string().min(1), atLeast: z.number().positive(), side: z.enum(['source', 'target']).default('target') })
      .optional(),
    humanEditWindow: duration.optional(),
    clockSkew: duration.optional(),
    /** Report records with no counterpart or several (unmatched, ambiguous). Default true; one check per pair of objects is enough. */
    reportUnmatched: z.boolean().optional(),
    /** This check's own guards, over the policy's. */
    guards: guards.optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.rule === 'recency' || c.rule === 'merge') && c.map) {
      ctx.addIssue({ code: 'custom', path: ['map'], message: `rule ${c.rule} compares values as they are; remove map` });
    }
    if (c.source.system === c.target.system && c.source.object === c.target.object) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'expected a target other than the source' });
    }
  });

const slackId = z.string().regex(/^[A-Z0-9]{2,}$/, 'expected a Slack id such as C0123ABC or U0123ABC');

/** A cron expression node-cron understands (five fields, or six with seconds; `MON` and `MONDAY` alike). */
const cronExpression = z.string().min(1).superRefine((expression, ctx) => {
  try {
    if (cron.validate(expression)) return;
    // validate() says no without saying why; building a task says which field is wrong.
    cron.createTask(expression, () => {}).destroy();
    ctx.addIssue({ code: 'custom', message: `"${expression}" is not a cron expression (minute hour day-of-month month day-of-week)` });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `"${expression}" is not a cron expression: ${(error as Error).message}` });
  }
});

export const DEFAULT_FULL_RECONCILE = '30 3 * * *';

export const policySchema = z.strictObject({
  crm: z.string().refine((name) => CRM_NAMES.includes(name), { message: `expected one of ${CRM_NAMES.join(', ')}` }),
  slack: z
    .strictObject({
      reviewChannel: slackId,
      digestChannel: slackId,
      approvers: z.array(slackId).min(1),
      financialApprovers: z.array(slackId).min(1),
      /** Users or user groups who may read the queue, status and item details without deciding. */
      viewers: z.array(slackId).optional(),
      /** Where Recon's health alerts go; the review channel by default. */
      alertChannel: slackId.optional(),
    })
    .optional(),
  schedule: z
    .strictObject({
      timezone: z.string().refine(isTimeZone, { message: 'expected an IANA time zone such as Europe/Berlin' }),
      /** The slow loop: incremental cycles (only what changed since the last one). */
      reconcile: cronExpression,
      /** A full pass, which alone concludes that a record is gone. Default daily at 03:30. */
      fullReconcile: cronExpression.optional(),
      digest: cronExpression.optional(),
    })
    .optional(),
  /** Limits every check keeps unless it names its own. */
  guards: guards.optional(),
  /** When Recon's own health is worth a message (each state posted once when it starts, once when it clears). */
  alerts: z
    .strictObject({
      /** A check failing this many cycles in a row (default 2). */
      failingCycles: z.number().int().min(1).max(100).optional(),
      /** Dead letters in the inbox from this many (default 1). */
      deadLetters: z.number().int().min(1).optional(),
      /** The share of a cycle's discrepancies the webhooks should have fixed first, above which it alerts (default 0.25). */
      missedShare: z.number().gt(0).max(1).optional(),
      /** 429s from one vendor budget within an hour from which it alerts (default 10). */
      throttledPerHour: z.number().int().min(1).optional(),
      /** How often `recon serve` looks at the standing states (dead letters, guard holds) between cycles (default 1m). */
      every: duration.refine((ms) => ms >= 10_000, { message: 'expected at least 10s' }).optional(),
    })
    .optional(),
  /** How long history is kept: `recon serve` prunes nightly. The change log and the decision log stay. */
  retention: z
    .strictObject({
      /** Days a processed webhook payload is kept (default 30). */
      days: z.number().int().min(1).optional(),
      /** Days runs, discrepancies and closed items are kept (default 180, at least `days`). */
      historyDays: z.number().int().min(1).optional(),
    })
    .refine((r) => r.days === undefined || r.historyDays === undefined || r.historyDays >= r.days, { message: 'expected historyDays at least days', path: ['historyDays'] })
    .optional(),
  checks: z.array(check).min(1),
}).superRefine((policy, ctx) => {
  const seen = new Set<string>();
  policy.checks.forEach((c, i) => {
    if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `duplicate check name "${c.name}"` });
    seen.add(c.name);
    for (const [key, s] of [['source', c.source], ['target', c.target]] as const) {
      if ((s.system === 'hubspot' || s.system === 'gohighlevel') && s.system !== policy.crm) {
        ctx.addIssue({ code: 'custom', path: ['checks', i, key, 'system'], message: `expected ${policy.crm}, the policy's crm` });
      }
    }
  });
});

export type Policy = z.output<typeof policySchema>;
export type CheckPolicy = Policy['checks'][number];
export type CheckSide = CheckPolicy['source'];
export type MapEntry = z.output<typeof mapEntry>;

const knownZones = new Map<string, boolean>();

/** Whether Intl knows the zone; remembered, as building a formatter per policy parse is slow. */
function isTimeZone(zone: string): boolean {
  const known = knownZones.get(zone);
  if (known !== undefined) return known;
  let answer = true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    // Intl throws a RangeError for a zone it does not know: that is the answer, not a failure.
    answer = false;
  }
  if (knownZones.size < 1_000) knownZones.set(zone, answer);
  return answer;
}
