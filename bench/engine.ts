/**
 * Engine scenario: match, diff and decide N linked Stripe/HubSpot pairs held as compact snapshots,
 * 1% drifted. Prints one JSON line: pairs/s (median of runs) and the process's peak RSS.
 */
import { readFileSync } from 'node:fs';
import { resolveCheck } from '../src/config/checks.ts';
import { parsePolicy } from '../src/config/load-policy.ts';
import { NO_LINKS } from '../src/engine/match.ts';
import { planCheck } from '../src/engine/plan.ts';
import { Snapshot } from '../src/engine/snapshot.ts';
import type { SystemRecord } from '../src/domain/records.ts';

const pairs = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const policy = parsePolicy(readFileSync('examples/recon.config.hubspot.yml', 'utf8'));
const check = resolveCheck(policy.checks[0] as (typeof policy.checks)[number]);
const now = Date.now();
const statuses = ['active', 'trialing', 'past_due', 'canceled'];
const agreeing: Record<string, string> = { active: 'closedwon', trialing: 'closedwon', past_due: 'closedwon', canceled: 'closedlost' };

// Built as a cycle builds them: a page of records at a time, parsed from JSON as a connector's
// pages are (so strings are as compact as a vendor's answer makes them), each page dropped after.
const sources = new Snapshot({ system: 'stripe', object: 'customers', fields: ['subscription_status', 'subscription_amount'], refSystems: ['hubspot'] });
const targets = new Snapshot({ system: 'hubspot', object: 'deals', fields: ['dealstage', 'amount', 'pipeline'], refSystems: ['stripe'] });
const PAGE = 100;
for (let start = 0; start < pairs; start += PAGE) {
  const sourcePage: SystemRecord[] = [];
  const targetPage: SystemRecord[] = [];
  for (let i = start; i < Math.min(pairs, start + PAGE); i++) {
    const status = statuses[i % statuses.length] as string;
    const drifted = i % 100 === 0;
    const customerId = `cus_${i.toString(36).padStart(14, '0')}`;
    const dealId = String(10_000_000 + i);
    sourcePage.push({
      system: 'stripe', object: 'customers', id: customerId,
      fields: { subscription_status: status, subscription_amount: 49 },
      email: `customer${i}@example.com`, refs: { hubspot: dealId }, aliases: [], updatedAt: now - 86_400_000,
      history: { subscription_status: { changedAt: now - 30 * 86_400_000, changedBy: 'unknown' } }, url: null,
    });
    targetPage.push({
      system: 'hubspot', object: 'deals', id: dealId,
      fields: { dealstage: drifted ? 'qualifiedtobuy' : (agreeing[status] as string), amount: 49, pipeline: 'default' },
      email: `customer${i}@example.com`, refs: {}, aliases: [String(20_000_000 + i)], updatedAt: now - 2 * 86_400_000,
      history: { dealstage: { changedAt: now - 40 * 86_400_000, changedBy: 'integration' } }, url: null,
    });
  }
  const parsed = JSON.parse(JSON.stringify([sourcePage, targetPage])) as [SystemRecord[], SystemRecord[]];
  for (const [n, record] of parsed[0].entries()) sources.setEntity(sources.add(record), start + n + 1);
  for (const [n, record] of parsed[1].entries()) targets.setEntity(targets.add(record), start + n + 1);
}

sources.trim();
targets.trim();
const inputRssMb = Math.round(process.memoryUsage().rss / 1048576);
if (process.env.BENCH_MEMORY) { const m = process.memoryUsage(); process.stderr.write(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 1048576)]))) + "\n"); }
const timings: number[] = [];
let found = 0;
for (let r = 0; r < runs; r++) {
  const started = process.hrtime.bigint();
  const plan = planCheck(check, sources, targets, NO_LINKS, { suppressions: new Map(), now });
  timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  found = plan.decided.length;
}
timings.sort((a, b) => a - b);
const medianMs = timings[Math.floor(timings.length / 2)] as number;
process.stdout.write(`${JSON.stringify({
  scenario: 'engine', pairs, runs, found, medianMs, pairsPerSecond: Math.round(pairs / (medianMs / 1000)),
  // Slowest and fastest run, as pairs per second.
  pairsPerSecondMin: Math.round(pairs / ((timings.at(-1) as number) / 1000)), pairsPerSecondMax: Math.round(pairs / ((timings[0] as number) / 1000)),
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), inputRssMb,
})}\n`);
