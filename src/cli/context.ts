import { loadEnv, type Env } from '../config/env.ts';
import type { Policy } from '../config/policy.ts';
import type { OpenDatabase } from '../db/connect.ts';
import { secretVariables } from '../connectors/catalog.ts';
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
    // Loaded when first used, and without main.ts (the connectors and their SDKs): `recon status` needs only a driver.
    openDatabase: overrides.openDatabase ?? (async () => (await import('../db/open.ts')).openMigratedDatabase(env, logger)),
  };
}

/** The policy file, validated; its parser (YAML, cron) loads with it, for the commands that read one. */
export async function loadConfiguredPolicy(env: Env): Promise<Policy> {
  const { loadPolicy } = await import('../config/load-policy.ts');
  return loadPolicy(env.RECON_CONFIG);
}
