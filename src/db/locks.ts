import { sql } from 'kysely';
import type { OpenDatabase } from './connect.ts';

/**
 * Runs `work` while holding a Postgres advisory lock named `name` on a dedicated session, so a
 * check's run never overlaps itself across replicas. Returns null when another session holds it.
 * The embedded database is one session in one process: there is nobody to exclude.
 */
export async function withAdvisoryLock<T>(database: OpenDatabase, name: string, work: () => Promise<T>): Promise<{ value: T } | null> {
  if (database.kind === 'pglite') return { value: await work() };
  return database.db.connection().execute(async (session) => {
    const got = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext(${name})) AS locked`.execute(session);
    if (!got.rows[0]?.locked) return null;
    try {
      return { value: await work() };
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${name}))`.execute(session);
    }
  });
}
