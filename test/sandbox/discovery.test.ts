/** The discovery-document checker in test/support catches what it claims to, so passing tests mean something. */
import { describe, expect, it } from 'vitest';
import { discoveryShapeProblems, loadDiscovery, undocumentedRequest } from '../support/discovery.ts';

const calendar = loadDiscovery('google-calendar/calendar-v3.json');
const EVENTS = '/calendar/v3/calendars/bookings%40acme.example/events';

describe('discovery shape checker', () => {
  it('accepts an Event as Google sends it', () => {
    const event = { kind: 'calendar#event', id: 'e1', status: 'confirmed', start: { dateTime: '2026-12-03T10:00:00+01:00' }, attendees: [{ email: 'ada@example.com', responseStatus: 'accepted' }], sequence: 0 };
    expect(discoveryShapeProblems(calendar, 'Event', event)).toEqual([]);
  });

  it('reports a wrong type, a bad date-time and a property the schema does not have', () => {
    expect(discoveryShapeProblems(calendar, 'Event', { id: 1, updated: 'yesterday', crm_id: '901' })).toEqual([
      '$.id: expected string, got number', '$.updated: "yesterday" is not a date-time', '$.crm_id: not a property of Event',
    ]);
  });
});

describe('discovery request checker', () => {
  it('accepts a documented events.list call', () => {
    const query: [string, string][] = [['singleEvents', 'true'], ['privateExtendedProperty', 'crm_id=1'], ['privateExtendedProperty', 'x=2'], ['maxResults', '2500']];
    expect(undocumentedRequest(calendar, { method: 'GET', path: EVENTS, query })).toBeNull();
  });

  it('reports an undeclared parameter, a wrong type, a repeated single parameter and an unknown path', () => {
    expect(undocumentedRequest(calendar, { method: 'GET', path: EVENTS, query: [['limit', '10']] })).toBe('calendar.events.list declares no query parameter limit');
    expect(undocumentedRequest(calendar, { method: 'GET', path: EVENTS, query: [['showDeleted', 'yes']] })).toBe('calendar.events.list: showDeleted=yes is not a boolean');
    expect(undocumentedRequest(calendar, { method: 'GET', path: EVENTS, query: [['q', 'a'], ['q', 'b']] })).toBe('calendar.events.list: q is sent 2 times but is not repeated');
    expect(undocumentedRequest(calendar, { method: 'DELETE', path: `${EVENTS}/e1/attendees`, query: [] })).toMatch(/^no method of the document is DELETE/);
  });
});
