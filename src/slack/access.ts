/**
 * The read rule at the door of every handler that shows the queue, the status or an item's
 * details: asked of the policy through the cached directory, and every refusal logged with who
 * asked for what.
 */
import { readRefusal, type ReadRefusal } from '../decisions/authorize.ts';
import type { SlackContext } from './context.ts';

/** What a person asked to see, for the log. */
export type ReadRequest = 'status' | 'queue' | 'trace' | 'home' | 'override_modal' | 'ignore_modal';

/** null when `user` may read; otherwise the refusal, already logged. */
export async function refuseReader(ctx: SlackContext, user: string, asked: ReadRequest): Promise<ReadRefusal | null> {
  const roles = ctx.policy.slack ?? { approvers: [], financialApprovers: [] };
  const refused = await readRefusal(user, roles, { membersOf: (group) => ctx.slack.membersOf(group) });
  if (refused) {
    ctx.logger.warn({ user, asked, code: refused.code, ...(refused.code === 'could_not_check' ? { groups: refused.groups } : {}) }, 'refused to show Recon data to a person');
  }
  return refused;
}
