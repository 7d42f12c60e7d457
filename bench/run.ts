/**
 * `npm run bench`: each scenario in a fresh process (so peak RSS is its own), a table of every
 * figure beside its target and a verdict, and bench/results/latest.json.
 * `npm run bench -- --quick` runs smaller sizes; `npm run bench -- --check` exits 1 when a row
 * misses its target; `--only engine,cycles,status,slack,ack,webhooks,replicas,cli` runs some scenarios. BENCH_DATABASE_URL adds the
 * real-Postgres rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderTable } from '../src/cli/table.ts';

const quick = process.argv.includes('--quick');
const check = process.argv.includes('--check');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? (process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined);
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const wanted = (name: string) => !only || only.has(name);
const tsx = ['--import', 'tsx'];
const run = (script: string, args: (string | number)[], env: NodeJS.ProcessEnv = process.env) =>
  JSON.parse(execFileSync(process.execPath, [...tsx, script, ...args.map(String)], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).trim().split('\n').at(-1) as string);

interface Row {
  scenario: string;
  figure: string;
  measured: string;
  target: string;
  /** Null when the row is information, not a target. */
  ok: boolean | null;
}
const rows: Row[] = [];
const results: Record<string, unknown>[] = [];
const row = (scenario: string, figure: string, measured: string | number, target = '', ok: boolean | null = null) =>
  rows.push({ scenario, figure, measured: typeof measured === 'number' ? measured.toLocaleString('en-US') : measured, target, ok });
const pgUrl = process.env.BENCH_DATABASE_URL || '';
const databases: [string, NodeJS.ProcessEnv][] = [['embedded', { ...process.env, BENCH_DATABASE_URL: '' }]];
if (pgUrl) databases.push(['Postgres', process.env]);

if (wanted('engine')) {
  for (const pairs of quick ? [100_000] : [100_000, 1_000_000]) {
    process.stderr.write(`engine, ${pairs.toLocaleString('en-US')} linked pairs...\n`);
    const r = run('bench/engine.ts', [pairs, pairs >= 1_000_000 ? 3 : 5]);
    results.push(r);
    const name = `engine, ${pairs.toLocaleString('en-US')} pairs`;
    row(name, `pairs/s, median of ${r.runs} runs (min ${r.pairsPerSecondMin.toLocaleString('en-US')}, max ${r.pairsPerSecondMax.toLocaleString('en-US')})`, r.pairsPerSecond, '≥ 500,000', r.pairsPerSecond >= 500_000);
    row(name, 'peak RSS, MB (snapshots alone)', `${r.peakRssMb} (${r.inputRssMb})`, '≤ 512', r.peakRssMb <= 512);
  }
}

interface Phase {
  phase: string; mode: string; apiCalls: Record<string, number>; apiCallsLowerBound: Record<string, number>; apiCallRatio: number;
  wallSeconds: number; wallLowerBoundSeconds: number; wallRatio: number; found: Record<string, number>; failed: number; peakRssMb: number;
  callsByKind?: Record<string, Record<string, number>>; hubspotItemsByKind?: Record<string, number>;
}
/** The most records one HubSpot call of a kind carries or brings: search pages 200, history reads 50, batch reads and writes 100. */
const hubspotPerCall = (kind: string) => (kind.endsWith('search pages') ? 200 : kind.endsWith('history reads') ? 50 : 100);
const perSystem = (calls: Record<string, number>) => Object.entries(calls).map(([s, n]) => `${s} ${n}`).join(', ');

