import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContextOverrides, Output } from '../../src/cli/context.ts';
import type { Env } from '../../src/config/env.ts';
import type { OpenDatabase } from '../../src/db/connect.ts';
import { EXAMPLE_POLICY, type World } from './world.ts';
import { main } from '../../src/cli/main.ts';

/** A stream that keeps what is written, for a command run in-process. */
export function capture(isTTY = false): Output & { text(): string } {
  let text = '';
  return {
    isTTY,
    write(chunk: string) {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `recon ...argv` in this process, with its streams captured and `overrides` in place of the process's. */
export async function recon(argv: string[], overrides: ContextOverrides = {}): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { ...overrides, stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The test's database handed to a command, which closes what it opens: closing this one leaves the test's open. */
export function borrowed(database: OpenDatabase): OpenDatabase {
  return { db: database.db, kind: database.kind, describe: database.describe, runScript: (script) => database.runScript(script), close: async () => {} };
}

/**
 * What a command run in a test uses instead of the process's: the world's sandbox credentials,
 * the example policy, the test's database, and a database directory of its own, so no
 * serve.json of a developer's `recon serve` is found.
 */
export function worldOverrides(world: World, database: OpenDatabase, extra: Record<string, string> = {}): ContextOverrides {
  return {
    env: { ...world.env, RECON_CONFIG: EXAMPLE_POLICY, LOG_LEVEL: 'silent', RECON_DB_DIR: join(tmpdir(), `recon-cli-${process.pid}-${randomUUID()}`, 'db'), ...extra } as Env,
    openDatabase: async () => borrowed(database),
    timeZone: 'Europe/Berlin',
  };
}

/** `recon ...argv --json`, parsed; fails the test unless it exits 0 with nothing on stderr. */
export async function reconJson<T>(argv: string[], overrides: ContextOverrides): Promise<T> {
  const { code, stdout, stderr } = await recon([...argv, '--json'], overrides);
  if (code !== 0 || stderr) throw new Error(`recon ${argv.join(' ')} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as T;
}
