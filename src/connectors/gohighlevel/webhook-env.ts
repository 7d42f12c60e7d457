/**
 * The variables of GoHighLevel's webhooks, declared apart from the API's so the start-up check of a
 * key is the same code the webhook endpoint reads it with (`readEd25519PublicKey`).
 */
import { z } from 'zod';
import { ED25519_KEY_FORMS, readEd25519PublicKey } from '../../util/ed25519-key.ts';
import type { EnvVariable } from '../definition.ts';

const ed25519PublicKey = z.string().superRefine((value, context) => {
  try {
    readEd25519PublicKey(value);
  } catch (error) {
    const rsa = (error as { keyType?: string }).keyType === 'rsa';
    context.addIssue({
      code: 'custom',
      message: rsa
        ? `an RSA key, not GoHighLevel's Ed25519 one: since 1 July 2026 GoHighLevel signs webhooks only with X-GHL-Signature (Ed25519); put the public key from your app's settings here as ${ED25519_KEY_FORMS} (GoHighLevel's legacy RSA key is built in)`
        : `${(error as Error).message.replace(/^not a public key: expected /, "not a public key: expected GoHighLevel's Ed25519 key as ")}`,
    });
  }
});

export const GHL_WEBHOOK_ENV = {
  GHL_WEBHOOK_PUBLIC_KEY: {
    schema: ed25519PublicKey,
    description: `the Ed25519 public key of your GoHighLevel app (its settings), as ${ED25519_KEY_FORMS}: verifies X-GHL-Signature and turns /webhooks/gohighlevel on`,
  },
  GHL_WEBHOOK_ED25519_PUBLIC_KEY: {
    schema: ed25519PublicKey,
    description: 'deprecated: the former name of GHL_WEBHOOK_PUBLIC_KEY, still read when that is unset',
  },
  GHL_APP_ID: {
    schema: z.string().min(1),
    description: "your GoHighLevel marketplace app's id (the part of its client id before the dash): webhooks whose appId names another app are refused",
  },
} as const satisfies Record<string, EnvVariable>;
