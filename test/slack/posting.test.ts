import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { claimItem, releaseClaim, settleItem } from '../../src/db/repositories/review-items.ts';
import { silentLogger } from '../../src/log.ts';
import { storeFor } from '../../src/main.ts';
import { postEscalations, POST_LEASE_MS, syncMessages } from '../../src/slack/posting.ts';
import type { SlackMessage, SlackPort } from '../../src/slack/port.ts';
import { useTestDatabase, TEST_DATABASE_URL } from '../support/db.ts';

const database = useTestDatabase();

/** A Slack that remembers what it was asked; the sandbox's own tests cover Slack's answers. */
function recordingSlack(): SlackPort & { posted: SlackMessage[]; updated: string[] } {
  let ts = 0;
  const slack = {
    posted: [] as SlackMessage[],
    updated: [] as string[],
    async postMessage(channel: string, message: SlackMessage) {
      slack.posted.push(message);
      return { channel, ts: `1.${++ts}` };
    },
    async updateMessage(_channel: string, ts: string) {
      slack.updated.push(ts);
    },
    postEphemeral: async () => {},
    openView: async () => {},
    publishHome: async () => {},
    uploadFile: async () => {},
    membersOf: async () => [],
    identity: async () => ({ userId: 'U0RECON', botId: 'B0RECON', team: 'Sandbox', teamId: 'T0SANDBOX' }),
    channel: async (id: string) => ({ id, name: id.toLowerCase(), isMember: true, isArchived: false }),
  };
  return slack;
}

const item = (fingerprint: string, extra: Record<string, unknown> = {}) => ({
  fingerprint, check_name: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', reason: 'high_value',
  presentation: 'message' as const, entity_key: 'e', status: 'open' as const, ...extra,
});

const deps = (slack: SlackPort) => ({ db: database.db, slack, channel: 'C0REVIEW', vocabularies: new Map(), logger: silentLogger });

describe(`posting escalations on ${TEST_DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`, () => {
  it('posts an item whose posting lease was left by a process that died', async () => {
    await database.db.insertInto('review_items').values(item('f1', { post_claimed_at: new Date(Date.now() - POST_LEASE_MS - 60_000) })).execute();
    const slack = recordingSlack();
    expect((await postEscalations(deps(slack), [])).posted).toBe(1);
  });

  it('leaves an item another process is posting right now', async () => {
    await database.db.insertInto('review_items').values(item('f1', { post_claimed_at: new Date() })).execute();
    const slack = recordingSlack();
    expect((await postEscalations(deps(slack), [])).posted).toBe(0);
  });

  it('releases what it could not post, for the next cycle', async () => {
    await database.db.insertInto('review_items').values([item('f1'), item('f2')]).execute();
    const failing = { ...recordingSlack(), postMessage: async () => Promise.reject(new Error('slack is down')) };
    await expect(postEscalations(deps(failing), [])).rejects.toThrow('slack is down');
    const slack = recordingSlack();
    expect((await postEscalations(deps(slack), [])).posted).toBe(2);
  });

  it('posts a summary whose parts add up to every new item: posted one by one, only in the queue, in the exceptions report', async () => {
    await database.db.insertInto('review_items').values([
      ...Array.from({ length: 7 }, (_, i) => item(`m${i}`)),
      ...Array.from({ length: 2 }, (_, i) => item(`x${i}`, { presentation: 'exceptions', reason: 'unmatched', category: 'missing_in_target' })),
    ]).execute();
    const slack = recordingSlack();
    const result = await postEscalations(deps(slack), []);
    expect(result).toMatchObject({ posted: 5, summarized: 2, exceptions: 2 });
    expect(slack.posted[0]?.text).toContain('9 new escalations = 5 posted below, one message each + 2 only in /recon queue and on the Home tab + 2 in the exceptions report');
    expect(slack.posted).toHaveLength(1 + 5 + 1);
  });

  it('redraws a closed item once, though the database stamped it with microseconds', async () => {
    await database.db.insertInto('review_items').values(item('f1', { status: 'approved', slack_channel: 'C0REVIEW', slack_ts: '1.1' })).execute();
    await sql`UPDATE review_items SET updated_at = now() - interval '1.234567 seconds'`.execute(database.db);
    const slack = recordingSlack();
    expect(await syncMessages(deps(slack))).toBe(1);
    expect(await syncMessages(deps(slack))).toBe(0);
  });

  it('redraws an open item a cycle refreshed since its message was drawn', async () => {
    await database.db.insertInto('review_items').values(item('f1', { slack_channel: 'C0REVIEW', slack_ts: '1.1', message_synced_at: new Date(Date.now() - 60_000) })).execute();
    const slack = recordingSlack();
    expect(await syncMessages(deps(slack))).toBe(1);
    expect(slack.updated).toEqual(['1.1']);
  });

  it('leaves the message of an item being decided to that decision', async () => {
    await database.db.insertInto('review_items').values(item('f1', { status: 'deciding', slack_channel: 'C0REVIEW', slack_ts: '1.1' })).execute();
    const slack = recordingSlack();
    expect(await syncMessages(deps(slack))).toBe(0);
  });
});

