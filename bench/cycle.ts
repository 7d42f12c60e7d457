/**
 * Cycle scenarios against `recon sandbox` in a child process, at the vendors' documented rate
 * limits, through the real connectors, on the embedded database (or a real Postgres with
 * BENCH_DATABASE_URL): a first full cycle (no links saved yet), a repeat full cycle, an incremental
 * cycle with nothing changed, then one after 1% of the customers changed (half in Stripe, half
 * in HubSpot). Prints one JSON line with each cycle's calls, wall time and their lower bounds.
 */
import { spawn } from 'node:child_process';
import { loadEnv } from '../src/config/env.ts';
import { loadPolicy } from '../src/config/load-policy.ts';
import { cachedDescriptions } from '../src/decisions/service.ts';
import { createLogger } from '../src/log.ts';
import { buildConnectors, openMigratedDatabase, storeFor } from '../src/main.ts';
import { runCycle, type CycleResult } from '../src/reconcile/cycle.ts';
import { benchDatabase, startSandbox } from './support.ts';

const customers = Number(process.argv[2] ?? 100_000);
const driftRate = Number(process.argv[3] ?? 0.0005);
const phases = (process.argv[4] ?? 'first,repeat,unchanged,incremental').split(',');
/** The largest page each system answers: 100, but 2,500 for Google Calendar's events. */
const pageOf = (system: string) => (system === 'google_calendar' ? 2500 : 100);
// Documented limits: Stripe test mode 25 requests per second; HubSpot 100 per rolling 10 s; Google Calendar 600 a minute per user.
const LIMITS: Record<string, { requests: number; windowSeconds: number }> = {
  stripe: { requests: 25, windowSeconds: 1 }, hubspot: { requests: 100, windowSeconds: 10 }, google_calendar: { requests: 600, windowSeconds: 60 },
};
/** The least time `calls` requests can take under a rolling window: a full burst, then one window per batch. */
const rateBoundSeconds = (system: string, calls: number) => {
  const limit = LIMITS[system];
  return limit ? Math.max(0, Math.ceil(calls / limit.requests) - 1) * limit.windowSeconds : 0;
};

const sandbox = await startSandbox(['--customers', String(customers), '--drift-rate', String(driftRate)], { ...process.env, NODE_OPTIONS: '--max-old-space-size=6144' });
const logger = createLogger('warn');
const bench = await benchDatabase('cycle');

interface Phase {
  phase: string;
  mode: string;
  recordsRead: Record<string, number>;
  apiCalls: Record<string, number>;
  apiCallsLowerBound: Record<string, number>;
  apiCallRatio: number;
  wallSeconds: number;
  wallLowerBoundSeconds: number;
  wallRatio: number;
  found: Record<string, number>;
  failed: number;
  peakRssMb: number;
  /** Calls per system by kind (Stripe: endpoint; HubSpot: what they were for), and HubSpot's records per kind. */
  callsByKind: Record<string, Record<string, number>>;
  hubspotItemsByKind: Record<string, number>;
  readsDoneSeconds: Record<string, number>;
}

/** `after` minus `before`, per key, leaving out what did not move. */
const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => (n as number) > 0));

