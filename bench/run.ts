/**
 * `npm run bench`: each scenario in a fresh process (so peak RSS is its own), a table of the
 * figures against DESIGN section 10's targets, and bench/results/latest.json.
 * `npm run bench -- --quick` runs smaller sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderTable } from '../src/cli/table.ts';

const quick = process.argv.includes('--quick');
const tsx = ['--import', 'tsx'];
const run = (script: string, args: (string | number)[], env: NodeJS.ProcessEnv = process.env) =>
  JSON.parse(execFileSync(process.execPath, [...tsx, script, ...args.map(String)], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }).trim().split('\n').at(-1) as string);

const results: Record<string, unknown>[] = [];
const rows: (string | number)[][] = [];
for (const pairs of quick ? [100_000] : [100_000, 1_000_000]) {
  process.stderr.write(`engine, ${pairs.toLocaleString('en-US')} linked pairs...\n`);
  const r = run('bench/engine.ts', [pairs, pairs >= 1_000_000 ? 3 : 5]);
  results.push(r);
  rows.push([`engine, ${pairs.toLocaleString('en-US')} pairs`, 'pairs/s (median)', r.pairsPerSecond, '≥ 500,000']);
  rows.push(['', 'peak RSS, MB (input alone)', `${r.peakRssMb} (${r.inputRssMb})`, '≤ 512']);
}
const customers = quick ? 10_000 : 100_000;
process.stderr.write(`full cycle, ${customers.toLocaleString('en-US')} customers at documented rate limits (about ${quick ? 25 : 220} s)...\n`);
const cycle = run('bench/cycle.ts', [customers, 0.0005]);
results.push(cycle);
rows.push([`full cycle, ${customers.toLocaleString('en-US')} customers`, 'API calls ÷ lower bound', cycle.apiCallRatio, '≤ 1.02']);
for (const [system, ratio] of Object.entries(cycle.apiCallRatioPerSystem as Record<string, number>)) {
  rows.push(['', `  ${system}: ${(cycle.apiCalls as Record<string, number>)[system]} calls ÷ ${(cycle.apiCallsLowerBound as Record<string, number>)[system]}`, ratio, '']);
}
rows.push(['', `wall time ÷ rate-limit bound (${cycle.wallSeconds} s ÷ ${cycle.wallLowerBoundSeconds} s)`, cycle.wallRatio, '≤ 1.15']);
rows.push(['', 'failed requests (429s answered / failed writes)', `${cycle.rateLimited ?? '?'} / ${cycle.failedWrites}`, '0']);

// On the embedded database always; on a real Postgres too when BENCH_DATABASE_URL names one.
const databases: [string, NodeJS.ProcessEnv][] = [['embedded', { ...process.env, BENCH_DATABASE_URL: '' }]];
if (process.env.BENCH_DATABASE_URL) databases.push(['Postgres', process.env]);
for (const [name, env] of databases) {
  process.stderr.write(`Slack interactions, 1,000 signed clicks, ${name} database...\n`);
  const ack = run('bench/slack-ack.ts', [1000], env);
  results.push(ack);
  rows.push([`Slack interaction, 1,000 clicks, ${name}`, 'time to ack p50 / p99, ms', `${ack.p50Ms} / ${ack.p99Ms}`, 'p99 ≤ 200']);
  rows.push(['', 'answers other than 200', ack.non200, '0']);
}

process.stdout.write(`${renderTable(['scenario', 'figure', 'measured', 'target'], rows)}\n`);
mkdirSync('bench/results', { recursive: true });
const report = { at: new Date().toISOString(), node: process.version, quick, results };
writeFileSync('bench/results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write('Written to bench/results/latest.json\n');
