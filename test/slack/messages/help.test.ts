import { describe, expect, it } from 'vitest';
import { helpMessage } from '../../../src/slack/messages/help.ts';
import { limitViolations } from './check-limits.ts';
import { allText } from './fixtures.ts';

describe('helpMessage', () => {
  it('lists every subcommand, run marked for approvers only', () => {
    const text = allText(helpMessage().blocks);
    for (const usage of ['/recon status', '/recon run [check] [dry-run]', '/recon queue', '/recon help']) expect(text).toContain(usage);
    expect(text).toMatch(/run \[check\] \[dry-run\]`:[^\n]*Approvers only/);
    expect(limitViolations(helpMessage() as never, 'message')).toEqual([]);
  });
});
