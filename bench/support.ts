/**
 * What the benchmark scenarios share: the sandbox in a child process, the database each one
 * measures (the embedded one in a temporary directory, or a schema of its own on the real Postgres
 * named by BENCH_DATABASE_URL), and percentiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';

export interface Sandbox {
  /** What `recon sandbox` printed for Recon to use: STRIPE_API_URL, HUBSPOT_API_URL, SLACK_API_URL... */
  env: Record<string, string>;
  /** The sandbox's origin, where its `/_sandbox/` control routes answer. */
  origin: string;
  process: ChildProcess;
  /** Calls a control route (`/_sandbox/drift?...`, `/_sandbox/requests`) and returns its JSON. */
  control(method: string, path: string): Promise<Record<string, unknown>>;
}

/**
 * Starts `recon sandbox <args>` in a child process and waits for the environment it prints. The
 * child ends when this process does, however it ends.
 */
export async function startSandbox(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Sandbox> {
  const child = spawn(process.execPath, ['bin/recon.js', 'sandbox', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  process.once('exit', () => child.kill('SIGTERM'));
  const printed: Record<string, string> = {};
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    for (const [, key, value] of next.value.matchAll(/(\w+)=(\S+)/g)) printed[key as string] = value as string;
    if (next.value.startsWith('Press Ctrl-C')) break;
  }
  if (!printed.STRIPE_API_URL) throw new Error('the sandbox did not start: see its error above');
  // Whatever else it prints later must not fill the pipe and stall it.
  child.stdout?.resume();
  const origin = new URL(printed.STRIPE_API_URL).origin;
  return {
    env: printed, origin, process: child,
    // A connection of its own each time: minutes apart, a kept-alive one may be closing as it is reused.
    control: async (method, path) => (await fetch(`${origin}${path}`, { method, headers: { connection: 'close' } })).json() as Promise<Record<string, unknown>>,
  };
}

export interface BenchDatabase {
  /** `DATABASE_URL` (a schema of its own on the real Postgres) or `RECON_DB_DIR` (the embedded one). */
  env: { DATABASE_URL: string } | { RECON_DB_DIR: string };
  /** A scratch directory removed with the database. */
  dir: string;
  name: 'postgres' | 'embedded';
  /** Drops the schema or removes the directory. */
  remove(): Promise<void>;
}

/** The database a scenario measures: BENCH_DATABASE_URL's Postgres if set, else the embedded one. */
export async function benchDatabase(label: string): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), `recon-bench-${label}-`));
  const pgUrl = process.env.BENCH_DATABASE_URL || undefined;
  if (!pgUrl) {
    return { env: { RECON_DB_DIR: join(dir, 'db') }, dir, name: 'embedded', remove: () => rm(dir, { recursive: true, force: true }) };
  }
  const schema = `recon_bench_${label.replace(/\W/g, '_')}_${process.pid}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const parsed = new URL(pgUrl);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return {
    env: { DATABASE_URL: parsed.toString() }, dir, name: 'postgres',
    remove: async () => {
      await rm(dir, { recursive: true, force: true });
      await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** The p-th percentile (nearest rank) of ascending `sorted`, to 0.1. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return +(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number).toFixed(1);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
