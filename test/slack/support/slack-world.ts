/**
 * Recon's Slack app over signed HTTP on loopback, against the sandbox's systems and its Slack:
 * what a person's click does, end to end. `send` returns once every listener the request started
 * (they go on after the ack) has finished, so a test reads the outcome without waiting on a clock.
 */
import type { AddressInfo } from 'node:net';
import { createDecisions } from '../../../src/decisions/service.ts';
import { loadEnv } from '../../../src/config/env.ts';
import type { Policy } from '../../../src/config/policy.ts';
import { InFlight } from '../../../src/jobs/in-flight.ts';
import { silentLogger } from '../../../src/log.ts';
import { runCycle } from '../../../src/reconcile/cycle.ts';
import { cachedHealth } from '../../../src/reconcile/health.ts';
import { createSlackApp, registerListeners, type SlackApp } from '../../../src/slack/app.ts';
import { postEscalations } from '../../../src/slack/posting.ts';
import { buildStatus } from '../../../src/slack/status-input.ts';
import { signSlackRequest } from '../../../src/slack/verify.ts';
import type { TestDatabase } from '../../support/db.ts';
import { startWorld, type World } from '../../support/world.ts';

export const SIGNING_SECRET = 'e2e-signing-secret';
export const REVIEW_CHANNEL = 'C0REVIEW';

export interface SlackWorld {
  world: World;
  slackApp: SlackApp;
  policy: Policy;
  /** Sends a signed request to /slack/events and waits for everything it started. */
  send(body: string, contentType?: string): Promise<Response>;
  /** A cycle with the given policy (this app's by default). */
  cycle(policy?: Policy): Promise<void>;
  /** Posts what is new and redraws what changed, as `recon serve` does after a cycle. */
  post(): Promise<void>;
  /** A cycle, then posting. */
  cycleAndPost(policy?: Policy): Promise<void>;
  /** The message posted at `channel:ts`, as the sandbox's Slack holds it now. */
  message(item: { slack_channel: string | null; slack_ts: string | null }): { text: string; blocks: unknown[] } | undefined;
  close(): Promise<void>;
}

export async function startSlackWorld(database: TestDatabase, options: { policy?: (world: World) => Policy } = {}): Promise<SlackWorld> {
  const world = await startWorld(database);
  const policy = options.policy ? options.policy(world) : world.policy;
  const env = loadEnv({ SLACK_BOT_TOKEN: 'xoxb-test-e2e', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: world.sandbox.slackUrl });
  const slackApp = await createSlackApp({ env, logger: silentLogger, pacePerChannel: false });
  const slack = slackApp.port;
  const decisions = createDecisions({ store: world.store, connectors: world.connectors, policy, logger: silentLogger, directory: { membersOf: (g) => slack.membersOf(g) } });
  const vocabularies = () => decisions.vocabularies();
  const cycle = async (cyclePolicy: Policy = policy) => {
    await runCycle({ store: world.store, connectors: world.connectors, policy: cyclePolicy, logger: silentLogger }, { full: true });
  };
  const post = async () => {
    await postEscalations({ db: database.db, slack, channel: REVIEW_CHANNEL, vocabularies: await vocabularies(), logger: silentLogger }, []);
  };
  const health = cachedHealth(world.connectors);
  // Every listener's work after its ack; `send` waits for it. (Drained, it still takes new work: only `recon serve` asks.)
  const inFlight = new InFlight();
  registerListeners(slackApp.app, {
    database, policy, logger: silentLogger, slack, vocabularies, decide: (request) => decisions.decide(request),
    runCycle: async (cycleOptions) => runCycle({ store: world.store, connectors: world.connectors, policy, logger: silentLogger }, cycleOptions),
    status: () => buildStatus({ database, policy, health }),
  }, inFlight);
  const server = await slackApp.start(0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  return {
    world,
    slackApp,
    policy,
    async send(body, contentType = 'application/x-www-form-urlencoded') {
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest(SIGNING_SECRET, body, timestamp) },
      });
      await response.clone().arrayBuffer();
      // The deadline only bounds a hung listener; the tests assert on what the listeners did.
      const unfinished = await inFlight.drain(20_000);
      if (unfinished > 0) throw new Error(`${unfinished} Slack listeners were still running`);
      return response;
    },
    cycle,
    post,
    async cycleAndPost(cyclePolicy) {
      await cycle(cyclePolicy);
      await post();
    },
    message: (item) => world.sandbox.slack.messages.get(`${item.slack_channel}:${item.slack_ts}`),
    async close() {
      await slackApp.stop();
      await world.close();
    },
  };
}

const interaction = (payload: object) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
const who = (user: string) => ({ user: { id: user, username: user, team_id: 'T0SANDBOX' }, team: { id: 'T0SANDBOX', domain: 'sandbox' }, api_app_id: 'A0RECON', token: 'legacy', trigger_id: '1.2.abc' });

/** Where a click came from: an item's message in the channel, or App Home. */
export type ClickedIn = { channel: string; ts: string } | 'home';

export function where(item: { slack_channel: string | null; slack_ts: string | null }): ClickedIn {
  return { channel: item.slack_channel as string, ts: item.slack_ts as string };
}

function container(clickedIn: ClickedIn): object {
  if (clickedIn === 'home') {
    return {
      container: { type: 'view', view_id: 'VHOME' },
      view: { id: 'VHOME', type: 'home', callback_id: '', hash: 'h', team_id: 'T0SANDBOX', app_id: 'A0RECON', bot_id: 'B0RECON', state: { values: {} }, private_metadata: '', blocks: [] },
    };
  }
  return {
    channel: { id: clickedIn.channel, name: 'review' },
    container: { type: 'message', message_ts: clickedIn.ts, channel_id: clickedIn.channel, is_ephemeral: false },
    message: { type: 'message', ts: clickedIn.ts, text: 'x' },
  };
}

/** A button click (its value is the item id). */
export function click(action: string, itemId: string, user: string, clickedIn: ClickedIn): string {
  return interaction({ type: 'block_actions', ...who(user), ...container(clickedIn), actions: [{ type: 'button', action_id: action, block_id: 'actions', value: itemId, action_ts: '1.3' }] });
}

/** A choice in a static select. */
export function choose(action: string, value: string, user: string, clickedIn: ClickedIn): string {
  return interaction({
    type: 'block_actions', ...who(user), ...container(clickedIn),
    actions: [{ type: 'static_select', action_id: action, block_id: 'actions', selected_option: { text: { type: 'plain_text', text: value }, value }, action_ts: '1.3' }],
  });
}

/** A modal submitted. */
export function submit(callbackId: string, itemId: string, user: string, values: object): string {
  return interaction({
    type: 'view_submission', ...who(user),
    view: { id: 'V1', type: 'modal', callback_id: callbackId, private_metadata: JSON.stringify({ itemId }), state: { values }, hash: 'h', team_id: 'T0SANDBOX', app_id: 'A0RECON', bot_id: 'B0RECON' },
  });
}
