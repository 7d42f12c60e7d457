import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const SECRET_PATHS = [
  'token', 'accessToken', 'secret', 'apiKey', 'key', 'authorization', 'password',
  '*.token', '*.accessToken', '*.secret', '*.apiKey', '*.authorization', '*.password',
  'headers.authorization', 'headers["stripe-signature"]', 'headers["x-hubspot-signature-v3"]',
  'headers["x-slack-signature"]', 'headers["x-goog-channel-token"]',
  // Recon's own variables; each connector's secrets are added by name (`createLogger`'s `secretEnv`).
  'env.SLACK_BOT_TOKEN', 'env.SLACK_SIGNING_SECRET', 'env.SLACK_APP_TOKEN', 'env.DATABASE_URL',
];

export interface LoggerOptions {
  /** Environment variables whose values are redacted wherever an `env` object is logged: the connectors' secrets. */
  secretEnv?: readonly string[];
  /** Where the lines go. Default stderr, so stdout stays free for `--json` output. */
  destination?: NodeJS.WritableStream;
}

/** The process logger: JSON lines on stderr so stdout stays free for `--json` output. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const paths = [...new Set([...SECRET_PATHS, ...(options.secretEnv ?? []).map((name) => `env.${name}`)])];
  return pino(
    { level, base: { app: 'recon' }, redact: { paths, censor: '[redacted]' } },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for tests and pure callers. */
export const silentLogger: Logger = pino({ level: 'silent' });
