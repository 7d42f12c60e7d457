/**
 * Alerts in force, one row per state (`alerts_one_in_force`), and the facts the watcher judges.
 * Starting and clearing are each one statement that only one replica wins: an insert that meets
 * the unique index does nothing, and a cleared row is returned only to the update that cleared it.
 */
import { sql } from 'kysely';
import type { AlertCondition, AlertRecord, HealthReading, Judged } from '../../domain/alerts.ts';
import { OPEN_STATUSES } from '../../domain/store.ts';
import type { DbOrTx } from '../connect.ts';
import type { Selectable } from 'kysely';
import type { AlertsTable } from '../schema.ts';
import { heldOf } from './guard.ts';

function record(row: Selectable<AlertsTable>): AlertRecord {
  return {
    id: row.id, key: row.key, kind: row.kind as AlertRecord['kind'], subject: row.subject, since: new Date(row.since), what: row.what, todo: row.todo,
    detail: (row.detail ?? {}) as Record<string, unknown>, startedAt: new Date(row.started_at), clearedAt: row.cleared_at ? new Date(row.cleared_at) : null,
    slack: row.slack_channel && row.slack_ts ? { channel: row.slack_channel, ts: row.slack_ts } : null,
  };
}

/**
 * Records the states in force: those new start (returned in `started`); those of a judged kind no
 * longer in force clear (returned in `cleared`). Call in a transaction; post what it returns.
 */
export async function syncAlerts(db: DbOrTx, active: readonly AlertCondition[], judged: readonly Judged[], now: Date): Promise<{ started: AlertRecord[]; cleared: AlertRecord[] }> {
  const started: AlertRecord[] = [];
  for (const a of active) {
    const row = await sql<Selectable<AlertsTable>>`
      INSERT INTO alerts (key, kind, subject, started_at, since, what, todo, detail)
      VALUES (${a.key}, ${a.kind}, ${a.subject}, ${now}, ${a.since}, ${a.what}, ${a.todo}, ${JSON.stringify(a.detail)})
      ON CONFLICT (key) WHERE cleared_at IS NULL DO NOTHING
      RETURNING *`.execute(db);
    if (row.rows[0]) started.push(record(row.rows[0]));
  }
  const keys = active.map((a) => a.key);
  const cleared: AlertRecord[] = [];
  for (const j of judged) {
    let query = db.updateTable('alerts').set({ cleared_at: now }).where('cleared_at', 'is', null).where('kind', '=', j.kind);
    if (j.subjects) {
      if (j.subjects.length === 0) continue;
      query = query.where('subject', 'in', [...j.subjects]);
    }
    if (keys.length) query = query.where('key', 'not in', keys);
    for (const row of await query.returningAll().execute()) cleared.push(record(row));
  }
  return { started, cleared };
}

/** Where an alert's Slack message is, once posted. */
export async function markAlertPosted(db: DbOrTx, id: string, slack: { channel: string; ts: string }): Promise<void> {
  await db.updateTable('alerts').set({ slack_channel: slack.channel, slack_ts: slack.ts }).where('id', '=', id).execute();
}

/** The alerts in force, oldest first. */
export async function alertsInForce(db: DbOrTx): Promise<AlertRecord[]> {
  return (await db.selectFrom('alerts').selectAll().where('cleared_at', 'is', null).orderBy('since').orderBy('id').execute()).map(record);
}

export type HealthFacts = Omit<HealthReading, 'now' | 'cycle' | 'webhooks'> & { eventsLast24h: Record<string, number> };

/** The standing facts every look judges, the recent runs of the checks a cycle ran, and the webhook events of the last day. */
export async function healthFacts(db: DbOrTx, checks: readonly string[], runsPerCheck: number): Promise<HealthFacts> {
  const dead = await db.selectFrom('inbox').select([sql<string>`count(*)`.as('n'), sql<Date | null>`min(received_at)`.as('oldest')]).where('status', '=', 'dead').executeTakeFirst();
  const guards = await db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').where('status', 'in', OPEN_STATUSES).orderBy('opened_at').execute();
  const recentRuns: NonNullable<HealthReading['recentRuns']> = {};
  for (const check of checks) {
    const runs = await db.selectFrom('runs').select(['status', 'started_at', 'error']).where('check_name', '=', check).where('dry_run', '=', false).where('status', '<>', 'running')
      .orderBy('id', 'desc').limit(runsPerCheck).execute();
    recentRuns[check] = runs.map((r) => ({ status: r.status, startedAt: new Date(r.started_at), error: r.error }));
  }
  const throttled = await db.selectFrom('vendor_throttles').select(['key', sql<string>`count(*)`.as('n'), sql<Date>`min(at)`.as('since')])
    .where('at', '>', new Date(Date.now() - 3_600_000)).groupBy('key').execute();
  const recent = await db.selectFrom('inbox').select(['provider', sql<string>`count(*)`.as('n')]).where('received_at', '>=', new Date(Date.now() - 86_400_000)).groupBy('provider').execute();
  return {
    eventsLast24h: Object.fromEntries(recent.map((r) => [r.provider, Number(r.n)])),
    recentRuns,
    throttled: Object.fromEntries(throttled.map((t) => [t.key, { count: Number(t.n), since: new Date(t.since) }])),
    deadLetters: { count: Number(dead?.n ?? 0), oldestAt: dead?.oldest ? new Date(dead.oldest) : null },
    guardHolding: guards
      .map((g) => ({ check: g.check_name, itemId: g.id, writes: heldOf(g)?.orders.length ?? 0, since: new Date(g.opened_at) }))
      .filter((g) => g.writes > 0),
  };
}
