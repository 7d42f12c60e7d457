/**
 * Full-cycle scenario: `recon sandbox` in a child process at the vendors' documented rate limits,
 * then one full cycle of the example policy on a fresh embedded database, through the real
 * connectors. Prints one JSON line with API calls and wall time against their lower bounds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadEnv } from '../src/config/env.ts';
import { loadPolicy } from '../src/config/load-policy.ts';
import { runCycle } from '../src/reconcile/cycle.ts';
import { createLogger } from '../src/log.ts';
import { buildConnectors, openMigratedDatabase, storeFor } from '../src/main.ts';

const customers = Number(process.argv[2] ?? 100_000);
const driftRate = Number(process.argv[3] ?? 0.0005);
/** The largest page each system answers; 100 unless listed (Google Calendar events: 2,500). */
const PAGE: Record<string, number> = { google_calendar: 2500 };
// Documented limits: Stripe test mode 25 requests per second; HubSpot 100 per rolling 10 s; Google Calendar 600 a minute per user.
const LIMITS: Record<string, { requests: number; windowSeconds: number }> = {
  stripe: { requests: 25, windowSeconds: 1 }, hubspot: { requests: 100, windowSeconds: 10 }, google_calendar: { requests: 600, windowSeconds: 60 },
};
/** The least time `calls` requests can take under a rolling window: a full burst, then one window per batch. */
const rateBoundSeconds = (system: string, calls: number) => {
  const limit = LIMITS[system];
  return limit ? Math.max(0, Math.ceil(calls / limit.requests) - 1) * limit.windowSeconds : 0;
};

const child = spawn(process.execPath, ['bin/recon.js', 'sandbox', '--customers', String(customers), '--drift-rate', String(driftRate)], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=6144' },
});
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
const env: Record<string, string> = {};
for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const line = next.value;
  for (const [, key, value] of line.matchAll(/(\w+)=(\S+)/g)) env[key as string] = value as string;
  if (line.startsWith('Press Ctrl-C')) break;
}
/** What the sandbox says it served, 429s included, once it stops. */
async function sandboxCounts(): Promise<{ stripe: number; hubspot: number; rateLimited: number } | null> {
  child.kill('SIGTERM');
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const match = /Requests served: (\{.*\})/.exec(next.value);
    if (match) return JSON.parse(match[1] as string);
  }
  return null;
}
if (!env.STRIPE_API_URL) throw new Error('the sandbox did not start: see its error above');
const dir = await mkdtemp(join(tmpdir(), 'recon-bench-'));
const logger = createLogger('warn');
try {
  const config = loadEnv({ ...env, RECON_DB_DIR: join(dir, 'db'), LOG_LEVEL: 'warn' });
  const policy = await loadPolicy('examples/recon.config.hubspot.yml');
  const database = await openMigratedDatabase(config, logger);
  const connectors = buildConnectors(config, policy, logger);
  const read = new Map<string, number>();
  const started = performance.now();
  const result = await runCycle(
    { store: storeFor(database), connectors, policy, logger, progress: ({ system, object, fetched }) => read.set(`${system}:${object}`, fetched) },
    { full: true },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  await database.close();
  const lowerCalls: Record<string, number> = {};
  for (const [key, n] of read) {
    const system = key.split(':')[0] as string;
    lowerCalls[system] = (lowerCalls[system] ?? 0) + Math.ceil(n / (PAGE[system] ?? 100));
  }
  const calls = result.apiCalls as Record<string, number>;
  const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
  const totalLower = Object.values(lowerCalls).reduce((a, b) => a + b, 0);
  const wallLower = Math.max(...Object.entries(lowerCalls).map(([system, n]) => rateBoundSeconds(system, n)));
  const served = await sandboxCounts();
  const checks = result.checks.map((c) => ({ check: c.check, status: c.status, found: c.discrepancies.total, autoFixed: c.autoFixed, escalated: c.escalated, failed: c.failed }));
  process.stdout.write(`${JSON.stringify({
    scenario: 'full-cycle', customers, driftRate, recordsRead: Object.fromEntries(read), apiCalls: calls, apiCallsLowerBound: lowerCalls,
    apiCallRatio: +(totalCalls / totalLower).toFixed(4),
    apiCallRatioPerSystem: Object.fromEntries(Object.entries(lowerCalls).map(([s, n]) => [s, +((calls[s] ?? 0) / n).toFixed(4)])),
    wallSeconds: +wallSeconds.toFixed(1), wallLowerBoundSeconds: +wallLower.toFixed(1), wallRatio: +(wallSeconds / wallLower).toFixed(4),
    failedChecks: result.checks.filter((c) => c.status === 'failed').length, failedWrites: result.checks.reduce((n, c) => n + c.failed, 0),
    sandboxServed: served, rateLimited: served?.rateLimited ?? null, checks,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`);
} finally {
  if (child.exitCode === null) child.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
