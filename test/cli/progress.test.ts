import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.ts';
import { capture } from '../support/cli.ts';

const page = (fetched: number) => ({ system: 'stripe' as const, object: 'customers', fetched });

describe('progress while connectors page', () => {
  it('updates one line on a terminal', () => {
    const stderr = capture(true);
    const progress = createProgress(stderr);
    progress.onPage(page(100));
    progress.onPage(page(200));
    progress.done();
    expect(stderr.text()).toBe('\rreading: stripe customers 100\u001b[K\rreading: stripe customers 200\u001b[K\rread: stripe customers 200\u001b[K\n');
  });

  it('still shows on a terminal when the command prints JSON, since JSON goes to stdout', () => {
    const stderr = capture(true);
    const progress = createProgress(stderr, { json: true });
    progress.onPage(page(100));
    expect(stderr.text()).toContain('reading: stripe customers 100');
  });

  it('writes nothing to a pipe when the command prints JSON', () => {
    const stderr = capture(false);
    const progress = createProgress(stderr, { json: true });
    progress.onPage(page(100));
    progress.done();
    expect(stderr.text()).toBe('');
  });

  it('writes a line every few seconds, not every page, to a pipe', () => {
    const stderr = capture(false);
    let clock = 0;
    const progress = createProgress(stderr, { now: () => clock });
    progress.onPage(page(100));
    clock = 1_000;
    progress.onPage(page(200));
    clock = 3_000;
    progress.onPage(page(300));
    progress.done();
    expect(stderr.text()).toBe('reading: stripe customers 100\nreading: stripe customers 300\nread: stripe customers 300\n');
  });
});
