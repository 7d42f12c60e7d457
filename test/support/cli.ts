import type { OpenDatabase } from '../../src/db/connect.ts';
import type { ContextOverrides, Output } from '../../src/cli/context.ts';
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
