import { LogLevel, WebClient, type Logger } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chartSvg, renderChartPng, weekChart } from '../../src/digest/chart.ts';
import { createSandboxState, startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { FEED_LIMIT } from '../../src/sandbox/slack-methods.ts';
import { week } from '../digest/week.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

let sandbox: RunningSandbox;
let slack: WebClient;
let base: string;

beforeEach(async () => {
  sandbox = await startSandbox(createSandboxState(), { rateLimits: false });
  slack = new WebClient('xoxb-test-pages', { slackApiUrl: sandbox.slackUrl, retryConfig: { retries: 0 }, logger: quiet });
  base = sandbox.stripeUrl;
});

afterEach(async () => {
  await sandbox.close();
});

interface FeedJson {
  messages: { kind: string; at: string; channel: string | null; ts: string | null; thread_ts: string | null; user: string | null; text: string; blocks: unknown[]; files?: { id: string; title: string; bytes: number }[] }[];
}

const messages = async () => (await (await fetch(`${base}/slack/messages`)).json()) as FeedJson;
const page = async () => (await fetch(`${base}/`)).text();

describe('GET /slack/messages', () => {
  it('lists each post, update, answer, file, App Home and modal, newest first, with channel, ts, thread, text and blocks', async () => {
    const blocks = [section('*Stripe* says active, HubSpot says churned')];
    const posted = await slack.chat.postMessage({ channel: 'C0REVIEW', text: 'Escalation', blocks });
    await slack.chat.postMessage({ channel: 'C0REVIEW', text: 'In the thread', thread_ts: posted.ts as string });
    await slack.chat.update({ channel: 'C0REVIEW', ts: posted.ts as string, text: 'Approved', blocks: [section('Approved by <@U1>')] });
    await slack.chat.postEphemeral({ channel: 'C0REVIEW', user: 'U0LEAD', text: 'Only approvers may decide' });
    await slack.files.uploadV2({ channel_id: 'C0DIGEST', file: Buffer.from('chart'), filename: 'week.png', title: 'The week' });
    await slack.views.publish({ user_id: 'U0LEAD', view: { type: 'home', blocks: [section('Queue: 3 open')] } });
    await slack.views.open({ trigger_id: '1.2.3', view: { type: 'modal', title: { type: 'plain_text', text: 'Override' }, blocks: [section('Pick a value')] } });

    const { messages: feed } = await messages();
    expect(feed.map((m) => m.kind)).toEqual(['modal', 'home', 'file', 'ephemeral', 'update', 'post', 'post']);
    expect(feed[6]).toMatchObject({ kind: 'post', channel: 'C0REVIEW', ts: posted.ts, thread_ts: null, text: 'Escalation', blocks });
    expect(feed[5]).toMatchObject({ kind: 'post', channel: 'C0REVIEW', thread_ts: posted.ts, text: 'In the thread' });
    expect(feed[4]).toMatchObject({ kind: 'update', channel: 'C0REVIEW', ts: posted.ts, text: 'Approved', blocks: [section('Approved by <@U1>')] });
    expect(feed[3]).toMatchObject({ kind: 'ephemeral', channel: 'C0REVIEW', user: 'U0LEAD', text: 'Only approvers may decide' });
    expect(feed[2]).toMatchObject({ kind: 'file', channel: 'C0DIGEST', files: [{ title: 'The week', bytes: 5 }] });
    expect(feed[1]).toMatchObject({ kind: 'home', user: 'U0LEAD', channel: null, blocks: [section('Queue: 3 open')] });
    expect(feed[0]).toMatchObject({ kind: 'modal', text: 'Override' });
  });

  it('leaves out calls Slack refused', async () => {
    await slack.chat.postMessage({ channel: 'C0REVIEW', text: '' }).catch(() => undefined);
    expect((await messages()).messages).toEqual([]);
  });

  it('keeps the newest entries once it holds its limit', async () => {
    const first = await slack.chat.postMessage({ channel: 'C0REVIEW', text: 'first' });
    sandbox.slack.feed.push(...Array.from({ length: FEED_LIMIT - 1 }, () => ({ ...sandbox.slack.feed[0]!, text: 'filler' })));
    await slack.chat.postMessage({ channel: 'C0REVIEW', text: 'last' });
    const { messages: feed } = await messages();
    expect(feed).toHaveLength(FEED_LIMIT);
    expect(feed[0]?.text).toBe('last');
    expect(feed.some((m) => m.ts === first.ts && m.text === 'first')).toBe(false);
  });
});

describe('the sandbox’s page at /', () => {
  it('shows Block Kit as Slack would: headers, sections, fields, buttons’ labels and images’ alt text', async () => {
    await slack.chat.postMessage({
      channel: 'C0REVIEW',
      text: 'Paid but not marked',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Paid but not marked' } },
        { type: 'section', text: { type: 'mrkdwn', text: '*Stripe* <https://dashboard.stripe.com/customers/cus_1|customer cus_1> is `active`' }, fields: [{ type: 'mrkdwn', text: '*Why*\nhigh value' }] },
        { type: 'image', image_url: 'https://example.com/x.png', alt_text: 'the week as bars' },
        { type: 'context', elements: [{ type: 'image', image_url: 'https://example.com/i.png', alt_text: 'Stripe logo' }, { type: 'mrkdwn', text: 'opened 2 h ago' }] },
        { type: 'actions', elements: [
          { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: '1' },
          { type: 'button', action_id: 'override', text: { type: 'plain_text', text: 'Override…' }, value: '1' },
        ] },
      ],
    });
    const html = await page();
    expect(html).toContain('<h3>Paid but not marked</h3>');
    expect(html).toContain('<strong>Stripe</strong> <a href="https://dashboard.stripe.com/customers/cus_1" rel="noreferrer">customer cus_1</a> is <code>active</code>');
    expect(html).toContain('<strong>Why</strong><br>high value');
    expect(html).toContain('[image: the week as bars]');
    expect(html).toContain('[image: Stripe logo]');
    expect(html).toContain('<span class="button primary">Approve</span>');
    expect(html).toContain('<span class="button">Override…</span>');
    expect(html).toContain('in <b>#C0REVIEW</b>');
  });

  it('lists the newest first', async () => {
    await slack.chat.postMessage({ channel: 'C0REVIEW', text: 'older message' });
    await slack.chat.postMessage({ channel: 'C0REVIEW', text: 'newer message' });
    const html = await page();
    expect(html.indexOf('newer message')).toBeLessThan(html.indexOf('older message'));
  });

  it('escapes everything a message carries', async () => {
    await slack.chat.postMessage({
      channel: 'C0REVIEW',
      text: '<script>alert(1)</script>',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '<img src=x onerror=alert(1)>' } },
        section('&lt;b&gt;not bold&lt;/b&gt; <javascript:alert(1)|click> <https://x.test/"onmouseover="alert(1)|link>'),
        { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: '"><script>x</script>' }, value: '1' }] },
      ],
    });
    const html = await page();
    expect(html).not.toMatch(/<script|<img src=x|<b>not|href="javascript|"onmouseover/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    expect(html).toContain('&quot;&gt;&lt;script&gt;x&lt;/script&gt;');
  });

  it('allows no external assets, and refreshes itself', async () => {
    const response = await fetch(`${base}/`);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; img-src data:; style-src 'unsafe-inline'");
    const html = await response.text();
    expect(html).toContain('<meta http-equiv="refresh" content="5">');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/(?!dashboard)/);
  });

  it('shows a shared chart as the image itself', async () => {
    const chart = weekChart(week({ found: [1, 2, 0, 0, 0, 0, 0] }));
    if (!chart) throw new Error('expected a chart');
    const png = renderChartPng(chartSvg(chart));
    await slack.files.uploadV2({ channel_id: 'C0DIGEST', file: png, filename: 'week.png', title: 'Discrepancies by day' });
    const html = await page();
    expect(html).toContain(`<img src="data:image/png;base64,${png.toString('base64')}" alt="Discrepancies by day">`);
  });

  it('says when nothing has been shown yet', async () => {
    expect(await page()).toContain('Nothing yet');
  });

  it('answers only GET', async () => {
    const response = await fetch(`${base}/slack/messages`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
