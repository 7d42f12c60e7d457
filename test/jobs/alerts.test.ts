/**
 * Recon's health alerts: each state posted once when it starts and once when it clears, whichever
 * replica sees it, with a revoked key against the sandbox, dead letters in the inbox and the guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/db/store.ts';
import { createAlertWatcher } from '../../src/jobs/alerts.ts';
import { silentLogger } from '../../src/log.ts';
import { buildConnectors } from '../../src/main.ts';
import { runCycle } from '../../src/reconcile/cycle.ts';
import type { SlackMessage, SlackPort } from '../../src/slack/port.ts';
import { TEST_DATABASE_URL, useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeAll(async () => {
  world = await startWorld(database);
});
afterAll(async () => {
  await world.close();
});

/** A Slack that keeps what was posted. */
function recordingSlack(): SlackPort & { posted: { channel: string; message: SlackMessage }[] } {
  const posted: { channel: string; message: SlackMessage }[] = [];
  let ts = 0;
  const unused = () => Promise.reject(new Error('not used by alerts'));
  return {
    posted,
    async postMessage(channel, message) {
      posted.push({ channel, message });
      return { channel, ts: `${++ts}.0001` };
    },
    updateMessage: unused, postEphemeral: unused, openView: unused, publishHome: unused, uploadFile: unused, membersOf: unused, identity: unused, channel: unused,
  };
}

const watcherWith = (slack: SlackPort, store = world.store) => createAlertWatcher({ store, slack, channel: 'C0ALERTS', logger: silentLogger });

async function cycleWith(stripeKey: string) {
  const connectors = buildConnectors({ ...world.env, STRIPE_SECRET_KEY: stripeKey }, world.policy, silentLogger);
  return runCycle({ store: world.store, connectors, policy: world.policy, logger: silentLogger }, { full: true });
}

async function deadLetter(n: number) {
  await database.db.insertInto('inbox').values({
    provider: 'stripe', event_id: `evt_dead_${n}`, type: 'customer.subscription.updated', object_type: 'subscription', object_id: `sub_dead_${n}`,
    payload: JSON.stringify({ id: `evt_dead_${n}` }), status: 'dead', attempts: 8, last_error: 'hubspot PATCH failed: HTTP 500',
  }).execute();
}

async function guardItemHolding(writes: number) {
  const orders = Array.from({ length: writes }, (_, n) => ({
    write: { system: 'hubspot', object: 'deals', id: String(9000 + n), field: 'dealstage', from: 'closedwon', to: 'closedlost', financial: false },
    fingerprint: `f${n}`, rule: 'source_of_truth', reason: null, category: 'cancelled_but_still_active',
  }));
  const [item] = await database.db.insertInto('review_items').values({
    fingerprint: 'guard:payment-status', check_name: 'payment-status', kind: 'guard', category: 'blast_radius', reason: 'blast_radius', presentation: 'message',
    entity_key: 'guard:payment-status', status: 'open', suggestion: JSON.stringify({ explanation: 'held', writes: [], candidates: [], held: { planned: writes, limit: 25, recordsRead: 120, orders } }),
  }).returning('id').execute();
  return (item as { id: string }).id;
}

