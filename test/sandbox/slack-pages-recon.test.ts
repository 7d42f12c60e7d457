import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postDigest } from '../../src/digest/post.ts';
import { silentLogger } from '../../src/log.ts';
import { postEscalations } from '../../src/slack/posting.ts';
import { webClientPort, type SlackPort } from '../../src/slack/port.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
let slack: SlackPort;

beforeEach(async () => {
  world = await startWorld(database);
  // The port `recon serve` and `recon demo` post through, pointed at the sandbox as the demo does.
  slack = webClientPort(new WebClient('xoxb-test-pages', { slackApiUrl: world.sandbox.slackUrl, retryConfig: { retries: 0 } }), { pacePerChannel: false });
});

afterEach(async () => {
  await world.close();
});

interface Entry { kind: string; channel: string | null; ts: string | null; text: string; blocks: unknown[] }
const feed = async () => ((await (await fetch(`${world.sandbox.stripeUrl}/slack/messages`)).json()) as { messages: Entry[] }).messages;
const buttonLabels = (blocks: unknown[]) =>
  blocks.flatMap((b) => ((b as { type?: string; elements?: { type?: string; text?: { text?: string } }[] }).type === 'actions' ? (b as { elements: { type?: string; text?: { text?: string } }[] }).elements : []))
    .filter((e) => e.type === 'button')
    .map((e) => e.text?.text ?? '');

describe('the sandbox page over what Recon posts', () => {
  it('carries exactly the text and blocks Recon sent with each chat.postMessage', async () => {
    await world.cycle();
    await postEscalations({ db: database.db, slack, channel: 'C0REVIEW', vocabularies: new Map(), logger: silentLogger }, []);
    const sent = world.sandbox.slack.calls.filter((c) => c.method === 'chat.postMessage' && !c.error);
    const posts = (await feed()).filter((e) => e.kind === 'post').reverse();
    expect(sent.length).toBeGreaterThan(0);
    expect(posts.map((p) => ({ channel: p.channel, text: p.text, blocks: p.blocks }))).toEqual(sent.map((c) => ({ channel: c.args.channel, text: c.args.text, blocks: c.args.blocks })));
  });

  it('shows each escalation’s buttons with the labels Recon gave them', async () => {
    await world.cycle();
    await postEscalations({ db: database.db, slack, channel: 'C0REVIEW', vocabularies: new Map(), logger: silentLogger }, []);
    const withButtons = (await feed()).filter((e) => e.kind === 'post' && buttonLabels(e.blocks).length > 0);
    expect(withButtons.filter((e) => buttonLabels(e.blocks).includes('Approve') && buttonLabels(e.blocks).includes('Override…')).length).toBeGreaterThan(0);
    const html = await (await fetch(`${world.sandbox.stripeUrl}/`)).text();
    for (const label of withButtons.flatMap((e) => buttonLabels(e.blocks))) expect(html).toContain(`>${label}</span>`);
  });

  it('shows the weekly digest and its chart', async () => {
    await world.cycle();
    await postDigest({ db: database.db, slack, channel: 'C0DIGEST', logger: silentLogger, now: () => new Date(Date.now() + 86_400_000) });
    const html = await (await fetch(`${world.sandbox.stripeUrl}/`)).text();
    expect(html).toContain('<h3>Recon weekly digest,');
    expect(html).toContain('<strong>Reconciliation cycles</strong>: 1');
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="Discrepancies by day, /);
  });
});
