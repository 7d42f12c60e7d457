import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../src/db/schema.ts';
import { ACTIONS } from '../../src/slack/ids.ts';
import { pickValue } from '../../src/slack/messages/candidates.ts';
import { useTestDatabase } from '../support/db.ts';
import { choose, startSlackWorld, where, type SlackWorld } from './support/slack-world.ts';

const LEAD = 'U0OPSLEAD';
const STRANGER = 'U0STRANGER';

const database = useTestDatabase();
let slack: SlackWorld;
let item: ReviewItem;
let customer: string;
let duplicate: string;

/** The sandbox's one Stripe customer whose email two HubSpot deals share, posted to the review channel. */
beforeEach(async () => {
  slack = await startSlackWorld(database);
  await slack.cycle();
  // Only the ambiguous match is new in this channel: the rest were posted by an earlier cycle.
  await database.db.updateTable('review_items').set({ posted_at: new Date() }).where('reason', '!=', 'ambiguous_match').execute();
  await slack.post();
  item = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'ambiguous_match').where('check_name', '=', 'payment-status').executeTakeFirstOrThrow();
  const candidates = (item.suggestion as { candidates: { system: string; id: string }[] }).candidates;
  customer = candidates.find((c) => c.system === 'stripe')?.id as string;
  duplicate = candidates.find((c) => c.system === 'hubspot' && slack.world.scenario.state.hubspot.deals.get(c.id)?.properties.dealname === 'Duplicate deal')?.id as string;
});
afterEach(async () => {
  await slack.close();
});

const shown = () => JSON.stringify(slack.message(item)?.blocks ?? []);
const pick = (user: string, target = duplicate) => slack.send(choose(ACTIONS.pick, pickValue(item.id, customer, target), user, where(item)));

describe('picking the record of an ambiguous match in Slack', () => {
  it('shows the candidates with a select to pick one, and no Approve or Override', () => {
    expect(shown()).toContain(`HubSpot deal ${duplicate}`);
    expect(shown()).toContain(ACTIONS.pick);
    expect(shown()).not.toContain(ACTIONS.approve);
    expect(shown()).not.toContain(ACTIONS.override);
  });

  it('links the pick, fixes the pair by the rules, logs it, and redraws the message with what happened', async () => {
    await pick(LEAD);
    expect(slack.world.scenario.state.hubspot.deals.get(duplicate)?.properties.dealstage).toBe('closedwon');
    expect(await database.db.selectFrom('decision_log').select(['actor', 'action', 'outcome']).where('review_item_id', '=', item.id).execute())
      .toEqual([{ actor: LEAD, action: 'link', outcome: 'approved' }]);
    expect(shown()).toMatch(new RegExp(`Linked Stripe customer ${customer} to HubSpot deal ${duplicate}; then payment-status: HubSpot dealstage set to [^;"]*Closed Won`));
    expect(shown()).toMatch(/by <@U0OPSLEAD> · <!date\^/);
    expect(shown()).not.toContain(ACTIONS.pick);
  });

  it('posts the escalation a guard raises instead of a write, and says so in the message', async () => {
    const twin = slack.world.scenario.state.hubspot.deals.get(duplicate);
    if (!twin) throw new Error('duplicate deal missing');
    twin.properties.amount = '25000';
    await pick(LEAD);
    expect(twin.properties.dealstage).toBe('qualifiedtobuy');
    expect(shown()).toMatch(/payment-status: held for a person \([^)]*high value/);
    const raised = await database.db.selectFrom('review_items').selectAll().where('reason', '=', 'high_value').where('entity_key', 'like', `%:${duplicate}`).executeTakeFirstOrThrow();
    expect(raised.slack_ts).not.toBeNull();
    expect(JSON.stringify(slack.message(raised)?.blocks)).toContain(ACTIONS.approve);
  });

  it('refuses a stranger’s pick with a note only they see, and links nothing', async () => {
    const before = shown();
    await pick(STRANGER);
    expect(slack.world.sandbox.slack.ephemerals.at(-1)).toMatchObject({ user: STRANGER, text: expect.stringContaining('Only approvers') });
    expect(await database.db.selectFrom('links').select('entity_id').where('system', '=', 'hubspot').where('external_id', '=', duplicate).executeTakeFirst()).toBeUndefined();
    expect(shown()).toBe(before);
  });
});
