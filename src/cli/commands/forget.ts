import { ConfigError } from '../../domain/errors.ts';
import type { CommandContext } from '../context.ts';

/**
 * Removes a person's data from Recon's tables (emails, names, webhook payloads), keeping ids and the
 * change log, and logs that it did. Needs the database itself: not while `recon serve` holds the embedded one.
 */
export async function forgetCommand(subject: string, options: { as: string; json?: boolean }, ctx: CommandContext): Promise<number> {
  const { forget } = await import('../../db/repositories/retention.ts');
  const database = await ctx.openDatabase();
  try {
    const forgotten = await database.db.transaction().execute((trx) => forget(trx, subject, options.as, new Date(ctx.now())));
    if (!forgotten) {
      throw new ConfigError(`Recon knows nothing of ${subject}`, { code: 'usage.unknown_subject', hint: 'give the email or an id `recon trace` finds' });
    }
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify(forgotten, null, 2)}\n`);
    } else {
      const r = forgotten.removed;
      ctx.stdout.write([
        `Forgot the person behind ${subject}: their emails, names and webhook payloads are gone from Recon's tables.`,
        `Kept as ids: ${forgotten.records.length ? forgotten.records.join(', ') : 'none'}; the change log and the decisions stay.`,
        `Removed: ${r.payloads} webhook payloads; personal data on ${r.items} review items, ${r.decisions} decisions, ${r.suppressions} ignores, ${r.discrepancies} discrepancies.`,
        'Logged in forget_log (with a hash of what you asked, not the email).',
      ].join('\n') + '\n');
    }
    return 0;
  } finally {
    await database.close();
  }
}
