/**
 * `/recon status` at scale: 100,000 open review items, 1,000 statuses built as `recon serve` builds
 * them (counts by the database, connection health from its cache). Prints one JSON line with
 * p50/p99 time per status and the health probes the connectors received.
 */
import { sql } from 'kysely';
import { loadEnv } from '../src/config/env.ts';
import { loadPolicy } from '../src/config/load-policy.ts';
import type { ConnectionHealth, ConnectorsBySystem } from '../src/domain/ports.ts';
import { createLogger } from '../src/log.ts';
import { openMigratedDatabase } from '../src/main.ts';
import { cachedHealth } from '../src/reconcile/health.ts';
import { buildStatus } from '../src/slack/status-input.ts';
import { statusBlocks } from '../src/slack/messages/index.ts';
import { benchDatabase, percentile } from './support.ts';

const ITEMS = Number(process.argv[2] ?? 100_000);
const STATUSES = Number(process.argv[3] ?? 1_000);
const bench = await benchDatabase('status');
try {
  const database = await openMigratedDatabase(loadEnv(bench.env), createLogger('warn'));
  const categories = ['paid_but_not_marked', 'cancelled_but_still_active', 'mapping_gap', 'missing_in_target', 'value_mismatch'];
  await sql`
    INSERT INTO review_items (fingerprint, check_name, kind, category, reason, presentation, entity_key, status, opened_at)
    SELECT 'f' || i, 'payment-status', 'value_mismatch', (${sql.raw(`ARRAY[${categories.map((c) => `'${c}'`).join(',')}]`)})[1 + i % 5], 'high_value',
           'message', 'e' || i, 'open', now() - (i || ' seconds')::interval
    FROM generate_series(1, ${ITEMS}) AS i`.execute(database.db);
  await sql`ANALYZE review_items`.execute(database.db);
  const probes: Record<string, number> = { stripe: 0, hubspot: 0 };
  // Connectors as far as status sees them: a health probe that takes as long as a vendor's answer.
  const connectors = Object.fromEntries(Object.keys(probes).map((system) => [system, {
    health: async (): Promise<ConnectionHealth> => {
      probes[system] = (probes[system] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 150));
      return { system, ok: true, detail: 'ok' };
    },
  }])) as unknown as ConnectorsBySystem;
  const policy = await loadPolicy('examples/recon.config.hubspot.yml');
  const health = cachedHealth(connectors);
  const timings: number[] = [];
  let open = 0;
  for (let n = 0; n < STATUSES; n++) {
    const started = performance.now();
    const input = await buildStatus({ database, policy, health });
    statusBlocks(input);
    timings.push(performance.now() - started);
    open = input.queue.open;
  }
  await database.close();
  timings.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ scenario: 'status', database: bench.name, items: ITEMS, statuses: STATUSES, open, p50Ms: percentile(timings, 50), p99Ms: percentile(timings, 99), healthProbes: probes })}\n`);
} finally {
  await bench.remove();
}
