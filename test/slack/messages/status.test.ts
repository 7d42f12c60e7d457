import { describe, expect, it } from 'vitest';
import { statusBlocks, type StatusInput } from '../../../src/slack/messages/status.ts';
import { limitViolations } from './check-limits.ts';
import { NOW, allText } from './fixtures.ts';

const status = (overrides: Partial<StatusInput> = {}): StatusInput => ({
  now: NOW,
  checks: [
    {
      name: 'payment-status',
      lastRun: { startedAt: new Date(NOW.getTime() - 2 * 3_600_000), durationMs: 12_300, mode: 'incremental', status: 'succeeded', dryRun: false, found: 4, autoFixed: 3, escalated: 1, errors: 0 },
      nextRunAt: new Date(NOW.getTime() + 20 * 60_000),
    },
    { name: 'subscription-tags', lastRun: null, nextRunAt: null },
  ],
  queue: { open: 12, byCategory: { mapping_gap: 4, paid_but_not_marked: 8 }, oldest: { itemId: '7', check: 'payment-status', category: 'paid_but_not_marked', openedAt: new Date(NOW.getTime() - 3 * 86_400_000) } },
  fastLoop: { webhooksOn: ['stripe', 'hubspot'], last24h: {}, pending: 0, dead: 0 },
  connectors: [{ system: 'stripe', healthy: true, detail: null }, { system: 'hubspot', healthy: false, detail: '401: the token expired' }],
  ...overrides,
});

describe('statusBlocks', () => {
  it('gives each check’s last run: when, how long, which mode, and its figures', () => {
    const text = allText(statusBlocks(status()).blocks);
    expect(text).toContain('*payment-status*: last run <!date^');
    expect(text).toContain('(2 hours ago), took 12.3 s, incremental');
    expect(text).toContain('found 4 · auto-fixed 3 · escalated 1 · errors 0; next <!date^');
    expect(text).toContain('(in 20 minutes).');
  });

  it('says when a check never ran and is not scheduled', () => {
    expect(allText(statusBlocks(status()).blocks)).toContain('*subscription-tags*: never run; not scheduled.');
  });

  it('gives the open queue by category and its oldest item’s age', () => {
    const text = allText(statusBlocks(status()).blocks);
    expect(text).toContain('*Open queue:* 12 (Paid but not marked 8, Mapping gap 4).');
    expect(text).toContain('Oldest: *Paid but not marked* (payment-status, item 7), waiting 3 days.');
  });

  it('says the fast loop is off when no webhook secret is configured, rather than showing 0', () => {
    const text = allText(statusBlocks(status({ fastLoop: { webhooksOn: [], last24h: {}, pending: 0, dead: 0 } })).blocks);
    expect(text).toContain('*Fast loop:* off (no webhook secret is configured)');
    expect(text).not.toMatch(/Fast-loop events[^\n]*\b0\b/);
  });

  it('counts fast-loop events by source and names the webhooks that are on', () => {
    const text = allText(statusBlocks(status({ fastLoop: { webhooksOn: ['stripe', 'hubspot'], last24h: { stripe: 12, hubspot: 3 }, pending: 2, dead: 0 } })).blocks);
    expect(text).toContain('*Fast-loop events, last 24 h:* 15 (Stripe 12, HubSpot 3). 2 waiting. Webhooks on: Stripe, HubSpot.');
  });

  it('shows dead letters with how to retry them', () => {
    const text = allText(statusBlocks(status({ fastLoop: { webhooksOn: ['stripe'], last24h: { stripe: 5 }, pending: 0, dead: 3 } })).blocks);
    expect(text).toContain('3 dead letters: events that failed every attempt. `/recon retry` puts them back in the inbox.');
  });

  it('shows each connector’s health', () => {
    const text = allText(statusBlocks(status()).blocks);
    expect(text).toContain(':large_green_circle: *Stripe* ok');
    expect(text).toContain(':red_circle: *HubSpot* failing: 401: the token expired');
  });

  it('stays within one message with hundreds of checks', () => {
    const checks = Array.from({ length: 400 }, (_, i) => ({ ...status().checks[0]!, name: `check-${i}` }));
    const built = statusBlocks(status({ checks }));
    expect(limitViolations(built as never, 'message')).toEqual([]);
    expect(allText(built.blocks)).toMatch(/… and \d+ more checks/);
  });

  it('leads with the alerts in force: what, since when, what to do', () => {
    const built = statusBlocks(status({ alerts: [{ title: 'credentials refused (stripe)', since: new Date(NOW.getTime() - 3_600_000), what: 'Stripe refuses Recon’s credentials', todo: 'set a valid key' }] }));
    const text = allText(built.blocks);
    expect(text).toContain('*Alerts in force*\n:rotating_light: *credentials refused (stripe)* since <!date^');
    expect(text).toContain('_What to do:_ set a valid key');
    expect(limitViolations(built as never, 'message')).toEqual([]);
  });
});
