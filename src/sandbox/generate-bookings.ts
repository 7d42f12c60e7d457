/**
 * Seeded bookings on the sandbox's Google Calendar for an existing scenario, with known drift of the
 * `booking-stage` check: a booking with no stage to show for it (`booked_but_no_stage`), a
 * cancelled booking whose deal still says booked (`cancelled_booking_still_booked`), and clean
 * bookings of every kind (upcoming, past, cancelled then booked again, booked twice, guests,
 * internal meetings). Pure: no I/O, no clock (pass `now`).
 *
 * It knows no CRM: the world it is added to hands it a {@link BookingCrm} that makes a deal
 * (opportunity) at a kind of stage, so the HubSpot world ({@link hubspotBookingCrm}) and the
 * GoHighLevel world use the same generator.
 */
import { addGoHighLevelContact, addGoHighLevelOpportunity, GHL_BOOKING_PIPELINE } from './gohighlevel-objects.ts';
import type { Injected, Scenario } from './generate.ts';
import { addCalendarEvent, cancelCalendarEvent, updateCalendarEvent } from './google-calendar-state.ts';
import { seededRandom } from './random.ts';
import { addHubSpotContact, addHubSpotDeal, addStripeCustomer, type SandboxState } from './state.ts';

/**
 * A deal's stage, by what it says about a booking: `booked` (the stage a booking puts a deal at),
 * `past_booked` (further along the pipeline), `not_booked` (a stage the policy does not accept for
 * a booking to come: before `booked` where the pipeline has one, or lost) and `lost`.
 */
export type StageKind = 'not_booked' | 'booked' | 'past_booked' | 'lost';

/** A deal (opportunity) of the CRM world that a person books a meeting about. */
export interface BookableDeal {
  id: string;
  email: string;
  stage: string;
}

/** What the bookings generator needs from the CRM world. */
export interface BookingCrm {
  /**
   * Adds a deal for a new person (with a contact of `email`) at a stage of `stage`'s kind, that stage
   * set at `stageSetAt` (epoch ms) by a person or by an integration. The deal must leave the world's
   * other checks in agreement, also once the booking check has moved it to its booked or lost stage.
   */
  addDeal(input: { first: string; last: string; email: string; stage: StageKind; stageSetAt: number; byPerson: boolean }): BookableDeal;
}

export interface BookingOptions {
  crm: BookingCrm;
  /** Epoch milliseconds that "now" is for the generated timestamps. */
  now: number;
  seed?: number;
  /** People per drift case; default 1. */
  perKind?: number;
  /** Rounds of clean bookings (each round plants one of every clean kind); default 2. */
  cleanRounds?: number;
  /** The policy's check that compares bookings with deal stages; default `booking-stage`. */
  check?: string;
}

export const BOOKING_DRIFT_KINDS = [
  'booked_but_no_stage', 'booked_but_no_stage_recent_edit', 'cancelled_booking_still_booked', 'declined_booking_still_booked',
] as const;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = ['mary', 'charles', 'hedy', 'claude', 'katherine', 'tim', 'sophie', 'niklaus', 'adele', 'dennis'];
const LAST = ['somerville', 'babbage', 'lamarr', 'shannon', 'johnson', 'berners', 'wilson', 'wirth', 'goldberg', 'ritchie'];

