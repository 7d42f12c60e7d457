import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ShowReport } from '../../src/cli/reports.ts';
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
beforeEach(async () => {
  await world.cycle();
});

const itemOf = (reason: string) => database.db.selectFrom('review_items').selectAll().where('reason', '=', reason).orderBy('id').executeTakeFirstOrThrow();
const show = (id: string) => reconJson<ShowReport>(['show', id], worldOverrides(world, database));

describe('recon show', () => {
  it('gives both records as the item stored them, with their values, emails and links', async () => {
    const item = await itemOf('high_value');
    const shown = await show(item.id);
    expect(shown.source).toEqual({ system: 'stripe', object: 'customers', id: expect.stringMatching(/^cus_/), field: 'subscription_status', value: 'active', email: expect.stringContaining('@'), url: expect.stringMatching(/^https:\/\//) });
    expect(shown.target).toEqual({ system: 'hubspot', object: 'deals', id: expect.any(String), field: 'dealstage', value: expect.any(String), email: expect.stringContaining('@'), url: expect.stringMatching(/^https:\/\//) });
  });

  it('gives the write Approve would make and why it was held back', async () => {
    const item = await itemOf('high_value');
    const shown = await show(item.id);
    expect(shown.item).toMatchObject({ id: item.id, status: 'open', check: 'payment-status', reason: 'high_value', openedAt: expect.stringMatching(/Z$/) });
    expect(shown.explanation).toContain('high-value');
    expect(shown.proposed).toEqual([{ system: 'hubspot', object: 'deals', id: shown.target?.id, field: 'dealstage', from: shown.target?.value, to: 'closedwon', financial: false }]);
  });

  it('lists the other records an ambiguous match could mean', async () => {
    const shown = await show((await itemOf('ambiguous_match')).id);
    expect(shown.candidates.length).toBeGreaterThan(1);
  });

  it('gives the history: opened, then the decision and its write, then closed', async () => {
    const item = await itemOf('high_value');
    await recon(['decide', item.id, 'ignore', '--as', 'U0OPSLEAD'], worldOverrides(world, database));
    const kinds = (await show(item.id)).history.map((h) => h.kind);
    expect(kinds[0]).toBe('opened');
    expect(kinds).toContain('closed');
    expect(kinds).toContain('decision');
  });

  it('prints both records, the proposed write and the history for a person', async () => {
    const item = await itemOf('high_value');
    const shown = await show(item.id);
    const { code, stdout } = await recon(['show', item.id], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toContain(`Review item ${item.id}: payment-status · paid but not marked · open`);
    expect(stdout).toContain(`Source: Stripe customer ${shown.source?.id} (${shown.source?.email}): subscription_status = active\n        ${shown.source?.url}`);
    expect(stdout).toContain(`Target: HubSpot deal ${shown.target?.id}`);
    expect(stdout).toContain(`Proposed: HubSpot deal ${shown.target?.id} dealstage: ${shown.target?.value} → closedwon`);
    expect(stdout).toMatch(/History:\n {2}when +who +item +what +outcome\n.*\n {2}just now, .* Recon +opened by run \d+/);
    expect(stdout).toContain(`Decide: recon decide ${item.id} approve|ignore|override VALUE`);
  });

  it('names the command-line form of an ambiguous match’s pick', async () => {
    const item = await itemOf('ambiguous_match');
    const { stdout } = await recon(['show', item.id], worldOverrides(world, database));
    expect(stdout).toContain(`Decide: recon decide ${item.id} pick CANDIDATE_ID|ignore`);
  });

  it('exits 2 for an item that does not exist', async () => {
    const { code, stdout, stderr } = await recon(['show', '999999'], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('recon show: there is no review item 999999\n  `recon queue` lists the open ones\n');
  });
});
