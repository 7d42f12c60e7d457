import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogReport } from '../../src/cli/reports.ts';
import { recon, reconJson, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const LEAD = 'U0OPSLEAD';
const database = useTestDatabase();
let world: World;
let decided: string;
// A cycle's writes, then one decision (its write and its decision-log row), then one refusal.
beforeEach(async () => {
  world = await startWorld(database);
  await world.cycle();
  decided = (await database.db.selectFrom('review_items').select('id').where('reason', '=', 'high_value').executeTakeFirstOrThrow()).id;
  await recon(['decide', decided, 'approve', '--as', LEAD], worldOverrides(world, database));
  await recon(['decide', decided, 'ignore', '--as', 'U0STRANGER'], worldOverrides(world, database));
});
afterEach(async () => {
  await world.close();
});

const log = (args: string[] = [], overrides = worldOverrides(world, database)) => reconJson<LogReport>(['log', ...args], overrides);

describe('recon log', () => {
  it('merges the change log and the decisions, oldest first', async () => {
    const { entries } = await log();
    const changes = await database.db.selectFrom('changes').select('id').execute();
    const decisions = await database.db.selectFrom('decision_log').select('id').execute();
    expect(entries.filter((e) => e.kind === 'change')).toHaveLength(changes.length);
    expect(entries.filter((e) => e.kind === 'decision')).toHaveLength(decisions.length);
    expect(entries.map((e) => e.at)).toEqual(entries.map((e) => e.at).sort());
  });

  it('gives each write its record, field, before and after, outcome and ISO time', async () => {
    const { entries } = await log();
    expect(entries.find((e) => e.kind === 'change' && e.itemId === decided)).toEqual({
      kind: 'change', at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), id: expect.any(String), actor: LEAD, origin: `decision:${decided}`, itemId: decided,
      check: 'payment-status', record: { system: 'hubspot', object: 'deals', id: expect.any(String) }, field: 'dealstage',
      before: expect.any(String), after: 'closedwon', rule: 'approve', reason: expect.any(String), outcome: 'applied', error: null,
    });
  });

  it("lists only one item's writes and decisions with --item", async () => {
    const { entries } = await log(['--item', decided]);
    expect(entries.map((e) => [e.kind, e.actor, e.kind === 'change' ? e.outcome : e.outcome])).toEqual([
      ['change', LEAD, 'applied'],
      ['decision', LEAD, 'approved'],
      ['decision', 'U0STRANGER', 'refused'],
    ]);
  });

  it('leaves out what is older than --since', async () => {
    expect((await log(['--since', '1h'])).entries.length).toBeGreaterThan(0);
    const dayOn = { ...worldOverrides(world, database), now: () => Date.now() + 86_400_000 };
    expect((await log(['--since', '2h'], dayOn)).entries).toEqual([]);
    expect((await log(['--since', new Date(Date.now() + 60_000).toISOString()])).entries).toEqual([]);
  });

  it('keeps the newest --limit entries', async () => {
    const all = (await log()).entries;
    expect((await log(['--limit', '2'])).entries).toEqual(all.slice(-2));
  });

  it('exits 2 for an item that does not exist', async () => {
    const { code, stderr } = await recon(['log', '--item', '999999'], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stderr).toBe('recon log: there is no review item 999999\n  `recon queue` lists the open ones\n');
  });

  it('shows a table with when, who, the item, what changed and how it ended', async () => {
    const { code, stdout } = await recon(['log', '--item', decided], worldOverrides(world, database));
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^when +who +item +what +outcome$/);
    expect(lines[2]).toMatch(new RegExp(`^just now, \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} CES?T +${LEAD} +${decided} +HubSpot deal \\d+ dealstage: \\w+ → closedwon \\(approve\\) +applied$`));
    expect(lines[3]).toMatch(new RegExp(`${LEAD} +${decided} +approve \\(command line\\) +approved$`));
    expect(lines[4]).toMatch(/U0STRANGER .* refused: Recon could not check your membership of S0OPSTEAM just now/);
  });
});
