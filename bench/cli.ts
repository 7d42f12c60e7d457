/**
 * The command line as a person meets it: each `recon` command a separate process, timed from
 * spawn to exit, the median of several runs after one that is not counted. `--version` and
 * `--help`; then `status`, `queue`, `show ID` and `log` on a database one `recon run` filled
 * against the sandbox (200 customers): the embedded one with nothing else running, the same
 * through a running `recon serve` (which holds it), and with BENCH_DATABASE_URL a schema of its
 * own on Postgres. Peak RSS of `status` on the embedded database is set beside the embedded
 * database's own: a process that only starts PGlite on the same files and reads one row.
 *
 * Usage: tsx bench/cli.ts [runs]. Prints one JSON line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_SHARED_BUFFERS } from '../src/db/connect.ts';
import { readServeFile } from '../src/cli/serve-file.ts';
import { benchDatabase, sleep, startSandbox, type BenchDatabase } from './support.ts';

const RUNS = Number(process.argv[2] ?? 7);
const READ_ONLY: string[][] = [['status'], ['queue'], ['show', '1'], ['log']];

// What is measured is what a clone runs: dist/, compiled by the prepare step.
const build = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('scripts/build.js failed: the compiled CLI cannot be measured');

const scratch = await mkdtemp(join(tmpdir(), 'recon-bench-cli-'));
const rssFile = join(scratch, 'rss');

interface Run {
  code: number | null;
  wallMs: number;
  /** The process's own peak resident set, MB. */
  peakRssMb: number;
}

/** One process: `node [--import rss hook] ...args`, its output read and dropped. */
async function once(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', './bench/peak-rss.mjs', ...args], { env: { ...env, BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`);
  const peakRssMb = Number(await readFile(rssFile, 'utf8')) / 1024;
  return { code, wallMs, peakRssMb };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

interface Measured {
  command: string;
  runs: number;
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  medianPeakRssMb: number;
}

/** RUNS separate processes after one that is not counted. */
async function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  await once(args, env);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(args, env));
  const walls = runs.map((r) => r.wallMs / 1000);
  return {
    command, runs: RUNS,
    medianSeconds: +median(walls).toFixed(3), minSeconds: +Math.min(...walls).toFixed(3), maxSeconds: +Math.max(...walls).toFixed(3),
    medianPeakRssMb: Math.round(median(runs.map((r) => r.peakRssMb))),
  };
}

const recon = (args: string[], env: NodeJS.ProcessEnv, name = `recon ${args.join(' ')}`) => measure(name, ['bin/recon.js', ...args], env);

/** Environment with nothing of this process's Recon variables: only what the command is given. */
const bare = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', ...extra });

/** `recon run` against the sandbox, so the read-only commands have runs, items and changes to read. */
async function fill(database: BenchDatabase, sandboxEnv: Record<string, string>): Promise<void> {
  const env = bare({ ...sandboxEnv, RECON_CONFIG: 'examples/recon.config.hubspot.yml', ...database.env });
  delete env.SLACK_BOT_TOKEN;
  const run = spawnSync(process.execPath, ['bin/recon.js', 'run', '--json'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0 && run.status !== 1) throw new Error(`recon run exited with ${run.status}`);
}

const result: Record<string, unknown> = { scenario: 'cli', runs: RUNS };
const sandbox = await startSandbox(['--customers', '200', '--no-rate-limits'], { ...process.env, LOG_LEVEL: 'warn' });
try {
  result.version = await recon(['--version'], bare({}));
  result.help = await recon(['--help'], bare({}));

  const embedded = await withDatabase('', async (database) => {
    const env = bare(database.env as Record<string, string>);
    const commands = [];
    for (const args of READ_ONLY) commands.push(await recon(args, env));
    // The embedded database alone: PGlite started on the same files with the same settings, one row read.
    const dir = (database.env as { RECON_DB_DIR: string }).RECON_DB_DIR;
    const pglite = await measure('PGlite alone', ['bench/pglite-alone.mjs', dir, EMBEDDED_SHARED_BUFFERS], env);
    const throughServe = await viaServe(database, env);
    return { commands, pglite, throughServe };
  });
  result.embedded = embedded;
  if (process.env.BENCH_DATABASE_URL) {
    result.postgres = await withDatabase(process.env.BENCH_DATABASE_URL, async (database) => {
      const env = bare(database.env as Record<string, string>);
      const commands = [];
      for (const args of READ_ONLY) commands.push(await recon(args, env));
      return { commands };
    });
  }
} finally {
  sandbox.process.kill('SIGTERM');
  await rm(scratch, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);

/** A database of the kind asked (the URL's Postgres, or embedded when empty), filled by one run, removed after `fn`. */
async function withDatabase<T>(url: string, fn: (database: BenchDatabase) => Promise<T>): Promise<T> {
  const saved = process.env.BENCH_DATABASE_URL;
  process.env.BENCH_DATABASE_URL = url;
  const database = await benchDatabase('cli');
  process.env.BENCH_DATABASE_URL = saved;
  try {
    await fill(database, sandbox.env);
    return await fn(database);
  } finally {
    await database.remove();
  }
}

/** The read-only commands while `recon serve` holds the embedded database: they ask serve over loopback. */
async function viaServe(database: BenchDatabase, env: NodeJS.ProcessEnv): Promise<Measured[]> {
  const dir = (database.env as { RECON_DB_DIR: string }).RECON_DB_DIR;
  const serveEnv = bare({ ...sandbox.env, RECON_CONFIG: 'examples/recon.config.hubspot.yml', PORT: '0', LOG_LEVEL: 'warn', RECON_DB_DIR: dir });
  delete serveEnv.SLACK_BOT_TOKEN;
  const serve = spawn(process.execPath, ['bin/recon.js', 'serve'], { env: serveEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const deadline = Date.now() + 60_000;
    while (!(await readServeFile(dir))) {
      if (serve.exitCode !== null || Date.now() > deadline) throw new Error(`recon serve did not publish serve.json (exit ${serve.exitCode})`);
      await sleep(100);
    }
    const commands = [];
    for (const args of READ_ONLY) commands.push(await recon(args, env, `recon ${args.join(' ')}, through serve`));
    return commands;
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('close', resolve));
  }
}
