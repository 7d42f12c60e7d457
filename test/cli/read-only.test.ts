import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { READ_ONLY_PATHS, readOnlyApi, readOnlyNodeHandler, readOnlyRoutes, startReadOnlyServer } from '../../src/cli/read-api.ts';
import { closeServer, createRouteServer, listen } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/log.ts';
import { databaseReports } from '../../src/cli/reports.ts';
import { newServeToken, publishServeFile, readServeFile, serveFilePath } from '../../src/cli/serve-file.ts';
import { recon, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
let dir: string;
let dbDir: string;
let token: string;
let server: { port: number; close(): Promise<void> };
let unpublish: () => Promise<void>;
let item: string;
/** The Stripe customer of that item, for `recon trace`. */
let customer: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-read-only-'));
  dbDir = join(dir, 'db');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
// What `recon serve` does: the endpoint over its open database on a loopback port, and serve.json naming it.
// A fresh world each test: the decision writes to its records.
beforeEach(async () => {
  world = await startWorld(database);
  await world.cycle();
  const raised = await database.db.selectFrom('review_items').select(['id', 'source']).where('reason', '=', 'high_value').executeTakeFirstOrThrow();
  item = raised.id;
  customer = (raised.source as { id: string }).id;
  await recon(['decide', item, 'approve', '--as', 'U0OPSLEAD'], worldOverrides(world, database));
  token = newServeToken();
  server = await startReadOnlyServer(readOnlyApi(databaseReports(database.db, database.describe), token));
  unpublish = await publishServeFile(dbDir, { port: server.port, token });
});
afterEach(async () => {
  await unpublish();
  await server.close();
  await world.close();
});

/** The CLI on the directory serve holds: it must not open the database itself. */
const whileServing = () => ({
  ...worldOverrides(world, database, { RECON_DB_DIR: dbDir }),
  openDatabase: () => Promise.reject(new Error('the CLI opened the database that recon serve holds')),
});
/** The CLI reading the database itself, to compare with. */
const direct = () => worldOverrides(world, database);

describe('read-only commands while recon serve holds the embedded database', () => {
  it.each([
    [['status']],
    [['queue']],
    [['queue', '--category', 'paid_but_not_marked', '--limit', '2']],
    [['log']],
    [['log', '--item', 'ITEM']],
    [['show', 'ITEM']],
    [['trace', 'CUSTOMER']],
  ])('answer recon %j --json through serve exactly as from the database', async (args) => {
    const argv = [...args.map((a) => (a === 'ITEM' ? item : a === 'CUSTOMER' ? customer : a)), '--json'];
    const served = await recon(argv, whileServing());
    const read = await recon(argv, direct());
    expect(served.stderr).toBe('');
    expect(served.code).toBe(0);
    expect(JSON.parse(served.stdout)).toEqual(JSON.parse(read.stdout));
  });

  it('say in the table output that they read through serve', async () => {
    const { stdout } = await recon(['status'], whileServing());
    expect(stdout).toContain(`Database: ${resolve(dbDir)}, read through recon serve (process ${process.pid})`);
  });

  it('exit 2 for an item that does not exist, as without serve', async () => {
    const { code, stderr } = await recon(['show', '999999'], whileServing());
    expect(code).toBe(2);
    expect(stderr).toBe('recon show: there is no review item 999999\n  `recon queue` lists the open ones\n');
  });

  it('exit 1 with a hint when serve does not answer', async () => {
    await server.close();
    const { code, stderr } = await recon(['queue'], whileServing());
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^recon queue: recon serve \\(process ${process.pid}\\) holds the embedded database .* but did not answer on http://127\\.0\\.0\\.1:${server.port}`));
    expect(stderr).toContain('  wait until it has started, or stop it');
  });

  it('read the database themselves when the process that wrote serve.json is gone', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((done) => gone.on('exit', done));
    await unpublish();
    unpublish = await publishServeFile(dbDir, { port: server.port, token, pid: gone.pid as number });
    const { code, stdout } = await recon(['status'], { ...whileServing(), openDatabase: direct().openDatabase });
    expect(code).toBe(0);
    expect(stdout).toContain(`Database: ${database.describe}\n`);
  });

  it('leave decisions to Slack: recon decide exits 2 and names serve', async () => {
    const { code, stderr } = await recon(['decide', item, 'ignore', '--as', 'U0OPSLEAD'], whileServing());
    expect(code).toBe(2);
    expect(stderr).toContain(`recon decide: recon serve (process ${process.pid}) holds the embedded database`);
    expect(stderr).toContain('decide in Slack, or stop recon serve first');
  });
});

describe('serve.json', () => {
  it('is readable by its owner only, beside the database directory', async () => {
    expect(serveFilePath(dbDir)).toBe(join(dir, 'serve.json'));
    expect((await stat(serveFilePath(dbDir))).mode & 0o777).toBe(0o600);
    expect(await readServeFile(dbDir)).toEqual({ pid: process.pid, port: server.port, token, database: resolve(dbDir), startedAt: expect.stringMatching(/Z$/) });
  });

  it('is removed by the process that wrote it when it stops', async () => {
    await unpublish();
    expect(await readServeFile(dbDir)).toBeNull();
  });
});

describe('the read-only endpoint', () => {
  const api = () => readOnlyApi(databaseReports(database.db, database.describe), token);

  it('refuses a request without the token', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}${READ_ONLY_PATHS.queue}`);
    expect(response.status).toBe(401);
  });

  it('refuses a wrong token', async () => {
    expect((await api()({ method: 'GET', url: READ_ONLY_PATHS.status, authorization: `Bearer ${newServeToken()}` })).status).toBe(401);
  });

  it('answers 404 for a path it does not have', async () => {
    expect((await api()({ method: 'GET', url: '/_recon/decide', authorization: `Bearer ${token}` })).status).toBe(404);
  });

  it('answers GET only', async () => {
    expect((await api()({ method: 'POST', url: READ_ONLY_PATHS.status, authorization: `Bearer ${token}` })).status).toBe(405);
  });

  it('answers 400 for a limit out of range', async () => {
    const response = await api()({ method: 'GET', url: `${READ_ONLY_PATHS.queue}?limit=0`, authorization: `Bearer ${token}` });
    expect(response).toEqual({ status: 400, body: { error: 'limit must be a whole number from 1 to 10000' } });
  });

  it("mounts on recon serve's route table and answers the CLI there", async () => {
    const routeServer = await listen(createRouteServer(readOnlyRoutes(api()), { logger: silentLogger }), 0, '127.0.0.1');
    await unpublish();
    unpublish = await publishServeFile(dbDir, { port: (routeServer.address() as AddressInfo).port, token });
    try {
      const { code, stdout } = await recon(['queue', '--json'], whileServing());
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(JSON.parse((await recon(['queue', '--json'], direct())).stdout));
    } finally {
      await closeServer(routeServer);
    }
  });

  it('answers this machine only', async () => {
    let status = 0;
    const res = { writeHead: (s: number) => ((status = s), res), end: () => res };
    readOnlyNodeHandler(api())({ socket: { remoteAddress: '10.1.2.3' }, headers: {}, method: 'GET', url: READ_ONLY_PATHS.status } as never, res as never);
    expect(status).toBe(403);
  });
});
