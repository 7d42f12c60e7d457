/**
 * `recon calendar watch`: opens (or renews) the Google Calendar push channel to `recon serve`'s
 * `/webhooks/google-calendar`, so a booking reaches the CRM in seconds; `recon serve` renews it on
 * its own after that. `recon calendar stop` stops every channel Recon opened.
 */
import { ConfigError } from '../../config/errors.ts';
import { closeAllChannels, renewChannels } from '../../fastloop/channels.ts';
import { WEBHOOK_PATHS } from '../../fastloop/ingest.ts';
import { buildConnectors, openMigratedDatabase } from '../../main.ts';
import { loadConfiguredPolicy, type CommandContext } from '../context.ts';

export async function calendarCommand(action: 'watch' | 'stop', options: { address?: string; renew?: boolean }, ctx: CommandContext): Promise<number> {
  const values = { address: options.address, renew: Boolean(options.renew) };
  const policy = await loadConfiguredPolicy(ctx.env);
  const connectors = buildConnectors(ctx.env, policy, ctx.logger);
  if (!Object.values(connectors).some((c) => c?.openChannel)) {
    throw new ConfigError('recon calendar: the policy reads no Google Calendar', { code: 'usage.invalid', hint: 'add a check whose source is google_calendar, then set the GOOGLE_* variables' });
  }
  const database = await openMigratedDatabase(ctx.env, ctx.logger);
  try {
    if (action === 'stop') {
      const closed = await closeAllChannels({ db: database.db, connectors });
      ctx.stdout.write(closed.length ? `Stopped ${closed.length} channel${closed.length === 1 ? '' : 's'}: ${closed.join(', ')}.\n` : 'No channel was open.\n');
      return 0;
    }
    const token = ctx.env.GOOGLE_CALENDAR_CHANNEL_TOKEN as string | undefined;
    if (!token) throw new ConfigError('GOOGLE_CALENDAR_CHANNEL_TOKEN is not set: Google echoes it in every notification, and recon serve refuses notifications without it', { code: 'config.missing_env', hint: 'set it to a long random string, e.g. `openssl rand -hex 32`, for recon serve too' });
    const base = values.address ?? ctx.env.RECON_PUBLIC_URL;
    if (!base) throw new ConfigError('recon calendar watch: no address for the notifications', { code: 'config.missing_env', hint: 'set RECON_PUBLIC_URL to the public https address of recon serve, or pass --address' });
    const address = values.address ?? `${base.replace(/\/$/, '')}${WEBHOOK_PATHS.google_calendar}`;
    const reports = await renewChannels({ db: database.db, connectors, address, token, logger: ctx.logger, force: values.renew });
    for (const r of reports) {
      ctx.stdout.write(`${r.opened ? 'Opened' : 'Kept'} channel ${r.channel.id} to ${r.channel.address}, until ${r.channel.expiresAt.toISOString()}${r.closed.length ? `; stopped ${r.closed.join(', ')}` : ''}.\n`);
    }
    return 0;
  } finally {
    await database.close();
  }
}