try {
  const config = loadEnv({ ...sandbox.env, ...bench.env, LOG_LEVEL: 'warn' });
  const policy = await loadPolicy('examples/recon.config.hubspot.yml');
  // An installation's embedded database exists already: create it in another process first, so
  // this one measures opening it, not the one-off creation (initdb), which peaks higher.
  if (bench.name === 'embedded') {
    await new Promise<void>((resolve, reject) => {
      const init = spawn(process.execPath, ['bin/recon.js', 'migrate'], { env: { ...process.env, ...bench.env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
      init.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`recon migrate exited with ${code}`))));
    });
  }
  const database = await openMigratedDatabase(config, logger);
  // What the process holds once the database is open, before any cycle: the embedded database's own footprint.
  const baselineRssMb = Math.round(process.memoryUsage().rss / 1048576);
  const connectors = buildConnectors(config, policy, logger);
  const store = storeFor(database);
  const describe = cachedDescriptions(connectors);
  const results: Phase[] = [];
  const cycle = async (phase: string, full: boolean, needed?: Record<string, number>) => {
    const read = new Map<string, number>();
    /** When each system's last page arrived, ms into the cycle: the rest of the wall time is Recon's own work. */
    const readDone = new Map<string, number>();
    const kinds = () => Object.fromEntries(Object.entries(connectors).map(([system, c]) => [system, c?.apiCallsByKind?.() ?? {}]));
    const hubspotItems = () => (connectors.hubspot as { apiItemsByKind?: () => Record<string, number> } | undefined)?.apiItemsByKind?.() ?? {};
    const kindsBefore = kinds();
    const itemsBefore = hubspotItems();
    const started = performance.now();
    const result: CycleResult = await runCycle(
      { store, connectors, policy, logger, describe, progress: ({ system, object, fetched }) => {
        read.set(`${system}:${object}`, fetched);
        readDone.set(system, performance.now() - started);
      } },
      { full },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    // The least calls the pages need: records ÷ page size per object; for an incremental cycle,
    // the records it had to look at (changed, and their counterparts) ÷ page size, plus two.
    const lower: Record<string, number> = {};
    if (needed) for (const [system, n] of Object.entries(needed)) lower[system] = Math.ceil(n / 100) + 2;
    else {
      for (const [key, n] of read) {
        const [system, object] = key.split(':') as [string, string];
        lower[system] = (lower[system] ?? 0) + Math.ceil(n / pageOf(system));
      }
    }
    const calls = result.apiCalls as Record<string, number>;
    const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    const totalLower = Object.values(lower).reduce((a, b) => a + b, 0);
    // The least time the cycle's requests can take at the documented rates. The calls themselves are
    // held to the page lower bound by the ratio above; a write or a history read the drift needs
    // must not make the time look better than the limits allow.
    const wallLower = Math.max(0, ...Object.entries(calls).map(([system, n]) => rateBoundSeconds(system, n)));
    const found: Record<string, number> = {};
    for (const c of result.checks) for (const [category, n] of Object.entries(c.discrepancies.byCategory)) found[`${c.check}:${category}`] = n;
    results.push({
      phase, mode: result.checks[0]?.mode ?? '?', recordsRead: Object.fromEntries(read), apiCalls: calls, apiCallsLowerBound: lower,
      apiCallRatio: +(totalCalls / Math.max(1, totalLower)).toFixed(4), wallSeconds: +wallSeconds.toFixed(1), wallLowerBoundSeconds: wallLower,
      wallRatio: wallLower > 0 ? +(wallSeconds / wallLower).toFixed(4) : 0, found, failed: result.checks.reduce((n, c) => n + c.failed + (c.status === 'failed' ? 1 : 0), 0),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      callsByKind: Object.fromEntries(Object.entries(kinds()).map(([system, k]) => [system, delta(k, kindsBefore[system] ?? {})])),
      hubspotItemsByKind: delta(hubspotItems(), itemsBefore),
      readsDoneSeconds: Object.fromEntries([...readDone].map(([system, ms]) => [system, +(ms / 1000).toFixed(1)])),
    });
    process.stderr.write(`  ${phase}: ${wallSeconds.toFixed(1)} s, calls ${JSON.stringify(calls)}, last page of each system at ${JSON.stringify(results.at(-1)?.readsDoneSeconds)} s\n`);
  };
  if (phases.includes('first')) await cycle('first', true);
  if (phases.includes('repeat')) await cycle('repeat', true);
  if (phases.includes('unchanged')) await cycle('unchanged', false, { stripe: 0, hubspot: 0 });
  let drift: { cancelled: string[]; edited: string[] } | null = null;
  if (phases.includes('incremental')) {
    const half = Math.round(customers * 0.005);
    drift = (await sandbox.control('POST', `/_sandbox/drift?stripe=${half}&hubspot=${half}&seed=7`)) as unknown as { cancelled: string[]; edited: string[] };
    // Each change on one side makes the cycle look at that record and its counterpart on the other.
    const changed = drift.cancelled.length + drift.edited.length;
    await cycle('incremental', false, { stripe: changed, hubspot: changed });
  }
  const served = await sandbox.control('GET', '/_sandbox/requests');
  await database.close();
  process.stdout.write(`${JSON.stringify({
    scenario: 'cycles', customers, driftRate, database: bench.name, baselineRssMb,
    phases: results, drift: drift ? { cancelled: drift.cancelled.length, edited: drift.edited.length } : null,
    rateLimited: served.rateLimited ?? null, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`);
} finally {
  sandbox.process.kill('SIGTERM');
  await bench.remove();
}
