import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../src/db/schema.ts';
import { recon, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY, startWorld, type World } from '../support/world.ts';

// The example policy: approvers U0OPSLEAD and the user group S0OPSTEAM; financial approver U0OPSLEAD.
const LEAD = 'U0OPSLEAD';
const TEAM_MEMBER = 'U0MEMBER';
const STRANGER = 'U0STRANGER';

const database = useTestDatabase();
let world: World;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recon-decide-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
// A fresh world each test: a decision writes to the sandbox's records.
beforeEach(async () => {
  world = await startWorld(database);
  world.sandbox.slack.usergroups.set('S0OPSTEAM', [TEAM_MEMBER]);
  await world.cycle();
});
afterEach(async () => {
  await world.close();
});

/** The CLI with Slack reachable, so user groups in the policy can be read. */
const withSlack = () => worldOverrides(world, database, { SLACK_BOT_TOKEN: 'xoxb-test-cli', SLACK_API_URL: world.sandbox.slackUrl });
const item = (reason: string) => database.db.selectFrom('review_items').selectAll().where('reason', '=', reason).orderBy('id').executeTakeFirstOrThrow();
const reread = (id: string) => database.db.selectFrom('review_items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const deal = (record: ReviewItem) => world.scenario.state.hubspot.deals.get((record.target as { id: string }).id);
const changesOf = (id: string) => database.db.selectFrom('changes').selectAll().where('origin', '=', `decision:${id}`).execute();

describe('recon decide', () => {
  it('approves through the same service as Slack: writes the proposed fix, logs the change, closes the item, exit 0', async () => {
    const highValue = await item('high_value');
    const { code, stdout } = await recon(['decide', highValue.id, 'approve', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toBe(`Item ${highValue.id}: Approved: hubspot deal ${deal(highValue)?.id} dealstage set to "closedwon".\n`);
    expect(deal(highValue)?.properties.dealstage).toBe('closedwon');
    expect(await changesOf(highValue.id)).toMatchObject([{ actor: LEAD, outcome: 'applied', after: 'closedwon', rule: 'approve' }]);
    expect(await reread(highValue.id)).toMatchObject({ status: 'approved', decided_by: LEAD });
  });

  it('records in the decision log that the decision came from the command line', async () => {
    const highValue = await item('high_value');
    await recon(['decide', highValue.id, 'approve', '--as', LEAD], worldOverrides(world, database));
    const logged = await database.db.selectFrom('decision_log').selectAll().execute();
    expect(logged).toMatchObject([{ review_item_id: highValue.id, actor: LEAD, action: 'approve', outcome: 'approved', detail: expect.objectContaining({ via: 'cli' }) }]);
  });

  it('overrides with the value and reason given', async () => {
    const edited = await item('recent_human_edit');
    const { code } = await recon(['decide', edited.id, 'override', 'closedlost', '--reason', 'cancelled by phone', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(deal(edited)?.properties.dealstage).toBe('closedlost');
    expect(await changesOf(edited.id)).toMatchObject([{ after: 'closedlost', reason: `override by ${LEAD}: cancelled by phone` }]);
    expect((await reread(edited.id)).status).toBe('overridden');
  });

  it('ignores an item: no write, and its fingerprint is suppressed for the days asked', async () => {
    const edited = await item('recent_human_edit');
    const { code, stdout } = await recon(['decide', edited.id, 'ignore', '--snooze', '7', '--reason', 'waiting on finance', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Item ${edited.id}: Ignored until \\d{4}-\\d{2}-\\d{2}\\.\\n$`));
    expect(await changesOf(edited.id)).toEqual([]);
    expect(await database.db.selectFrom('suppressions').selectAll().execute()).toMatchObject([{ fingerprint: edited.fingerprint, created_by: LEAD, reason: 'waiting on finance', expires_at: expect.any(Date) }]);
  });

  it('lets a member of an approvers user group decide, reading the group from Slack', async () => {
    const highValue = await item('high_value');
    const { code } = await recon(['decide', highValue.id, 'approve', '--as', TEAM_MEMBER], withSlack());
    expect(code).toBe(0);
    expect((await reread(highValue.id)).decided_by).toBe(TEAM_MEMBER);
  });

  it('refuses someone who is not an approver with exit 2 and changes nothing', async () => {
    const highValue = await item('high_value');
    const writes = world.scenario.state.writes.length;
    const { code, stderr } = await recon(['decide', highValue.id, 'approve', '--as', STRANGER], withSlack());
    expect(code).toBe(2);
    expect(stderr).toBe(`recon decide: item ${highValue.id}: Only approvers named in the Recon policy can decide mismatches. Nothing was changed.\n`);
    expect(world.scenario.state.writes.length).toBe(writes);
    expect((await reread(highValue.id)).status).toBe('open');
  });

  it('refuses an approver who is not a financial approver on a financial item, with exit 2', async () => {
    const financial = await item('financial');
    const { code, stderr } = await recon(['decide', financial.id, 'ignore', '--as', TEAM_MEMBER], withSlack());
    expect(code).toBe(2);
    expect(stderr).toContain('only a financial approver can decide it');
    expect((await reread(financial.id)).status).toBe('open');
  });

  it('says that user groups need Slack when the policy names the person only through one and no bot token is set', async () => {
    const highValue = await item('high_value');
    const { code, stderr } = await recon(['decide', highValue.id, 'approve', '--as', TEAM_MEMBER], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stderr).toContain('could not check your membership of S0OPSTEAM');
    expect(stderr).toContain('set SLACK_BOT_TOKEN, or name the person in the policy by their id');
  });

  it('lets a person the policy names by id decide without Slack', async () => {
    const policy = join(dir, 'named.yml');
    await writeFile(policy, (await readFile(EXAMPLE_POLICY, 'utf8')).replace('approvers: [U0OPSLEAD, S0OPSTEAM]', `approvers: [U0OPSLEAD, ${TEAM_MEMBER}]`));
    const highValue = await item('high_value');
    const { code } = await recon(['decide', highValue.id, 'approve', '--as', TEAM_MEMBER], worldOverrides(world, database, { RECON_CONFIG: policy }));
    expect(code).toBe(0);
  });

  it('exits 2 for an item that does not exist', async () => {
    const { code, stderr } = await recon(['decide', '999999', 'approve', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stderr).toBe('recon decide: item 999999: There is no review item 999999.\n');
  });

  it('exits 1 and says who decided when someone decided first', async () => {
    const highValue = await item('high_value');
    await recon(['decide', highValue.id, 'approve', '--as', LEAD], worldOverrides(world, database));
    const { code, stderr } = await recon(['decide', highValue.id, 'ignore', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(1);
    expect(stderr).toBe(`recon decide: item ${highValue.id}: This mismatch was already approved by ${LEAD}.\n`);
  });

  it('exits 1 and writes nothing when the record changed since the item was raised', async () => {
    const highValue = await item('high_value');
    const record = deal(highValue);
    if (!record) throw new Error('deal missing');
    record.properties.dealstage = 'contractsent';
    const { code, stderr } = await recon(['decide', highValue.id, 'approve', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(1);
    expect(stderr).toContain('The record changed since this was raised, so nothing was written.');
    expect(record.properties.dealstage).toBe('contractsent');
  });

  it('exits 1 when the write fails, leaving the item failed for a retry', async () => {
    const highValue = await item('high_value');
    world.sandbox.faults.set({ beforeWrite: () => { throw new Error('injected write failure'); } });
    const { code, stderr } = await recon(['decide', highValue.id, 'approve', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(1);
    expect(stderr).toContain('The write failed');
    expect((await reread(highValue.id)).status).toBe('failed');
  });

  it('prints the outcome and the item as JSON with --json', async () => {
    const highValue = await item('high_value');
    const { code, stdout } = await recon(['decide', highValue.id, 'approve', '--as', LEAD, '--json'], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      outcome: 'approved',
      message: expect.stringContaining('Approved'),
      item: { id: highValue.id, status: 'approved', decidedBy: LEAD, decidedAt: expect.stringMatching(/Z$/) },
    });
  });
});

describe('recon decide for every action a Slack message offers', () => {
  it('retries a decision whose write failed, writing it once the system takes it', async () => {
    const highValue = await item('high_value');
    world.sandbox.faults.set({ beforeWrite: (system) => { if (system === 'hubspot') throw new Error('injected write failure'); } });
    const failed = await recon(['decide', highValue.id, 'approve', '--as', LEAD], worldOverrides(world, database));
    expect(failed.code).toBe(1);
    expect(await reread(highValue.id)).toMatchObject({ status: 'failed' });
    world.sandbox.faults.set({});
    const { code, stdout } = await recon(['decide', highValue.id, 'retry', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toContain('Approved:');
    expect(deal(highValue)?.properties.dealstage).toBe('closedwon');
    expect(await reread(highValue.id)).toMatchObject({ status: 'approved', decided_by: LEAD });
  });

  it('picks the record of an ambiguous match named by its id, linking it to the one record on the other side', async () => {
    const ambiguous = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'ambiguous_match').where('check_name', '=', 'payment-status').orderBy('id').executeTakeFirstOrThrow();
    const candidates = (ambiguous.suggestion as { candidates: { system: string; id: string }[] }).candidates;
    const customer = candidates.find((c) => c.system === 'stripe')?.id;
    const picked = candidates.find((c) => c.system === 'hubspot')?.id as string;
    const { code, stdout, stderr } = await recon(['decide', ambiguous.id, 'pick', picked, '--as', LEAD], worldOverrides(world, database));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(picked);
    const links = await database.db.selectFrom('links').select(['system', 'external_id', 'entity_id', 'matched_by']).where('external_id', 'in', [customer as string, picked]).execute();
    expect(links).toHaveLength(2);
    expect(links.find((l) => l.system === 'hubspot')).toMatchObject({ matched_by: 'person', entity_id: links.find((l) => l.system === 'stripe')?.entity_id });
    expect(await reread(ambiguous.id)).toMatchObject({ status: 'approved', decided_by: LEAD });
  });

  it('refuses a pick that is not among the candidates, listing them, and changes nothing', async () => {
    const ambiguous = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'ambiguous_match').where('check_name', '=', 'payment-status').orderBy('id').executeTakeFirstOrThrow();
    const { code, stderr } = await recon(['decide', ambiguous.id, 'pick', '999999999', '--as', LEAD], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stderr).toMatch(/999999999 is not among this match's candidates \(stripe: .+; hubspot: .+\)/);
    expect(await reread(ambiguous.id)).toMatchObject({ status: 'open' });
  });
});

describe('recon decide, used wrongly', () => {
  it.each([
    [['override', 'closedlost', '--as', LEAD], 'override needs --reason TEXT'],
    [['override', '--reason', 'x', '--as', LEAD], 'override needs the value to write'],
    [['approve', 'closedwon', '--as', LEAD], 'approve takes no value'],
    [['approve', '--reason', 'x', '--as', LEAD], 'approve takes no --reason'],
    [['approve', '--snooze', '3', '--as', LEAD], '--snooze is for ignore only'],
    [['approve', '--as', 'ops lead'], '--as: expected your Slack user id'],
    [['approve'], "Required option '--as <slack-user-id>' not specified"],
    [['accept', '--as', LEAD], '<action>: expected one of approve, override, ignore, release, retry, pick, got "accept"'],
    [['release', 'closedwon', '--as', LEAD], 'release takes no value'],
    [['retry', '--reason', 'x', '--as', LEAD], 'retry takes no --reason'],
    [['pick', '--as', LEAD], 'pick needs the candidate'],
  ])('exits 2 for decide ITEM %j, saying "%s", and changes nothing', async (args, message) => {
    const highValue = await item('high_value');
    const { code, stderr } = await recon(['decide', highValue.id, ...args], worldOverrides(world, database));
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(await database.db.selectFrom('decision_log').selectAll().execute()).toEqual([]);
  });
});
