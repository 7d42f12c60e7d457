import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A migrated embedded database, made once, that each file's database starts from.
    globalSetup: ['test/support/global-setup.ts'],
    // Set from the whole suite on a two-core machine that is busy besides (load 10 to 14): the
    // slowest tests in-process took 12 to 17 s there (3 to 6 s alone). Tests that start recon as a
    // child process wait with bounds of their own (test/support/child.ts) and set their limits from them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file gets its own embedded database or Postgres schema, so files run in parallel safely.
    fileParallelism: true,
    // Many files wait on child processes, sockets and timers: on a two-core machine three workers
    // finish the suite a fifth sooner than the default of one per core but one.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
