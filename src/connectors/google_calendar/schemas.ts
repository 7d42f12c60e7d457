import { z } from 'zod';

/**
 * Raw Google Calendar objects, as far as Recon reads them (calendar v3, the `Event` and `Events`
 * schemas of the discovery document). Loose objects: every other field passes through untouched.
 *
 * Statuses are plain strings: a value Google adds later must not fail the whole read. Almost every
 * field is optional because Google says so: a deleted event read by an incremental sync "is only
 * guaranteed to have the id field populated".
 */

const eventDateTime = z.looseObject({
  /** `yyyy-mm-dd`, for an all-day event. */
  date: z.string().optional(),
  /** RFC 3339 with an offset (or with `timeZone`). */
  dateTime: z.string().optional(),
  timeZone: z.string().optional(),
});

const person = z.looseObject({
  email: z.string().optional(),
  displayName: z.string().optional(),
  self: z.boolean().optional(),
});

export const googleAttendeeSchema = z.looseObject({
  email: z.string().optional(),
  displayName: z.string().optional(),
  organizer: z.boolean().optional(),
  self: z.boolean().optional(),
  resource: z.boolean().optional(),
  optional: z.boolean().optional(),
  /** needsAction, declined, tentative, accepted. */
  responseStatus: z.string().optional(),
});
export type GoogleAttendee = z.output<typeof googleAttendeeSchema>;

export const googleEventSchema = z.looseObject({
  id: z.string(),
  kind: z.string().optional(),
  /** confirmed, tentative, cancelled. */
  status: z.string().optional(),
  htmlLink: z.string().optional(),
  created: z.string().optional(),
  updated: z.string().optional(),
  summary: z.string().optional(),
  start: eventDateTime.optional(),
  end: eventDateTime.optional(),
  organizer: person.optional(),
  creator: person.optional(),
  attendees: z.array(googleAttendeeSchema).optional(),
  recurringEventId: z.string().optional(),
  extendedProperties: z
    .looseObject({
      private: z.record(z.string(), z.string()).optional(),
      shared: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});
export type GoogleEvent = z.output<typeof googleEventSchema>;

/** A page of `events.list`; its items are parsed one by one so that an error names the event. */
export const googleEventsPageSchema = z.looseObject({
  kind: z.string().optional(),
  items: z.array(z.unknown()).optional(),
  nextPageToken: z.string().optional(),
  nextSyncToken: z.string().optional(),
  timeZone: z.string().optional(),
});

/** What `events.watch` answers: the notification channel. */
export const googleChannelSchema = z.looseObject({
  kind: z.string().optional(),
  id: z.string(),
  resourceId: z.string(),
  resourceUri: z.string().optional(),
  token: z.string().optional(),
  /** Unix time in milliseconds, as a string. */
  expiration: z.string().optional(),
});
export type GoogleChannel = z.output<typeof googleChannelSchema>;

/** Google's error body: `{ error: { code, message, errors: [{ domain, reason, message }], status? } }`. */
export const googleErrorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    errors: z.array(z.looseObject({ domain: z.string().optional(), reason: z.string().optional(), message: z.string().optional() })).optional(),
  }),
});

/** What the OAuth token endpoint answers when it refuses: `{ error: 'invalid_grant', error_description }`. */
export const googleTokenErrorSchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});

/**
 * A service account key file as the Cloud console downloads it. Recon reads the account, its key and
 * `token_uri`, where the key is exchanged for an access token.
 */
export const serviceAccountKeySchema = z.looseObject({
  type: z.literal('service_account', { message: 'expected "type": "service_account" (a service account key, not an OAuth client or user credential)' }),
  project_id: z.string().optional(),
  private_key_id: z.string().optional(),
  private_key: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key' }),
  client_email: z.string().includes('@', { message: 'expected the service account email' }),
  token_uri: z.url().optional(),
});
export type ServiceAccountKey = z.output<typeof serviceAccountKeySchema>;

/** What the client needs of a key: the account, its private key, and where to exchange it. */
export interface ServiceAccountCredentials {
  client_email: string;
  private_key: string;
  private_key_id?: string | undefined;
  token_uri?: string | undefined;
}
