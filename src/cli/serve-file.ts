/**
 * How the CLI finds a running `recon serve` that holds the embedded database: serve writes
 * `serve.json` beside the database directory (`.recon/serve.json`: its pid, port and a random
 * token, readable by its owner only) and removes it when it stops. A read-only command that
 * finds the file, naming its database and a live process, asks serve instead of opening the
 * directory, which only one process may open.
 */
import { processIsRunning } from '../util/process.ts';
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

const serveFileSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65535),
  token: z.string().min(32),
  /** The embedded database directory serve holds, absolute. */
  database: z.string().min(1),
  startedAt: z.string(),
});

export type ServeFile = z.infer<typeof serveFileSchema>;

/** `.recon/serve.json` for the default `.recon/db`. */
export function serveFilePath(dbDir: string): string {
  return join(dirname(resolve(dbDir)), 'serve.json');
}

/** A token for the read-only endpoint: 32 random bytes, hex. */
export function newServeToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Writes serve.json for the process serving `dbDir` on `port` (mode 0600, written whole then
 * renamed, so no reader sees half a file). Returns the function that removes it on stop.
 */
export async function publishServeFile(dbDir: string, entry: { port: number; token: string; pid?: number; now?: Date }): Promise<() => Promise<void>> {
  const path = serveFilePath(dbDir);
  const pid = entry.pid ?? process.pid;
  const file: ServeFile = { pid, port: entry.port, token: entry.token, database: resolve(dbDir), startedAt: (entry.now ?? new Date()).toISOString() };
  const temporary = `${path}.${pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  await rename(temporary, path);
  return async () => {
    // A newer serve may have written its own since: remove only ours.
    const current = await readServeFile(dbDir);
    if (current?.pid === pid && current.token === entry.token) await rm(path, { force: true });
  };
}

/** The serve.json beside `dbDir`, or null when there is none or it cannot be read. */
export async function readServeFile(dbDir: string): Promise<ServeFile | null> {
  let text: string;
  try {
    text = await readFile(serveFilePath(dbDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = serveFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The serve process holding the embedded database in `dbDir`, if one is running. */
export async function runningServe(dbDir: string): Promise<ServeFile | null> {
  const file = await readServeFile(dbDir);
  return file && file.database === resolve(dbDir) && processIsRunning(file.pid) ? file : null;
}

