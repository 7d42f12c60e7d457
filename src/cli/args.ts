import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/errors.ts';

/** parseArgs with usage errors turned into exit-code-2 errors that name the command. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new ConfigError((error as Error).message, { code: 'usage.invalid', hint: `run \`recon help\` for usage of recon ${command}` });
  }
}

export function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`--${name}: expected a positive whole number, got "${value}"`);
  return n;
}
