import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../../src/connectors/hubspot/adapter.ts';
import { addHubSpotDeal, createSandboxState } from '../../../src/sandbox/state.ts';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.ts';
import { allPages } from '../../support/pages.ts';

let sandbox: RunningSandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

/** A portal whose deals were modified at the given times (ms), one deal per entry. */
async function portal(times: number[]) {
  const state = createSandboxState();
  for (const at of times) {
    const iso = new Date(at).toISOString();
    addHubSpotDeal(state, { properties: { dealname: 'd', pipeline: 'default', dealstage: 'closedwon' }, createdAt: iso });
  }
  sandbox = await startSandbox(state, { rateLimits: false });
  const hubspot = createHubSpotConnector({
    accessToken: 'pat-test', apiUrl: sandbox.hubspotUrl, rateLimit: { requests: 100_000, perMs: 1000 }, searchRateLimit: { requests: 100_000, perMs: 1000 },
  });
  return { state, hubspot };
}

const since = (ts: number) => JSON.stringify({ ts, ids: [] });

describe('HubSpot incremental reads past the 10,000-result search cap', () => {
  it('reads every deal changed since the cursor exactly once when more than 10,000 changed', async () => {
    const base = Date.parse('2026-11-01T00:00:00Z');
    // 10,450 changes over a few hours, many sharing a timestamp with others.
    const times = Array.from({ length: 10_450 }, (_, i) => base + Math.floor(i / 7) * 1000);
    const { state, hubspot } = await portal(times);
    const pages = await allPages(hubspot.list('deals', ['dealstage'], { since: since(base - 1) }));
    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(pages.every((p) => p.mode === 'incremental')).toBe(true);
    expect(ids.length).toBe(10_450);
    expect(new Set(ids).size).toBe(10_450);
    expect(new Set(ids)).toEqual(new Set(state.hubspot.deals.keys()));
  });

  it('reads more than 10,000 deals sharing one timestamp by id, without losing or repeating one', async () => {
    const at = Date.parse('2026-11-02T00:00:00Z');
    const { state, hubspot } = await portal(Array.from({ length: 10_300 }, () => at));
    const ids = (await allPages(hubspot.list('deals', ['dealstage'], { since: since(at - 1) }))).flatMap((p) => p.records.map((r) => r.id));
    expect(ids.length).toBe(10_300);
    expect(new Set(ids)).toEqual(new Set(state.hubspot.deals.keys()));
  });

  it('makes one call when nothing changed since the cursor', async () => {
    const { hubspot } = await portal([Date.parse('2026-11-01T00:00:00Z')]);
    const pages = await allPages(hubspot.list('deals', ['dealstage'], { since: since(Date.parse('2026-11-05T00:00:00Z')) }));
    expect(pages.flatMap((p) => p.records)).toEqual([]);
    expect(hubspot.apiCalls()).toBe(1);
  });

  it('does not read again at the cursor the deals it read there last time', async () => {
    const at = Date.parse('2026-11-01T00:00:00Z');
    const { state, hubspot } = await portal([at, at, at + 5]);
    const [first, second] = [...state.hubspot.deals.keys()];
    const pages = await allPages(hubspot.list('deals', ['dealstage'], { since: JSON.stringify({ ts: at, ids: [first, second] }) }));
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual([[...state.hubspot.deals.keys()][2]]);
  });
});
