import { ConfigError } from '../../domain/errors.ts';
import { defineConnector } from '../definition.ts';
import { createGoogleCalendarConnector } from './adapter.ts';
import { readServiceAccountKey } from './client.ts';
import { googleCalendarDeclaration } from './declaration.ts';

/** Google Calendar as Recon connects to it: its declaration and the factory of its connector. */
export const googleCalendar = defineConnector({
  ...googleCalendarDeclaration,
  create({ env, crm, logger, limiters }) {
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
      limiters,
    });
  },
});
