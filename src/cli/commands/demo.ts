import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadEnv } from '../../config/env.ts';
import { loadPolicy } from '../../config/load-policy.ts';
import { changesOfRuns } from '../../db/repositories/changes.ts';
import { itemsOpenedInRuns } from '../../db/repositories/review-items.ts';
import { financialFields } from '../../config/checks.ts';
import { createDecisions } from '../../decisions/service.ts';
import { runCycle, type CycleResult } from '../../reconcile/cycle.ts';
import { buildConnectors, openMigratedDatabase, storeFor } from '../../main.ts';
import { ConfigError } from '../../config/errors.ts';
import { connectorDefinition, displayName } from '../../connectors/registry.ts';
import { generateScenario, type Scenario, type ScenarioOptions } from '../../sandbox/generate.ts';
import { generateGoHighLevelScenario } from '../../sandbox/generate-gohighlevel.ts';
import { GHL_STRIPE_ID_FIELD } from '../../sandbox/gohighlevel-objects.ts';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.ts';
import type { SandboxState } from '../../sandbox/state.ts';
import { addBookings, goHighLevelBookingCrm, hubspotBookingCrm } from '../../sandbox/generate-bookings.ts';
import { googleCalendarEnv } from '../../sandbox/google-calendar-auth.ts';
import { verify, type FoundDiscrepancy, type Verdict } from '../../sandbox/verify.ts';
import type { CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { renderChanges, renderEscalation, renderExceptions, renderSummary, type Labels } from '../render.ts';
import { renderTable } from '../table.ts';
import { WebClient } from '@slack/web-api';
import { packageRoot } from '../../util/package-root.ts';
import { slackLogger } from '../../slack/app.ts';
import { SLACK_RETRIES, webClientPort } from '../../slack/port.ts';
import { postEscalations } from '../../slack/posting.ts';

const EXAMPLES = join(packageRoot(import.meta.url), 'examples');
export const EXAMPLE_POLICY = resolve(EXAMPLES, 'recon.config.hubspot.yml');

/** Each CRM the demo can show: its seeded world, its example policy, and the variables that point Recon at the sandbox's fake. */
const DEMO_CRMS: Record<string, {
  scenario: (options: ScenarioOptions) => Scenario;
  policy: string;
  env: (sandbox: RunningSandbox, state: SandboxState) => Record<string, string>;
  /** Adds bookings to the calendar when the CRM's example policy has a booking check. */
  bookings?: (scenario: Scenario, seed: number) => void;
}> = {
  hubspot: {
    scenario: generateScenario,
    policy: EXAMPLE_POLICY,
    env: (sandbox, state) => ({
      HUBSPOT_ACCESS_TOKEN: 'pat-demo-recon', HUBSPOT_API_URL: sandbox.hubspotUrl,
      HUBSPOT_PORTAL_ID: String(state.hubspot.portalId), HUBSPOT_APP_ID: String(state.hubspot.appId),
    }),
    bookings: (scenario, seed) => addBookings(scenario, { crm: hubspotBookingCrm(scenario.state), now: Date.now(), seed }),
  },
  gohighlevel: {
    scenario: generateGoHighLevelScenario,
    policy: resolve(EXAMPLES, 'recon.config.gohighlevel.yml'),
    env: (sandbox, state) => ({
      GHL_ACCESS_TOKEN: 'pit-demo-recon-0000-0000', GHL_API_URL: sandbox.urls.gohighlevel as string,
      GHL_LOCATION_ID: state.gohighlevel.locationId, GHL_STRIPE_ID_FIELD,
    }),
    bookings: (scenario, seed) => addBookings(scenario, { crm: goHighLevelBookingCrm(scenario.state), now: Date.now(), seed }),
  },
};

/**
 * The whole product with no account and no server: a seeded sandbox Stripe, CRM (HubSpot, or
 * GoHighLevel with `--crm gohighlevel`) and, with HubSpot, a Google Calendar of bookings, with
 * known drift, the CRM's example policy, a fresh embedded database, one cycle, then a second to
 * show that nothing is written twice.
 */
export interface DemoOptions {
  crm: string;
  customers: number;
  seed: number;
  json?: boolean;
}

export async function demoCommand(options: DemoOptions, ctx: CommandContext): Promise<number> {
  const { customers, seed, crm } = options;
  const demo = DEMO_CRMS[crm];
  if (!demo) throw new ConfigError(`--crm: expected one of ${Object.keys(DEMO_CRMS).join(', ')}, got "${crm}"`);
  const scenario = demo.scenario({ customers, seed, now: Date.now() });
  demo.bookings?.(scenario, seed);
  const sandbox = await startSandbox(scenario.state);
  const dbDir = resolve(ctx.env.RECON_DB_DIR, '..', 'demo-db');
  await rm(dbDir, { recursive: true, force: true });
  // A throwaway service account key for the sandbox's Google, made now and removed at the end
  // (or when the process exits early, e.g. its output piped into `head`).
  const keyDir = await mkdtemp(join(tmpdir(), 'recon-demo-google-'));
  process.once('exit', () => rmSync(keyDir, { recursive: true, force: true }));
  const env = loadEnv({
    ...googleCalendarEnv(scenario.state.calendar, { dir: keyDir, baseUrl: sandbox.urls.google_calendar as string }),
    RECON_DB_DIR: dbDir,
    LOG_LEVEL: process.env.LOG_LEVEL ? ctx.env.LOG_LEVEL : 'warn',
    STRIPE_SECRET_KEY: 'sk_test_recon_demo',
    STRIPE_API_URL: sandbox.stripeUrl,
    ...demo.env(sandbox, scenario.state),
  });
  const policy = await loadPolicy(demo.policy);
  const logger = ctx.logger.child({}, { level: env.LOG_LEVEL });
  const database = await openMigratedDatabase(env, logger);
  const out = (text: string) => ctx.stdout.write(`${text}\n`);
  try {
    const connectors = buildConnectors(env, policy, logger);
    const store = storeFor(database);
    const decisions = createDecisions({ store, connectors, policy, logger, directory: { membersOf: async () => [] } });
    const progress = createProgress(ctx.stderr, { json: options.json });
    const first = await runCycle({ store, connectors, policy, logger, progress: progress.onPage }, { full: true });
    progress.done();
    const runIds = first.checks.flatMap((c) => (c.runId ? [c.runId] : []));
    const changes = await changesOfRuns(database.db, runIds);
    const items = await itemsOpenedInRuns(database.db, runIds);
    const rows = await database.db.selectFrom('discrepancies').selectAll().where('run_id', 'in', runIds).execute();
    const found: FoundDiscrepancy[] = rows.map((r) => ({
      check: r.check_name, kind: r.kind, category: r.category, sourceKey: r.source_key, targetKey: r.target_key, resolution: r.resolution, reason: r.reason,
    }));
    // What `recon serve` would post: the same code, against the sandbox's Slack.
    const slack = webClientPort(new WebClient('xoxb-test-demo', { slackApiUrl: sandbox.slackUrl, retryConfig: SLACK_RETRIES, logger: slackLogger(logger.child({ component: 'slack' })) }), { pacePerChannel: true, logger });
    const posting = await postEscalations(
      { db: database.db, slack, channel: policy.slack?.reviewChannel ?? 'C0REVIEW', vocabularies: await decisions.vocabularies(), logger },
      first.checks.map((c) => ({ name: c.check, found: c.discrepancies.total, autoFixed: c.autoFixed, escalated: c.escalated })),
    );
    const writesAfterFirst = scenario.state.writes.length;
    const second = await runCycle({ store, connectors, policy, logger }, { full: true });
    const secondWrites = scenario.state.writes.length - writesAfterFirst;
    const verdict = verify(scenario.injected, found, scenario.state.writes, financialFields(policy.checks));
    const labels = vocabularyLabels(await decisions.vocabularies());

    if (options.json) {
      out(JSON.stringify({
        sandbox: { customers, seed, crm, calendarEvents: scenario.state.calendar.events.size, requests: sandbox.requests() },
        slack: { ...posting, messages: [...sandbox.slack.messages.values()].map((m) => ({ channel: m.channel, ts: m.ts, text: m.text })) },
        cycle: first,
        changes,
        escalations: items.filter((i) => i.presentation === 'message'),
        exceptions: items.filter((i) => i.presentation === 'exceptions'),
        injected: countBy(verdict.byCategory, 'injected'),
        found: countBy(verdict.byCategory, 'found'),
        verdict: { ...verdict, financialWrites: verdict.financialWrites.length },
        secondCycle: { writes: secondWrites, discrepancies: second.checks.reduce((n, c) => n + c.discrepancies.total, 0), changes: changeCount(second) },
      }, null, 2));
    } else {
      const records = connectorDefinition(crm)?.objects[0]?.name ?? 'records';
      const bookings = scenario.state.calendar.events.size ? ` and a Google Calendar of ${scenario.state.calendar.events.size} booking events` : '';
      out(`Recon demo: ${customers} Stripe customers, their ${displayName(crm)} ${records}${bookings} in a local sandbox (seed ${seed}), embedded database at ${dbDir}\n`);
      out(renderSummary(first));
      out(`\nChange log (${changes.length} rows):`);
      out(renderChanges(changes, labels));
      const messages = items.filter((i) => i.presentation === 'message');
      out(`\nEscalations as they would read in Slack (${messages.length}):\n`);
      out(messages.map((item) => renderEscalation(item, labels)).join('\n\n'));
      out(`\n${renderExceptions(items.filter((i) => i.presentation === 'exceptions'))}`);
      out(
        `\nPosted to the sandbox's Slack (#${policy.slack?.reviewChannel ?? 'C0REVIEW'}) as \`recon serve\` would: ${posting.posted} escalations one by one` +
          `${posting.summarized ? `, ${posting.summarized} more in one summary` : ''}${posting.exceptions ? `, ${posting.exceptions} unmatched records in one exceptions report` : ''}.`,
      );
      out(`\n${renderVerdict(verdict)}`);
      out(`\nSecond cycle on the same sandbox: ${secondWrites} writes, ${changeCount(second)} change-log rows, ${second.checks.reduce((n, c) => n + c.escalated, 0)} escalations still open and not posted again.`);
    }
    return verdict.ok && secondWrites === 0 ? 0 : 1;
  } finally {
    await database.close();
    await sandbox.close();
    await rm(keyDir, { recursive: true, force: true });
  }
}

function changeCount(result: CycleResult): number {
  return result.checks.reduce((n, c) => n + c.autoFixed + c.noop + c.stale + c.failed, 0);
}


function countBy(rows: Verdict['byCategory'], key: 'injected' | 'found'): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const row of rows) (out[row.check] ??= {})[row.category] = row[key];
  return out;
}

