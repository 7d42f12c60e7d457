import { commandContext, type CommandContext } from './context.ts';
import { reportFailure } from './errors.ts';

const HELP = `recon: keeps customer status in agreement across your CRM, Stripe and Google Calendar.

Usage:
  recon demo [--crm hubspot|gohighlevel] [--customers N] [--seed N] [--json]
      The whole product against a local sandbox on the embedded database: no account needed.
  recon run [--check NAME]... [--dry-run] [--full] [--json]
      One reconciliation cycle now. --dry-run writes nothing anywhere but the run record.
      Cycles are full scans (--full is accepted; incremental cycles come later).
  recon serve         The Slack app (POST /slack/events or Socket Mode), the schedules,
                      GET /healthz and GET /metrics, on PORT (default 3000).
  recon doctor        Validate the policy and environment, and check each connection.
  recon migrate       Apply database migrations.
  recon status [--json]
      The last run of each check and the open review queue.
  recon sandbox [--customers N] [--seed N] [--port N] [--drift-rate R] [--no-rate-limits] [--webhooks-to URL]
      Start the local Stripe and HubSpot sandbox and print the environment to point Recon at it.
      --webhooks-to sends signed webhooks for its changes to a local recon serve at URL.
  recon calendar watch [--address URL] [--renew] | recon calendar stop
      Open (or renew) the Google Calendar push channel to recon serve's /webhooks/google-calendar,
      or stop it. recon serve renews an open channel on its own.
  recon help

Exit codes: 0 ok; 1 some records or checks failed; 2 bad configuration or usage.
Configuration: RECON_CONFIG (default recon.config.yml), DATABASE_URL (default: embedded in .recon/db).`;

type Command = (args: string[], ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  doctor: async () => (await import('./commands/doctor.ts')).doctorCommand,
  migrate: async () => (await import('./commands/migrate.ts')).migrateCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  sandbox: async () => (await import('./commands/sandbox.ts')).sandboxCommand,
  calendar: async () => (await import('./commands/calendar.ts')).calendarCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`recon: unknown command "${name}"\n\n${HELP}\n`);
    return 2;
  }
  try {
    const command = await load();
    return await command(args, commandContext());
  } catch (error) {
    return reportFailure(error, name, process.stderr, process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace');
  }
}
