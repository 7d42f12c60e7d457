/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short strings. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((d[(i - 1) * cols + j] as number) + 1, (d[i * cols + j - 1] as number) + 1, (d[(i - 1) * cols + j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (d[(i - 2) * cols + j - 2] as number) + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1] as number;
}

/**
 * The candidate a person most likely meant by `wrong`, or null when none is close: compared
 * without case, `_`, `-` or spaces first (`deal_stage` → `dealstage`, `Closed Won` → `closedwon`),
 * then by edit distance within a third of the length.
 */
export function nearest(wrong: string, candidates: Iterable<string>): string | null {
  const squash = (text: string) => text.toLowerCase().replace(/[\s_\-.]/g, '');
  const target = squash(wrong);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const squashed = squash(candidate);
    if (squashed === target) return candidate;
    const distance = editDistance(target, squashed);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(target.length / 3)) ? best : null;
}
