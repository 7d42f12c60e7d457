import type { PageProgress } from '../connectors/ports.ts';

/**
 * Progress while connectors page: one updating line on a terminal, a line every few seconds
 * otherwise. Always on stderr, so `--json` output stays clean.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): { onPage: PageProgress; done(): void } {
  const counts = new Map<string, number>();
  let lastPrint = 0;
  let dirty = false;
  const line = () => [...counts].map(([key, n]) => `${key} ${n.toLocaleString('en-US')}`).join(' · ');
  return {
    onPage({ system, object, fetched }) {
      if (quiet) return;
      counts.set(`${system} ${object}`, fetched);
      const now = Date.now();
      if (stream.isTTY) {
        stream.write(`\rreading: ${line()}\u001b[K`);
        dirty = true;
      } else if (now - lastPrint > 3_000) {
        stream.write(`reading: ${line()}\n`);
        lastPrint = now;
      }
    },
    done() {
      if (quiet || counts.size === 0) return;
      if (dirty) stream.write('\n');
      else stream.write(`read: ${line()}\n`);
    },
  };
}
