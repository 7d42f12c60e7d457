/** The booking-stage check end to end: the real Calendar connector against the sandbox's Google. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleCalendarConnector } from '../../src/connectors/google_calendar/adapter.ts';
import { readServiceAccountKey } from '../../src/connectors/google_calendar/client.ts';
import { cancelCalendarEvent, expireCalendarSyncTokens } from '../../src/sandbox/google-calendar-state.ts';
import { verify } from '../../src/sandbox/verify.ts';
import { cleanBookedPerson } from '../support/bookings.ts';
import { useTestDatabase } from '../support/db.ts';
import { loadDiscovery, undocumentedRequest } from '../support/discovery.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
const calendarSpec = loadDiscovery('google-calendar/calendar-v3.json');
let world: World;
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

const CHECK = 'booking-stage';

async function found(runIds: string[]) {
  const rows = await database.db.selectFrom('discrepancies').selectAll().where('run_id', 'in', runIds).execute();
  return rows.map((r) => ({ check: r.check_name, kind: r.kind, category: r.category, sourceKey: r.source_key, targetKey: r.target_key, resolution: r.resolution, reason: r.reason }));
}
const runOf = (result: Awaited<ReturnType<World['cycle']>>) => result.checks.find((c) => c.check === CHECK);


describe('the booking-stage check against the sandbox', () => {
  it('finds every injected booking discrepancy and resolves each as the policy says', async () => {
    const result = await world.cycle();
    const planted = world.scenario.injected.filter((i) => i.check === CHECK);
    expect(new Set(planted.map((i) => i.category))).toEqual(new Set(['booked_but_no_stage', 'cancelled_booking_still_booked']));
    const verdict = verify(planted, (await found([runOf(result)?.runId as string])), world.scenario.state.writes, new Set());
    expect({ missed: verdict.missed, wrong: verdict.wrong, unexpected: verdict.unexpected }).toEqual({ missed: [], wrong: [], unexpected: [] });
    expect(runOf(result)).toMatchObject({ mode: 'full', autoFixed: planted.filter((i) => i.expected === 'auto_fix').length });
  });

  it('writes nothing on a second, incremental cycle and asks Calendar for little more than what changed', async () => {
    await world.cycle();
    const writes = world.scenario.state.writes.length;
    const second = await world.cycle({ full: false });
    expect(runOf(second)?.mode).toBe('incremental');
    expect(world.scenario.state.writes.length).toBe(writes);
    expect(runOf(second)).toMatchObject({ autoFixed: 0, reviewItems: { opened: 0 } });
    // One read of what changed; the deals Recon just fixed have their bookings read back (one read of this small calendar).
    expect(runOf(second)?.apiCalls.google_calendar).toBeLessThanOrEqual(2);
  });

  it('finds a cancellation made after the last cycle in an incremental cycle', async () => {
    await world.cycle();
    const { eventId, dealId } = cleanBookedPerson(world);
    cancelCalendarEvent(world.scenario.state.calendar, eventId, Date.now());
    const second = await world.cycle({ full: false });
    expect(runOf(second)?.mode).toBe('incremental');
    expect(world.scenario.state.hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedlost');
    expect(runOf(second)?.discrepancies.byCategory).toEqual({ cancelled_booking_still_booked: 1 });
  });

  it('falls back to a full pass when the sync token expired, and still finds drift made after it', async () => {
    await world.cycle();
    const { eventId, dealId } = cleanBookedPerson(world);
    cancelCalendarEvent(world.scenario.state.calendar, eventId, Date.now());
    expireCalendarSyncTokens(world.scenario.state.calendar);
    const second = await world.cycle({ full: false });
    expect(runOf(second)?.mode).toBe('full');
    expect(world.scenario.state.hubspot.deals.get(dealId)?.properties.dealstage).toBe('closedlost');
    const third = await world.cycle({ full: false });
    expect(runOf(third)?.mode).toBe('incremental');
  });

  it('sends Google only requests the Calendar discovery document declares, and the token exchange', async () => {
    // Every kind of read: a full pass, an incremental one with the changed people read by email and
    // id, one after bookings started (a month later), and a full pass after a 410.
    let now = Date.now();
    world.connectors.google_calendar = createGoogleCalendarConnector({
      key: readServiceAccountKey(world.env.GOOGLE_APPLICATION_CREDENTIALS as string), calendarId: world.env.GOOGLE_CALENDAR_ID as string,
      apiUrl: world.env.GOOGLE_API_URL as string, crmSystem: 'hubspot', maxTargetedReads: 500, now: () => now,
    });
    await world.cycle();
    cancelCalendarEvent(world.scenario.state.calendar, cleanBookedPerson(world).eventId, Date.now());
    await world.cycle({ full: false });
    now += 30 * 86_400_000;
    await world.cycle({ full: false });
    expireCalendarSyncTokens(world.scenario.state.calendar);
    await world.cycle({ full: false });

    const requests = world.scenario.state.calendar.requests;
    const calendarCalls = requests.filter((r) => r.path !== '/token');
    expect(calendarCalls.map((r) => undocumentedRequest(calendarSpec, r)).filter(Boolean)).toEqual([]);
    const kinds = new Set(calendarCalls.map(({ query }) => ['syncToken', 'q', 'privateExtendedProperty', 'orderBy'].find((name) => query.some(([k]) => k === name)) ?? 'everything'));
    expect(kinds).toEqual(new Set(['everything', 'syncToken', 'q', 'privateExtendedProperty', 'orderBy']));
    expect(requests.filter((r) => r.path === '/token').map((r) => [r.method, r.query])).toEqual([['POST', []]]);
  });
});
