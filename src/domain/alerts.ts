/**
 * Recon's own health as alerts: which states are in force, judged from what a cycle or a look at
 * the database showed. Pure: the store keeps which alerts are in force (`ReconStore.syncAlerts`),
 * so each state is announced once when it starts and once when it clears, whichever replica sees it.
 */

export const ALERT_KINDS = ['credentials', 'check_failing', 'dead_letters', 'guard_holding', 'stale_cursor', 'fast_loop_missing', 'webhooks_silent', 'schema_drift', 'throttled'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A state in force: what is wrong, since when, and what to do. */
export interface AlertCondition {
  /** `kind:subject`: one alert per key at a time. */
  key: string;
  kind: AlertKind;
  /** The system, check or queue it is about. */
  subject: string;
  /** When the state began, as far as the facts say. */
  since: Date;
  what: string;
  todo: string;
  detail: Record<string, unknown>;
}

/** An alert as the store keeps it. */
export interface AlertRecord extends AlertCondition {
  id: string;
  startedAt: Date;
  clearedAt: Date | null;
  slack: { channel: string; ts: string } | null;
}

/** Which states a look could judge: alerts of these kinds (and, when given, only these subjects) not found in force are cleared. */
export interface Judged {
  kind: AlertKind;
  subjects?: readonly string[];
}

export interface AlertThresholds {
  /** A check failing this many cycles in a row (default 2). */
  failingCycles: number;
  /** Dead letters in the inbox from this many (default 1). */
  deadLetters: number;
  /** The share of a cycle's discrepancies that the fast loop should have handled, above which it alerts (default 0.25). */
  missedShare: number;
  /** ...counted only from this many discrepancies of the source system in the cycle (default 10). */
  missedMinimum: number;
  /** 429s from one vendor budget in the last hour from this many (default 10). */
  throttledPerHour: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = { failingCycles: 2, deadLetters: 1, missedShare: 0.25, missedMinimum: 10, throttledPerHour: 10 };

/** How a cycle ended, as the watcher is told. */
export type CycleEnding =
  | { ok: true; checks: { check: string; status: string; errors: string[]; cursorExpired?: boolean; sourceSystem?: string; found?: number; missedByFastLoop?: number }[] }
  /** The whole cycle stopped: refused credentials or a missing scope (`status` 401 or 403) name their system. */
  | { ok: false; error: string; hint?: string | undefined; system?: string | undefined; status?: number | null | undefined; code?: string | undefined };

/** What the watcher read: a cycle's ending (when one just ended), and the database's standing facts. */
export interface HealthReading {
  now: Date;
  cycle?: CycleEnding;
  /** Per check that ran in the cycle: its last runs' statuses, newest first, with when each started. */
  recentRuns?: Record<string, { status: string; startedAt: Date; error: string | null }[]>;
  deadLetters: { count: number; oldestAt: Date | null };
  guardHolding: { check: string; itemId: string; writes: number; since: Date }[];
  /** 429s per vendor budget (`vendor:credential digest:limit`) in the last hour, and the first of them. */
  throttled?: Record<string, { count: number; since: Date }>;
  /** Systems whose webhook endpoint is on, and the events received from each in the last 24 h. */
  webhooks?: { on: readonly string[]; last24h: Record<string, number> };
}

const TITLES: Record<string, string> = {
  credentials: 'credentials refused',
  check_failing: 'a check keeps failing',
  dead_letters: 'webhook events left undone',
  guard_holding: 'the guard holds writes',
  stale_cursor: 'a cycle had to read everything',
  fast_loop_missing: 'webhooks miss changes',
  webhooks_silent: 'no webhook arrives',
  schema_drift: 'the systems no longer match the policy',
  throttled: 'a vendor throttles Recon',
};

/** "credentials refused (stripe)": an alert's name for people. */
export function alertTitle(alert: { kind: string; subject: string }): string {
  return `${TITLES[alert.kind] ?? alert.kind.replace(/_/g, ' ')} (${alert.subject})`;
}

const SYSTEM_WORDS: Record<string, string> = { stripe: 'Stripe', hubspot: 'HubSpot', gohighlevel: 'GoHighLevel', google_calendar: 'Google Calendar', slack: 'Slack' };
const systemWords = (system: string) => SYSTEM_WORDS[system] ?? system;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function condition(kind: AlertKind, subject: string, since: Date, what: string, todo: string, detail: Record<string, unknown> = {}): AlertCondition {
  return { key: `${kind}:${subject}`, kind, subject, since, what, todo, detail };
}

/**
 * The states in force and the kinds this reading could judge. A cycle that stopped on refused
 * credentials judges only the credentials (its checks did not run); one that ran judges every check
 * it ran; the standing facts (dead letters, guard holds) are judged by every reading.
 */
export function judgeHealth(reading: HealthReading, thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS): { active: AlertCondition[]; judged: Judged[] } {
  const active: AlertCondition[] = [];
  const judged: Judged[] = [{ kind: 'dead_letters' }, { kind: 'guard_holding' }, ...(reading.throttled ? [{ kind: 'throttled' as const }] : [])];
  const { now, cycle } = reading;

  if (cycle && !cycle.ok) {
    if ((cycle.status === 401 || cycle.status === 403) && cycle.system) {
      const refused = cycle.status === 401 ? 'refuses Recon’s credentials (HTTP 401: wrong or revoked)' : 'refuses Recon a permission or scope it needs (HTTP 403)';
      active.push(condition('credentials', cycle.system, now,
        `${systemWords(cycle.system)} ${refused}: no cycle can run. ${cycle.error}`,
        cycle.hint ?? `set valid ${systemWords(cycle.system)} credentials and run \`recon doctor\``,
        { status: cycle.status }));
      judged.push({ kind: 'credentials' });
    }
    // A field a check reads or writes was removed, renamed or lost a value the map names: every cycle stops before it reads.
    if (cycle.code === 'policy.mismatch') {
      active.push(condition('schema_drift', 'policy', now,
        `A field or value the policy names is gone from its system, so every cycle stops before it reads: ${cycle.error}`,
        'run `recon doctor` to list each mismatch, then fix the policy (its map, field or pipeline) or the field in the system',
        {}));
      judged.push({ kind: 'schema_drift' });
    }
  }
  if (cycle?.ok) {
    // The policy matched the systems, or the cycle would have stopped.
    judged.push({ kind: 'schema_drift' });
    // Every system answered this cycle, or its checks would have stopped it.
    judged.push({ kind: 'credentials' });
    const ran = cycle.checks.filter((c) => c.status !== 'skipped');
    judged.push({ kind: 'check_failing', subjects: ran.map((c) => c.check) }, { kind: 'stale_cursor', subjects: ran.map((c) => c.check) });
    for (const check of ran) {
      const runs = (reading.recentRuns?.[check.check] ?? []).slice(0, thresholds.failingCycles);
      if (check.status === 'failed' && runs.length >= thresholds.failingCycles && runs.every((r) => r.status === 'failed')) {
        const first = runs.at(-1) as { startedAt: Date };
        active.push(condition('check_failing', check.check, first.startedAt,
          `Check ${check.check} failed its last ${plural(runs.length, 'cycle')}: ${runs[0]?.error ?? check.errors[0] ?? 'see the log'}`,
          `run \`recon run --check ${check.check}\` to see the error, fix its cause (a field, a system, the policy); \`recon doctor\` checks the setup`,
          { cycles: runs.length }));
      }
      if (check.cursorExpired) {
        active.push(condition('stale_cursor', check.check, now,
          `Check ${check.check} had to read everything: its cursor was too old or refused by the system (Stripe keeps 30 days of events), so cycles are slower and cost more calls`,
          'nothing, if cycles run on schedule again; if they do not, look at why they stopped (`recon status`)'));
      }
    }
    // The fast loop's share of the drift, per source system whose webhooks are on.
    const on = new Set(reading.webhooks?.on ?? []);
    const bySystem = new Map<string, { found: number; missed: number; checks: string[] }>();
    for (const check of ran) {
      if (!check.sourceSystem || !on.has(check.sourceSystem)) continue;
      const s = bySystem.get(check.sourceSystem) ?? { found: 0, missed: 0, checks: [] };
      s.found += check.found ?? 0;
      s.missed += check.missedByFastLoop ?? 0;
      s.checks.push(check.check);
      bySystem.set(check.sourceSystem, s);
    }
    judged.push({ kind: 'fast_loop_missing', subjects: [...bySystem.keys()] }, { kind: 'webhooks_silent', subjects: [...bySystem.keys()] });
    for (const [system, s] of bySystem) {
      const received = reading.webhooks?.last24h[system] ?? 0;
      if (s.missed > 0 && received === 0) {
        active.push(condition('webhooks_silent', system, now,
          `${systemWords(system)}'s webhook endpoint is on but no event arrived in 24 h, while the cycle found ${plural(s.missed, 'change')} of ${systemWords(system)} a webhook should have brought`,
          `check the webhook subscription in ${systemWords(system)} (its URL, that it is enabled, its secret) and that it reaches recon serve; the cycles repair meanwhile`,
          { missed: s.missed }));
      } else if (s.found >= thresholds.missedMinimum && s.missed / s.found > thresholds.missedShare) {
        active.push(condition('fast_loop_missing', system, now,
          `The cycle found ${s.missed} of ${s.found} discrepancies of ${systemWords(system)} (${Math.round((s.missed / s.found) * 100)}%) that its webhooks should have fixed first: events are being lost`,
          `compare ${systemWords(system)}'s webhook delivery log with \`recon trace\` of a missed record; look for refused signatures in recon serve's log`,
          { found: s.found, missed: s.missed }));
      }
    }
  }

  const { deadLetters } = reading;
  if (deadLetters.count >= thresholds.deadLetters) {
    active.push(condition('dead_letters', 'inbox', deadLetters.oldestAt ?? now,
      `${plural(deadLetters.count, 'webhook event')} failed every attempt and ${deadLetters.count === 1 ? 'waits' : 'wait'} in the inbox as dead letters: their changes were not applied by the fast loop`,
      'see why with `recon trace` on an id they name (or the log), fix the cause, then `/recon retry` puts them back; the next cycle repairs what they missed',
      { count: deadLetters.count }));
  }
  for (const [budget, t] of Object.entries(reading.throttled ?? {})) {
    if (t.count < thresholds.throttledPerHour) continue;
    const system = budget.split(':')[0] ?? budget;
    active.push(condition('throttled', budget, t.since,
      `${systemWords(system)} answered ${plural(t.count, '429')} (too many requests) in the last hour on budget ${budget}: cycles slow down and people wait`,
      `see who else uses this ${systemWords(system)} account's limit (other apps, scripts), or lower ${system === 'hubspot' ? 'HUBSPOT_RATE_LIMIT' : 'the load'}; with several replicas, check they share one DATABASE_URL (\`recon doctor\`)`,
      { count: t.count }));
  }
  for (const g of reading.guardHolding) {
    active.push(condition('guard_holding', g.check, g.since,
      `The blast-radius guard of check ${g.check} holds ${plural(g.writes, 'write')}: nothing more of this check is written on its own until a person decides`,
      `review item ${g.itemId} (\`recon show ${g.itemId}\`): Release writes them, Ignore drops them`,
      { itemId: g.itemId, writes: g.writes }));
  }
  return { active, judged };
}
