import { loadEnv, type Env } from '../config/env.ts';
import { loadPolicy } from '../config/load-policy.ts';
import type { Policy } from '../config/policy.ts';
import type { OpenDatabase } from '../db/connect.ts';
import { secretVariables } from '../connectors/registry.ts';
import { createLogger, type Logger } from '../log.ts';
import { defaultTimeZone } from './time.ts';

/** Where a command writes: a terminal, a pipe, or a test's buffer. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CommandContext {
  env: Env;
  logger: Logger;
  stdout: Output;
  stderr: Output;
  /** The clock tables measure ages against. */
  now(): number;
  /** The zone tables show local times in. */
  timeZone: string;
  /** Opens the configured database with its schema up to date; the caller closes it. */
  openDatabase(): Promise<OpenDatabase>;
}

/** What a caller (a test, or `main` for its streams) may set instead of the process's own. */
export type ContextOverrides = Partial<CommandContext>;

export function commandContext(overrides: ContextOverrides = {}): CommandContext {
  const env = overrides.env ?? loadEnv(process.env);
  const logger = overrides.logger ?? createLogger(env.LOG_LEVEL, { secretEnv: secretVariables() });
  return {
    env,
    logger,
    stdout: overrides.stdout ?? process.stdout,
    stderr: overrides.stderr ?? process.stderr,
    now: overrides.now ?? Date.now,
    timeZone: overrides.timeZone ?? defaultTimeZone(),
    // Loaded when first used: `recon --help` needs no database driver.
    openDatabase: overrides.openDatabase ?? (async () => (await import('../main.ts')).openMigratedDatabase(env, logger)),
  };
}

export function loadConfiguredPolicy(env: Env): Promise<Policy> {
  return loadPolicy(env.RECON_CONFIG);
}
