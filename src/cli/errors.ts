/**
 * What a person sees when a command fails: one line that says what happened, a second that says
 * what to do when there is something to say, the exit code README promises (2 for configuration
 * and usage, 1 otherwise), and the stack only with LOG_LEVEL=debug.
 */
import { ReconError, errorMessage } from '../domain/errors.ts';

/** Writes the failure for a person and returns the exit code. */
export function reportFailure(error: unknown, command: string, stderr: NodeJS.WritableStream, debug: boolean): number {
  if (error instanceof ReconError) {
    stderr.write(`recon ${command}: ${error.message}\n`);
    if (error.hint) stderr.write(`  ${error.hint}\n`);
    if (debug && error.stack) stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  stderr.write(`recon ${command} failed: ${errorMessage(error)}\n`);
  stderr.write(debug && error instanceof Error && error.stack ? `${error.stack}\n` : '  run again with LOG_LEVEL=debug for the details\n');
  return 1;
}
