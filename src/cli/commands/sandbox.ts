import { ConfigError } from '../../config/errors.ts';
import { generateScenario } from '../../sandbox/generate.ts';
import { addBookings, hubspotBookingCrm } from '../../sandbox/generate-bookings.ts';
import { FAKES } from '../../sandbox/fakes.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { startWebhookSender } from '../../sandbox/webhooks.ts';
import type { WebhookSender } from '../../sandbox/webhooks.ts';
import type { CommandContext } from '../context.ts';

/** The options of `recon sandbox`, as the command line (src/cli/program.ts) parses them. */
export interface SandboxOptions {
  customers: number;
  seed: number;
  port?: number;
  driftRate?: string;
  /** false with --no-rate-limits. */
  rateLimits: boolean;
  webhooksTo?: string;
}

/** Serves a seeded sandbox until interrupted, and prints the environment that points Recon at it. */
export async function sandboxCommand(options: SandboxOptions, ctx: CommandContext): Promise<number> {
  const values = { 'drift-rate': options.driftRate, 'no-rate-limits': !options.rateLimits, 'webhooks-to': options.webhooksTo };
  const driftRate = values['drift-rate'] === undefined ? undefined : Number(values['drift-rate']);
  if (driftRate !== undefined && !(driftRate > 0 && driftRate < 0.09)) {
    throw new ConfigError(`--drift-rate: expected a share of customers per drift kind between 0 and 0.09, got "${values['drift-rate']}"`);
  }
  const { seed, customers } = options;
  const scenario = generateScenario({
    customers,
    seed,
    now: Date.now(),
    ...(driftRate === undefined ? {} : { driftRate }),
  });
  // Bookings grow with the world: one round of clean bookings (seven people) per hundred customers.
  addBookings(scenario, {
    crm: hubspotBookingCrm(scenario.state), now: Date.now(), seed,
    perKind: Math.max(1, Math.round(customers * (driftRate ?? 0.005))), cleanRounds: Math.max(2, Math.round(customers / 100)),
  });
  const sandbox = await startSandbox(scenario.state, {
    port: options.port ?? 0,
    ...(values['no-rate-limits'] ? { rateLimits: false as const } : {}),
  });
  let webhooks: WebhookSender | undefined;
  if (values['webhooks-to'] !== undefined) {
    try {
      webhooks = startWebhookSender(scenario.state, { url: values['webhooks-to'] });
    } catch (error) {
      await sandbox.close();
      throw new ConfigError(`--webhooks-to: ${(error as Error).message}`, { hint: 'give the base URL of a local recon serve, e.g. http://127.0.0.1:3000' });
    }
  }
  const env = Object.entries(sandbox.env());
  ctx.stdout.write(
    [
      `Sandbox serving ${FAKES.map((fake) => fake.describe(scenario.state)).join(', ')} (${scenario.injected.length} injected discrepancies).`,
      'Point Recon at it with:',
      ...FAKES.map((fake) => `  export ${Object.entries(fake.env(sandbox.urls[fake.system] as string, scenario.state)).map(([k, v]) => `${k}=${v}`).join(' ')}`),
      `  export ${env.filter(([k]) => k.startsWith('SLACK_')).map(([k, v]) => `${k}=${v}`).join(' ')}`,
      '  export RECON_CONFIG=examples/recon.config.hubspot.yml',
      ...(webhooks ? webhookLines(webhooks, values['webhooks-to'] ?? '') : []),
      `Change the world as a customer would: curl -X POST '${sandbox.stripeUrl}/_sandbox/drift?stripe=1&hubspot=1' (a cancellation in Stripe, a person's edit in HubSpot); what Slack would show: ${sandbox.stripeUrl}/`,
      `Rate limits: ${values['no-rate-limits'] ? 'off' : `${FAKES.map((fake) => fake.rateLimit ? `${fake.system} ${fake.rateLimit.requests} requests per ${fake.rateLimit.perMs / 1000} s` : '').filter(Boolean).join(', ')} (the documented defaults)`}.`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await webhooks?.close();
  ctx.stdout.write(`Stopped. Requests served: ${JSON.stringify(sandbox.requests())}${webhooks ? `; webhooks: ${JSON.stringify(webhooks.stats())}` : ''}\n`);
  await sandbox.close();
  return 0;
}

/** The variables that let Recon verify the sandbox's webhooks; GoHighLevel's Ed25519 key as raw base64, one line as its settings show it. */
function webhookLines(webhooks: WebhookSender, url: string): string[] {
  return [
    `Webhooks: Stripe events and HubSpot deal changes are POSTed to ${url}/webhooks/{stripe,hubspot}, signed; verify them with:`,
    ...Object.entries(webhooks.env()).map(([name, value]) => `  export ${name}=${value}`),
    '  (GHL_WEBHOOK_PUBLIC_KEY is the Ed25519 key the sandbox signs GoHighLevel webhooks with, X-GHL-Signature, as GoHighLevel does today)',
  ];
}
