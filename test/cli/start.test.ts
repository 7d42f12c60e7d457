/**
 * What a command loads before it answers: `recon --version` and the read-only commands start in a
 * fraction of a second only because they leave the vendors' SDKs, Slack and the other database's
 * driver alone (program.ts and context.ts load each command's modules when it runs).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_WITHIN_MS, runRecon } from '../support/child.ts';

const HEAVY = ['stripe', '@googleapis/calendar', 'google-auth-library', '@slack/bolt', '@slack/web-api', 'node-cron', 'yaml', '@resvg/resvg-js', 'prom-client'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The npm packages `recon ...args` imports, by name, and how it exited. */
async function packagesLoadedBy(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; packages: string[] }> {
  const file = join(dir, `imports-${args.join('-')}-${Date.now()}.txt`);
  const { code } = await runRecon(args, {
    PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', RECON_DB_DIR: join(dir, 'db'),
    NODE_OPTIONS: '--import=./test/support/record-imports.mjs', RECON_TEST_IMPORTS_FILE: file, ...env,
  });
  const urls = (await readFile(file, 'utf8').catch(() => '')).split('\n');
  const packages = new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
  return { code, packages: [...packages].sort() };
}

describe('starting recon', { timeout: RUN_WITHIN_MS + 10_000 }, () => {
  it('loads no package from node_modules for --version (commander is bundled into dist/)', async () => {
    expect(await packagesLoadedBy(['--version'])).toEqual({ code: 0, packages: [] });
  });

  it('loads no vendor SDK, Slack, policy parser or Postgres driver for status on the embedded database', async () => {
    const { code, packages } = await packagesLoadedBy(['status']);
    expect(code).toBe(0);
    expect(packages).toContain('@electric-sql/pglite');
    expect(packages.filter((name) => [...HEAVY, 'pg'].includes(name))).toEqual([]);
  });

  it('loads no embedded database for queue on Postgres', async () => {
    // Nothing listens on port 9: the command fails to connect, after loading what it would use.
    const { code, packages } = await packagesLoadedBy(['queue'], { DATABASE_URL: 'postgres://recon@127.0.0.1:9/none' });
    expect(code).not.toBe(0);
    expect(packages).toContain('pg');
    expect(packages.filter((name) => [...HEAVY, '@electric-sql/pglite', 'kysely-pglite-dialect'].includes(name))).toEqual([]);
  });
});
