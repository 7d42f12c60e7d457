import type { App } from '@slack/bolt';
import { refusal } from '../../decisions/authorize.ts';
import { retryDead } from '../../db/repositories/inbox.ts';
import { queueFigures } from '../../db/repositories/review-items.ts';
import { nearest } from '../../domain/nearest.ts';
import { openItems } from '../../db/repositories/review-items.ts';
import { traceFacts } from '../../db/repositories/trace.ts';
import { buildTimeline } from '../../domain/trace.ts';
import type { SlackContext } from '../context.ts';
import { refuseReader } from '../access.ts';
import { SLASH_COMMAND } from '../ids.ts';
import { escalationView } from '../item-view.ts';
import { escapeMrkdwn, helpMessage, planPreviewMessage, traceMessage, planSize, planText, queueBlocks, refusalMessage, statusBlocks, type BlockMessage, type CheckPlan } from '../messages/index.ts';
import type { CheckStats } from '../../reconcile/stats.ts';

export type ReconCommand =
  | { name: 'status' }
  | { name: 'queue' }
  | { name: 'help' }
  | { name: 'retry' }
  | { name: 'run'; check: string | null; dryRun: boolean }
  /** One customer's timeline: an email or a record id. */
  | { name: 'trace'; subject: string }
  /** A word that is no subcommand, or a check the policy does not have: answered with what exists. */
  | { name: 'unknown'; problem: string };

const SUBCOMMANDS = ['status', 'queue', 'run', 'retry', 'trace', 'help'];

