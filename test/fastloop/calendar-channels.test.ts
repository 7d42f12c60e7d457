/**
 * Google Calendar's push channel: opened and renewed against the sandbox's events.watch, known to
 * the endpoint (which refuses any other channel), and a notification leading to an incremental
 * pass of the booking check.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelDirectory, closeAllChannels, renewChannels } from '../../src/fastloop/channels.ts';
import { webhookSecrets } from '../../src/fastloop/ingest.ts';
import { webhookRoutes } from '../../src/fastloop/routes.ts';
import { closeServer, createRouteServer, listen } from '../../src/http/routes.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';
import { startInboxWorker } from '../../src/fastloop/worker.ts';
import { silentLogger } from '../../src/log.ts';
import { processEvent, subjectKey } from '../../src/reconcile/event.ts';
import { cancelCalendarEvent } from '../../src/sandbox/google-calendar-state.ts';
import { cleanBookedPerson } from '../support/bookings.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
const TOKEN = 'calendar-channel-token-test';
const ADDRESS = 'https://recon.example.com/webhooks/google-calendar';
let world: World;
let server: Server | null = null;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
  await world.close();
});

const renew = (force = false) => renewChannels({ db: database.db, connectors: world.connectors, address: ADDRESS, token: TOKEN, logger: silentLogger, force });
const sandboxChannels = () => [...world.scenario.state.calendar.channels.values()];

async function endpoint(): Promise<string> {
  const { secrets } = webhookSecrets({ GOOGLE_CALENDAR_CHANNEL_TOKEN: TOKEN }, ['google_calendar']);
  const routes = webhookRoutes({ db: database.db, policy: world.policy, secrets, logger: silentLogger, openChannels: channelDirectory(database.db) });
  server = await listen(createRouteServer(routes, { logger: silentLogger }), 0, '127.0.0.1');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/google-calendar`;
}
const notify = (url: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers });
const headersFor = (channel: { id: string; resourceId: string }, state = 'exists', n = 2, token = TOKEN) => ({
  'X-Goog-Channel-ID': channel.id, 'X-Goog-Channel-Token': token, 'X-Goog-Resource-ID': channel.resourceId, 'X-Goog-Resource-State': state,
  'X-Goog-Message-Number': String(n), 'X-Goog-Resource-URI': `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(world.scenario.state.calendar.calendarId)}/events?alt=json`,
});

describe('the Google Calendar channel', () => {
  it('opens one channel to the address with the token, for a week', async () => {
    const [report] = await renew();
    expect(report).toMatchObject({ system: 'google_calendar', opened: true, closed: [] });
    expect(sandboxChannels()).toEqual([expect.objectContaining({ id: report?.channel.id, address: ADDRESS, token: TOKEN })]);
    expect(report!.channel.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it('keeps a channel with time left instead of opening another', async () => {
    const [first] = await renew();
    const [second] = await renew();
    expect(second).toMatchObject({ opened: false, channel: { id: first?.channel.id }, closed: [] });
    expect(sandboxChannels()).toHaveLength(1);
  });

  it('renews by opening the new channel first, then stopping the old one', async () => {
    const [first] = await renew();
    const [second] = await renew(true);
    expect(second?.closed).toEqual([first?.channel.id]);
    expect(sandboxChannels().map((c) => c.id)).toEqual([second?.channel.id]);
  });

  it('stops every channel it opened', async () => {
    await renew();
    expect(await closeAllChannels({ db: database.db, connectors: world.connectors })).toHaveLength(1);
    expect(sandboxChannels()).toEqual([]);
  });
});

describe('POST /webhooks/google-calendar', () => {
  it('stores a notification on an open channel with the right token', async () => {
    const url = await endpoint();
    const [report] = await renew();
    const response = await notify(url, headersFor(report!.channel));
    expect(response.status).toBe(200);
    expect(await database.db.selectFrom('inbox').select(['provider', 'type']).execute()).toEqual([{ provider: 'google_calendar', type: 'calendar.changed' }]);
  });

  it('refuses a notification with another token with 401', async () => {
    const url = await endpoint();
    const [report] = await renew();
    expect((await notify(url, headersFor(report!.channel, 'exists', 2, 'someone-elses-token'))).status).toBe(401);
  });

  it('refuses a notification on a channel Recon did not open with 401', async () => {
    const url = await endpoint();
    expect((await notify(url, headersFor({ id: 'recon-not-ours', resourceId: 'r1' }))).status).toBe(401);
    expect(await database.db.selectFrom('inbox').select('id').execute()).toEqual([]);
  });

  it('refuses a notification on a stopped channel with 401', async () => {
    const url = await endpoint();
    const [report] = await renew();
    await closeAllChannels({ db: database.db, connectors: world.connectors });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the directory's one-second reread guard
    expect((await notify(url, headersFor(report!.channel))).status).toBe(401);
  });

  it('answers the opening sync message 200 and stores nothing', async () => {
    const url = await endpoint();
    const [report] = await renew();
    const response = await notify(url, headersFor(report!.channel, 'sync', 1));
    expect(response.status).toBe(200);
    expect(await database.db.selectFrom('inbox').select('id').execute()).toEqual([]);
  });
});

describe('a Calendar notification', () => {
  it('leads to an incremental pass that marks the deal of a cancelled booking lost', async () => {
    const url = await endpoint();
    await world.cycle({ full: true });
    const [report] = await renew();
    const { eventId, dealId } = cleanBookedPerson(world);
    cancelCalendarEvent(world.scenario.state.calendar, eventId, Date.now());
    expect((await notify(url, headersFor(report!.channel))).status).toBe(200);
    const deps = { store: world.store, connectors: world.connectors, policy: world.policy, logger: silentLogger, describe: cachedDescriptions(world.connectors) };
    const worker = startInboxWorker({ db: database.db, process: (event) => processEvent(deps, event), subjectKey, logger: silentLogger }, false);
    expect(await worker.drainOnce()).toBe(1);
    expect(world.scenario.state.hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedlost');
    expect(await database.db.selectFrom('inbox').select(['status', 'outcome']).execute()).toEqual([{ status: 'done', outcome: 'written' }]);
  });
});
