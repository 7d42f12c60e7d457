/** Stripe's error bodies: `{ error: { type, code?, message, param?, doc_url? } }`. */
import type { SandboxResponse } from './http.ts';

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

/** Thrown inside Stripe handlers; the server turns it into Stripe's error response. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: StripeErrorType,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }

  toResponse(): SandboxResponse {
    const error: Record<string, string> = { type: this.type, message: this.message };
    if (this.code) {
      error.code = this.code;
      error.doc_url = `https://stripe.com/docs/error-codes/${this.code.replaceAll('_', '-')}`;
    }
    if (this.param) error.param = this.param;
    return { status: this.status, body: { error } };
  }
}

export const stripeErrors = {
  missingKey: () => new StripeApiError(401, 'invalid_request_error',
    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."),
  invalidKey: (key: string) => new StripeApiError(401, 'invalid_request_error',
    `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`),
  rateLimited: () => new StripeApiError(429, 'invalid_request_error',
    'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.', 'rate_limit'),
  serverError: (status: number) => new StripeApiError(status, 'api_error',
    'Sorry, something went wrong. We have already been notified of the problem, but please contact support@stripe.com with any questions you may have.'),
  unrecognizedUrl: (method: string, path: string) => new StripeApiError(404, 'invalid_request_error',
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`),
  noSuch: (object: string, id: string, param = 'id') => new StripeApiError(404, 'invalid_request_error',
    `No such ${object}: '${id}'`, 'resource_missing', param),
  invalidInteger: (param: string, value: string) => new StripeApiError(400, 'invalid_request_error',
    `Invalid integer: ${value}`, 'parameter_invalid_integer', param),
  outOfRange: (param: string, value: number, min: number, max: number) => new StripeApiError(400, 'invalid_request_error',
    value < min
      ? `This value must be greater than or equal to ${min}.`
      : `This value must be less than or equal to ${max} (it currently is '${value}').`,
    'parameter_invalid_integer', param),
  unknownParameter: (param: string) => new StripeApiError(400, 'invalid_request_error',
    `Received unknown parameter: ${param}`, 'parameter_unknown', param),
  invalidValue: (param: string, message: string) => new StripeApiError(400, 'invalid_request_error', message, undefined, param),
  cursorConflict: () => new StripeApiError(400, 'invalid_request_error',
    'You may only specify one of these parameters: ending_before, starting_after.'),
  notExpandable: (path: string, hint?: string) => new StripeApiError(400, 'invalid_request_error',
    `This property cannot be expanded (${path}).${hint ? ` You may want to try expanding '${hint}' instead.` : ''}`),
  tooDeep: () => new StripeApiError(400, 'invalid_request_error', 'You cannot expand more than 4 levels of a property.'),
  idempotencyMismatch: (key: string) => new StripeApiError(400, 'idempotency_error',
    `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`),
  idempotencyInFlight: () => new StripeApiError(409, 'idempotency_error',
    'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): please try again later.'),
};
