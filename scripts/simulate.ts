/**
 * `npm run simulate`: Recon driven through random histories in the sandbox, its promises checked
 * after every step (test/sim). A failure prints its seed and the shrunk history that replays it.
 *
 *   npm run simulate -- --histories 10000 [--from 1] [--steps 40]   many seeds, one after another
 *   npm run simulate -- --seed 1234                                  replay (and shrink) one seed
 *
 * Runs on the embedded database, or on TEST_DATABASE_URL's Postgres when it is set.
 */
import { parseArgs } from 'node:util';
import { openTestDatabase } from '../test/support/database.ts';
import { drawHistory } from '../test/sim/history.ts';
import { failureReport, runHistory, shrink } from '../test/sim/runner.ts';

const { values } = parseArgs({
  options: {
    histories: { type: 'string', default: '200' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    steps: { type: 'string', default: '40' },
  },
});
const number = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a whole number of at least 1, got "${text}"`);
  return n;
};
const steps = number('steps', values.steps);
const first = values.seed !== undefined ? number('seed', values.seed) : number('from', values.from);
const count = values.seed !== undefined ? 1 : number('histories', values.histories);

// A promise left to fail on its own is a bug of the history that left it: name its seed, go on.
let current = first;
const strays: string[] = [];
process.on('unhandledRejection', (reason) => {
  strays.push(`seed ${current}: an unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
});

const database = await openTestDatabase();
const started = Date.now();
let failed = 0;
const exercised: Record<string, number> = {};
try {
  for (let seed = first; seed < first + count; seed++) {
    current = seed;
    const history = drawHistory(seed, steps);
    const outcome = await runHistory(database, seed, history);
    for (const [name, n] of Object.entries(outcome.stats ?? {})) exercised[name] = (exercised[name] ?? 0) + n;
    if (!outcome.ok) {
      failed++;
      const shrunk = await shrink(database, seed, history, outcome.failedAt ?? history.length - 1, { error: outcome.error ?? '' });
      process.stdout.write(`\nFAILED ${failureReport(seed, shrunk)}\n`);
    }
    const done = seed - first + 1;
    if (done % 25 === 0 || done === count) {
      process.stdout.write(`${done} of ${count} histories (${steps + 1} steps each), ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  }
} finally {
  await database.close();
}
process.stdout.write(`exercised: ${Object.entries(exercised).map(([name, n]) => `${name} ${n}`).join(', ')}\n`);
for (const stray of strays) process.stdout.write(`\nFAILED ${stray}\nreplay: npm run simulate -- --seed ${stray.slice(5, stray.indexOf(':'))}\n`);
process.stdout.write(`${count - failed} passed, ${failed} failed${strays.length ? `, ${strays.length} unhandled rejections` : ''}\n`);
process.exit(failed > 0 || strays.length > 0 ? 1 : 0);
