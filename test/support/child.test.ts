import { describe, expect, it } from 'vitest';
import { servePort, startNode } from './child.ts';

const env = { PATH: process.env.PATH };

describe('a test child process', () => {
  it('fails a wait at once when the child exits first, with its exit code and what it printed', async () => {
    const child = startNode(['-e', 'console.log("listening soon"); console.error("EADDRINUSE: port taken"); process.exit(3)'], env, 'fake serve');
    const waited = child.waitUntil('GET /healthz to answer 200', () => false, 60_000);
    await expect(waited).rejects.toThrow(/^fake serve \(pid \d+\) exited with code 3 while waiting for GET \/healthz to answer 200\n--- stderr ---\nEADDRINUSE: port taken\n\n--- stdout ---\nlistening soon\n/);
  });

  it('fails a wait that runs out of time, saying the child still runs, and leaves it running', async () => {
    const child = startNode(['-e', 'console.error("still migrating"); setInterval(() => {}, 1000)'], env, 'slow serve');
    try {
      await child.waitUntil('"still migrating" on stderr', () => child.stderr().includes('still migrating'), 20_000);
      await expect(child.waitUntil('a readiness that never comes', () => false, 300)).rejects.toThrow(/slow serve \(pid \d+\) still running after 0 s while waiting for a readiness that never comes\n--- stderr ---\nstill migrating/);
      expect(child.exit()).toBeNull();
    } finally {
      await child.stop('SIGKILL');
    }
  });

  it('kills a child that does not exit in time and says so with its output', async () => {
    const child = startNode(['-e', 'console.log("working"); setInterval(() => {}, 1000)'], env, 'stuck run');
    await child.waitUntil('"working" on stdout', () => child.stdout().includes('working'), 20_000);
    await expect(child.waitForExit(200)).rejects.toThrow(/stuck run \(pid \d+\) still running after 0 s while waiting for it to exit\n[^]*--- stdout ---\nworking/);
    expect((await child.exited).signal).toBe('SIGKILL');
  });

  it('resolves a wait once the condition holds', async () => {
    const child = startNode(['-e', 'setTimeout(() => console.log("ready"), 200); setTimeout(() => {}, 5000)'], env, 'serve');
    await child.waitUntil('"ready"', () => child.stdout().includes('ready'), 20_000);
    expect((await child.stop()).signal).toBe('SIGTERM');
  });

  it('reads the port serve logs once it listens, not a port named in an earlier line', async () => {
    const lines = ['{"level":30,"port":5432,"msg":"database ready"}', '{"level":40,"port":41234,"webhooks":[],"msg":"recon serve: SLACK_BOT_TOKEN is not set"}'];
    const child = startNode(['-e', `${lines.map((line) => `console.error(${JSON.stringify(line)})`).join(';')}; setTimeout(() => {}, 5000)`], env, 'serve');
    try {
      expect(await servePort(child, 20_000)).toBe(41234);
    } finally {
      await child.stop('SIGKILL');
    }
  });
});