if (wanted('cycles')) {
  for (const [dbName, env] of databases) {
    const customers = quick ? 10_000 : 100_000;
    process.stderr.write(`cycles, ${customers.toLocaleString('en-US')} customers at documented rate limits, ${dbName} (about ${quick ? 1 : 9} min)...\n`);
    const r = run('bench/cycle.ts', [customers, 0.0005], env);
    results.push(r);
    const name = `cycles, ${customers.toLocaleString('en-US')} customers, ${dbName}`;
    for (const phase of r.phases as Phase[]) {
      if (phase.phase === 'first' || phase.phase === 'repeat') {
        const label = phase.phase === 'first' ? 'first full cycle (no links yet)' : 'repeat full cycle';
        row(name, `${label}: API calls ÷ page lower bound (${perSystem(phase.apiCalls)})`, phase.apiCallRatio, '≤ 1.02', phase.apiCallRatio <= 1.02);
        row(name, `${label}: wall ÷ rate-limit bound of its calls (${phase.wallSeconds} s ÷ ${phase.wallLowerBoundSeconds} s)`, phase.wallRatio, '≤ 1.15', phase.wallRatio <= 1.15);
        row(name, `${label}: failed records`, phase.failed, '0', phase.failed === 0);
      } else {
        const label = phase.phase === 'unchanged' ? 'incremental, nothing changed' : `incremental, 1% changed (${r.drift?.cancelled ?? 0} + ${r.drift?.edited ?? 0})`;
        const changed = phase.phase === 'unchanged' ? 0 : (r.drift?.cancelled ?? 0) + (r.drift?.edited ?? 0);
        for (const [system, calls] of Object.entries(phase.apiCalls)) {
          const byKind = phase.callsByKind?.[system];
          if (system === 'stripe' && byKind) {
            // Events carry the objects: each kind of call, events pages included, within the changed records ÷ 100 + 2.
            const bound = Math.ceil(changed / 100) + 2;
            for (const [kind, n] of Object.entries({ 'GET /v1/events': 0, ...byKind })) {
              row(name, `${label}: stripe ${kind} (bound: ${changed} changed ÷ 100 + 2)`, n, `≤ ${bound}`, n <= bound);
            }
          } else if (system === 'hubspot' && byKind) {
            // Each kind beside its page bound: the records it carried or brought ÷ the most one call takes (at least 1);
            // a kind without records (a pipelines read) is its own bound.
            const items = phase.hubspotItemsByKind ?? {};
            const bounds = Object.fromEntries(Object.entries(byKind).map(([kind, n]) => [kind, kind in items ? Math.max(1, Math.ceil((items[kind] as number) / hubspotPerCall(kind))) : n]));
            const sum = Object.values(bounds).reduce((a, b) => a + b, 0);
            const detail = Object.entries(byKind).map(([kind, n]) => `${kind} ${n} (${bounds[kind]})`).join(', ');
            row(name, `${label}: hubspot calls by kind (page bound): ${detail}; total ÷ sum of bounds`, +(calls / Math.max(1, sum)).toFixed(3), '≤ 1.1', calls <= 1.1 * Math.max(1, sum));
          } else {
            const bound = phase.apiCallsLowerBound[system] ?? 2;
            row(name, `${label}: ${system} calls (bound: records to look at ÷ 100 + 2)`, calls, `≤ ${bound}`, calls <= bound);
          }
        }
        if (phase.phase === 'incremental') {
          const found = (phase.found['payment-status:cancelled_but_still_active'] ?? 0) + (phase.found['payment-status:paid_but_not_marked'] ?? 0);
          const expected = (r.drift?.cancelled ?? 0) + (r.drift?.edited ?? 0);
          row(name, `${label}: changed drift found`, `${found} of ${expected}`, 'all', found >= expected);
        }
      }
    }
    const over = dbName === 'embedded' ? r.peakRssMb - r.baselineRssMb : r.peakRssMb;
    row(name, dbName === 'embedded' ? `peak RSS above the embedded database's footprint, MB (${r.peakRssMb} − ${r.baselineRssMb})` : 'peak RSS, MB', over, '≤ 400', over <= 400);
  }
  if (!quick) {
    for (const [dbName, env] of databases) {
      process.stderr.write(`full cycle, 10,000 customers, ${dbName}...\n`);
      const r = run('bench/cycle.ts', [10_000, 0.0005, 'first,repeat'], env);
      results.push(r);
      for (const phase of r.phases as Phase[]) {
        row(`cycles, 10,000 customers, ${dbName}`, `${phase.phase} full cycle: wall ÷ rate-limit bound of its calls (${phase.wallSeconds} s ÷ ${phase.wallLowerBoundSeconds} s)`, phase.wallRatio, '≤ 1.15', phase.wallRatio <= 1.15);
      }
    }
  }
}

