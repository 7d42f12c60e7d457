/** What a verifier made of a request: `accepted`, or the code of what it threw. */
import { expect } from 'vitest';
import { MalformedWebhookError, WebhookVerificationError } from '../../../src/fastloop/verify/errors.ts';

export function outcome(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      expect(error.httpStatus).toBe(401);
      return error.code;
    }
    if (error instanceof MalformedWebhookError) {
      expect(error.httpStatus).toBe(400);
      return error.code;
    }
    throw error;
  }
}
