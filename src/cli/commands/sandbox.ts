import { ConfigError } from '../../config/errors.ts';
import { generateScenario } from '../../sandbox/generate.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { parseCommandArgs, positiveInteger } from '../args.ts';
import type { CommandContext } from '../context.ts';

/** Serves a seeded sandbox until interrupted, and prints the environment that points Recon at it. */
export async function sandboxCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs('sandbox', args, {
    customers: { type: 'string' },
    seed: { type: 'string' },
    port: { type: 'string' },
    'drift-rate': { type: 'string' },
    'no-rate-limits': { type: 'boolean', default: false },
  });
  const driftRate = values['drift-rate'] === undefined ? undefined : Number(values['drift-rate']);
  if (driftRate !== undefined && !(driftRate > 0 && driftRate < 0.09)) {
    throw new ConfigError(`--drift-rate: expected a share of customers per drift kind between 0 and 0.09, got "${values['drift-rate']}"`);
  }
  const scenario = generateScenario({
    customers: positiveInteger('customers', values.customers, 200),
    seed: positiveInteger('seed', values.seed, 42),
    now: Date.now(),
    ...(driftRate === undefined ? {} : { driftRate }),
  });
  const sandbox = await startSandbox(scenario.state, {
    port: values.port ? positiveInteger('port', values.port, 0) : 0,
    ...(values['no-rate-limits'] ? { rateLimits: false as const } : {}),
  });
  ctx.stdout.write(
    [
      `Sandbox serving ${scenario.state.stripe.customers.size} Stripe customers and ${scenario.state.hubspot.deals.size} HubSpot deals (${scenario.injected.length} injected discrepancies).`,
      'Point Recon at it with:',
      `  export STRIPE_SECRET_KEY=sk_test_sandbox STRIPE_API_URL=${sandbox.stripeUrl}`,
      `  export HUBSPOT_ACCESS_TOKEN=pat-sandbox HUBSPOT_API_URL=${sandbox.hubspotUrl} HUBSPOT_PORTAL_ID=${scenario.state.hubspot.portalId} HUBSPOT_APP_ID=${scenario.state.hubspot.appId}`,
      `  export SLACK_BOT_TOKEN=xoxb-test-sandbox SLACK_SIGNING_SECRET=sandbox-signing-secret SLACK_API_URL=${sandbox.slackUrl}`,
      '  export RECON_CONFIG=examples/recon.config.hubspot.yml',
      `Rate limits: ${values['no-rate-limits'] ? 'off' : 'Stripe 25 requests/s, HubSpot 100 requests/10 s (the documented defaults)'}.`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  ctx.stdout.write(`Stopped. Requests served: ${JSON.stringify(sandbox.requests())}\n`);
  await sandbox.close();
  return 0;
}
