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

  it('reads trace with an email Slack sent as a mailto link', () => {
    expect(parseReconCommand('trace <mailto:ada@example.com|ada@example.com>', CHECKS)).toEqual({ name: 'trace', subject: 'ada@example.com' });
  });

  it('reads trace with a record id', () => {
    expect(parseReconCommand('trace cus_123', CHECKS)).toEqual({ name: 'trace', subject: 'cus_123' });
  });

  it('says what trace needs when no subject is given', () => {
    expect(parseReconCommand('trace', CHECKS)).toMatchObject({ name: 'unknown', problem: expect.stringContaining('needs an email or a record id') });
  });
});
