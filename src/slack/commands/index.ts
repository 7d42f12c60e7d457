import type { App } from '@slack/bolt';
import { refusal } from '../../decisions/authorize.ts';
import { openItems } from '../../db/repositories/review-items.ts';
import type { SlackContext } from '../context.ts';
import { refuseReader } from '../access.ts';
import { SLASH_COMMAND } from '../ids.ts';
import { escalationView } from '../item-view.ts';
import { helpMessage, queueBlocks, refusalMessage, statusBlocks } from '../messages/index.ts';

export type ReconCommand =
  | { name: 'status' }
  | { name: 'queue' }
  | { name: 'help' }
  | { name: 'run'; check: string | null; dryRun: boolean };

/** `/recon run payment-status dry-run` → what to do. Anything unknown is help. Pure. */
export function parseReconCommand(text: string, checks: readonly string[]): ReconCommand {
  const [name, ...rest] = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (name === 'status' || name === 'queue') return { name };
  if (name === 'run') {
    const dryRun = rest.includes('dry-run') || rest.includes('--dry-run');
    const others = rest.filter((w) => w !== 'dry-run' && w !== '--dry-run');
    if (others.length > 1 || (others[0] !== undefined && !checks.includes(others[0]))) return { name: 'help' };
    return { name: 'run', check: others[0] ?? null, dryRun };
  }
  return { name: 'help' };
}

/** `/recon`: always answered only to the person who asked; status and queue only to those who may read them. */
export function registerCommands(app: App, ctx: SlackContext): void {
  app.command(SLASH_COMMAND, async ({ ack, command }) => {
    await ack();
    const reply = (message: { text: string; blocks: Parameters<SlackContext['slack']['postEphemeral']>[2]['blocks'] }) =>
      ctx.slack.postEphemeral(command.channel_id, command.user_id, message);
    const parsed = parseReconCommand(command.text ?? '', ctx.policy.checks.map((c) => c.name));
    if (parsed.name === 'status' || parsed.name === 'queue') {
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
        const items = await openItems(ctx.database.db, { limit: 20 });
        await reply(queueBlocks(items.map((i) => escalationView(i, vocabularies)), { now: new Date() }));
        return;
      }
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
        return;
      }
      case 'help':
        await reply(helpMessage());
        return;
    }
  });
}
