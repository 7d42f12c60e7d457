import { describe, expect, it } from 'vitest';
import { truncate } from '../../../src/slack/messages/limits.ts';
import { mrkdwnProblems } from './check-limits.ts';

describe('truncate', () => {
  it('leaves text within the limit as it is', () => {
    expect(truncate('Closed Won', 10)).toBe('Closed Won');
  });

  it('cuts longer text to the limit, ending with an ellipsis', () => {
    expect(truncate('Presentation Scheduled', 10)).toBe('Presentat…');
  });

  it('never splits an escaped entity', () => {
    expect(truncate('Tom &amp; Jerry', 8)).toBe('Tom …');
    expect(truncate('a &lt; b', 5)).toBe('a …');
  });

  it('never splits a surrogate pair', () => {
    const cut = truncate('ab😀cd', 4);
    expect(cut).toBe('ab…');
    expect(cut.length).toBeLessThanOrEqual(4);
  });

  it('never leaves a link half open', () => {
    const cut = truncate('see <https://example.com/very/long|the record> now', 20);
    expect(cut).toBe('see …');
    expect(mrkdwnProblems(cut)).toEqual([]);
  });

  it('keeps a bare < in plain text', () => {
    expect(truncate('a < b and more words', 12)).toBe('a < b and m…');
  });
});