describe(`claims on review items on ${TEST_DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`, () => {
  it('refuses a settle from a claim that was reopened and taken by someone else', async () => {
    const { id } = await database.db.insertInto('review_items').values(item('f1')).returning('id').executeTakeFirstOrThrow();
    const first = await claimItem(database.db, id, 'U0FIRST', ['open']);
    await database.db.updateTable('review_items').set({ claimed_at: new Date(Date.now() - 3_600_000), claim_renewed_at: null }).where('id', '=', id).execute();
    expect(await storeFor(database).reopenAbandonedDecisions('payment-status', new Date(Date.now() - 600_000))).toBe(1);
    const second = await claimItem(database.db, id, 'U0SECOND', ['open']);
    expect(second).toBeDefined();
    expect(await settleItem(database.db, id, first?.claimed_at as Date, { status: 'approved', by: 'U0FIRST', decision: {} })).toBeUndefined();
    expect(await settleItem(database.db, id, second?.claimed_at as Date, { status: 'ignored', by: 'U0SECOND', decision: {} })).toMatchObject({ status: 'ignored', decided_by: 'U0SECOND' });
  });

  it('does not reopen a claimed decision while one of its writes is unsettled', async () => {
    const { id } = await database.db.insertInto('review_items').values(item('f1')).returning('id').executeTakeFirstOrThrow();
    await claimItem(database.db, id, 'U0FIRST', ['open']);
    await database.db.updateTable('review_items').set({ claimed_at: new Date(Date.now() - 3_600_000), claim_renewed_at: null }).where('id', '=', id).execute();
    await database.db
      .insertInto('write_intents')
      .values({ idempotency_key: 'k1', actor: 'U0FIRST', origin: `decision:${id}`, system: 'hubspot', object: 'deals', external_id: '1', field: 'dealstage', before: '"a"', after: '"b"' })
      .execute();
    expect(await storeFor(database).reopenAbandonedDecisions('payment-status', new Date(Date.now() - 600_000))).toBe(0);
  });

  it('gives a released claim back to the status it came from', async () => {
    const { id } = await database.db.insertInto('review_items').values(item('f1', { status: 'failed', decided_by: 'U0FIRST' })).returning('id').executeTakeFirstOrThrow();
    const claimed = await claimItem(database.db, id, 'U0SECOND', ['failed']);
    await releaseClaim(database.db, claimed as NonNullable<typeof claimed>, { status: 'failed', decided_by: 'U0FIRST' });
    expect(await database.db.selectFrom('review_items').select(['status', 'decided_by', 'claimed_at']).where('id', '=', id).executeTakeFirst()).toEqual({ status: 'failed', decided_by: 'U0FIRST', claimed_at: null });
  });
});
