import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const SECRET_PATHS = [
  'token', 'accessToken', 'secret', 'apiKey', 'key', 'authorization', 'password',
  '*.token', '*.accessToken', '*.secret', '*.apiKey', '*.authorization', '*.password',
  'headers.authorization', 'headers["stripe-signature"]', 'headers["x-hubspot-signature-v3"]',
  'env.STRIPE_SECRET_KEY', 'env.STRIPE_WEBHOOK_SECRET', 'env.HUBSPOT_ACCESS_TOKEN',
  'env.HUBSPOT_CLIENT_SECRET', 'env.SLACK_BOT_TOKEN', 'env.SLACK_SIGNING_SECRET', 'env.SLACK_APP_TOKEN',
  'env.GHL_ACCESS_TOKEN', 'env.DATABASE_URL',
];

/** The process logger: JSON lines on stderr so stdout stays free for `--json` output. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { level, base: { app: 'recon' }, redact: { paths: SECRET_PATHS, censor: '[redacted]' } },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for tests and pure callers. */
export const silentLogger: Logger = pino({ level: 'silent' });
