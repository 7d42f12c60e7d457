import { z } from 'zod';
import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createGoogleCalendarConnector, GOOGLE_CALENDAR_PROJECT_RATE_LIMIT, GOOGLE_CALENDAR_RATE_LIMIT } from './adapter.ts';
import { readServiceAccountKey } from './client.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });

/** Google Calendar: the bookings on one calendar, one record per person who booked. Read only. */
export const googleCalendar = defineConnector({
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
  create({ env, crm, logger }) {
    const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS as string | undefined;
    const calendarId = env.GOOGLE_CALENDAR_ID as string | undefined;
    if (!keyFile) {
      throw new ConfigError('GOOGLE_APPLICATION_CREDENTIALS is not set: the policy reads Google Calendar (the path of a service account key file)', { code: 'config.missing_env' });
    }
    if (!calendarId) {
      throw new ConfigError('GOOGLE_CALENDAR_ID is not set: the policy reads Google Calendar (the calendar holding the bookings)', { code: 'config.missing_env' });
    }
    return createGoogleCalendarConnector({
      key: readServiceAccountKey(keyFile), calendarId, apiUrl: env.GOOGLE_API_URL as string | undefined, crmSystem: crm, logger,
    });
  },
});
