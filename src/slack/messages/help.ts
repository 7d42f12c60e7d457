/** `/recon help`, also the answer to an unknown subcommand. Pure. */
import { SLASH_COMMAND } from '../ids.ts';
import type { BlockMessage } from './item-blocks.ts';

const COMMANDS: [usage: string, what: string][] = [
  ['status', 'each check’s last and next run, the open queue, fast-loop events and connector health'],
  ['run [check] [dry-run]', 'run every check, or one, now; `dry-run` shows what would change without writing. Approvers only.'],
  ['queue', 'the open escalations, with Approve / Override / Ignore'],
  ['trace [email or id]', 'what happened to one customer, in time order: webhooks, cycles, writes, decisions'],
  ['retry', 'put the fast loop’s dead letters (webhook events that failed every attempt) back in the inbox. Approvers only.'],
  ['help', 'this message'],
];

/** Every `/recon` subcommand with what it does. */
export function helpMessage(): BlockMessage {
  const lines = COMMANDS.map(([usage, what]) => `\`${SLASH_COMMAND} ${usage}\`: ${what}`);
  return {
    text: `Recon commands: ${COMMANDS.map(([usage]) => `${SLASH_COMMAND} ${usage}`).join(', ')}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Recon* keeps customer status in agreement across your CRM, Stripe and Google Calendar.\n${lines.join('\n')}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Escalations arrive in the review channel; the app’s Home tab shows the status and the queue.' }] },
    ],
  };
}