describe('alerts once per state change', () => {
  it('posts one alert for a revoked key, nothing more on a second failing cycle, and the clearing on the first good cycle', async () => {
    const slack = recordingSlack();
    const watcher = watcherWith(slack);
    const revoked = await cycleWith('sk_live_revoked_key').then(() => null, (error: unknown) => error);
    expect(revoked).not.toBeNull();
    await watcher.cycleStopped(revoked);
    expect(slack.posted).toHaveLength(1);
    expect(slack.posted[0]?.channel).toBe('C0ALERTS');
    expect(slack.posted[0]?.message.text).toMatch(/Recon alert: credentials refused \(stripe\): Stripe refuses Recon’s credentials \(HTTP 401/);
    expect(JSON.stringify(slack.posted[0]?.message.blocks)).toContain('What to do:');

    const again = await cycleWith('sk_live_revoked_key').then(() => null, (error: unknown) => error);
    await watcher.cycleStopped(again);
    expect(slack.posted).toHaveLength(1);

    const good = await cycleWith('sk_test_recon_tests');
    await watcher.cycleFinished(good.checks);
    expect(slack.posted).toHaveLength(2);
    expect(slack.posted[1]?.message.text).toBe('Cleared: credentials refused (stripe)');
    expect(await world.store.alertsInForce()).toEqual([]);
  });

  it('posts dead letters once while they last and the clearing once they are retried and done', async () => {
    const slack = recordingSlack();
    const watcher = watcherWith(slack);
    await deadLetter(1);
    await watcher.look();
    await deadLetter(2);
    await watcher.look();
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.stringMatching(/^Recon alert: webhook events left undone \(inbox\): 1 webhook event failed every attempt/)]);
    await database.db.updateTable('inbox').set({ status: 'done' }).where('status', '=', 'dead').execute();
    await watcher.look();
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.any(String), 'Cleared: webhook events left undone (inbox)']);
  });

  it('posts the guard holding writes once, and the clearing once its item is decided', async () => {
    const slack = recordingSlack();
    const watcher = watcherWith(slack);
    const itemId = await guardItemHolding(30);
    await watcher.look();
    await watcher.look();
    expect(slack.posted).toHaveLength(1);
    expect(slack.posted[0]?.message.text).toContain('The blast-radius guard of check payment-status holds 30 writes');
    expect(JSON.stringify(slack.posted[0]?.message.blocks)).toContain(`recon show ${itemId}`);
    await database.db.updateTable('review_items').set({ status: 'approved', closed_at: new Date() }).where('id', '=', itemId).execute();
    await watcher.look();
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.any(String), 'Cleared: the guard holds writes (payment-status)']);
  });

  it('posts a vendor throttling Recon once its 429s of the last hour reach the threshold, and the clearing once they age out', async () => {
    const slack = recordingSlack();
    const watcher = watcherWith(slack);
    const budget = 'hubspot:3f2a9c41d0e2:general';
    const throttle = (n: number, at: Date) => database.db.insertInto('vendor_throttles').values(Array.from({ length: n }, () => ({ key: budget, replica: 'r1', at }))).execute();
    await throttle(9, new Date());
    await watcher.look();
    expect(slack.posted).toEqual([]);
    await throttle(1, new Date());
    await watcher.look();
    await watcher.look();
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.stringMatching(/^Recon alert: a vendor throttles Recon \(hubspot:3f2a9c41d0e2:general\): HubSpot answered 10 429s/)]);
    await database.db.updateTable('vendor_throttles').set({ at: new Date(Date.now() - 2 * 3_600_000) }).execute();
    await watcher.look();
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.any(String), `Cleared: a vendor throttles Recon (${budget})`]);
  });

  it('posts a check that fails on consecutive cycles once the threshold is reached', async () => {
    const slack = recordingSlack();
    const watcher = watcherWith(slack);
    const failed = [{
      check: 'payment-status', status: 'failed' as const, errors: ['boom'], missedByFastLoop: 0,
      read: { source: { system: 'stripe', object: 'customers', records: 0 }, target: { system: 'hubspot', object: 'deals', records: 0 } },
      discrepancies: { total: 0, byKind: {}, byCategory: {} },
    }];
    for (const n of [1, 2]) {
      const [run] = await database.db.insertInto('runs').values({ cycle_id: `c${n}`, check_name: 'payment-status', mode: 'full', dry_run: false, cursors: '{}', stats: '{}', status: 'failed', error: 'hubspot search failed: HTTP 400' }).returning('id').execute();
      expect(run).toBeDefined();
      await watcher.cycleFinished(failed);
      expect(slack.posted).toHaveLength(n === 1 ? 0 : 1);
    }
    expect(slack.posted[0]?.message.text).toContain('Check payment-status failed its last 2 cycles: hubspot search failed: HTTP 400');
  });

  it('posts that the systems no longer match the policy when a value its map names is gone, once, and the clearing when a cycle runs', async () => {
    const slack = recordingSlack();
    const watcher = watcherWith(slack);
    const [first, ...rest] = world.policy.checks;
    const drifted = { ...world.policy, checks: [{ ...first, map: { ...first?.map, active: { write: 'closedwon_renamed', accept: ['closedwon_renamed'] } } }, ...rest] } as typeof world.policy;
    for (let n = 0; n < 2; n++) {
      const stopped = await runCycle({ store: world.store, connectors: world.connectors, policy: drifted, logger: silentLogger }, { full: true }).then(() => null, (error: unknown) => error);
      await watcher.cycleStopped(stopped);
    }
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.stringMatching(/^Recon alert: the systems no longer match the policy \(policy\): .*closedwon_renamed/)]);
    await watcher.cycleFinished((await world.cycle()).checks);
    expect(slack.posted.map((p) => p.message.text)).toEqual([expect.any(String), 'Cleared: the systems no longer match the policy (policy)']);
  });

  it('lists the alerts in force in recon status', async () => {
    await deadLetter(3);
    await watcherWith(recordingSlack()).look();
    const { recon, reconJson, worldOverrides } = await import('../support/cli.ts');
    const status = await reconJson<{ alerts: { key: string; what: string; todo: string; since: string }[] }>(['status'], worldOverrides(world, database));
    expect(status.alerts).toEqual([expect.objectContaining({ key: 'dead_letters:inbox', since: expect.stringMatching(/Z$/) })]);
    const { stdout } = await recon(['status'], worldOverrides(world, database));
    expect(stdout).toContain('Alerts in force:');
    expect(stdout).toContain('webhook events left undone (inbox)');
  });
});

describe.runIf(TEST_DATABASE_URL)('alerts between replicas on real Postgres', () => {
  it('posts a state once when two replicas judge it at the same moment', async () => {
    await deadLetter(4);
    const replicas = await Promise.all([database.replica(), database.replica()]);
    try {
      const slacks = [recordingSlack(), recordingSlack()];
      await Promise.all(replicas.map((replica, n) => watcherWith(slacks[n] as SlackPort, createStore(replica)).look()));
      expect(slacks.flatMap((s) => s.posted)).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
