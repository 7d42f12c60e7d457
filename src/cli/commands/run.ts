import { runCycle, type CycleResult } from '../../reconcile/cycle.ts';
import { buildConnectors, openMigratedDatabase, storeFor } from '../../main.ts';
import { parseCommandArgs } from '../args.ts';
import { loadConfiguredPolicy, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { renderSummary } from '../render.ts';

/** Exit code of a cycle: 1 when some record or check failed. */
export function exitCodeOf(result: CycleResult): number {
  return result.checks.some((c) => c.failed > 0 || c.status === 'failed' || c.status === 'partial') ? 1 : 0;
}

export async function runCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs('run', args, {
    check: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const policy = await loadConfiguredPolicy(ctx.env);
  const connectors = buildConnectors(ctx.env, policy, ctx.logger);
  const database = await openMigratedDatabase(ctx.env, ctx.logger);
  const progress = createProgress(ctx.stderr, values.json);
  try {
    const result = await runCycle(
      { store: storeFor(database), connectors, policy, logger: ctx.logger, progress: progress.onPage },
      { checks: values.check ?? [], dryRun: values['dry-run'], full: values.full },
    );
    progress.done();
    ctx.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderSummary(result)}\n`);
    return exitCodeOf(result);
  } finally {
    await database.close();
  }
}
