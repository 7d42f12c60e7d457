import { queueFigures } from '../../db/repositories/review-items.ts';
import { latestRunPerCheck } from '../../db/repositories/runs.ts';
import type { CommandContext } from '../context.ts';
import { renderTable } from '../table.ts';

export async function statusCommand(options: { json?: boolean }, ctx: CommandContext): Promise<number> {
  const database = await ctx.openDatabase();
  try {
    const runs = await latestRunPerCheck(database.db);
    const { open: openCount, byCategory, oldest } = await queueFigures(database.db);
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify({ runs, queue: { open: openCount, byCategory, oldest } }, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(`Database: ${database.describe}\n\n`);
    ctx.stdout.write(
      runs.length
        ? `${renderTable(
            ['check', 'last run', 'status', 'mode', 'took', 'found', 'auto-fixed', 'escalated', 'failed'],
            runs.map((r) => {
              const s = r.stats as { discrepancies?: { total?: number }; autoFixed?: number; escalated?: number; failed?: number };
              const took = r.finished_at ? `${((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000).toFixed(1)} s` : '';
              return [r.check_name, new Date(r.started_at).toISOString().slice(0, 19).replace('T', ' '), r.status + (r.dry_run ? ' (dry run)' : ''), r.mode, took, s.discrepancies?.total ?? 0, s.autoFixed ?? 0, s.escalated ?? 0, s.failed ?? 0];
            }),
          )}\n`
        : 'No runs yet: try `recon run`.\n',
    );
    ctx.stdout.write(`\nReview queue: ${openCount} open`);
    if (openCount) {
      ctx.stdout.write(` (${Object.entries(byCategory).map(([k, n]) => `${k} ${n}`).join(', ')}); oldest opened ${new Date(oldest?.opened_at ?? Date.now()).toISOString()}`);
    }
    ctx.stdout.write('\n');
    return 0;
  } finally {
    await database.close();
  }
}
