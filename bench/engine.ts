/**
 * Engine scenario: match, diff and decide N linked Stripe/HubSpot pairs in memory, 1% drifted.
 * Prints one JSON line: pairs/s (median of runs) and the process's peak RSS.
 */
import { resolveCheck } from '../src/engine/check.ts';
import { parsePolicy } from '../src/config/load-policy.ts';
import { planCheck } from '../src/engine/plan.ts';
import type { SystemRecord } from '../src/domain/records.ts';
import { readFileSync } from 'node:fs';

const pairs = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const policy = parsePolicy(readFileSync('examples/recon.config.hubspot.yml', 'utf8'));
const check = resolveCheck(policy.checks[0] as (typeof policy.checks)[number]);
const now = Date.now();
const statuses = ['active', 'trialing', 'past_due', 'canceled'];
const agreeing: Record<string, string> = { active: 'closedwon', trialing: 'closedwon', past_due: 'closedwon', canceled: 'closedlost' };

const sources: SystemRecord[] = new Array(pairs);
const targets: SystemRecord[] = new Array(pairs);
const links = { source: new Map<string, string>(), target: new Map<string, string>() };
for (let i = 0; i < pairs; i++) {
  const status = statuses[i % statuses.length] as string;
  const drifted = i % 100 === 0;
  const customerId = `cus_${i.toString(36).padStart(14, '0')}`;
  const dealId = String(10_000_000 + i);
  sources[i] = {
    system: 'stripe', object: 'customers', id: customerId,
    fields: { subscription_status: status, subscription_amount: 49 },
    email: `customer${i}@example.com`, refs: { hubspot: dealId }, aliases: [], updatedAt: now - 86_400_000, history: {}, url: null,
  };
  targets[i] = {
    system: 'hubspot', object: 'deals', id: dealId,
    fields: { dealstage: drifted ? 'qualifiedtobuy' : (agreeing[status] as string), amount: 49 },
    email: `customer${i}@example.com`, refs: {}, aliases: [String(20_000_000 + i)], updatedAt: now - 2 * 86_400_000,
    history: { dealstage: { changedAt: now - 40 * 86_400_000, changedBy: 'integration' } }, url: null,
  };
  links.source.set(customerId, String(i));
  links.target.set(dealId, String(i));
}

const inputRssMb = Math.round(process.memoryUsage().rss / 1048576);
const timings: number[] = [];
let found = 0;
for (let r = 0; r < runs; r++) {
  const started = process.hrtime.bigint();
  const plan = planCheck(check, sources, targets, links, { suppressions: new Map(), now });
  timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  found = plan.decided.length;
}
timings.sort((a, b) => a - b);
const medianMs = timings[Math.floor(timings.length / 2)] as number;
process.stdout.write(`${JSON.stringify({
  scenario: 'engine', pairs, runs, found, medianMs, pairsPerSecond: Math.round(pairs / (medianMs / 1000)),
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), inputRssMb,
})}\n`);
