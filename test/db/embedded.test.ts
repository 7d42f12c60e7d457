import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-embedded-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded database directory', () => {
  it('refuses a second opener while the first holds it', async () => {
    const first = await openDatabase({ embeddedDir: join(dir, 'db') });
    try {
      await expect(openDatabase({ embeddedDir: join(dir, 'db') })).rejects.toThrow(/is in use by process \d+/);
    } finally {
      await first.close();
    }
  });

  it('takes over a lock left by a process that is gone', async () => {
    await writeFile(join(dir, 'db.lock'), '999999999');
    const database = await openDatabase({ embeddedDir: join(dir, 'db') });
    await database.close();
  });

  it('can be opened again once closed', async () => {
    await (await openDatabase({ embeddedDir: join(dir, 'db') })).close();
    await (await openDatabase({ embeddedDir: join(dir, 'db') })).close();
  });
});
