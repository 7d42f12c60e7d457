import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.ts';
import { homeView, queueBlocks } from '../../../src/slack/messages/queue.ts';
import type { StatusInput } from '../../../src/slack/messages/status.ts';
import { limitViolations } from './check-limits.ts';
import { NOW, allText, buttons, escalation } from './fixtures.ts';

const items = (n: number) => Array.from({ length: n }, (_, i) => escalation({ itemId: String(i + 1) }));
const status: StatusInput = { now: NOW, checks: [], queue: { open: 200, byCategory: { paid_but_not_marked: 200 }, oldest: null }, fastLoop: { webhooksOn: [], last24h: {}, pending: 0, dead: 0 }, connectors: [] };

describe('queueBlocks', () => {
  it('lists the first items, each with its buttons carrying its id', () => {
    const built = queueBlocks(items(3), { now: NOW });
    expect(buttons(built.blocks).filter((b) => b.action_id === ACTIONS.approve).map((b) => b.value)).toEqual(['1', '2', '3']);
    expect(allText(built.blocks)).toContain('*Paid but not marked · payment-status* · waiting 3 days · item 1');
  });

  it('offers no buttons for an item whose last decision found the record changed, and says so', () => {
    const stale = escalation({ outcome: { by: 'U123ABC', at: NOW, summary: 'Approve wrote nothing: the record changed since this was raised' } });
    const built = queueBlocks([stale], { now: NOW });
    expect(buttons(built.blocks)).toEqual([]);
    expect(allText(built.blocks)).toContain('Approve wrote nothing: the record changed since this was raised · by <@U123ABC>');
  });

  it('says what a guard’s item holds back, with Release', () => {
    const held = { planned: 40, limit: 25, recordsRead: 500, byCategory: [], writes: [] };
    const built = queueBlocks([escalation({ held, reason: 'blast_radius', source: null, target: null, suggestion: [] })], { now: NOW });
    expect(allText(built.blocks)).toContain('40 writes held back: Release makes them.');
    expect(buttons(built.blocks).map((b) => b.action_id)).toEqual([ACTIONS.release, ACTIONS.ignore]);
  });

  it('shows only `limit` items and says how many more wait', () => {
    const built = queueBlocks(items(30), { now: NOW, limit: 5 });
    expect(buttons(built.blocks).filter((b) => b.action_id === ACTIONS.override)).toHaveLength(5);
    expect(allText(built.blocks)).toContain('… and 25 more items.');
  });

  it('never exceeds one message, whatever the limit asked', () => {
    expect(limitViolations(queueBlocks(items(100), { now: NOW, limit: 100 }) as never, 'message')).toEqual([]);
  });

  it('says when the queue is empty', () => {
    expect(allText(queueBlocks([], { now: NOW }).blocks)).toContain('empty');
  });
});

describe('homeView', () => {
  it('is a home tab with the status and the queue’s buttons', () => {
    const view = homeView({ status, queue: items(2), now: NOW });
    expect(view.type).toBe('home');
    expect(allText(view.blocks)).toContain('Recon status');
    expect(buttons(view.blocks as never).filter((b) => b.action_id === ACTIONS.ignore)).toHaveLength(2);
  });

  it('fits within 100 blocks and counts the items it could not show', () => {
    const view = homeView({ status, queue: items(60), now: NOW });
    expect(limitViolations(view as never, 'view')).toEqual([]);
    expect(allText(view.blocks)).toMatch(/… and \d+ more items/);
  });
});
