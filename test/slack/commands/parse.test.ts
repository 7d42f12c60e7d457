import { describe, expect, it } from 'vitest';
import { parseReconCommand } from '../../../src/slack/commands/index.ts';

const CHECKS = ['payment-status', 'deal-amount'];

describe('/recon', () => {
  it('reads a run of one check as a dry run', () => {
    expect(parseReconCommand('run payment-status dry-run', CHECKS)).toEqual({ name: 'run', check: 'payment-status', dryRun: true });
  });

  it('answers an unknown subcommand with the nearest one', () => {
    const parsed = parseReconCommand('stauts', CHECKS);
    expect(parsed).toEqual({ name: 'unknown', problem: '`/recon stauts` is not a command; did you mean `/recon status`?' });
  });

  it('answers an unknown check with the checks that exist', () => {
    const parsed = parseReconCommand('run nosuchcheck', CHECKS);
    expect(parsed.name).toBe('unknown');
    expect(parsed.name === 'unknown' && parsed.problem).toBe('There is no check `nosuchcheck`. The checks are: `payment-status`, `deal-amount`.');
  });

  it('suggests the check a typo meant', () => {
    const parsed = parseReconCommand('run payment-stauts', CHECKS);
    expect(parsed.name === 'unknown' && parsed.problem).toContain('did you mean `payment-status`?');
  });

  it('gives help for nothing at all', () => {
    expect(parseReconCommand('  ', CHECKS)).toEqual({ name: 'help' });
  });

  it('reads retry', () => {
    expect(parseReconCommand('retry', CHECKS)).toEqual({ name: 'retry' });
  });
});
