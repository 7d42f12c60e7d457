import { runCycle, type CycleResult } from '../../reconcile/cycle.ts';
import { buildConnectors, sharedBudgets, storeFor } from '../../main.ts';
import { loadConfiguredPolicy, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { renderSummary } from '../render.ts';

/** Exit code of a cycle: 1 when some record or check failed. */
export function exitCodeOf(result: CycleResult): number {
  return result.checks.some((c) => c.failed > 0 || c.status === 'failed' || c.status === 'partial') ? 1 : 0;
}

export interface RunOptions {
  check?: string[];
  dryRun?: boolean;
  full?: boolean;
  json?: boolean;
}

export async function runCommand(options: RunOptions, ctx: CommandContext): Promise<number> {
  const policy = await loadConfiguredPolicy(ctx.env);
  // On Postgres, this run takes its vendor requests from the budget every replica shares.
  const budgets = sharedBudgets(ctx.env, ctx.logger);
  const connectors = buildConnectors(ctx.env, policy, ctx.logger, budgets.limiters);
  const database = await ctx.openDatabase();
  budgets.recordThrottlesIn(database);
  const progress = createProgress(ctx.stderr, { json: options.json });
  try {
    const result = await runCycle(
      { store: storeFor(database), connectors, policy, logger: ctx.logger, progress: progress.onPage },
      { checks: options.check ?? [], dryRun: Boolean(options.dryRun), full: Boolean(options.full) },
    );
    progress.done();
    ctx.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderSummary(result)}\n`);
    return exitCodeOf(result);
  } finally {
    await budgets.close();
    await database.close();
  }
}
