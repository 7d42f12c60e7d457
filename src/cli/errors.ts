/**
 * What a person sees when a command fails: one line that says what happened, a second that says
 * what to do when there is something to say, the exit code README promises (2 for configuration
 * and usage, 1 otherwise), and the stack only with LOG_LEVEL=debug.
 */
import type { CommanderError } from 'commander';
import { ReconError, errorMessage } from '../domain/errors.ts';
import type { Output } from './context.ts';

/** Writes the failure for a person and returns the exit code. */
export function reportFailure(error: unknown, command: string, stderr: Output, debug: boolean): number {
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

/** Commander's outcomes that are not failures: help or the version was asked for and printed. */
const PRINTED = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * A command line commander could not take: an unknown command or option, a missing or bad value.
 * One line with commander's words (its "did you mean" folded in), a hint, exit code 2.
 */
export function reportUsage(error: CommanderError, command: string | undefined, commands: readonly string[], stderr: Output): number {
  if (PRINTED.has(error.code)) return error.exitCode === 0 ? 0 : 2;
  const [first = '', ...rest] = error.message.replace(/^error: /, '').split('\n');
  const suggestion = rest.join(' ').replace(/^\((.*)\)$/, '$1').trim();
  const message = badValue(first) ?? `${first.charAt(0).toUpperCase()}${first.slice(1)}${suggestion ? `. ${suggestion}` : ''}`;
  stderr.write(`${command ? `recon ${command}` : 'recon'}: ${message}\n`);
  stderr.write(
    command
      ? `  run \`recon ${command} --help\` for its options\n`
      : `  Usage: recon <command> [options], where <command> is one of ${commands.filter((c) => c !== 'help').join(', ')}; \`recon --help\` says more\n`,
  );
  return 2;
}

/**
 * Commander's "option '--seed <n>' argument 'x' is invalid. expected ..." as Recon words it
 * elsewhere: `--seed: expected a positive whole number, got "x"`.
 */
function badValue(message: string): string | null {
  const option = /^option '(-[^ ',]+)[^']*' argument '(.*)' is invalid\. (.*)$/.exec(message);
  const argument = /^command-argument value '(.*)' is invalid for argument '(.*)'\. (.*)$/.exec(message);
  const [name, value, why] = option ? [option[1], option[2], option[3]] : argument ? [`<${argument[2]}>`, argument[1], argument[3]] : [];
  if (name === undefined || why === undefined) return null;
  const expected = why.replace(/\.$/, '').replace(/^Allowed choices are /, 'expected one of ');
  return `${name}: ${expected}, got "${value}"`;
}
