import { WebClient } from '@slack/web-api';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chartSvg, renderChartPng } from '../../src/digest/chart.ts';
import { postDigest } from '../../src/digest/post.ts';
import { silentLogger } from '../../src/log.ts';
import { createSandboxState, startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { webClientPort, type SlackPort } from '../../src/slack/port.ts';
import { useTestDatabase } from '../support/db.ts';
import { EXPECTED, POSTED_AT, seedFortnight, WEEK_END, WEEK_START } from './seed.ts';

const database = useTestDatabase();
const CHANNEL = 'C0DIGEST';

let sandbox: RunningSandbox;
let slack: SlackPort;

beforeEach(async () => {
  sandbox = await startSandbox(createSandboxState());
  slack = webClientPort(new WebClient('xoxb-test-digest', { slackApiUrl: sandbox.slackUrl, retryConfig: { retries: 0 } }), { pacePerChannel: false });
});

afterEach(async () => {
  await sandbox.close();
});

/** The digest's mrkdwn as the sandbox's Slack received it. */
function postedText(): string {
  const message = [...sandbox.slack.messages.values()].find((m) => m.channel === CHANNEL && m.blocks.length > 0);
  if (!message) throw new Error('no digest in the channel');
  return (message.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '').join('\n');
}

/** The figure after `label` in the text: "*Escalated*: 3 (▲ 2 from 1)" → 3. */
function figure(text: string, label: string): number {
  const match = new RegExp(`\\*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\*[^:]*: ([\\d,]+)`).exec(text);
  if (!match?.[1]) throw new Error(`no "${label}" in the digest:\n${text}`);
  return Number(match[1].replace(/,/g, ''));
}

/** The same figures counted straight from the tables, as their definitions say. */
async function countedInDatabase(from: Date, to: Date) {
  const one = async (query: ReturnType<typeof sql<{ n: string | number }>>) => Number((await query.execute(database.db)).rows[0]?.n ?? 0);
  return {
    cycles: await one(sql`SELECT count(*) AS n FROM (SELECT cycle_id FROM runs WHERE NOT dry_run GROUP BY cycle_id HAVING min(started_at) >= ${from} AND min(started_at) < ${to}) c`),
    found: await one(sql`SELECT count(*) AS n FROM (SELECT d.fingerprint FROM discrepancies d JOIN runs r ON r.id = d.run_id WHERE NOT r.dry_run GROUP BY d.fingerprint HAVING min(r.started_at) >= ${from} AND min(r.started_at) < ${to}) f`),
    autoFixed: await one(sql`SELECT count(DISTINCT (origin, fingerprint)) AS n FROM changes WHERE actor = 'auto' AND outcome = 'applied' AND at >= ${from} AND at < ${to}`),
    escalated: await one(sql`SELECT count(*) AS n FROM review_items WHERE opened_run_id IS NOT NULL AND opened_at >= ${from} AND opened_at < ${to}`),
    events: await one(sql`SELECT count(*) AS n FROM inbox WHERE received_at >= ${from} AND received_at < ${to}`),
    dead: await one(sql`SELECT count(*) AS n FROM inbox WHERE status = 'dead' AND received_at >= ${from} AND received_at < ${to}`),
    caught: await one(sql`SELECT coalesce(sum((stats->>'missedByFastLoop')::int), 0) AS n FROM runs WHERE NOT dry_run AND started_at >= ${from} AND started_at < ${to}`),
  };
}

describe('posting the weekly digest', () => {
  it('posts text and chart whose numbers are the database’s', async () => {
    await seedFortnight(database);
    const posted = await postDigest({ db: database.db, slack, channel: CHANNEL, logger: silentLogger, now: () => POSTED_AT, fastLoop: { systems: ['stripe', 'hubspot'] } });
    const text = postedText();
    const counted = await countedInDatabase(WEEK_START, WEEK_END);
    const chart = posted.chart;
    if (!chart) throw new Error('expected a chart');
    const total = (label: string) => chart.series.find((s) => s.label === label)?.total;

    expect(figure(text, 'Reconciliation cycles')).toBe(counted.cycles);
    expect(figure(text, 'Discrepancies found')).toBe(counted.found);
    expect(total('found')).toBe(counted.found);
    expect(figure(text, 'Auto-fixed')).toBe(counted.autoFixed);
    expect(total('auto-fixed')).toBe(counted.autoFixed);
    expect(figure(text, 'Escalated')).toBe(counted.escalated);
    expect(total('escalated')).toBe(counted.escalated);
    expect(figure(text, 'Webhooks')).toBe(counted.events);
    expect(figure(text, 'Dead letters')).toBe(counted.dead);
    expect(figure(text, 'Caught by the cycles that webhooks should have handled')).toBe(counted.caught);
    expect(counted).toEqual({
      cycles: EXPECTED.week.cycles, found: EXPECTED.week.found, autoFixed: EXPECTED.week.autoFixed, escalated: EXPECTED.week.escalated,
      events: EXPECTED.week.events, dead: EXPECTED.week.dead, caught: EXPECTED.week.caughtForFastLoop,
    });
  });

  it('compares each figure with the week before, as counted in the database', async () => {
    await seedFortnight(database);
    await postDigest({ db: database.db, slack, channel: CHANNEL, logger: silentLogger, now: () => POSTED_AT, fastLoop: { systems: ['stripe', 'hubspot'] } });
    const text = postedText();
    const before = await countedInDatabase(new Date(WEEK_START.getTime() - 7 * 86_400_000), WEEK_START);
    for (const [label, n] of [['Reconciliation cycles', before.cycles], ['Discrepancies found', before.found], ['Auto-fixed', before.autoFixed], ['Escalated', before.escalated], ['Webhooks', before.events]] as const) {
      expect(text).toMatch(new RegExp(`\\*${label}\\*[^:]*: [\\d,]+ (events )?\\((same as the week before|[▲▼] [\\d,]+ from ${n})\\)`));
    }
    expect(before).toMatchObject({ cycles: EXPECTED.previous.cycles, found: EXPECTED.previous.found, autoFixed: EXPECTED.previous.autoFixed, escalated: EXPECTED.previous.escalated });
  });

  it('uploads the chart drawn from the posted figures, its labels the same numbers', async () => {
    await seedFortnight(database);
    const posted = await postDigest({ db: database.db, slack, channel: CHANNEL, logger: silentLogger, now: () => POSTED_AT });
    if (!posted.chart) throw new Error('expected a chart');
    const svg = chartSvg(posted.chart);
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining([`found ${EXPECTED.week.found}`, `auto-fixed ${EXPECTED.week.autoFixed}`, `escalated ${EXPECTED.week.escalated}`]));
    expect(posted.chart.series.map((s) => s.values)).toEqual([EXPECTED.week.foundPerDay, EXPECTED.week.autoFixedPerDay, EXPECTED.week.escalatedPerDay]);
    expect(posted.chart.yTicks).toEqual([0, 1, 2]);
    const files = [...sandbox.slack.files.values()];
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ channel: CHANNEL, completed: true, title: posted.chart.title });
    expect(files[0]?.data?.equals(renderChartPng(svg))).toBe(true);
  });

  it('says once that webhooks are off, instead of zeros, when no endpoint is on', async () => {
    await database.db
      .insertInto('runs')
      .values({ cycle_id: 'c', check_name: 'payment-status', mode: 'full', dry_run: false, status: 'succeeded', started_at: WEEK_START, cursors: '{}', stats: '{}' })
      .execute();
    await postDigest({ db: database.db, slack, channel: CHANNEL, logger: silentLogger, now: () => POSTED_AT, fastLoop: { systems: [] } });
    const text = postedText();
    expect(text.match(/Webhooks/g)).toHaveLength(1);
    expect(text).toContain('*Webhooks* (fast loop): off; no webhook endpoint is configured');
    expect(text).not.toMatch(/Dead letters|Caught by the cycles/);
  });

  it('still shows the week’s webhook events when the endpoints have been turned off since', async () => {
    await seedFortnight(database);
    await postDigest({ db: database.db, slack, channel: CHANNEL, logger: silentLogger, now: () => POSTED_AT });
    const text = postedText();
    expect(text).toContain('*Webhooks* (fast loop, off now): 13 events');
  });

  it('posts one sentence and no chart for a week in which nothing happened', async () => {
    const posted = await postDigest({ db: database.db, slack, channel: CHANNEL, logger: silentLogger, now: () => POSTED_AT, fastLoop: { systems: ['stripe'] } });
    expect(posted.chart).toBeNull();
    expect(sandbox.slack.files.size).toBe(0);
    expect(postedText()).toBe('Recon weekly digest, 2026-11-16 to 2026-11-22\nNothing happened from 2026-11-16 to 2026-11-22: no cycle ran, nothing was found, fixed or escalated, and no webhook arrived (as in the week before).');
  });
});
