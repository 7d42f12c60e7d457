import { z } from 'zod';
import { ConfigError, describeIssues } from './errors.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });
const optionalText = z.string().min(1).optional();

export const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://user@host:port/database')
    .optional(),
  RECON_DB_DIR: z.string().min(1).default('.recon/db'),
  RECON_CONFIG: z.string().min(1).default('recon.config.yml'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'expected a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'expected an app-level token starting with xapp-').optional(),
  SLACK_API_URL: url.optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'expected a secret or restricted key such as sk_test_...')
    .optional(),
  STRIPE_WEBHOOK_SECRET: optionalText,
  STRIPE_API_URL: url.optional(),
  HUBSPOT_ACCESS_TOKEN: optionalText,
  HUBSPOT_CLIENT_SECRET: optionalText,
  HUBSPOT_API_URL: url.optional(),
  HUBSPOT_PORTAL_ID: z.coerce.number().int().positive().optional(),
  HUBSPOT_APP_ID: optionalText,
  HUBSPOT_RATE_LIMIT: z.coerce.number().int().positive().optional(),
  GHL_ACCESS_TOKEN: optionalText,
  GHL_LOCATION_ID: optionalText,
  GHL_API_URL: url.optional(),
  GOOGLE_APPLICATION_CREDENTIALS: optionalText,
  GOOGLE_CALENDAR_ID: optionalText,
  GOOGLE_API_URL: url.optional(),
});

export type Env = z.output<typeof envSchema>;

/** Validates the environment; empty strings count as unset. Never echoes a value back. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(`environment is not valid:\n${describeIssues('', result.error)}`);
  return result.data;
}