/** `/recon run payment-status dry-run` → what to do; anything unknown says what exists. Pure. */
export function parseReconCommand(text: string, checks: readonly string[]): ReconCommand {
  const [name, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  const sub = name?.toLowerCase();
  if (sub === undefined || sub === 'help') return { name: 'help' };
  if (sub === 'status' || sub === 'queue' || sub === 'retry') return { name: sub };
  if (sub === 'trace') {
    // Slack sends a typed email as `<mailto:a@b.com|a@b.com>`.
    const subject = rest.join(' ').replace(/^<mailto:[^|>]+\|([^>]+)>$/, '$1').replace(/^<mailto:([^>]+)>$/, '$1').trim();
    if (!subject) return { name: 'unknown', problem: '`/recon trace` needs an email or a record id, e.g. `/recon trace ada@example.com` or `/recon trace cus_123`.' };
    if (/\s/.test(subject)) return { name: 'unknown', problem: `\`/recon trace\` takes one email or id, not \`${subject}\`.` };
    return { name: 'trace', subject };
  }
  if (sub === 'run') {
    const dryRun = rest.some((w) => w.toLowerCase() === 'dry-run' || w.toLowerCase() === '--dry-run');
    const others = rest.filter((w) => w.toLowerCase() !== 'dry-run' && w.toLowerCase() !== '--dry-run');
    const known = checks.length ? `The checks are: ${checks.map((c) => `\`${c}\``).join(', ')}.` : 'The policy has no checks.';
    if (others.length > 1) return { name: 'unknown', problem: `\`/recon run\` takes one check at most, not ${others.length} (${others.map((w) => `\`${w}\``).join(' ')}). ${known}` };
    const check = others[0];
    if (check !== undefined && !checks.includes(check)) {
      const near = nearest(check, checks);
      return { name: 'unknown', problem: `There is no check \`${check}\`${near ? `; did you mean \`${near}\`?` : '.'} ${known}` };
    }
    return { name: 'run', check: check ?? null, dryRun };
  }
  const near = nearest(sub, SUBCOMMANDS);
  return { name: 'unknown', problem: `\`/recon ${name}\` is not a command${near ? `; did you mean \`/recon ${near}\`?` : '.'}` };
}

/** `/recon`: always answered only to the person who asked; status, queue and trace only to those who may read them. */
export function registerCommands(app: App, ctx: SlackContext): void {
  app.command(SLASH_COMMAND, async ({ ack, command }) => {
    await ack();
    const reply = (message: { text: string; blocks: Parameters<SlackContext['slack']['postEphemeral']>[2]['blocks'] }) =>
      ctx.slack.postEphemeral(command.channel_id, command.user_id, message);
    const parsed = parseReconCommand(command.text ?? '', ctx.policy.checks.map((c) => c.name));
    if (parsed.name === 'status' || parsed.name === 'queue' || parsed.name === 'trace') {
      const refused = await refuseReader(ctx, command.user_id, parsed.name);
      if (refused) {
        await reply(refusalMessage(refused.message));
        return;
      }
    }
    switch (parsed.name) {
      case 'status':
        await reply(statusBlocks(await ctx.status()));
        return;
      case 'queue': {
        const vocabularies = await ctx.vocabularies();
        const [items, figures] = await Promise.all([openItems(ctx.database.db, { limit: 20 }), queueFigures(ctx.database.db)]);
        await reply(queueBlocks(items.map((i) => escalationView(i, vocabularies)), { now: new Date(), total: figures.open }));
        return;
      }
      case 'trace': {
        const facts = await traceFacts(ctx.database.db, { subject: parsed.subject });
        if (!facts) {
          const text = `Recon knows nothing of \`${escapeMrkdwn(parsed.subject)}\`: give an email, a Stripe customer id, a CRM record id or a booking id it has seen.`;
          await reply({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
          return;
        }
        await reply(traceMessage(buildTimeline(parsed.subject, facts)));
        return;
      }
      case 'retry': {
        const roles = ctx.policy.slack ?? { approvers: [], financialApprovers: [] };
        const refused = await refusal(command.user_id, roles, false, { membersOf: (g) => ctx.slack.membersOf(g) });
        if (refused) {
          await reply(refusalMessage(refused.startsWith('Recon could not') ? refused : 'Only approvers can retry dead letters.'));
          return;
        }
        const retried = await retryDead(ctx.database.db);
        ctx.logger.info({ user: command.user_id, retried }, 'dead letters put back in the inbox');
        const text = retried === 0 ? 'There are no dead letters.' : `${retried} dead ${retried === 1 ? 'letter is' : 'letters are'} back in the inbox and will be processed again.`;
        await reply({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
        return;
      }
      case 'unknown':
        await reply({ text: parsed.problem, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: parsed.problem } }, ...helpMessage().blocks] });
        return;
      case 'run': {
        const roles = ctx.policy.slack ?? { approvers: [], financialApprovers: [] };
        const refused = await refusal(command.user_id, roles, false, { membersOf: (g) => ctx.slack.membersOf(g) });
        if (refused) {
          const text = refused.startsWith('Recon could not') ? refused : 'Only approvers can start a cycle.';
          await reply(refusalMessage(text));
          return;
        }
        const what = `${parsed.check ?? 'every check'}${parsed.dryRun ? ' (dry run)' : ''}`;
        await reply({ text: `Running ${what}…`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Running ${what}…` } }] });
        const result = await ctx.runCycle({ checks: parsed.check ? [parsed.check] : [], dryRun: parsed.dryRun, full: true });
        const line = result.checks
          .map((c) => `*${c.check}*: ${c.status}, found ${c.discrepancies.total}, ${c.dryRun ? `would fix ${c.wouldWrite}` : `fixed ${c.autoFixed}`}, escalated ${c.escalated}${c.failed ? `, failed ${c.failed}` : ''}`)
          .join('\n');
        await reply({ text: line, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line || 'No checks ran.' } }] });
        if (parsed.dryRun) await replyWithPlan(ctx, result.checks, reply);
        return;
      }
      case 'help':
        await reply(helpMessage());
        return;
    }
  });
}

/** A dry run's plan as the cycle reports it, in the shape the Slack messages take. */
function plansOf(checks: readonly CheckStats[]): CheckPlan[] {
  return checks.map((c) => ({
    check: c.check,
    writes: (c.plan?.writes ?? []).map((w) => ({ ...w.write, rule: w.rule, category: w.category })),
    escalations: (c.plan?.escalations ?? []).map((e) => ({ category: e.category, explanation: e.explanation, source: e.source, target: e.target })),
  }));
}

/**
 * After a dry run from Slack: the whole plan as a file in the review channel (where the ops team
 * reads escalations), and a preview to the asker. A file that cannot be posted leaves the preview
 * pointing at the command line instead.
 */
async function replyWithPlan(ctx: SlackContext, checks: readonly CheckStats[], reply: (message: BlockMessage) => Promise<unknown>): Promise<void> {
  const plans = plansOf(checks);
  const channel = ctx.policy.slack?.reviewChannel ?? null;
  let posted: string | null = null;
  if (planSize(plans) > 0 && channel) {
    try {
      const day = new Date().toISOString().slice(0, 10);
      await ctx.slack.uploadFile(channel, { bytes: Buffer.from(planText(plans)), filename: `recon-dry-run-${day}.txt`, title: `Dry-run plan, ${day}` });
      posted = channel;
    } catch (error) {
      ctx.logger.warn({ err: error, channel }, 'could not post the dry-run plan as a file');
    }
  }
  await reply(planPreviewMessage(plans, posted));
}
