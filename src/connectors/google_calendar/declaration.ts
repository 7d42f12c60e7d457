/**
 * What Google Calendar is to Recon, without the code that talks to it: its name, objects, environment,
 * limits and API version. Light to import (the environment, the policy and every command read it);
 * `index.ts` adds the connector's factory.
 */
import { z } from 'zod';
import { declareConnector } from '../definition.ts';
import type { RateLimit } from '../../util/limiter.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/**
 * Google's documented default quota per user (a service account is one) per project: 600 requests
 * a minute, over a sliding window. The project's own 10,000 a minute is shared by every user.
 */
export const GOOGLE_CALENDAR_RATE_LIMIT: RateLimit = { requests: 600, perMs: 60_000 };
export const GOOGLE_CALENDAR_PROJECT_RATE_LIMIT: RateLimit = { requests: 10_000, perMs: 60_000 };

/** Google Calendar: the bookings on one calendar, one record per person who booked. Read only. */
export const googleCalendarDeclaration = declareConnector({
  name: 'google_calendar',
  displayName: 'Google Calendar',
  role: 'calendar',
  objects: [{ name: 'bookings', singular: 'booking' }],
  writable: false,
  allFieldsFinancial: false,
  env: {
    GOOGLE_APPLICATION_CREDENTIALS: {
      schema: z.string().min(1),
      description: 'the path of the JSON key of a service account the calendar is shared with (see all event details)',
      required: true,
    },
    GOOGLE_CALENDAR_ID: {
      schema: z.string().min(1),
      description: 'the calendar whose events are the bookings, e.g. bookings@example.com or ...@group.calendar.google.com',
      required: true,
    },
    GOOGLE_API_URL: { schema: url, description: 'another root URL for calendar calls (the sandbox)' },
    GOOGLE_CALENDAR_CHANNEL_TOKEN: {
      schema: z.string().min(1).max(256),
      description: 'the token Google echoes in every push notification of the events.watch channel (X-Goog-Channel-Token)',
      secret: true,
    },
  },
  limits: [
    { ...GOOGLE_CALENDAR_RATE_LIMIT, what: 'requests per minute per user (the service account) per project' },
    { ...GOOGLE_CALENDAR_PROJECT_RATE_LIMIT, what: 'requests per minute per project, shared by every user' },
  ],
  apiVersion: 'Calendar API v3',
});
