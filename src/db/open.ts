import { ReconError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';
import { openDatabase, type OpenDatabase } from './connect.ts';
import { databaseError } from './errors.ts';
import { migrate } from './migrate.ts';

/**
 * Opens the configured database and brings its schema up to date (a schema already current costs
 * one look at `recon_migrations`). Loads only the driver the target needs, so every command, the
 * read-only ones first, can open its database without the rest of Recon.
 */
export async function openMigratedDatabase(env: { DATABASE_URL?: string | undefined; RECON_DB_DIR: string }, logger: Logger): Promise<OpenDatabase> {
  const database = await openDatabase({ url: env.DATABASE_URL, embeddedDir: env.RECON_DB_DIR });
  try {
    const { applied } = await migrate(database);
    if (applied.length) logger.info({ applied, database: database.describe }, 'migrations applied');
  } catch (error) {
    await database.close().catch((closeError: unknown) => logger.debug({ err: closeError }, 'could not close the database after a failed start'));
    throw error instanceof ReconError ? error : databaseError(error, database.describe);
  }
  return database;
}
