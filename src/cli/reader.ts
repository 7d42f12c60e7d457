/**
 * Where a read-only command (status, queue, log, show) gets its answers: from the database, or,
 * when `recon serve` holds the embedded database (only one process may open it), from serve's
 * read-only endpoint. With DATABASE_URL every command connects to Postgres itself.
 */
import { ReconError, errorMessage } from '../domain/errors.ts';
import type { CommandContext } from './context.ts';
import { READ_ONLY_PATHS } from './read-api.ts';
import type { LogQuery, QueueQuery, Reports, TraceRequest } from './reports.ts';
import { runningServe, type ServeFile } from './serve-file.ts';

export interface ReportSource extends Reports {
  /** Where the answers come from, for people: `embedded .recon/db`, or through serve. */
  via: string;
  close(): Promise<void>;
}

export async function openReports(ctx: CommandContext): Promise<ReportSource> {
  if (!ctx.env.DATABASE_URL) {
    const serve = await runningServe(ctx.env.RECON_DB_DIR);
    if (serve) return serveReports(serve);
  }
  // The queries (and Kysely with them) load only here: asking serve needs neither.
  const { databaseReports } = await import('./reports.ts');
  const database = await ctx.openDatabase();
  return { ...databaseReports(database.db, database.describe), via: database.describe, close: () => database.close() };
}

/** How long the CLI waits for serve's answer. */
const ANSWER_WITHIN_MS = 30_000;

/** The reports, asked of a running `recon serve` over loopback. */
export function serveReports(serve: ServeFile): ReportSource {
  const base = `http://127.0.0.1:${serve.port}`;
  const who = `recon serve (process ${serve.pid})`;
  async function get<T>(path: string, params: Record<string, string | number | undefined>, notFound: 'null' | 'error' = 'error'): Promise<T | null> {
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${serve.token}` }, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
    } catch (error) {
      throw new ReconError('serve.unreachable', `${who} holds the embedded database ${serve.database} but did not answer on ${base}: ${errorMessage((error as { cause?: unknown }).cause ?? error)}`, {
        hint: 'wait until it has started, or stop it; with DATABASE_URL set, every command reaches Postgres itself',
      });
    }
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    if (response.ok) return body as T;
    if (response.status === 404 && notFound === 'null' && (body?.error?.startsWith('there is no review item') || body?.error?.startsWith('Recon knows nothing of'))) return null;
    if (response.status === 404) {
      throw new ReconError('serve.no_read_api', `${who} holds the embedded database ${serve.database} and does not answer ${path}`, {
        hint: 'this recon serve predates its read-only endpoint: restart it with this version, or stop it and run the command again',
      });
    }
    if (response.status === 401) {
      throw new ReconError('serve.refused', `${who} refused the token in serve.json`, { hint: 'serve.json is rewritten at each start: run the command again' });
    }
    throw new ReconError('serve.failed', `${who} could not answer ${path}: ${body?.error ?? `HTTP ${response.status}`}`);
  }
  return {
    via: `${serve.database}, read through ${who}`,
    status: async () => (await get(READ_ONLY_PATHS.status, {})) as Awaited<ReturnType<Reports['status']>>,
    queue: async (query: QueueQuery) => (await get(READ_ONLY_PATHS.queue, { ...query })) as Awaited<ReturnType<Reports['queue']>>,
    log: (query: LogQuery) => get(READ_ONLY_PATHS.log, { ...query }, 'null'),
    show: (item: string) => get(READ_ONLY_PATHS.show, { item }, 'null'),
    trace: (request: TraceRequest) => get(READ_ONLY_PATHS.trace, { ...request }, 'null'),
    close: async () => {},
  };
}
