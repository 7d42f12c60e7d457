/**
 * What the webhook verifiers and the event normaliser throw. Each carries a stable code and the
 * HTTP status the endpoint answers with: 401 when the request is not proven to come from the vendor
 * (nothing is stored), 400 when it is proven but its body is not what the vendor documents.
 */
import { ReconError } from '../../domain/errors.ts';

/** A vendor that calls Recon's webhook endpoints. */
export type WebhookProvider = 'stripe' | 'hubspot' | 'gohighlevel' | 'google_calendar';

export type WebhookVerificationCode =
  /** The signature (or channel token) header is absent. */
  | 'webhook.missing_signature'
  /** A signature is present but none matches the body and the configured secrets or keys. */
  | 'webhook.bad_signature'
  /** Signed longer ago than the replay window allows. */
  | 'webhook.stale'
  /** Signed further in the future than clock skew explains. */
  | 'webhook.future'
  /** A signature or timestamp header that cannot be read. */
  | 'webhook.malformed_header'
  /** A Google Calendar notification for a channel Recon did not open (or has since closed). */
  | 'webhook.unknown_channel'
  /** A GoHighLevel event signed for another marketplace app than `GHL_APP_ID`. */
  | 'webhook.foreign_app';

/** The request is not proven to come from the vendor: answer 401 and store nothing. */
export class WebhookVerificationError extends ReconError {
  override readonly name: string = 'WebhookVerificationError';
  declare readonly code: WebhookVerificationCode;
  readonly httpStatus = 401 as const;

  constructor(readonly provider: WebhookProvider, code: WebhookVerificationCode, message: string, options: { hint?: string } = {}) {
    super(code, message, { hint: options.hint });
  }
}

/** The request is signed by the vendor but its body is not the shape the vendor documents: answer 400. */
export class MalformedWebhookError extends ReconError {
  override readonly name: string = 'MalformedWebhookError';
  declare readonly code: 'webhook.malformed';
  readonly httpStatus = 400 as const;

  constructor(readonly provider: WebhookProvider, message: string, options: { cause?: unknown } = {}) {
    super('webhook.malformed', message, { cause: options.cause });
  }
}
