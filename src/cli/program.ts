/**
 * Every command, its options and its one-line description, in commander. The commands' modules
 * load only when they run, so `recon --help` and `recon status` do not load the Slack app.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import type { CommandContext, Output } from './context.ts';
import { packageRoot } from '../util/package-root.ts';
import { collect, duration, itemId, limit, port, positiveInteger, since } from './options.ts';

/** Runs a command's module with the context built for it; the caller turns what it throws into an exit code. */
export type Dispatch = (command: string, invoke: (ctx: CommandContext) => Promise<number>) => Promise<void>;

export const EXIT_CODES = 'Exit codes: 0 ok; 1 some records or checks failed; 2 bad configuration or usage.';

const ENVIRONMENT = `Configuration: RECON_CONFIG (the policy, default recon.config.yml), DATABASE_URL (default: an
embedded database in RECON_DB_DIR, .recon/db), LOG_LEVEL; credentials as README says.`;

const WHILE_SERVING = `Works while \`recon serve\` runs: on the embedded database it asks serve (found through
.recon/serve.json); with DATABASE_URL it reads Postgres itself.`;

export function buildProgram(io: { stdout: Output; stderr: Output }, dispatch: Dispatch): Command {
  const program = new Command('recon')
    .description('Keeps customer status in agreement across your CRM, Stripe and Google Calendar.')
    .usage('<command> [options]')
    .version(version(), '-V, --version', 'print the version of Recon')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text), outputError: () => {} })
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .addHelpText('after', `\nRun \`recon help <command>\` or \`recon <command> --help\` for its options.\n${EXIT_CODES}\n${ENVIRONMENT}`);

  program
    .command('demo')
    .description('The whole product against a local sandbox on the embedded database: no account needed.')
    .addOption(new Option('--crm <name>', 'the CRM of the seeded world').choices(['hubspot', 'gohighlevel']).default('hubspot'))
    .option('--customers <n>', 'Stripe customers to seed', positiveInteger, 200)
    .option('--seed <n>', 'seed of the generated world', positiveInteger, 42)
    .option('--json', 'print one JSON object instead of tables')
    .action((options) => dispatch('demo', async (ctx) => (await import('./commands/demo.ts')).demoCommand(options, ctx)));

  program
    .command('run')
    .description('One reconciliation cycle now; with --dry-run, the plan of what it would write and escalate.')
    .option('--check <name>', 'only this check (repeat for several)', collect)
    .option('--dry-run', 'write nothing anywhere but the run record; list the writes and escalations it would make')
    .option('--full', 'read everything, not only what changed since the last run')
    .option('--json', 'print one JSON object instead of tables')
    .addHelpText('after', `\n${EXIT_CODES}`)
    .action((options) => dispatch('run', async (ctx) => (await import('./commands/run.ts')).runCommand(options, ctx)));

  program
    .command('serve')
    .description('The Slack app, the webhook endpoints, the schedules, GET /healthz and /metrics, on PORT (default 3000).')
    .action(() => dispatch('serve', async (ctx) => (await import('./commands/serve.ts')).serveCommand(ctx)));

  program
    .command('doctor')
    .description('Validate the policy and environment, and check the database, each connection and Slack.')
    .action(() => dispatch('doctor', async (ctx) => (await import('./commands/doctor.ts')).doctorCommand(ctx)));

  program
    .command('migrate')
    .description('Apply database migrations.')
    .action(() => dispatch('migrate', async (ctx) => (await import('./commands/migrate.ts')).migrateCommand(ctx)));

  program
    .command('status')
    .description('The last run of each check and the open review queue.')
    .option('--json', 'print one JSON object instead of tables')
    .addHelpText('after', `\n${WHILE_SERVING}`)
    .action((options) => dispatch('status', async (ctx) => (await import('./commands/status.ts')).statusCommand(options, ctx)));

  program
    .command('queue')
    .description('The open review items, oldest first: id, check, category, reason, records and age.')
    .option('--check <name>', 'only items of this check')
    .option('--category <name>', 'only items of this category, e.g. paid_but_not_marked')
    .option('--older-than <duration>', 'only items opened longer ago than this, e.g. 2h or 3d', duration)
    .option('--limit <n>', 'list at most this many', limit, 50)
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText('after', `\n${WHILE_SERVING}`)
    .action((options) => dispatch('queue', async (ctx) => (await import('./commands/queue.ts')).queueCommand(options, ctx)));

  program
    .command('log')
    .description('The change log and the decisions, merged in time order (the newest, oldest first).')
    .option('--since <when>', 'only entries since then: a duration back, e.g. 2h or 3d, or an ISO time, e.g. 2026-12-01T09:00Z', since)
    .option('--item <id>', 'only the writes and decisions of this review item', itemId)
    .option('--limit <n>', 'show at most this many, the newest', limit, 50)
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText('after', `\n${WHILE_SERVING}`)
    .action((options) => dispatch('log', async (ctx) => (await import('./commands/log.ts')).logCommand(options, ctx)));

  program
    .command('show')
    .description('One review item: both records as stored on it, the proposed write, and its history.')
    .addArgument(new Argument('<item>', 'the review item id, as `recon queue` lists it').argParser(itemId))
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', `\nExit codes: 0 shown; 2 no such item or bad usage.\n${WHILE_SERVING}`)
    .action((item: string, options) => dispatch('show', async (ctx) => (await import('./commands/show.ts')).showCommand(item, options, ctx)));

  program
    .command('trace')
    .description('One customer\'s timeline across both loops: links, webhooks, cycles, writes, decisions, ignores and guard holds, in time order.')
    .addArgument(new Argument('<subject>', 'an email, a Stripe customer id, a CRM record id or a booking id'))
    .option('--since <when>', 'only steps since then: a duration back, e.g. 2h or 3d, or an ISO time, e.g. 2026-12-01T09:00Z', since)
    .option('--limit <n>', 'show at most this many steps, the newest', limit, 200)
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText('after', `\nExit codes: 0 shown; 2 Recon knows nothing of the subject, or bad usage.\n${WHILE_SERVING}`)
    .action((subject: string, options) => dispatch('trace', async (ctx) => (await import('./commands/trace.ts')).traceCommand(subject, options, ctx)));

  program
    .command('forget')
    .description('Remove a person\'s data (emails, names, webhook payloads) from Recon\'s tables, keeping ids and the change log, and log it.')
    .addArgument(new Argument('<subject>', 'the person\'s email, or an id of one of their records'))
    .requiredOption('--as <name>', 'who asks: your name or Slack user id, for the log')
    .option('--json', 'print what was removed as JSON')
    .addHelpText('after', '\nExit codes: 0 forgotten; 2 Recon knows nothing of the subject, or bad usage.\nNeeds the database itself: with the embedded one, stop recon serve first.')
    .action((subject: string, options) => dispatch('forget', async (ctx) => (await import('./commands/forget.ts')).forgetCommand(subject, options, ctx)));

  program
    .command('decide')
    .description('Decide a review item as Slack\'s buttons do (approve, override, ignore, release, retry, pick): same approvers, same writes and logs.')
    .addArgument(new Argument('<item>', 'the review item id, as `recon queue` lists it').argParser(itemId))
    .addArgument(new Argument('<action>', 'approve writes the proposed fix; override writes VALUE; ignore writes nothing; release makes the writes a guard held; retry repeats a failed decision; pick links the CANDIDATE of an ambiguous match')
      .choices(['approve', 'override', 'ignore', 'release', 'retry', 'pick']))
    .addArgument(new Argument('[value]', 'for override: the value to write; for pick: the candidate\'s id (or SOURCE_ID,TARGET_ID)'))
    .requiredOption('--as <slack-user-id>', 'who decides: your Slack user id, as the policy\'s approvers list it')
    .option('--reason <text>', 'why: required for override, optional for ignore')
    .option('--snooze <days>', 'with ignore: for this many days only (default: while the values stay as they are)', positiveInteger)
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', `
Examples:
  recon decide 12 approve --as U0OPSLEAD
  recon decide 12 override closedlost --reason "cancelled by phone" --as U0OPSLEAD
  recon decide 12 ignore --snooze 7 --reason "waiting on finance" --as U0OPSLEAD
  recon decide 14 release --as U0OPSLEAD        (the writes the blast-radius guard held)
  recon decide 15 retry --as U0OPSLEAD          (a decision whose write failed)
  recon decide 16 pick 4711 --as U0OPSLEAD      (the deal that belongs to an ambiguous match)

