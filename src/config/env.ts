import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';
import { DECLARATIONS } from '../connectors/catalog.ts';
import { describeIssues } from './errors.ts';

const url = z.url({ message: 'expected a URL such as http://127.0.0.1:12111' });
const optionalText = z.string().min(1).optional();

/** Recon's own variables; each connector adds its own (see `src/connectors/<system>/index.ts`). */
const baseSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://user@host:port/database')
    .optional(),
  RECON_DB_DIR: z.string().min(1).default('.recon/db'),
  RECON_CONFIG: z.string().min(1).default('recon.config.yml'),
  /** The public base URL of `recon serve`, as vendors call it (webhook signatures cover the full URI). */
  RECON_PUBLIC_URL: url.optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'expected a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'expected an app-level token starting with xapp-').optional(),
  SLACK_API_URL: url.optional(),
});

/** Every variable of every connector, optional here: `buildConnectors` requires what the policy uses. */
const connectorShape = Object.fromEntries(
  DECLARATIONS.flatMap((declaration) => Object.entries(declaration.env).map(([name, variable]) => [name, variable.schema.optional()])),
);

export const envSchema = baseSchema.extend(connectorShape);

/** Recon's variables, typed; a connector's variables are read by name. */
export type Env = z.output<typeof baseSchema> & Readonly<Record<string, unknown>>;

/** Secrets of Recon itself; each connector names its own in its definition. */
export const BASE_SECRETS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'DATABASE_URL'] as const;

/** Validates the environment; empty strings count as unset. Never echoes a value back. */
export function loadEnv(source: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(`environment is not valid:\n${describeIssues('', result.error)}`, { code: 'config.env' });
  return result.data as Env;
}
