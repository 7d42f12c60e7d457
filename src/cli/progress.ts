import type { PageProgress } from '../connectors/ports.ts';
import type { Output } from './context.ts';

export interface ProgressOptions {
  /**
   * The command prints JSON: progress still updates its line on a terminal's stderr, but writes
   * nothing when stderr is a pipe or file, where it could end up mixed with the JSON.
   */
  json?: boolean;
  /** The clock the every-few-seconds lines are paced by. */
  now?: () => number;
}

/** How often a line is written when stderr is not a terminal. */
const LINE_EVERY_MS = 3_000;

/**
 * Progress while connectors page: one updating line on a terminal, a line every few seconds
 * otherwise. Always on stderr, never on stdout.
 */
export function createProgress(stream: Output, options: ProgressOptions = {}): { onPage: PageProgress; done(): void } {
  const now = options.now ?? Date.now;
  const quiet = Boolean(options.json) && !stream.isTTY;
  const counts = new Map<string, number>();
  let lastPrint: number | null = null;
  let dirty = false;
  const line = () => [...counts].map(([key, n]) => `${key} ${n.toLocaleString('en-US')}`).join(' · ');
  return {
    onPage({ system, object, fetched }) {
      if (quiet) return;
      counts.set(`${system} ${object}`, fetched);
      if (stream.isTTY) {
        stream.write(`\rreading: ${line()}\u001b[K`);
        dirty = true;
      } else if (lastPrint === null || now() - lastPrint >= LINE_EVERY_MS) {
        stream.write(`reading: ${line()}\n`);
        lastPrint = now();
      }
    },
    done() {
      if (quiet || counts.size === 0) return;
      if (dirty) stream.write(`\rread: ${line()}\u001b[K\n`);
      else stream.write(`read: ${line()}\n`);
    },
  };
}
