import { sql } from 'kysely';
import type { DbOrTx } from '../connect.ts';
import type { Run, RunStatus } from '../schema.ts';

export async function startRun(
  db: DbOrTx,
  run: { cycleId: string; check: string; mode: 'full' | 'incremental'; dryRun: boolean },
): Promise<Run> {
  return db
    .insertInto('runs')
    .values({ cycle_id: run.cycleId, check_name: run.check, mode: run.mode, dry_run: run.dryRun, status: 'running', cursors: '{}', stats: '{}' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function finishRun(
  db: DbOrTx,
  id: string,
  outcome: { status: Exclude<RunStatus, 'running'>; stats: Record<string, unknown>; cursors?: Record<string, string>; error?: string | null },
): Promise<void> {
  await db
    .updateTable('runs')
    .set({
      status: outcome.status,
      finished_at: new Date(),
      stats: JSON.stringify(outcome.stats),
      ...(outcome.cursors ? { cursors: JSON.stringify(outcome.cursors) } : {}),
      error: outcome.error ?? null,
    })
    .where('id', '=', id)
    .execute();
}

/** Runs left `running` by a process that died: called while holding the check's lock. */
export async function failAbandonedRuns(db: DbOrTx, check: string, exceptId: string): Promise<number> {
  const result = await db
    .updateTable('runs')
    .set({ status: 'failed', finished_at: new Date(), error: 'interrupted: the process stopped before the run finished' })
    .where('check_name', '=', check)
    .where('status', '=', 'running')
    .where('id', '!=', exceptId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Where the check's next incremental pass starts: the cursors of its latest run that finished
 * and saved any, and when its latest full pass finished (dry runs never move a cursor).
 */
export async function lastCursors(db: DbOrTx, check: string): Promise<{ cursors: Record<string, string>; lastStartedAt: Date; lastFullAt: Date | null; lastFullRecords: number | null } | null> {
  const last = await db
    .selectFrom('runs')
    .select(['cursors', 'started_at'])
    .where('check_name', '=', check)
    .where('status', 'in', ['succeeded', 'partial'])
    .where('dry_run', '=', false)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const full = await db
    .selectFrom('runs')
    .select(['finished_at', 'stats'])
    .where('check_name', '=', check)
    .where('status', 'in', ['succeeded', 'partial'])
    .where('dry_run', '=', false)
    .where('mode', '=', 'full')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last) return null;
  const recordsRead = (full?.stats as { recordsRead?: unknown } | undefined)?.recordsRead;
  return {
    cursors: (last.cursors ?? {}) as Record<string, string>,
    lastStartedAt: new Date(last.started_at),
    lastFullAt: full?.finished_at ? new Date(full.finished_at) : null,
    lastFullRecords: typeof recordsRead === 'number' ? recordsRead : null,
  };
}

export async function lastRuns(db: DbOrTx, limit = 20): Promise<Run[]> {
  return db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** The latest finished run of each check. */
export async function latestRunPerCheck(db: DbOrTx): Promise<Run[]> {
  const result = await sql<Run>`
    SELECT DISTINCT ON (check_name) * FROM runs
    WHERE status <> 'running' ORDER BY check_name, id DESC`.execute(db);
  return result.rows;
}
