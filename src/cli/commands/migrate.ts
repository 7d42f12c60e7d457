import { openDatabase } from '../../db/connect.ts';
import { migrate } from '../../db/migrate.ts';
import type { CommandContext } from '../context.ts';

export async function migrateCommand(ctx: CommandContext): Promise<number> {
  const database = await openDatabase({ url: ctx.env.DATABASE_URL, embeddedDir: ctx.env.RECON_DB_DIR });
  try {
    const { applied } = await migrate(database);
    ctx.stdout.write(applied.length ? `Applied ${applied.join(', ')} to ${database.describe}.\n` : `${database.describe} is up to date.\n`);
    return 0;
  } finally {
    await database.close();
  }
}
