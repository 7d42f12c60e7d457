import { LogLevel, WebClient } from '@slack/web-api';
import type { Env } from '../../config/env.ts';
import type { Directory } from '../../decisions/authorize.ts';
import type { DecisionRequest, DecisionResult } from '../../decisions/decide.ts';
import { createDecisions } from '../../decisions/service.ts';
import { ConfigError } from '../../domain/errors.ts';
import { buildConnectors, sharedBudgets, storeFor } from '../../main.ts';
import { loadConfiguredPolicy, type CommandContext } from '../context.ts';
import { plainText } from '../render.ts';
import { runningServe } from '../serve-file.ts';

export type DecideAction = 'approve' | 'override' | 'ignore' | 'release' | 'retry' | 'pick';

export interface DecideOptions {
  /** The Slack user id of the person deciding, as the policy's approvers list it. */
  as: string;
  reason?: string;
  /** Ignore for this many days only. */
  snooze?: number;
  json?: boolean;
}

/** A Slack user id (`U...`, or `W...` on Enterprise Grid). */
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/**
 * A person's decision from the command line, through the same service as Slack's buttons: the
 * same authorization (`--as` must be an approver in the policy, a financial approver for a
 * financial field), the same claim, compare-and-set write, change log and decision log.
 * Exit 0 decided; 1 nothing written though the request was sound (the write failed, the record
 * changed since, someone decided first); 2 usage, unknown item, or not allowed.
 */
export async function decideCommand(itemId: string, action: DecideAction, value: string | undefined, options: DecideOptions, ctx: CommandContext): Promise<number> {
  const request = requestOf(itemId, action, value, options);
  const serve = ctx.env.DATABASE_URL ? null : await runningServe(ctx.env.RECON_DB_DIR);
  if (serve) {
    throw new ConfigError(`recon serve (process ${serve.pid}) holds the embedded database ${serve.database}, and decisions are not taken through it`, {
      code: 'usage.database_busy',
      hint: 'decide in Slack, or stop recon serve first; with DATABASE_URL (a shared Postgres) both can run',
    });
  }
  const policy = await loadConfiguredPolicy(ctx.env);
  const budgets = sharedBudgets(ctx.env, ctx.logger);
  const connectors = buildConnectors(ctx.env, policy, ctx.logger, budgets.limiters);
  const database = await ctx.openDatabase();
  budgets.recordThrottlesIn(database);
  try {
    const decisions = createDecisions({ store: storeFor(database), connectors, policy, logger: ctx.logger, directory: slackDirectory(ctx.env), via: 'cli' });
    const result = await decisions.decide(request);
    const code = exitCodeOf(result);
    if (options.json) ctx.stdout.write(`${JSON.stringify(jsonOf(result), null, 2)}\n`);
    else if (code === 0) ctx.stdout.write(`Item ${itemId}: ${plainText(result.message)}\n`);
    else {
      ctx.stderr.write(`recon decide: item ${itemId}: ${plainText(result.message)}\n`);
      if (result.kind === 'refused' && result.message.includes('could not check your membership') && !ctx.env.SLACK_BOT_TOKEN) {
        ctx.stderr.write('  user groups are read from Slack: set SLACK_BOT_TOKEN, or name the person in the policy by their id\n');
      }
    }
    return code;
  } finally {
    await budgets.close();
    await database.close();
  }
}

function requestOf(itemId: string, action: DecideAction, value: string | undefined, options: DecideOptions): DecisionRequest {
  const user = options.as.trim();
  if (!SLACK_USER.test(user)) {
    throw new ConfigError(`--as: expected your Slack user id as the policy's approvers list it, such as U0123ABC, got "${options.as}"`, {
      code: 'usage.invalid', hint: 'in Slack: your profile › ⋮ › Copy member ID',
    });
  }
  if (action !== 'ignore' && options.snooze !== undefined) throw usage('--snooze is for ignore only');
  switch (action) {
    case 'approve':
      if (value !== undefined) throw usage(`approve takes no value (it writes the proposed fix); to write "${value}", use override ${value} --reason TEXT`);
      if (options.reason !== undefined) throw usage('approve takes no --reason: the proposed fix is its reason; give one with override or ignore');
      return { action: 'approve', itemId, user };
    case 'ignore':
      if (value !== undefined) throw usage('ignore takes no value; give why with --reason TEXT');
      return { action: 'ignore', itemId, user, snoozeDays: options.snooze ?? null, reason: options.reason ?? null };
    case 'override':
      if (value === undefined || !value.trim()) throw usage('override needs the value to write: override VALUE --reason TEXT');
      if (!options.reason?.trim()) throw usage('override needs --reason TEXT: why the other value is right');
      return { action: 'override', itemId, user, value, reason: options.reason };
    case 'release':
    case 'retry':
      if (value !== undefined) throw usage(`${action} takes no value: it makes the writes the item already holds`);
      if (options.reason !== undefined) throw usage(`${action} takes no --reason`);
      return { action, itemId, user };
    case 'pick':
      if (value === undefined || !value.trim()) throw usage('pick needs the candidate: pick ID, or pick SOURCE_ID,TARGET_ID (recon show ITEM lists them)');
      if (options.reason !== undefined) throw usage('pick takes no --reason');
      return { action: 'pick', itemId, user, candidate: value.trim() };
  }
}

const usage = (message: string) => new ConfigError(message, { code: 'usage.invalid', hint: 'run `recon decide --help` for its forms' });

export function exitCodeOf(result: DecisionResult): 0 | 1 | 2 {
  if (result.kind === 'refused') return 2;
  if (result.kind === 'already_decided') return 1;
  return result.outcome === 'failed' || result.outcome === 'stale' ? 1 : 0;
}

function jsonOf(result: DecisionResult) {
  const item = result.kind === 'refused' ? null : result.item;
  return {
    outcome: result.kind === 'decided' ? result.outcome : result.kind,
    message: plainText(result.message),
    item: item ? { id: item.id, status: item.status, decidedBy: item.decided_by, decidedAt: item.decided_at ? new Date(item.decided_at).toISOString() : null } : null,
  };
}

/**
 * User groups in the policy are read from Slack, as `recon serve` reads them, when a bot token is
 * set; without one, only people the policy names by id can decide from the command line.
 */
function slackDirectory(env: Env): Directory {
  const token = env.SLACK_BOT_TOKEN;
  if (!token) return { membersOf: () => Promise.reject(new Error('SLACK_BOT_TOKEN is not set')) };
  const client = new WebClient(token, { ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}), retryConfig: { retries: 1 }, logLevel: LogLevel.ERROR });
  return {
    async membersOf(group) {
      try {
        return (await client.usergroups.users.list({ usergroup: group })).users ?? [];
      } catch (error) {
        if ((error as { data?: { error?: string } }).data?.error === 'no_such_subteam') return [];
        throw error;
      }
    },
  };
}
