import { loadEnv, type Env } from '../config/env.ts';
import { loadPolicy } from '../config/load-policy.ts';
import type { Policy } from '../config/policy.ts';
import { createLogger, type Logger } from '../log.ts';

export interface CommandContext {
  env: Env;
  logger: Logger;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function commandContext(): CommandContext {
  const env = loadEnv();
  return { env, logger: createLogger(env.LOG_LEVEL), stdout: process.stdout, stderr: process.stderr };
}

export function loadConfiguredPolicy(env: Env): Promise<Policy> {
  return loadPolicy(env.RECON_CONFIG);
}
