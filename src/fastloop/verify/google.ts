/**
 * Google Calendar push notifications (events.watch). They carry no signature: what proves one is
 * the channel token Recon chose when it opened the channel (`X-Goog-Channel-Token`, compared in
 * constant time) and a channel id Recon opened. There is no timestamp either; `X-Goog-Message-Number`
 * grows per channel, and a notification only says "something changed", so a replay costs one
 * incremental sync and nothing else. Pure.
 */
import { WebhookVerificationError } from './errors.ts';
import { constantTimeEqual } from '../../security/signature.ts';
import { headerValue } from './request.ts';
import type { WebhookHeaders } from './request.ts';

/** `sync` is the first message of a new channel; `exists` a change; `not_exists` the resource is gone. */
export type GoogleResourceState = 'sync' | 'exists' | 'not_exists';

export interface GoogleCalendarNotificationRequest {
  headers: WebhookHeaders;
  /** `GOOGLE_CALENDAR_CHANNEL_TOKEN`, set as `token` on every channel Recon opens. */
  channelToken: string;
  /** Ids of the channels Recon opened and has not stopped. */
  openChannels: ReadonlySet<string>;
}

export interface VerifiedGoogleCalendarNotification {
  channelId: string;
  /** Opaque id of the watched resource; `channels.stop` needs it. */
  resourceId: string;
  /** e.g. `https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json`, when sent. */
  resourceUri: string | undefined;
  /** The calendar id read from `resourceUri`, when it names one. */
  calendarId: string | undefined;
  resourceState: GoogleResourceState;
  /** Grows with each message on a channel; 1 for `sync`. */
  messageNumber: number;
  /** `X-Goog-Channel-Expiration` as epoch milliseconds, when sent. */
  channelExpiresAt: number | undefined;
}

const STATES: readonly string[] = ['sync', 'exists', 'not_exists'];

/** `calendars/{calendarId}/events` of a Calendar v3 resource URI, decoded. */
export function calendarIdOf(resourceUri: string | undefined): string | undefined {
  const match = resourceUri ? /\/calendars\/([^/?#]+)\/events(?:[/?#]|$)/.exec(resourceUri) : null;
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * Throws a `WebhookVerificationError` unless the notification carries Recon's channel token and comes
 * on a channel Recon opened; returns what it says.
 */
export function verifyGoogleCalendarNotification(request: GoogleCalendarNotificationRequest): VerifiedGoogleCalendarNotification {
  if (request.channelToken === '') throw new TypeError('verifyGoogleCalendarNotification: no channel token configured');
  const token = headerValue(request.headers, 'X-Goog-Channel-Token', 'google_calendar');
  if (token === undefined) throw new WebhookVerificationError('google_calendar', 'webhook.missing_signature', 'Google Calendar notification has no X-Goog-Channel-Token header');
  if (!constantTimeEqual(token, request.channelToken)) {
    throw new WebhookVerificationError('google_calendar', 'webhook.bad_signature', 'X-Goog-Channel-Token is not the token Recon set on its channels', {
      hint: 'GOOGLE_CALENDAR_CHANNEL_TOKEN must be the token the channels were opened with; reopen them after changing it',
    });
  }
  const channelId = headerValue(request.headers, 'X-Goog-Channel-ID', 'google_calendar');
  const resourceId = headerValue(request.headers, 'X-Goog-Resource-ID', 'google_calendar');
  const state = headerValue(request.headers, 'X-Goog-Resource-State', 'google_calendar');
  const number = headerValue(request.headers, 'X-Goog-Message-Number', 'google_calendar');
  if (channelId === undefined || resourceId === undefined || state === undefined || number === undefined) {
    throw new WebhookVerificationError('google_calendar', 'webhook.malformed_header', 'Google Calendar notification lacks one of X-Goog-Channel-ID, X-Goog-Resource-ID, X-Goog-Resource-State, X-Goog-Message-Number');
  }
  if (!STATES.includes(state)) throw new WebhookVerificationError('google_calendar', 'webhook.malformed_header', `X-Goog-Resource-State "${state}" is not sync, exists or not_exists`);
  if (!/^\d{1,15}$/.test(number)) throw new WebhookVerificationError('google_calendar', 'webhook.malformed_header', 'X-Goog-Message-Number is not a whole number');
  if (!request.openChannels.has(channelId)) {
    throw new WebhookVerificationError('google_calendar', 'webhook.unknown_channel', `Google Calendar notification on channel ${channelId}, which Recon has not opened or has stopped`);
  }
  const resourceUri = headerValue(request.headers, 'X-Goog-Resource-URI', 'google_calendar');
  const expiration = headerValue(request.headers, 'X-Goog-Channel-Expiration', 'google_calendar');
  const expiresAt = expiration === undefined ? Number.NaN : Date.parse(expiration);
  return {
    channelId,
    resourceId,
    resourceUri,
    calendarId: calendarIdOf(resourceUri),
    resourceState: state as GoogleResourceState,
    messageNumber: Number(number),
    channelExpiresAt: Number.isNaN(expiresAt) ? undefined : expiresAt,
  };
}
