/**
 * Webhook ingest: `recon serve` (a child process, as an installation runs it) takes signed Stripe
 * events over loopback while its fast loop processes them. The events are real: the sandbox (a
 * second child) churns subscriptions (past_due → unpaid → active, so deals go won → lost → won)
 * and hands back the Stripe events it recorded; this process signs them as Stripe does, adds 10%
 * duplicates, shuffles the lot and posts them over kept-alive connections. Measures events per
 * second answered 200 and each request's time to its 200; then waits for the inbox to drain and
 * checks the final state with a dry run on the same database: nothing left to write, nothing failed.
 *
 * Usage: tsx bench/webhooks.ts [events] [customers]. BENCH_DATABASE_URL measures a real Postgres
 * (in a schema of its own, dropped afterwards); without it the embedded database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { createServer } from 'node:net';
import { benchDatabase, percentile, sleep, startSandbox } from './support.ts';

const events = Number(process.argv[2] ?? 10_000);
const customers = Number(process.argv[3] ?? 1_000);
const DUPLICATE_SHARE = 0.1;
const CONCURRENCY = 16;
const SECRET = 'whsec_bench_recon_webhooks';

const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['bin/recon.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (/"level":(50|60)/.test(text) || /Error/.test(text)) process.stderr.write(text);
  });
  return child;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function request(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const bench = await benchDatabase('webhooks');

try {
  // The sandbox with the least drift of its own (the first cycle settles it): what is left at the end is the fast loop's.
  const sandbox = await startSandbox(['--customers', String(customers * 2), '--drift-rate', '0.001', '--no-rate-limits'], { ...process.env, LOG_LEVEL: 'warn' });
  children.push(sandbox.process);
  const sandboxEnv = sandbox.env;
  const sandboxUrl = sandbox.origin;

  const port = await freePort();
  const serveEnv: NodeJS.ProcessEnv = {
    ...process.env, ...sandboxEnv, LOG_LEVEL: 'warn', PORT: String(port), STRIPE_WEBHOOK_SECRET: SECRET,
    RECON_CONFIG: 'examples/recon.config.hubspot.yml', ...bench.env,
  };
  delete serveEnv.SLACK_BOT_TOKEN;
  const base = `http://127.0.0.1:${port}`;
  // A first full cycle links the pairs, as an installation's first day does.
  await new Promise<void>((resolve, reject) => {
    const first = start(['run', '--full', '--json'], serveEnv);
    first.stdout?.resume();
    first.once('exit', (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`the first recon run exited with ${code}`))));
  });
  const serve = start(['serve'], serveEnv);
  serve.stdout?.resume();
  await until('recon serve to answer /healthz', async () => ((await request(`${base}/healthz`, 'GET')).status === 200 ? true : undefined), 60_000);

  // Real events: the sandbox churns subscriptions and returns what it recorded.
  const churn = await request(`${sandboxUrl}/_sandbox/churn?customers=${customers}&events=${events}&seed=7`, 'POST');
  if (churn.status !== 200) throw new Error(`sandbox churn: ${churn.status} ${churn.text}`);
  const bodies = (JSON.parse(churn.text) as { events: unknown[] }).events.map((e) => JSON.stringify(e));
  // 10% duplicates, then a seeded shuffle: Stripe retries and does not promise order.
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const sends = [...bodies, ...bodies.filter(() => random() < DUPLICATE_SHARE)];
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sends[i], sends[j]] = [sends[j] as string, sends[i] as string];
  }

  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < sends.length) {
      const body = sends[next++] as string;
      const t = Math.floor(Date.now() / 1000);
      const signature = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
      const sent = performance.now();
      const answer = await request(`${base}/webhooks/stripe`, 'POST', body, { 'stripe-signature': signature });
      latencies.push(performance.now() - sent);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
  }));
  const sendSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => percentile(latencies, p);

  // The fast loop at work: wait until the inbox is empty.
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const drainStarted = performance.now();
  const drained = await until('the inbox to drain', async () => {
    const text = (await request(`${base}/metrics`, 'GET')).text;
    return metric(text, 'recon_inbox_depth') === 0 ? text : undefined;
  }, 1_200_000);
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const processed = Object.fromEntries([...drained.matchAll(/^recon_fastloop_events_processed_total\{provider="stripe",outcome="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  const deadLetters = metric(drained, 'recon_inbox_dead_letters');
  serve.kill('SIGTERM');
  await new Promise((resolve) => serve.once('exit', resolve));

  // The final state: a dry run on the same database finds nothing left to write.
  const check = await new Promise<string>((resolve, reject) => {
    const run = start(['run', '--dry-run', '--json', '--check', 'payment-status'], serveEnv);
    let out = '';
    run.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    run.once('exit', (code) => (code === 0 || code === 1 ? resolve(out) : reject(new Error(`recon run --dry-run exited with ${code}`))));
  });
  const after = JSON.parse(check) as { checks: { wouldWrite: number; failed: number; escalated: number; discrepancies: { total: number } }[] };
  const payment = after.checks[0];

  process.stdout.write(`${JSON.stringify({
    database: bench.name,
    events: bodies.length, requests: sends.length, duplicates: sends.length - bodies.length, customers,
    acceptedPerSecond: Math.round((statuses.get(200) ?? 0) / sendSeconds), sendSeconds: +sendSeconds.toFixed(2),
    p50Ms: pct(50), p99Ms: pct(99), maxMs: pct(100), statuses: Object.fromEntries(statuses),
    drainSeconds: +drainSeconds.toFixed(1), processed, deadLetters,
    finalState: { wouldWrite: payment?.wouldWrite ?? -1, failed: payment?.failed ?? -1, escalated: payment?.escalated ?? -1, discrepancies: payment?.discrepancies.total ?? -1 },
  })}\n`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  agent.destroy();
  await bench.remove().catch((error: unknown) => process.stderr.write(`could not remove the benchmark's database: ${String(error)}\n`));
}
