import { describe, expect, it } from 'vitest';
import { calendarIdOf, verifyGoogleCalendarNotification } from '../../../src/fastloop/verify/google.ts';
import { outcome } from './outcome.ts';

const TOKEN = 'test-channel-token-7f3a';
const CHANNEL = '01234567-89ab-cdef-0123-456789abcdef';

/** Headers as Google sends them for a change to the events of ops@example.com. */
function headers(change: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    'x-goog-channel-id': CHANNEL,
    'x-goog-channel-token': TOKEN,
    'x-goog-channel-expiration': 'Tue, 19 Nov 2024 01:13:52 GMT',
    'x-goog-resource-id': 'ret08u3rv24htgh289g',
    'x-goog-resource-uri': 'https://www.googleapis.com/calendar/v3/calendars/ops%40example.com/events?alt=json',
    'x-goog-resource-state': 'exists',
    'x-goog-message-number': '10',
    ...change,
  };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const verifyWith = (h: Record<string, string>, openChannels: ReadonlySet<string> = new Set([CHANNEL])) =>
  verifyGoogleCalendarNotification({ headers: h, channelToken: TOKEN, openChannels });

describe('verifyGoogleCalendarNotification', () => {
  it('accepts a notification with the channel token on a channel Recon opened', () => {
    expect(outcome(() => verifyWith(headers()))).toBe('accepted');
  });

  it('returns the channel, the resource, the calendar, the state and the message number', () => {
    expect(verifyWith(headers())).toEqual({
      channelId: CHANNEL, resourceId: 'ret08u3rv24htgh289g', resourceUri: 'https://www.googleapis.com/calendar/v3/calendars/ops%40example.com/events?alt=json',
      calendarId: 'ops@example.com', resourceState: 'exists', messageNumber: 10, channelExpiresAt: Date.parse('2024-11-19T01:13:52Z'),
    });
  });

  it('tells the first message of a channel (sync) from a change', () => {
    expect(verifyWith(headers({ 'x-goog-resource-state': 'sync', 'x-goog-message-number': '1' })).resourceState).toBe('sync');
  });

  it('reads a notification that the resource is gone', () => {
    expect(verifyWith(headers({ 'x-goog-resource-state': 'not_exists' })).resourceState).toBe('not_exists');
  });

  it('rejects a notification with another token', () => {
    expect(outcome(() => verifyWith(headers({ 'x-goog-channel-token': 'test-channel-token-0000' })))).toBe('webhook.bad_signature');
  });

  it('rejects a notification without a token', () => {
    expect(outcome(() => verifyWith(headers({ 'x-goog-channel-token': undefined })))).toBe('webhook.missing_signature');
  });

  it('rejects a notification on a channel Recon did not open', () => {
    expect(outcome(() => verifyWith(headers(), new Set(['another-channel'])))).toBe('webhook.unknown_channel');
  });

  it('rejects a notification without a channel id', () => {
    expect(outcome(() => verifyWith(headers({ 'x-goog-channel-id': undefined })))).toBe('webhook.malformed_header');
  });

  it('rejects a resource state Google does not send', () => {
    expect(outcome(() => verifyWith(headers({ 'x-goog-resource-state': 'update' })))).toBe('webhook.malformed_header');
  });

  it('rejects a message number that is not a whole number', () => {
    expect(outcome(() => verifyWith(headers({ 'x-goog-message-number': 'ten' })))).toBe('webhook.malformed_header');
  });
});

describe('calendarIdOf', () => {
  it('reads the calendar id from an events resource URI', () => {
    expect(calendarIdOf('https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json')).toBe('primary');
  });

  it('has nothing to say of a URI that names no calendar', () => {
    expect(calendarIdOf('https://www.googleapis.com/calendar/v3/users/me/calendarList')).toBeUndefined();
  });
});