/** Adds bookings to `scenario`: events on its calendar, deals through `options.crm`, and the drift to `scenario.injected`. */
export function addBookings(scenario: Scenario, options: BookingOptions): void {
  const rand = seededRandom(options.seed ?? 17);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const calendar = scenario.state.calendar;
  const now = options.now;
  let serial = 0;

  /** A new person and their deal; `tagged` people's bookings carry the deal id as `crm_id`, as a booking tool stores it. */
  const person = (stage: StageKind, stageSetAt: number, byPerson = false) => {
    serial++;
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}.b${serial}@example.com`;
    const deal = options.crm.addDeal({ first, last, email, stage, stageSetAt, byPerson });
    const tagged = serial % 2 === 0;
    return { name: `${first.charAt(0).toUpperCase()}${first.slice(1)} ${last.charAt(0).toUpperCase()}${last.slice(1)}`, email, deal, tagged, bookingId: tagged ? deal.id : email };
  };
  type Person = ReturnType<typeof person>;

  /** A booking of `who` starting at `start`, made at `madeAt`. */
  const book = (who: Person, start: number, madeAt: number, extra: { guests?: string[]; responseStatus?: string } = {}) =>
    addCalendarEvent(calendar, {
      summary: `Intro call: ${who.name}`,
      description: 'Booked through the website.',
      start,
      attendees: [{ email: who.email, displayName: who.name, responseStatus: extra.responseStatus ?? 'accepted' }, ...(extra.guests ?? []).map((email) => ({ email }))],
      ...(who.tagged ? { privateProperties: { crm_id: who.deal.id } } : {}),
      createdAt: madeAt,
    });

  const note = (who: Person, entry: Omit<Injected, 'check' | 'kind' | 'sourceId' | 'targetId'>) =>
    scenario.injected.push({ ...entry, check: options.check ?? 'booking-stage', kind: 'value_mismatch', sourceId: who.bookingId, targetId: who.deal.id });

  for (let n = 0; n < (options.perKind ?? 1); n++) {
    const soon = now + (1 + Math.floor(rand() * 10)) * DAY;
    // Booked for next week, while the deal was marked lost long ago by an integration: safe to fix.
    const relost = person('not_booked', now - 40 * DAY);
    book(relost, soon, now - 2 * DAY);
    note(relost, { drift: 'booked_but_no_stage', category: 'booked_but_no_stage', expected: 'auto_fix' });
    // A person marked the deal lost three hours ago although the meeting is on the calendar: theirs to decide.
    const edited = person('not_booked', now - 3 * HOUR, true);
    book(edited, soon, now - 4 * DAY);
    note(edited, { drift: 'booked_but_no_stage_recent_edit', category: 'booked_but_no_stage', expected: 'escalate:recent_human_edit' });
    // The booking was cancelled two days ago; the deal still says an appointment is scheduled.
    const cancelled = person('booked', now - 10 * DAY);
    const event = book(cancelled, soon, now - 10 * DAY);
    cancelCalendarEvent(calendar, event.id, now - 2 * DAY);
    note(cancelled, { drift: 'cancelled_booking_still_booked', category: 'cancelled_booking_still_booked', expected: 'auto_fix' });
    // The invitee declined the invitation: a cancellation for them, whatever the event's status.
    const declined = person('booked', now - 8 * DAY);
    const invitation = book(declined, soon, now - 8 * DAY);
    updateCalendarEvent(calendar, invitation.id, { attendees: [{ email: declined.email, displayName: declined.name, responseStatus: 'declined' }] }, now - DAY);
    note(declined, { drift: 'declined_booking_still_booked', category: 'cancelled_booking_still_booked', expected: 'auto_fix' });
  }

  // People whose deal agrees with their bookings, every way the calendar says so.
  for (let n = 0; n < (options.cleanRounds ?? 2); n++) {
    const ahead = () => now + (1 + Math.floor(rand() * 20)) * DAY + Math.floor(rand() * 8) * HOUR;
    const ago = () => now - (2 + Math.floor(rand() * 60)) * DAY;
    book(person('booked', now - 3 * DAY), ahead(), now - 3 * DAY);
    book(person('past_booked', now - 5 * DAY), ahead(), now - 6 * DAY);
    // Only past bookings: any stage agrees.
    book(person(pick(['booked', 'past_booked', 'lost'] as const), now - 70 * DAY), ago(), now - 70 * DAY);
    // Booked twice (once by hand, once through the booking page): still one person.
    const twice = person('booked', now - 9 * DAY);
    book(twice, ahead(), now - 9 * DAY);
    book({ ...twice, tagged: !twice.tagged }, ahead() + 7 * DAY, now - 4 * DAY);
    // Cancelled, then booked again.
    const rebooked = person('booked', now - 12 * DAY);
    cancelCalendarEvent(calendar, book(rebooked, ahead(), now - 12 * DAY).id, now - 6 * DAY);
    book(rebooked, ahead() + DAY, now - 5 * DAY);
    // Cancelled, and the deal already lost.
    const gone = person('lost', now - 4 * DAY);
    cancelCalendarEvent(calendar, book(gone, ahead(), now - 15 * DAY).id, now - 5 * DAY);
    // A booking with a guest who has no deal: the guest is a booking nobody checks.
    book(person('booked', now - 2 * DAY), ahead(), now - 2 * DAY, { guests: [`guest.${serial}@partner.example`] });
  }
  // The calendar's own meetings: no customer, no booking.
  addCalendarEvent(calendar, { summary: 'Team sync', start: now + DAY, attendees: [], createdAt: now - 30 * DAY });
}

/**
 * The HubSpot world's side: a contact and a deal in the default pipeline, and a Stripe customer of
 * the same person with no subscription that holds the deal id (`metadata.crm_id`), as one made at
 * checkout. Without it the payment-status check would report every lost booking deal as a deal
 * nobody pays for; with no subscription it has nothing to say about the deal.
 */
export function hubspotBookingCrm(state: SandboxState): BookingCrm {
  const stages: Record<StageKind, string> = {
    // The only stage of HubSpot's default pipeline the policy does not accept for a booking to come.
    not_booked: 'closedlost',
    booked: 'appointmentscheduled',
    past_booked: 'qualifiedtobuy',
    lost: 'closedlost',
  };
  return {
    addDeal({ first, last, email, stage, stageSetAt, byPerson }) {
      const created = new Date(stageSetAt - 30 * DAY).toISOString();
      const contact = addHubSpotContact(state, { email, firstname: first, lastname: last, createdAt: created });
      const dealstage = stages[stage];
      const deal = addHubSpotDeal(state, {
        properties: { dealname: `${first} ${last} intro`, pipeline: 'default', dealstage, amount: '0' },
        contactIds: [contact.id],
        createdAt: created,
        history: {
          dealstage: [{
            value: dealstage, timestamp: new Date(stageSetAt).toISOString(),
            ...(byPerson ? { sourceType: 'CRM_UI', updatedByUserId: 7001 } : { sourceType: 'INTEGRATION', sourceId: '4471' }),
          }],
        },
      });
      addStripeCustomer(state, { email, name: `${first} ${last}`, metadata: { crm_id: deal.id }, created: Math.floor((stageSetAt - 30 * DAY) / 1000) });
      return { id: deal.id, email, stage: dealstage };
    },
  };
}

/**
 * The GoHighLevel world's side: a contact and an opportunity in the Bookings pipeline, and a Stripe
 * customer with no subscription holding the opportunity id, as for HubSpot. GoHighLevel keeps no
 * history: `updatedAt` is when the stage was set, and a recent one reads as a person's edit.
 */
export function goHighLevelBookingCrm(state: SandboxState): BookingCrm {
  const { stages } = GHL_BOOKING_PIPELINE;
  const stageOf: Record<StageKind, string> = { not_booked: stages.noShow, booked: stages.booked, past_booked: stages.attended, lost: stages.noShow };
  return {
    addDeal({ first, last, email, stage, stageSetAt }) {
      const created = new Date(stageSetAt - 30 * DAY).toISOString();
      const contact = addGoHighLevelContact(state, { email, firstName: first, lastName: last, dateAdded: created });
      const pipelineStageId = stageOf[stage];
      const opportunity = addGoHighLevelOpportunity(state, {
        name: `${first} ${last} intro call`, contactId: contact.id, pipelineId: GHL_BOOKING_PIPELINE.id, pipelineStageId,
        status: stage === 'lost' ? 'lost' : 'open', monetaryValue: 0, createdAt: created, updatedAt: new Date(stageSetAt).toISOString(),
      });
      addStripeCustomer(state, { email, name: `${first} ${last}`, metadata: { crm_id: opportunity.id }, created: Math.floor((stageSetAt - 30 * DAY) / 1000) });
      return { id: opportunity.id, email, stage: pipelineStageId };
    },
  };
}
