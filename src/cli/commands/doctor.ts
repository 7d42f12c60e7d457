import { nextRunOf } from '../../jobs/schedules.ts';
import { WEBHOOK_PATHS, webhookSecrets } from '../../fastloop/ingest.ts';
import { WebClient } from '@slack/web-api';
import { DEFAULT_FULL_RECONCILE, type Policy } from '../../config/policy.ts';
import { loadPolicy } from '../../config/load-policy.ts';
import { connectorDefinition } from '../../connectors/registry.ts';
import { errorMessage } from '../../domain/errors.ts';
import { buildConnectors, openMigratedDatabase, sharedBudgets, systemsOf } from '../../main.ts';
import { preflight, problemLine } from '../../reconcile/preflight.ts';
import { slackLogger } from '../../slack/app.ts';
import { SLACK_RETRIES, webClientPort, type SlackPort } from '../../slack/port.ts';
import type { CommandContext } from '../context.ts';

/**
 * Validates the policy and environment, then checks the database, each connection (with its API
 * version and limits), the policy against what each system has, and Slack. Exit 2 when the policy
 * names what a system does not have, 1 when a connection fails, else 0.
 */
export async function doctorCommand(ctx: CommandContext): Promise<number> {
  const say = (status: 'ok' | 'FAIL' | 'warn' | 'info', what: string) => ctx.stdout.write(`${status.padEnd(4)}  ${what}\n`);
  say('ok', 'environment is valid');
  const policy = await loadPolicy(ctx.env.RECON_CONFIG);
  say('ok', `policy ${ctx.env.RECON_CONFIG}: ${policy.checks.length} checks (${policy.checks.map((c) => c.name).join(', ')})`);
  for (const line of scheduleLines(policy)) say('ok', line);
  let failures = 0;
  try {
    const database = await openMigratedDatabase(ctx.env, ctx.logger);
    say('ok', `database ${database.describe} reachable and migrated`);
    try {
      const { tableSizes } = await import('../../db/repositories/retention.ts');
      for (const t of await tableSizes(database.db)) say('info', `table ${t.table}: ${t.rows.toLocaleString('en-US')} rows, ${megabytes(t.bytes)}`);
    } finally {
      await database.close();
    }
  } catch (error) {
    failures++;
    say('FAIL', `database: ${errorMessage(error)}`);
  }

  const budgets = sharedBudgets(ctx.env, ctx.logger);
  const connectors = buildConnectors(ctx.env, policy, ctx.logger, budgets.limiters);
  say('info', budgets.shared
    ? 'vendor rate limits: one budget per credential in Postgres, shared by every replica and command on DATABASE_URL (people first)'
    : 'vendor rate limits: kept in this process (the embedded database serves one process)');
  let reachable = true;
  for (const system of systemsOf(policy)) {
    const definition = connectorDefinition(system);
    const connector = connectors[system];
    if (!definition || !connector) continue;
    const health = await connector.health({ priority: 'interactive' });
    if (!health.ok) {
      failures++;
      reachable = false;
    }
    say(health.ok ? 'ok' : 'FAIL', `${definition.displayName}: ${health.detail}`);
    say('info', `${definition.displayName}: API version ${definition.apiVersion}; limits ${definition.limits.map((l) => `${l.requests} ${l.what}`).join('; ')}`);
  }

  let mismatch = false;
  if (reachable) {
    try {
      const checked = await preflight(policy, connectors, { priority: 'interactive' });
      for (const problem of checked.problems) say('FAIL', problemLine(problem));
      mismatch = checked.problems.length > 0;
      if (!mismatch) say('ok', `every check's objects, fields and map values exist in its systems (${[...checked.descriptions.keys()].join(', ')})`);
    } catch (error) {
      failures++;
      say('FAIL', `the policy could not be checked against the systems: ${errorMessage(error)}`);
    }
  } else {
    say('warn', 'the policy was not checked against the systems: a connection failed');
  }

  failures += await checkSlack(ctx, policy, say);
  const systems = systemsOf(policy);
  let webhooks: ReturnType<typeof webhookSecrets> | null = null;
  try {
    webhooks = webhookSecrets(ctx.env, [...systems]);
  } catch (error) {
    failures++;
    say('FAIL', `webhooks: ${errorMessage(error)}`);
  }
  for (const problem of webhooks?.problems ?? []) say('warn', problem);
  const base = ctx.env.RECON_PUBLIC_URL?.replace(/\/$/, '') ?? '';
  for (const [provider, variable] of Object.entries(WEBHOOK_VARIABLES)) {
    if (!systems.has(provider)) continue;
    const on = webhooks?.secrets[provider as keyof typeof WEBHOOK_VARIABLES] !== undefined;
    const path = WEBHOOK_PATHS[provider as keyof typeof WEBHOOK_PATHS];
    say(on ? 'ok' : 'info', `${connectorDefinition(provider)?.displayName ?? provider} webhooks: ${on ? `on (POST ${base}${path})` : `off, ${path} answers 404: set ${variable} to take them`}`);
  }
  await budgets.close();
  return mismatch ? 2 : failures ? 1 : 0;
}

