import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/database.ts';
import { drawHistory } from './history.ts';
import { failureReport, runHistory, shrink } from './runner.ts';

/** A fixed set of histories; `npm run simulate -- --histories 10000` runs many more. */
const SEEDS = Array.from({ length: 10 }, (_, i) => 1 + i);
const STEPS = 40;

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const exercised: Record<string, number> = {};

describe(`Recon driven through random histories on ${TEST_DATABASE_URL ? 'Postgres' : 'the embedded database'}`, () => {
  it.each(SEEDS)('keeps every promise after each step of history %i', async (seed) => {
    const history = drawHistory(seed, STEPS);
    const outcome = await runHistory(database, seed, history);
    if (!outcome.ok) {
      const shrunk = await shrink(database, seed, history, outcome.failedAt ?? history.length - 1, { budget: 40, error: outcome.error ?? '' });
      expect.fail(failureReport(seed, shrunk));
    }
    for (const [name, n] of Object.entries(outcome.stats ?? {})) exercised[name] = (exercised[name] ?? 0) + n;
  }, 300_000);

  it('tripped the guard, released held writes, processed webhooks and refused decisions along the way', () => {
    expect(exercised.guardItems).toBeGreaterThan(0);
    expect(exercised.released).toBeGreaterThan(0);
    expect(exercised.eventsProcessed).toBeGreaterThan(0);
    expect(exercised.autoFixes).toBeGreaterThan(0);
    expect(exercised.decided).toBeGreaterThan(0);
    expect(exercised.refused).toBeGreaterThan(0);
  });
});
