/** GoHighLevel API v2 answer shapes and error bodies, built from sandbox records. Pure. */
import type { SandboxResponse } from './http.ts';
import type { GhlContact, GhlOpportunity, GoHighLevelState } from './gohighlevel-objects.ts';

/** Thrown inside GoHighLevel handlers; the server turns it into GoHighLevel's error body. */
export class GhlApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: string | string[],
  ) {
    super(Array.isArray(messages) ? messages.join('; ') : messages);
  }

  toResponse(): SandboxResponse {
    // As the spec's common schemas: BadRequestDTO, UnauthorizedDTO, UnprocessableDTO (a list of problems).
    const error = ERRORS[this.status];
    return { status: this.status, body: { statusCode: this.status, message: this.messages, ...(error ? { error } : {}) } };
  }
}

const ERRORS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 422: 'Unprocessable Entity' };

/** A request the API's validation refuses: 422 with one line per problem. */
export function unprocessable(...problems: string[]): GhlApiError {
  return new GhlApiError(422, problems);
}

export function badRequest(message: string): GhlApiError {
  return new GhlApiError(400, message);
}

/** Drops null and undefined values: the spec types these fields as strings, and the API leaves empty ones out. */
function present<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null && value !== undefined)) as Partial<T>;
}

/** SearchOpportunitiesResponseSchema: an opportunity with its contact embedded. */
export function opportunityView(
  ghl: GoHighLevelState, opportunity: GhlOpportunity, extras: { notes?: boolean; tasks?: boolean; calendarEvents?: boolean } = {},
): Record<string, unknown> {
  const contact = ghl.contacts.get(opportunity.contactId);
  const name = contact ? [contact.firstName, contact.lastName].filter(Boolean).join(' ') : '';
  return {
    ...present({
      id: opportunity.id, name: opportunity.name, monetaryValue: opportunity.monetaryValue, pipelineId: opportunity.pipelineId,
      pipelineStageId: opportunity.pipelineStageId, assignedTo: opportunity.assignedTo, status: opportunity.status,
      source: opportunity.source, lastStatusChangeAt: opportunity.lastStatusChangeAt, lastStageChangeAt: opportunity.lastStageChangeAt,
      createdAt: opportunity.createdAt, updatedAt: opportunity.updatedAt, contactId: opportunity.contactId,
      locationId: opportunity.locationId, lostReasonId: opportunity.lostReasonId,
    }),
    ...(contact
      ? { contact: present({ id: contact.id, name: name || null, companyName: contact.companyName, email: contact.email, phone: contact.phone, tags: contact.tags }) }
      : {}),
    customFields: opportunity.customFields.map((field) => ({ id: field.id, fieldValue: field.fieldValue })),
    followers: [],
    ...(extras.notes ? { notes: [] } : {}),
    ...(extras.tasks ? { tasks: [] } : {}),
    ...(extras.calendarEvents ? { calendarEvents: [] } : {}),
  };
}

/** ContactsSearchSchema: a contact as `GET /contacts/` lists it. */
export function contactListEntry(contact: GhlContact): Record<string, unknown> {
  return {
    ...present({
      id: contact.id, locationId: contact.locationId, email: contact.email, timezone: contact.timezone, country: contact.country,
      source: contact.source, dateAdded: contact.dateAdded, firstName: contact.firstName, lastName: contact.lastName,
      contactName: [contact.firstName, contact.lastName].filter(Boolean).join(' ').toLowerCase() || null,
      phone: contact.phone, companyName: contact.companyName, assignedTo: contact.assignedTo, dateUpdated: contact.dateUpdated,
    }),
    tags: contact.tags,
    customFields: contact.customFields.map((field) => ({ id: field.id, value: field.value })),
  };
}

/** GetContectByIdSchema (the spec's spelling): one contact. */
export function contactView(contact: GhlContact): Record<string, unknown> {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  return {
    ...present({
      id: contact.id, name: name || null, locationId: contact.locationId, firstName: contact.firstName, lastName: contact.lastName,
      email: contact.email, emailLowerCase: contact.email?.toLowerCase(), timezone: contact.timezone, companyName: contact.companyName,
      phone: contact.phone, source: contact.source, assignedTo: contact.assignedTo, country: contact.country, website: contact.website,
      dateAdded: contact.dateAdded, dateUpdated: contact.dateUpdated,
      firstNameLowerCase: contact.firstName?.toLowerCase(), lastNameLowerCase: contact.lastName?.toLowerCase(),
      fullNameLowerCase: name.toLowerCase() || null,
    }),
    dnd: contact.dnd,
    type: 'lead',
    tags: contact.tags,
    customFields: contact.customFields.map((field) => ({ id: field.id, value: field.value })),
  };
}