/** Value → label over every vocabulary (stage ids → their names), for the printed change log. */
function vocabularyLabels(vocabularies: Awaited<ReturnType<ReturnType<typeof createDecisions>['vocabularies']>>): Labels {
  const labels = new Map<string, string>();
  for (const values of vocabularies.values()) for (const v of values) if (!labels.has(v.value)) labels.set(v.value, v.label);
  return labels;
}

function renderVerdict(verdict: Verdict): string {
  const lines = ['Injected against found:'];
  lines.push(renderTable(['check', 'category', 'injected', 'found'], verdict.byCategory.map((r) => [r.check, r.category, r.injected, r.found])));
  lines.push(
    `\n${verdict.matched} of ${verdict.injected} injected discrepancies found with the expected kind, category and resolution; ` +
      `${verdict.unexpected.length} found that were not injected; ${verdict.financialWrites.length} writes to a financial field.`,
  );
  for (const m of verdict.missed) lines.push(`  missed: ${m.drift} (${m.check}) ${m.sourceId ?? ''} ${m.targetId ?? ''}`);
  for (const w of verdict.wrong) lines.push(`  wrong: ${w.injected.drift} expected ${w.injected.category} → ${w.injected.expected}, got ${w.found.category} → ${w.found.resolution}${w.found.reason ? `:${w.found.reason}` : ''}`);
  for (const u of verdict.unexpected) lines.push(`  unexpected: ${u.check} ${u.kind} ${u.sourceKey ?? ''} ${u.targetKey ?? ''}`);
  lines.push(verdict.ok ? 'Every injected discrepancy was found and handled as the policy says.' : 'MISMATCH: see above.');
  return lines.join('\n');
}
