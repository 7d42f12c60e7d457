/**
 * `recon` in a child process, for the tests that need a real process (a kill, a restart, serve's
 * port): what it prints is kept, and every wait on it is bounded. A wait that gives up fails with
 * what the child printed and how it ended, instead of hanging until the test's own limit.
 *
 * @example
 * const serve = startRecon(['serve'], env);
 * await serve.waitUntil('GET /healthz answers 200', () => healthy(port), START_WITHIN_MS);
 * await serve.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Bounds set from what each step needs on a loaded two-core machine (the whole suite running
 * beside it), not a quiet one: a few times the slowest start seen there, so they only fire when
 * something is wrong.
 */
/** `recon serve` from spawn to its first answer, a new embedded database included. */
export const START_WITHIN_MS = 60_000;
/** A one-shot command (`recon run` of a few hundred customers, `doctor`, `status`) from spawn to exit. */
export const RUN_WITHIN_MS = 90_000;
/** A process asked to stop (SIGTERM lets serve finish what it started) until it exits. */
export const STOP_WITHIN_MS = 30_000;

/** How much of each stream is kept: the end is what explains a failure. */
const KEEP_CHARS = 64 * 1024;
/** How much of it a failure message quotes. */
const QUOTE_CHARS = 4_000;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ReconChild {
  readonly process: ChildProcess;
  readonly pid: number | undefined;
  /** What the child wrote on stdout so far (its last 64 KiB). */
  stdout(): string;
  /** What the child wrote on stderr so far (its last 64 KiB). */
  stderr(): string;
  /** How it ended, once it has; null while it runs. */
  exit(): ChildExit | null;
  /** Settles when the child has exited and its streams are closed. */
  readonly exited: Promise<ChildExit>;
  /**
   * Polls `ready` until it is true. Rejects, with the child's output, when the child exits first
   * or `withinMs` passes.
   */
  waitUntil(what: string, ready: () => boolean | Promise<boolean>, withinMs: number): Promise<void>;
  /** Waits for the child to exit by itself; rejects with its output when `withinMs` passes first. */
  waitForExit(withinMs: number): Promise<ChildExit>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL and rejects if it outlasts `withinMs`. */
  stop(signal?: NodeJS.Signals, withinMs?: number): Promise<ChildExit>;
}

const tail = (text: string, chars: number) => (text.length > chars ? `[...]${text.slice(-chars)}` : text);

/** Starts `node bin/recon.js ...args` with exactly `env` (nothing of the test process's leaks in). */
export function startRecon(args: string[], env: NodeJS.ProcessEnv): ReconChild {
  return startNode(['bin/recon.js', ...args], env, `recon ${args.join(' ')}`);
}

/** Starts `node ...nodeArgs` with exactly `env`; `name` is how failures call it. */
export function startNode(nodeArgs: string[], env: NodeJS.ProcessEnv, name = `node ${nodeArgs.join(' ')}`): ReconChild {
  const child = spawn(process.execPath, nodeArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended: ChildExit | null = null;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out = tail(out + chunk, KEEP_CHARS)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err = tail(err + chunk, KEEP_CHARS)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('close', (code, signal) => resolve((ended = { code, signal })));
    void spawnError.then(() => resolve((ended = { code: null, signal: null })));
  });

  /** What a failed wait says: what it waited for, how the child stands, and what it printed. */
  function failure(waitedFor: string, withinMs?: number): Error {
    const state = ended
      ? `exited with ${ended.signal ? `signal ${ended.signal}` : `code ${ended.code}`}`
      : `still running after ${((withinMs ?? 0) / 1000).toFixed(0)} s`;
    const printed = [`--- stderr ---\n${tail(err, QUOTE_CHARS) || '(nothing)'}`, `--- stdout ---\n${tail(out, QUOTE_CHARS) || '(nothing)'}`].join('\n');
    return new Error(`${name} (pid ${child.pid}) ${state} while waiting for ${waitedFor}\n${printed}`);
  }

  /** Resolves with the exit, or null when `withinMs` passes first. */
  async function exitWithin(withinMs: number): Promise<ChildExit | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), withinMs)));
    try {
      return await Promise.race([exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  const handle: ReconChild = {
    process: child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exit: () => ended,
    exited,
    async waitUntil(what, ready, withinMs) {
      const deadline = Date.now() + withinMs;
      for (;;) {
        if (ended) throw failure(what);
        if (await ready()) return;
        if (Date.now() >= deadline) throw failure(what, withinMs);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async waitForExit(withinMs) {
      const exit = await exitWithin(withinMs);
      if (exit) return exit;
      const error = failure('it to exit', withinMs);
      child.kill('SIGKILL');
      await exited;
      throw error;
    },
    async stop(signal = 'SIGTERM', withinMs = STOP_WITHIN_MS) {
      if (ended) return ended;
      child.kill(signal);
      return handle.waitForExit(withinMs);
    },
  };
  return handle;
}

/** Runs a one-shot `recon ...args` to its end and returns how it ended and what it printed. */
export async function runRecon(args: string[], env: NodeJS.ProcessEnv, withinMs = RUN_WITHIN_MS): Promise<ChildExit & { stdout: string; stderr: string }> {
  const child = startRecon(args, env);
  const exit = await child.waitForExit(withinMs);
  return { ...exit, stdout: child.stdout(), stderr: child.stderr() };
}

/**
 * The port a `recon serve` started with PORT=0 listens on, from the line it logs once listening
 * (at info with Slack, warn without): the kernel's choice, so no other process can take it first.
 */
export async function servePort(serve: ReconChild, withinMs = START_WITHIN_MS): Promise<number> {
  const listening = () => /^\{[^\n]*"port":(\d+)[^\n]*"msg":"recon serve: [^\n]*$/m.exec(serve.stderr());
  await serve.waitUntil('recon serve to log the port it listens on', () => listening() !== null, withinMs);
  return Number(listening()?.[1]);
}

/** True once GET `url` answers 2xx; false while nothing listens or it answers otherwise. */
export async function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
    async (response) => {
      await response.body?.cancel();
      return response.ok;
    },
    () => false,
  );
}
