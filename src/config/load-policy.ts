import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import { ConfigError, describeIssues } from './errors.ts';
import { policySchema, type Policy } from './policy.ts';

/** Parses and validates policy text; throws ConfigError naming every wrong key path. */
export function parsePolicy(text: string, fileName = 'recon.config.yml'): Policy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      throw new ConfigError(`${fileName}: not valid YAML at line ${error.linePos?.[0]?.line ?? '?'}: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${fileName} is not a valid policy:\n${describeIssues('policy', result.error)}`);
  }
  return result.data;
}

export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `policy file ${path} not found: set RECON_CONFIG or copy examples/recon.config.hubspot.yml to recon.config.yml`
        : `policy file ${path} could not be read: ${(error as Error).message}`,
    );
  }
  return parsePolicy(text, path);
}
