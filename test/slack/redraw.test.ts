import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/load-policy.ts';
import { ACTIONS, INPUTS, VIEWS } from '../../src/slack/ids.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXAMPLE_POLICY } from '../support/world.ts';
import { click, startSlackWorld, submit, where, type SlackWorld } from './support/slack-world.ts';

const LEAD = 'U0OPSLEAD';
const OTHER_APPROVER = 'U0MEMBER';

const database = useTestDatabase();
let slack: SlackWorld;
afterEach(async () => {
  await slack.close();
});

/** The Slack app after a first cycle posted its escalations to the review channel. */
async function afterFirstCycle(): Promise<SlackWorld> {
  slack = await startSlackWorld(database);
  await slack.cycleAndPost();
  return slack;
}

const postedItem = (reason: string) =>
  database.db.selectFrom('review_items').selectAll().where('reason', '=', reason).where('slack_ts', 'is not', null).orderBy('id').executeTakeFirstOrThrow();

/** What a person reads in the item's message now, and its buttons. */
function shown(item: { slack_channel: string | null; slack_ts: string | null }) {
  const message = slack.message(item);
  if (!message) throw new Error('the item has no message in the sandbox');
  const blocks = JSON.stringify(message.blocks);
  const actions = [...blocks.matchAll(/"action_id":"([^"]+)"/g)].map((m) => m[1]);
  return { blocks, actions };
}

/** Who and when, as the outcome line says them. */
const byAndWhen = (user: string) => new RegExp(`by <@${user}> · <!date\\^\\d+\\^`);

