import { sql } from 'kysely';
import type { OpenDatabase } from './connect.ts';

const heldInProcess = new WeakMap<OpenDatabase, Set<string>>();

/**
 * Runs `work` while holding a Postgres advisory lock named `name` on a dedicated session, so a
 * check's run never overlaps itself across replicas. Returns null when another session holds it.
 * The embedded database is one session in one process: the lock is held in memory.
 */
export async function withAdvisoryLock<T>(database: OpenDatabase, name: string, work: () => Promise<T>): Promise<{ value: T } | null> {
  if (database.kind === 'pglite') {
    // One process owns the embedded database (see its directory lock); exclude within it.
    const held = heldInProcess.get(database) ?? new Set<string>();
    heldInProcess.set(database, held);
    if (held.has(name)) return null;
    held.add(name);
    try {
      return { value: await work() };
    } finally {
      held.delete(name);
    }
  }
  return database.db.connection().execute(async (session) => {
    // Advisory locks belong to the whole database: named within the schema, so installations (or
    // test files) in other schemas of one database never take each other's checks for busy.
    const key = sql`hashtext(current_schema() || ':' || ${name})`;
    const got = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${key}) AS locked`.execute(session);
    if (!got.rows[0]?.locked) return null;
    try {
      return { value: await work() };
    } finally {
      // A session that broke has lost the lock with it; the work's outcome stands either way.
      await sql`SELECT pg_advisory_unlock(${key})`.execute(session).catch(() => undefined);
    }
  });
}
