import { CommanderError } from 'commander';
import type { ContextOverrides, Output } from './context.ts';
import { reportFailure, reportUsage } from './errors.ts';
import { buildProgram } from './program.ts';

/**
 * Runs one `recon` command line and returns its exit code: 0 ok, 1 some records or checks failed,
 * 2 bad configuration or usage. `overrides` replace the process's streams, environment, clock or
 * database (tests run commands in-process this way).
 */
export async function main(argv: string[], overrides: ContextOverrides = {}): Promise<number> {
  const stdout: Output = overrides.stdout ?? process.stdout;
  const stderr: Output = overrides.stderr ?? process.stderr;
  const level = overrides.env?.LOG_LEVEL ?? process.env.LOG_LEVEL;
  const debug = level === 'debug' || level === 'trace';
  let code = 0;
  const program = buildProgram({ stdout, stderr }, async (command, invoke) => {
    try {
      // Loaded only when a command runs: the environment, the logger and the connectors'
      // declarations are not what `recon --version` or `--help` need.
      const { commandContext } = await import('./context.ts');
      code = await invoke(commandContext({ ...overrides, stdout, stderr }));
    } catch (error) {
      code = reportFailure(error, command, stderr, debug);
    }
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (!(error instanceof CommanderError)) return reportFailure(error, argv[0] ?? '', stderr, debug);
    const command = program.commands.some((c) => c.name() === argv[0]) && argv[0] !== 'help' ? argv[0] : undefined;
    return reportUsage(error, command, program.commands.map((c) => c.name()), stderr);
  }
}