Who may decide: --as must be in the policy's slack.approvers (slack.financialApprovers for a
financial field), by id or through a user group (groups are read from Slack with SLACK_BOT_TOKEN).
--as names you; it is not a login: whoever runs recon holds its credentials anyway.

Exit codes: 0 decided; 1 nothing written though the request was sound (the write failed, the
record changed since it was raised, or someone decided first); 2 bad usage, no such item, or
not allowed.`)
    .action((item: string, action: 'approve' | 'override' | 'ignore' | 'release' | 'retry' | 'pick', value: string | undefined, options) =>
      dispatch('decide', async (ctx) => (await import('./commands/decide.ts')).decideCommand(item, action, value, options, ctx)));

  program
    .command('sandbox')
    .description('Serve the local sandbox (Stripe, HubSpot, GoHighLevel, Google Calendar, Slack) and print the environment to point Recon at it.')
    .option('--customers <n>', 'Stripe customers to seed', positiveInteger, 200)
    .option('--seed <n>', 'seed of the generated world', positiveInteger, 42)
    .option('--port <n>', 'port to listen on (default: any free port)', port)
    .option('--drift-rate <share>', 'share of customers per drift kind, between 0 and 0.09')
    .option('--no-rate-limits', 'answer every request, without the vendors\' documented rate limits')
    .option('--webhooks-to <url>', 'send signed webhooks for the sandbox\'s changes to a local recon serve at this base URL')
    .action((options) => dispatch('sandbox', async (ctx) => (await import('./commands/sandbox.ts')).sandboxCommand(options, ctx)));

  program
    .command('calendar')
    .description('Open (or renew) the Google Calendar push channel to recon serve\'s /webhooks/google-calendar, or stop it.')
    .addArgument(new Argument('<action>', 'watch opens or renews the channel; stop stops every channel Recon opened').choices(['watch', 'stop']))
    .option('--address <url>', 'where Google sends notifications (default: RECON_PUBLIC_URL and /webhooks/google-calendar)')
    .option('--renew', 'open a new channel even when the open one has time left')
    .addHelpText('after', '\nrecon serve renews an open channel on its own.')
    .action((action: 'watch' | 'stop', options) => dispatch('calendar', async (ctx) => (await import('./commands/calendar.ts')).calendarCommand(action, options, ctx)));

  program
    .command('help')
    .description('Show the commands, or one command\'s options.')
    .addArgument(new Argument('[command]', 'the command to explain'))
    .action((name: string | undefined) => {
      if (name === undefined) return program.outputHelp();
      const command = program.commands.find((c) => c.name() === name);
      if (!command) return program.error(`unknown command '${name}'`, { code: 'commander.unknownCommand', exitCode: 2 });
      command.outputHelp();
    });

  return program;
}

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }).version;
}