/** What turns each system's webhook endpoint on. */
const WEBHOOK_VARIABLES = {
  stripe: 'STRIPE_WEBHOOK_SECRET',
  hubspot: 'HUBSPOT_CLIENT_SECRET and RECON_PUBLIC_URL',
  gohighlevel: "GHL_WEBHOOK_PUBLIC_KEY to your app's Ed25519 public key (PEM, base64 or hex), with which GoHighLevel signs every webhook (X-GHL-Signature),",
  google_calendar: 'GOOGLE_CALENDAR_CHANNEL_TOKEN (then run recon calendar watch)',
} as const;

/** Each schedule with when it runs next, so a person sees how it was understood. */
function scheduleLines(policy: Policy): string[] {
  const schedule = policy.schedule;
  if (!schedule) return ['schedule: none (cycles run only by `recon run` or `/recon run`)'];
  const lines: string[] = [];
  for (const [name, expression] of [['reconcile', schedule.reconcile], ['fullReconcile', schedule.fullReconcile ?? DEFAULT_FULL_RECONCILE], ['digest', schedule.digest]] as const) {
    if (!expression) continue;
    const next = nextRunOf(expression, schedule.timezone);
    lines.push(`schedule.${name} "${expression}": next ${next ? next.toLocaleString('en-GB', { timeZone: schedule.timezone, dateStyle: 'medium', timeStyle: 'short' }) : 'never'} (${schedule.timezone})`);
  }
  return lines;
}

/** Slack: the token's identity (`auth.test`), the channels of the policy, and the bot in each. */
async function checkSlack(ctx: CommandContext, policy: Policy, say: (status: 'ok' | 'FAIL' | 'warn' | 'info', what: string) => void): Promise<number> {
  if (!ctx.env.SLACK_BOT_TOKEN) {
    say('info', 'Slack: SLACK_BOT_TOKEN is not set; `recon serve` would run without the Slack app');
    return 0;
  }
  const client = new WebClient(ctx.env.SLACK_BOT_TOKEN, {
    ...(ctx.env.SLACK_API_URL ? { slackApiUrl: ctx.env.SLACK_API_URL } : {}),
    retryConfig: { ...SLACK_RETRIES, retries: 1 },
    logger: slackLogger(ctx.logger.child({ component: 'slack' })),
  });
  const slack: SlackPort = webClientPort(client, { pacePerChannel: false, logger: ctx.logger });
  let failures = 0;
  try {
    const who = await slack.identity();
    say('ok', `Slack: token of bot user ${who.userId} in workspace ${who.team || who.teamId}`);
  } catch (error) {
    say('FAIL', `Slack: the bot token was refused (${errorMessage(error)}): set SLACK_BOT_TOKEN to the app's xoxb- token`);
    return 1;
  }
  if (!ctx.env.SLACK_SIGNING_SECRET && !ctx.env.SLACK_APP_TOKEN) {
    failures++;
    say('FAIL', 'Slack: set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) for `recon serve`');
  }
  if (!policy.slack) {
    say('warn', 'Slack: the policy has no slack: block, so nothing is posted');
    return failures;
  }
  for (const [role, id] of [['reviewChannel', policy.slack.reviewChannel], ['digestChannel', policy.slack.digestChannel]] as const) {
    try {
      const channel = await slack.channel(id);
      if (!channel) {
        failures++;
        say('FAIL', `Slack: policy.slack.${role} ${id} does not exist or the bot cannot see it`);
      } else if (channel.isArchived) {
        failures++;
        say('FAIL', `Slack: policy.slack.${role} #${channel.name} is archived`);
      } else if (!channel.isMember) {
        failures++;
        say('FAIL', `Slack: the bot is not in #${channel.name} (policy.slack.${role}): invite it with /invite @recon`);
      } else say('ok', `Slack: policy.slack.${role} #${channel.name}, the bot is a member`);
    } catch (error) {
      failures++;
      say('FAIL', `Slack: policy.slack.${role} ${id} could not be checked: ${errorMessage(error)}`);
    }
  }
  return failures;
}

/** "0.4 MB": a table's size for people. */
function megabytes(bytes: number): string {
  return bytes < 100_000 ? `${Math.max(1, Math.round(bytes / 1000))} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`;
}