describe('a decision redraws the item’s message: who, what, when and the outcome, the proposal and buttons gone', () => {
  it('after Approve: the value written', async () => {
    await afterFirstCycle();
    const item = await postedItem('high_value');
    expect(shown(item).blocks).toContain('Suggested fix');
    await slack.send(click(ACTIONS.approve, item.id, LEAD, where(item)));
    const after = shown(item);
    expect(after.blocks).toMatch(/Approved: HubSpot dealstage set to [^"]*Closed Won/);
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.blocks).not.toContain('Suggested fix');
    expect(after.actions).toEqual([]);
  });

  it('after Override: the value chosen and the reason', async () => {
    await afterFirstCycle();
    const item = await postedItem('recent_human_edit');
    await slack.send(submit(VIEWS.override, item.id, LEAD, {
      [INPUTS.overrideValue.block]: { [INPUTS.overrideValue.action]: { type: 'static_select', selected_option: { value: 'contractsent' } } },
      [INPUTS.overrideReason.block]: { [INPUTS.overrideReason.action]: { type: 'plain_text_input', value: 'still negotiating' } },
    }));
    const after = shown(item);
    expect(after.blocks).toMatch(/Overridden: HubSpot dealstage set to [^"]*Contract Sent\. Reason: still negotiating/);
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.actions).toEqual([]);
  });

  it('after Ignore: for how long', async () => {
    await afterFirstCycle();
    const item = await postedItem('high_value');
    await slack.send(submit(VIEWS.ignore, item.id, LEAD, {
      [INPUTS.ignoreMode.block]: { [INPUTS.ignoreMode.action]: { type: 'radio_buttons', selected_option: { value: 'occurrence' } } },
    }));
    const after = shown(item);
    expect(after.blocks).toContain('Ignored while the values stay as they are');
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.actions).toEqual([]);
  });

  it('after a failed write: the vendor’s message, with Retry; after Retry: the value written', async () => {
    await afterFirstCycle();
    const item = await postedItem('high_value');
    slack.world.sandbox.faults.set({ beforeWrite: () => { throw new Error('injected'); } });
    await slack.send(click(ACTIONS.approve, item.id, LEAD, where(item)));
    const failed = shown(item);
    expect(failed.blocks).toContain('Approve failed');
    // What HubSpot answered, as the connector reports it.
    expect(failed.blocks).toContain('HTTP 500: internal error');
    expect(failed.blocks).toMatch(byAndWhen(LEAD));
    expect(failed.actions).toEqual([ACTIONS.retry, ACTIONS.override, ACTIONS.ignore]);
    slack.world.sandbox.faults.set({});
    await slack.send(click(ACTIONS.retry, item.id, LEAD, where(item)));
    const retried = shown(item);
    expect(retried.blocks).toMatch(/Approved: HubSpot dealstage set to [^"]*Closed Won/);
    expect(retried.blocks).not.toContain('HTTP 500');
    expect(retried.actions).toEqual([]);
  });

  it('after a decision that found the record changed: that nothing was written and why, without buttons', async () => {
    await afterFirstCycle();
    const item = await postedItem('high_value');
    const deal = slack.world.scenario.state.hubspot.deals.get((item.target as { id: string }).id);
    if (!deal) throw new Error('deal missing');
    deal.properties.dealstage = 'contractsent';
    await slack.send(click(ACTIONS.approve, item.id, LEAD, where(item)));
    const after = shown(item);
    expect(after.blocks).toContain('Approve wrote nothing: the record changed since this was raised');
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.blocks).not.toContain('Suggested fix');
    expect(after.actions).toEqual([]);
    // The message says it all: no note beside it.
    expect(slack.world.sandbox.slack.ephemerals).toEqual([]);
  });

  it('after Approve in App Home: the channel message too', async () => {
    await afterFirstCycle();
    const item = await postedItem('high_value');
    await slack.send(click(ACTIONS.approve, item.id, LEAD, 'home'));
    const after = shown(item);
    expect(after.blocks).toMatch(/Approved: HubSpot dealstage set to [^"]*Closed Won/);
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.actions).toEqual([]);
    expect([...slack.world.sandbox.slack.views.values()].some((v) => v.type === 'home' && v.user_id === LEAD)).toBe(true);
  });

  it('after a click on a message a failed redraw left out of date: the outcome, and who decided', async () => {
    await afterFirstCycle();
    slack.world.sandbox.slack.usergroups.set('S0OPSTEAM', [OTHER_APPROVER]);
    const item = await postedItem('high_value');
    // The redraw after the decision and the sync after it both fail.
    slack.world.sandbox.slack.failNext('chat.update', 'internal_error');
    slack.world.sandbox.slack.failNext('chat.update', 'internal_error');
    await slack.send(click(ACTIONS.approve, item.id, LEAD, where(item)));
    expect(shown(item).actions).toContain(ACTIONS.approve);
    await slack.send(click(ACTIONS.approve, item.id, OTHER_APPROVER, where(item)));
    const after = shown(item);
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.actions).toEqual([]);
    expect(slack.world.sandbox.slack.ephemerals.at(-1)).toMatchObject({ user: OTHER_APPROVER, text: expect.stringContaining(`already approved by <@${LEAD}>`) });
  });
});

describe('the blast-radius guard’s item in Slack', () => {
  const example = readFileSync(EXAMPLE_POLICY, 'utf8');
  const guarded = parsePolicy(example.replace('    humanEditWindow: 24h', '    humanEditWindow: 24h\n    guards: { maxAutoFixes: 1 }'));

  /** A cycle the guard stopped, its item posted as its own message. */
  async function guardPosted() {
    slack = await startSlackWorld(database, { policy: () => guarded });
    await slack.cycle();
    // Only the guard's item is new in this channel: the others were posted by an earlier cycle.
    await database.db.updateTable('review_items').set({ posted_at: new Date() }).where('kind', '!=', 'guard').execute();
    await slack.post();
    return database.db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').executeTakeFirstOrThrow();
  }

  it('shows the held writes with Release and Ignore', async () => {
    const guard = await guardPosted();
    const before = shown(guard);
    expect(before.blocks).toMatch(/Recon held back \*\d+ writes\* of check payment-status/);
    expect(before.actions).toEqual([ACTIONS.release, ACTIONS.ignore]);
  });

  it('writes the held fixes on Release and redraws the message with what was applied, by whom and when', async () => {
    const guard = await guardPosted();
    const held = (guard.suggestion as { held: { orders: unknown[] } }).held.orders.length;
    // Checks the guard did not stop wrote in the cycle; the release writes what it held.
    const before = slack.world.scenario.state.writes.length;
    await slack.send(click(ACTIONS.release, guard.id, LEAD, where(guard)));
    expect(slack.world.scenario.state.writes.length - before).toBe(held);
    const after = shown(guard);
    expect(after.blocks).toContain(`Released: ${held} of ${held} held writes applied`);
    expect(after.blocks).toMatch(byAndWhen(LEAD));
    expect(after.actions).toEqual([]);
  });
});