if (wanted('status')) {
  for (const [dbName, env] of databases) {
    process.stderr.write(`/recon status with 100,000 open items, ${dbName}...\n`);
    const r = run('bench/status.ts', [100_000, quick ? 200 : 1_000], env);
    results.push(r);
    row(`/recon status, 100,000 open items, ${dbName}`, `time to build p50 / p99, ms (${r.statuses} statuses)`, `${r.p50Ms} / ${r.p99Ms}`, 'p99 ≤ 200', r.p99Ms <= 200);
    row(`/recon status, 100,000 open items, ${dbName}`, 'connection probes per system', perSystem(r.healthProbes), '≤ 1 a minute', Object.values(r.healthProbes as Record<string, number>).every((n) => n <= 1));
  }
}

if (wanted('slack')) {
  for (const [dbName, env] of databases) {
    process.stderr.write(`Slack interactions, 1,000 signed clicks, ${dbName} database...\n`);
    const ack = run('bench/slack-ack.ts', [1000], env);
    results.push(ack);
    row(`Slack interaction, 1,000 clicks, ${dbName}`, 'time to ack p50 / p99, ms', `${ack.p50Ms} / ${ack.p99Ms}`, 'p99 ≤ 200', ack.p99Ms <= 200);
    row(`Slack interaction, 1,000 clicks, ${dbName}`, 'answers other than 200', ack.non200, '0', ack.non200 === 0);
  }
}

if (wanted('ack')) {
  for (const [dbName, env] of databases) {
    const customers = quick ? 10_000 : 100_000;
    process.stderr.write(`Slack clicks during a full ${customers.toLocaleString('en-US')}-customer cycle in the same process, ${dbName} (a few minutes)...\n`);
    const r = run('bench/slack-ack.ts', [1000, customers], env);
    results.push(r);
    const name = `Slack clicks during a ${customers.toLocaleString('en-US')}-customer cycle (${r.cycle.seconds} s), ${dbName}`;
    row(name, `time to ack p50 / p99, ms (${r.measuredClicks} clicks sent while it ran)`, `${r.p50Ms} / ${r.p99Ms}`, 'p99 ≤ 200', r.p99Ms <= 200);
    row(name, `decision's first vendor call after its click, p50 / p99, ms (${r.decisionStart.decisions} decisions)`, `${r.decisionStart.p50Ms} / ${r.decisionStart.p99Ms}`, 'p99 ≤ 1,000', r.decisionStart.p99Ms <= 1_000);
    row(name, 'answers other than 200; cycle records failed', `${r.non200}; ${r.cycle.failed}`, '0; 0', r.non200 === 0 && r.cycle.failed === 0);
  }
}

if (wanted('webhooks')) {
  for (const [dbName, env] of databases) {
    const events = quick ? 2_000 : 10_000;
    process.stderr.write(`webhook ingest, ${events.toLocaleString('en-US')} signed Stripe events + 10% duplicates, ${dbName} (a few minutes: the fast loop then works through them at the vendors' rate limits)...\n`);
    const r = run('bench/webhooks.ts', [events, events / 10], env);
    results.push(r);
    const name = `webhooks, ${events.toLocaleString('en-US')} Stripe events + ${r.duplicates} duplicates, ${dbName}`;
    const onPostgres = dbName === 'Postgres';
    row(name, 'events answered 200 per second', r.acceptedPerSecond, onPostgres ? '≥ 1,000' : '(measured)', onPostgres ? r.acceptedPerSecond >= 1_000 : null);
    row(name, 'time to 200 p50 / p99, ms', `${r.p50Ms} / ${r.p99Ms}`, onPostgres ? 'p99 ≤ 50' : '(measured)', onPostgres ? r.p99Ms <= 50 : null);
    row(name, 'answers other than 200', Object.entries(r.statuses as Record<string, number>).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0), '0', Object.keys(r.statuses).every((s) => s === '200'));
    row(name, `final state: writes left for a cycle, failed, dead letters (inbox drained in ${r.drainSeconds} s)`, `${r.finalState.wouldWrite}, ${r.finalState.failed}, ${r.deadLetters}`, '0, 0, 0', r.finalState.wouldWrite === 0 && r.finalState.failed === 0 && r.deadLetters === 0);
  }
}

