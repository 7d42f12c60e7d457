/**
 * Checks what a cycle found against what the generator planted. Pure: the demo and the tests
 * feed it the stored discrepancies and the sandbox's write log.
 */
import type { Injected } from './generate.ts';
import type { SandboxWrite } from './state.ts';

export interface FoundDiscrepancy {
  check: string;
  kind: string;
  category: string;
  sourceKey: string | null;
  targetKey: string | null;
  resolution: string;
  reason: string | null;
}

export interface Verdict {
  injected: number;
  found: number;
  /** Planted and found with the right kind, category and resolution. */
  matched: number;
  missed: Injected[];
  wrong: { injected: Injected; found: FoundDiscrepancy }[];
  /** Found but never planted. */
  unexpected: FoundDiscrepancy[];
  byCategory: { check: string; category: string; injected: number; found: number }[];
  financialWrites: SandboxWrite[];
  ok: boolean;
}

const idOf = (key: string | null) => (key ? key.slice(key.lastIndexOf(':') + 1) : null);

export function outcomeOf(found: FoundDiscrepancy): string {
  return found.resolution === 'escalate' ? `escalate:${found.reason}` : found.resolution;
}

export function verify(injected: Injected[], found: FoundDiscrepancy[], writes: SandboxWrite[], financialFields: Set<string>): Verdict {
  const unclaimed = new Set(found);
  const missed: Injected[] = [];
  const wrong: Verdict['wrong'] = [];
  let matched = 0;
  for (const planted of injected) {
    const hit = [...unclaimed].find(
      (f) =>
        f.check === planted.check &&
        ((planted.sourceId !== null && idOf(f.sourceKey) === planted.sourceId) ||
          (planted.targetId !== null && idOf(f.targetKey) === planted.targetId)),
    );
    if (!hit) {
      missed.push(planted);
      continue;
    }
    unclaimed.delete(hit);
    if (hit.kind === planted.kind && hit.category === planted.category && outcomeOf(hit) === planted.expected) matched++;
    else wrong.push({ injected: planted, found: hit });
  }
  const categories = new Map<string, { check: string; category: string; injected: number; found: number }>();
  const entry = (check: string, category: string) => {
    const key = `${check}\u0000${category}`;
    let e = categories.get(key);
    if (!e) categories.set(key, (e = { check, category, injected: 0, found: 0 }));
    return e;
  };
  for (const planted of injected) entry(planted.check, planted.category).injected++;
  for (const f of found) entry(f.check, f.category).found++;
  const financialWrites = writes.filter((w) => w.system === 'stripe' || Object.keys(w.properties).some((p) => financialFields.has(`${w.system}:${w.object}:${p}`)));
  return {
    injected: injected.length,
    found: found.length,
    matched,
    missed,
    wrong,
    unexpected: [...unclaimed],
    byCategory: [...categories.values()].sort((a, b) => a.check.localeCompare(b.check) || a.category.localeCompare(b.category)),
    financialWrites,
    ok: missed.length === 0 && wrong.length === 0 && unclaimed.size === 0 && financialWrites.length === 0,
  };
}
