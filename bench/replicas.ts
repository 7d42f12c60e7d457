/**
 * One vendor budget shared by replicas (docs/architecture.md, "Rate limits across replicas"), on
 * the real Postgres of BENCH_DATABASE_URL: a first full cycle run by one replica with the shared
 * budget, alone; then the same cycle (a new schema, so again a first one) while two more replicas
 * are up on the same budget, each making a person's call every 10 s (`doctor`'s HubSpot probe,
 * from the budget the cycle uses). Prints one JSON line: each wall time, the ratio, HubSpot's request rate against its limit,
 * the 429s the sandbox answered and the replicas' clicks' time to their vendor answer.
 */
import { loadEnv } from '../src/config/env.ts';
import { loadPolicy } from '../src/config/load-policy.ts';
import { createLogger } from '../src/log.ts';
import { buildConnectors, openMigratedDatabase, sharedBudgets, storeFor } from '../src/main.ts';
import { runCycle } from '../src/reconcile/cycle.ts';
import { benchDatabase, percentile, sleep, startSandbox } from './support.ts';

const customers = Number(process.argv[2] ?? 100_000);
if (!process.env.BENCH_DATABASE_URL) throw new Error('bench/replicas.ts needs BENCH_DATABASE_URL: replicas share their budget through Postgres');
const logger = createLogger('warn');
const policy = await loadPolicy('examples/recon.config.hubspot.yml');
const HUBSPOT_PER_10S = 100;
const CLICK_EVERY_MS = 10_000;

async function firstCycle(others: number) {
  const sandbox = await startSandbox(['--customers', String(customers), '--drift-rate', '0.0005'], { ...process.env, NODE_OPTIONS: '--max-old-space-size=6144' });
  const bench = await benchDatabase(`replicas${others}`);
  const env = loadEnv({ ...sandbox.env, ...bench.env, LOG_LEVEL: 'warn' });
  const database = await openMigratedDatabase(env, logger);
  const budgets = [sharedBudgets(env, logger), ...Array.from({ length: others }, () => sharedBudgets(env, logger))];
  const [own, ...rest] = budgets.map((b) => buildConnectors(env, policy, logger, b.limiters));
  let running = true;
  const clicks: number[] = [];
  try {
    const before = await sandbox.control('GET', '/_sandbox/requests');
    const clicking = rest.map(async (connectors) => {
      while (running) {
        await sleep(CLICK_EVERY_MS);
        const started = performance.now();
        await connectors?.hubspot?.health({ priority: 'interactive' });
        clicks.push(performance.now() - started);
      }
    });
    const started = performance.now();
    const result = await runCycle({ store: storeFor(database), connectors: own!, policy, logger }, { full: true });
    const wallSeconds = (performance.now() - started) / 1000;
    running = false;
    await Promise.all(clicking);
    const after = await sandbox.control('GET', '/_sandbox/requests');
    const hubspot = Number(after.hubspot) - Number(before.hubspot);
    return {
      wallSeconds: +wallSeconds.toFixed(1), hubspotRequests: hubspot, hubspotPer10s: +(hubspot / (wallSeconds / 10)).toFixed(1),
      rateLimited: Number(after.rateLimited ?? 0) - Number(before.rateLimited ?? 0), failed: result.checks.reduce((n, c) => n + c.failed, 0),
      clicks: clicks.length, clickP50Ms: percentile([...clicks].sort((a, b) => a - b), 50), clickP99Ms: percentile([...clicks].sort((a, b) => a - b), 99),
    };
  } finally {
    running = false;
    for (const b of budgets) await b.close();
    await database.close();
    sandbox.process.kill('SIGTERM');
    await bench.remove();
  }
}

const alone = await firstCycle(0);
process.stderr.write(`  one replica: ${alone.wallSeconds} s\n`);
const withTwo = await firstCycle(2);
process.stderr.write(`  three replicas up: ${withTwo.wallSeconds} s\n`);
process.stdout.write(`${JSON.stringify({ scenario: 'replicas', customers, limitPer10s: HUBSPOT_PER_10S, alone, withTwo, ratio: +(withTwo.wallSeconds / alone.wallSeconds).toFixed(3) })}\n`);
