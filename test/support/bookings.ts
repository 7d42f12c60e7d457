import type { World } from './world.ts';

/**
 * A person the generator left in agreement: one confirmed booking to come, the deal at
 * "Appointment Scheduled". Returns the event and the deal.
 */
export function cleanBookedPerson(world: World): { eventId: string; dealId: string } {
  const state = world.scenario.state;
  const injected = new Set(world.scenario.injected.map((i) => i.targetId));
  const eventsByEmail = new Map<string, string[]>();
  for (const { resource } of state.calendar.events.values()) {
    for (const attendee of resource.attendees ?? []) if (!attendee.organizer) eventsByEmail.set(attendee.email, [...(eventsByEmail.get(attendee.email) ?? []), resource.id]);
  }
  for (const deal of state.hubspot.deals.values()) {
    if (deal.properties.dealstage !== 'appointmentscheduled' || injected.has(deal.id)) continue;
    const email = state.hubspot.contacts.get(deal.associations.contacts[0] ?? '')?.properties.email ?? '';
    const events = eventsByEmail.get(email) ?? [];
    const event = events.length === 1 ? state.calendar.events.get(events[0] as string) : undefined;
    if (event && event.resource.status === 'confirmed' && Date.parse(event.resource.start.dateTime ?? '') > Date.now()) return { eventId: event.resource.id, dealId: deal.id };
  }
  throw new Error('the generator planted no clean booked person');
}
