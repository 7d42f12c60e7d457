import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { QueueReport } from '../../src/cli/reports.ts';
import { recon, reconJson, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeAll(async () => {
  world = await startWorld(database);
});
afterAll(async () => {
  await world.close();
});
// The database is emptied before each test; a cycle fills the queue again (escalations are never written, so each cycle finds them).
beforeEach(async () => {
  await world.cycle();
});

const queue = (args: string[] = [], overrides = worldOverrides(world, database)) => reconJson<QueueReport>(['queue', ...args], overrides);
const openCount = async () => (await database.db.selectFrom('review_items').select('id').where('status', 'in', ['open', 'deciding', 'failed']).execute()).length;

describe('recon queue', () => {
  it('lists every open item with its id, check, category, reason, records and when it opened', async () => {
    const { total, items } = await queue();
    expect(total).toBe(await openCount());
    expect(items.length).toBe(total);
    for (const item of items) {
      expect(item).toEqual({
        id: expect.stringMatching(/^\d+$/), status: 'open', check: expect.any(String), category: expect.any(String), reason: expect.any(String),
        records: expect.objectContaining({}), held: null,
        openedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), updatedAt: expect.any(String),
      });
      expect(Object.keys(item.records)).toEqual(['source', 'target']);
      expect(item.records.source ?? item.records.target).toMatchObject({ system: expect.any(String), object: expect.any(String), id: expect.any(String) });
    }
  });

  it('lists only the check asked for', async () => {
    const { items } = await queue(['--check', 'deal-amount']);
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((i) => i.check))).toEqual(new Set(['deal-amount']));
  });

  it('lists only the category asked for', async () => {
    const { items } = await queue(['--category', 'paid_but_not_marked']);
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((i) => i.category))).toEqual(new Set(['paid_but_not_marked']));
  });

  it('leaves out items opened more recently than --older-than', async () => {
    expect((await queue(['--older-than', '2h'])).total).toBe(0);
    const threeHoursOn = { ...worldOverrides(world, database), now: () => Date.now() + 3 * 3_600_000 };
    expect((await queue(['--older-than', '2h'], threeHoursOn)).total).toBe(await openCount());
  });

  it('shows the oldest --limit items and counts all that match', async () => {
    const all = await queue();
    const { total, items } = await queue(['--limit', '2']);
    expect(total).toBe(all.total);
    expect(items).toEqual(all.items.slice(0, 2));
  });

  it('shows a table with each item and its age in relative and local time', async () => {
    const { items } = await queue();
    const { code, stdout } = await recon(['queue'], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^id +status +check +category +reason +records +opened$/m);
    for (const item of items) expect(stdout).toMatch(new RegExp(`^${item.id} +open +${item.check} +${item.category} .* (just now|\\d+ s ago), \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} CES?T$`, 'm'));
  });

  it('says so when no item matches', async () => {
    const { code, stdout } = await recon(['queue', '--category', 'nothing_like_it'], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toBe('No open review items match.\n');
  });
});
