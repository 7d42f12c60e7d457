import { ConfigError } from '../../config/errors.ts';
import { loadPolicy } from '../../config/load-policy.ts';
import { resolveCheck } from '../../engine/check.ts';
import { buildConnectors, openMigratedDatabase } from '../../main.ts';
import { parseCommandArgs } from '../args.ts';
import type { CommandContext } from '../context.ts';

/** Validates policy and environment, then checks the database and each connection. Exit 1 when one fails. */
export async function doctorCommand(args: string[], ctx: CommandContext): Promise<number> {
  parseCommandArgs('doctor', args, {});
  const say = (ok: boolean, what: string) => ctx.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${what}\n`);
  say(true, 'environment is valid');
  const policy = await loadPolicy(ctx.env.RECON_CONFIG);
  say(true, `policy ${ctx.env.RECON_CONFIG}: ${policy.checks.length} checks (${policy.checks.map((c) => c.name).join(', ')})`);
  let failures = 0;
  try {
    const database = await openMigratedDatabase(ctx.env, ctx.logger);
    say(true, `database ${database.describe} reachable and migrated`);
    await database.close();
  } catch (error) {
    failures++;
    say(false, `database: ${(error as Error).message}`);
  }
  let connectors;
  try {
    connectors = buildConnectors(ctx.env, policy, ctx.logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      say(false, error.message);
      return 2;
    }
    throw error;
  }
  for (const connector of Object.values(connectors)) {
    const health = await connector.health();
    if (!health.ok) failures++;
    say(health.ok, `${health.system}: ${health.detail}`);
  }
  // The policy's map must only write values the target knows.
  for (const check of policy.checks.map((c) => resolveCheck(c))) {
    if (!check.map) continue;
    const vocabulary = await connectors[check.target.system]?.vocabulary(check.target.object, check.target.field).catch(() => null);
    if (!vocabulary) continue;
    const known = new Set(vocabulary.values.map((v) => v.value));
    const unknown = [...check.map.values()].flatMap((e) => [e.write, ...e.accept]).filter((v) => !known.has(v));
    if (unknown.length) failures++;
    say(unknown.length === 0, `check ${check.name}: map values ${unknown.length ? `not known to ${check.target.system} ${check.target.field}: ${[...new Set(unknown)].join(', ')}` : `all known to ${check.target.system} ${check.target.field}`}`);
  }
  return failures ? 1 : 0;
}
