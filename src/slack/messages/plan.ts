/**
 * A dry run's plan in Slack: a short preview for the person who asked (the first writes and
 * escalations of each check) and the whole list as a plain-text file, the same for every check.
 */
import type { FieldValue } from '../../domain/records.ts';
import { categoryWords, escapeMrkdwn, plural, recordName } from './format.ts';
import type { BlockMessage } from './item-blocks.ts';
import { LIMITS, truncate } from './limits.ts';

export interface PlanRecord {
  system: string;
  object: string;
  id: string;
}

/** One check's dry-run plan, as the cycle reports it. */
export interface CheckPlan {
  check: string;
  writes: (PlanRecord & { field: string; from: FieldValue | undefined; to: FieldValue | undefined; rule: string; category: string })[];
  escalations: { category: string; explanation: string; source: (PlanRecord & { value: unknown }) | null; target: (PlanRecord & { value: unknown }) | null }[];
}

/** Lines of each kind shown in the preview; the file has them all. */
const PREVIEW_LINES = 5;

const shown = (value: unknown) => (value === null || value === undefined || value === '' ? '(empty)' : Array.isArray(value) ? value.join(', ') : String(value));

function writeLine(w: CheckPlan['writes'][number]): string {
  return `${recordName(w)} · ${w.field}: ${shown(w.from)} → ${shown(w.to)} (${w.rule}, ${categoryWords(w.category)})`;
}

function escalationLine(e: CheckPlan['escalations'][number]): string {
  const side = (r: CheckPlan['escalations'][number]['source']) => (r ? `${recordName(r)} = ${shown(r.value)}` : '(none)');
  return `${categoryWords(e.category)}: ${side(e.source)} / ${side(e.target)}. ${e.explanation}`;
}

/** Every write and escalation of every check, as plain text: the file a dry run attaches. */
export function planText(plans: readonly CheckPlan[]): string {
  const lines: string[] = [];
  for (const plan of plans) {
    lines.push(`Plan of ${plan.check}: would write ${plan.writes.length}, would escalate ${plan.escalations.length}`);
    if (plan.writes.length) lines.push('', 'Writes:', ...plan.writes.map((w) => `  ${writeLine(w)}`));
    if (plan.escalations.length) lines.push('', 'Escalations:', ...plan.escalations.map((e) => `  ${escalationLine(e)}`));
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** How many writes and escalations the plans hold in all. */
export const planSize = (plans: readonly CheckPlan[]) => plans.reduce((n, p) => n + p.writes.length + p.escalations.length, 0);

/**
 * The preview the asker sees: per check, the first writes and escalations, and where the rest is
 * (`fileChannel`: the channel the full list was posted to as a file, or null when it was not).
 */
export function planPreviewMessage(plans: readonly CheckPlan[], fileChannel: string | null): BlockMessage {
  const sections: string[] = [];
  for (const plan of plans) {
    if (!plan.writes.length && !plan.escalations.length) continue;
    const lines = [`*${escapeMrkdwn(plan.check)}* would write ${plural(plan.writes.length, 'record')} and escalate ${plan.escalations.length.toLocaleString('en-US')} ${plan.escalations.length === 1 ? 'discrepancy' : 'discrepancies'}:`];
    for (const w of plan.writes.slice(0, PREVIEW_LINES)) lines.push(`• ${escapeMrkdwn(writeLine(w))}`);
    if (plan.writes.length > PREVIEW_LINES) lines.push(`• …and ${plural(plan.writes.length - PREVIEW_LINES, 'more write')}`);
    for (const e of plan.escalations.slice(0, PREVIEW_LINES)) lines.push(`• ${escapeMrkdwn(escalationLine(e))}`);
    if (plan.escalations.length > PREVIEW_LINES) lines.push(`• …and ${plural(plan.escalations.length - PREVIEW_LINES, 'more escalation')}`);
    sections.push(lines.join('\n'));
  }
  if (!sections.length) {
    const text = 'The dry run found nothing to write or escalate.';
    return { text, blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text } }] };
  }
  const where = fileChannel ? `The whole plan is in <#${fileChannel}> as a file.` : 'The whole plan: `recon run --dry-run` on the command line.';
  // One section per check, as many as a message holds.
  const blocks = sections.slice(0, LIMITS.blocksPerMessage - 1).map((text) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: truncate(text, LIMITS.sectionText) } }));
  return { text: `Dry-run plan. ${where}`, blocks: [...blocks, { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: where }] }] };
}
