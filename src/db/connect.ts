import { processIsRunning } from '../util/process.ts';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { ConfigError } from '../domain/errors.ts';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
/** Repository functions take either the database or a transaction, so callers own transactions. */
export type DbOrTx = Kysely<Database> | Transaction<Database>;

export interface DbTarget {
  /** postgres://... for a real server; absent for the embedded database. */
  url?: string | undefined;
  /** Where the embedded database keeps its files; `memory://` keeps nothing. */
  embeddedDir?: string | undefined;
  /** An embedded database's files to start from (PGlite's `dumpDataDir`), instead of a new cluster. */
  snapshot?: Blob | undefined;
  /** Connections in the pool, on Postgres. Default 10. */
  poolSize?: number | undefined;
}

export interface OpenDatabase {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, without credentials. */
  describe: string;
  /** Runs a multi-statement SQL script in one session (migrations). */
  runScript(script: string): Promise<void>;
  /** The embedded database's files as one archive (to start another from); absent on Postgres. */
  snapshot?(): Promise<Blob>;
  close(): Promise<void>;
}

/** The embedded Postgres's shared buffers (Postgres' default is 128MB). */
export const EMBEDDED_SHARED_BUFFERS = '32MB';

/**
 * Opens Kysely over `pg` when a URL is given, over embedded PGlite otherwise. Each driver is
 * loaded only when used: a command on Postgres never loads the embedded database's WebAssembly.
 */
export async function openDatabase(target: DbTarget): Promise<OpenDatabase> {
  if (target.url) {
    const { default: pg } = await import('pg');
    // bigint (int8) ids and counts come back as strings on both drivers: never lossy numbers.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => value);
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const { hostname, port, pathname } = new URL(target.url);
    return {
      db,
      kind: 'postgres',
      describe: `postgres ${hostname}:${port || 5432}${pathname}`,
      async runScript(script) {
        const client = await pool.connect();
        try {
          await client.query(script); // no parameters: the simple protocol runs every statement
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined); // leave no open transaction behind
          throw error;
        } finally {
          client.release();
        }
      },
      close: () => db.destroy(),
    };
  }
  const dir = target.embeddedDir ?? '.recon/db';
  const [{ PGlite, types: pgliteTypes }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
  let unlock = async () => {};
  if (!dir.startsWith('memory://')) {
    await mkdir(dir, { recursive: true });
    unlock = await lockDirectory(dir);
  }
  const pglite = new PGlite(dir, {
    ...(target.snapshot ? { loadDataDir: target.snapshot } : {}),
    parsers: { [pgliteTypes.INT8]: (value: string) => value },
    // Postgres' default 128 MB of shared buffers is most of what an embedded database costs in
    // memory; Recon's tables are read in streams and indexes, so a quarter of it serves as well.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
  });
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    describe: `embedded ${dir}`,
    async runScript(script) {
      try {
        await pglite.exec(script);
      } catch (error) {
        await pglite.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    snapshot: () => pglite.dumpDataDir('none'),
    async close() {
      await db.destroy();
      await unlock();
    },
  };
}

/**
 * The embedded database is one session owned by one process: two processes on one directory
 * would each overwrite the other's writes. A pid file beside it keeps a second one out; a pid
 * file left by a killed process is taken over.
 */
async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const lockFile = `${dir.replace(/[\\/]+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && processIsRunning(holder)) {
        throw new ConfigError(
          `the embedded database in ${dir} is in use by process ${holder}; wait for it, or set DATABASE_URL to a Postgres that several processes can share`,
        );
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new ConfigError(`could not lock the embedded database in ${dir}`);
}