if (wanted('replicas') && pgUrl) {
  const customers = quick ? 10_000 : 100_000;
  process.stderr.write(`replicas sharing one vendor budget, ${customers.toLocaleString('en-US')}-customer first cycles, Postgres (about ${quick ? 1 : 10} min)...\n`);
  const r = run('bench/replicas.ts', [customers]);
  results.push(r);
  const name = `replicas on one budget, ${customers.toLocaleString('en-US')}-customer first cycle, Postgres`;
  row(name, `wall s: one replica; three up, two of them clicking (${r.withTwo.clicks} clicks)`, `${r.alone.wallSeconds}; ${r.withTwo.wallSeconds}`);
  row(name, 'wall with three replicas up ÷ with one', r.ratio, '≤ 1.05', r.ratio <= 1.05);
  row(name, `HubSpot requests per 10 s, one replica; three (limit ${r.limitPer10s})`, `${r.alone.hubspotPer10s}; ${r.withTwo.hubspotPer10s}`, `≤ ${r.limitPer10s}`, r.alone.hubspotPer10s <= r.limitPer10s && r.withTwo.hubspotPer10s <= r.limitPer10s);
  row(name, '429s answered by the sandbox; failed records', `${r.alone.rateLimited + r.withTwo.rateLimited}; ${r.alone.failed + r.withTwo.failed}`, '0; 0', r.alone.rateLimited + r.withTwo.rateLimited === 0 && r.alone.failed + r.withTwo.failed === 0);
  row(name, "a click's vendor answer on the other replicas, p50 / p99, ms", `${r.withTwo.clickP50Ms} / ${r.withTwo.clickP99Ms}`, 'p99 ≤ 1,000', !(r.withTwo.clickP99Ms > 1_000));
}

interface CliMeasured { command: string; runs: number; medianSeconds: number; minSeconds: number; maxSeconds: number; medianPeakRssMb: number }
if (wanted('cli')) {
  process.stderr.write('the command line: each command a separate process, the embedded database, through recon serve, and Postgres with BENCH_DATABASE_URL...\n');
  const r = run('bench/cli.ts', [quick ? 5 : 9], { ...process.env, BENCH_DATABASE_URL: pgUrl });
  results.push(r);
  const seconds = (m: CliMeasured) => `${m.medianSeconds} (${m.minSeconds}–${m.maxSeconds})`;
  const timed = (scenario: string, m: CliMeasured, limit: number) =>
    row(scenario, `${m.command}: wall s, median of ${m.runs} processes (min–max)`, seconds(m), `≤ ${limit}`, m.medianSeconds <= limit);
  for (const m of [r.version, r.help] as CliMeasured[]) timed('cli, no database', m, 0.3);
  for (const m of r.embedded.commands as CliMeasured[]) timed('cli, embedded database, no serve', m, 1);
  for (const m of r.embedded.throughServe as CliMeasured[]) timed('cli, embedded database, through recon serve', m, 0.3);
  for (const m of (r.postgres?.commands ?? []) as CliMeasured[]) timed('cli, Postgres (DATABASE_URL)', m, 0.3);
  const pglite = r.embedded.pglite as CliMeasured;
  const status = (r.embedded.commands as CliMeasured[])[0] as CliMeasured;
  row('cli, embedded database, no serve', `PGlite alone on the same files (start, one read, close): wall s; peak RSS, MB`, `${seconds(pglite)}; ${pglite.medianPeakRssMb}`);
  const over = status.medianPeakRssMb - pglite.medianPeakRssMb;
  row('cli, embedded database, no serve', `${status.command}: peak RSS over PGlite's own, MB (${status.medianPeakRssMb} − ${pglite.medianPeakRssMb})`, over, '≤ 200', over <= 200);
  row('cli, embedded database, no serve', `${status.command}: wall over PGlite's own, s (Recon's share)`, +(status.medianSeconds - pglite.medianSeconds).toFixed(3));
}

const verdict = (ok: boolean | null) => (ok === null ? '' : ok ? 'met' : 'MISSED');
process.stdout.write(`${renderTable(['scenario', 'figure', 'measured', 'target', 'verdict'], rows.map((r) => [r.scenario, r.figure, r.measured, r.target, verdict(r.ok)]))}\n`);
mkdirSync('bench/results', { recursive: true });
const report = { at: new Date().toISOString(), node: process.version, quick, rows, results };
writeFileSync('bench/results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
const missed = rows.filter((r) => r.ok === false);
process.stdout.write(`Written to bench/results/latest.json. ${missed.length ? `${missed.length} of ${rows.filter((r) => r.ok !== null).length} targets missed.` : 'Every target met.'}\n`);
if (check && missed.length) process.exitCode = 1;
