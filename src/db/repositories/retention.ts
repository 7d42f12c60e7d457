/**
 * History kept only as long as it helps. Processed webhook payloads (names, emails, amounts) go
 * after `days`; runs, discrepancies, closed items, old inbox rows and bookkeeping after
 * `historyDays`. The change log and the decision log stay: their rows hold ids and values. A run
 * a kept row points to, and each check's latest runs (its cursors), stay too.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { normaliseEmail } from '../../domain/records.ts';
import { OPEN_STATUSES } from '../../domain/store.ts';
import type { DbOrTx } from '../connect.ts';
import { linkedRecords, STRIPE_OWNER, subjectIds } from './trace.ts';

export interface Retention {
  /** Days a processed webhook payload is kept. */
  days: number;
  /** Days runs, discrepancies, closed items and processed inbox rows are kept. */
  historyDays: number;
}

export const DEFAULT_RETENTION: Retention = { days: 30, historyDays: 180 };

export interface Pruned {
  payloads: number;
  inboxRows: number;
  discrepancies: number;
  items: number;
  runs: number;
  bookkeeping: number;
}

const DAY = 86_400_000;
const PRUNED_PAYLOAD = JSON.stringify({ pruned: true });

/** One pass of pruning as of `now`. Each statement stands alone: a pass cut short is finished by the next. */
export async function prune(db: DbOrTx, retention: Retention, now: Date): Promise<Pruned> {
  const payloadsBefore = new Date(now.getTime() - retention.days * DAY);
  const historyBefore = new Date(now.getTime() - retention.historyDays * DAY);
  const count = (r: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined) => Number(r?.numUpdatedRows ?? r?.numDeletedRows ?? 0);

  const payloads = await db.updateTable('inbox').set({ payload: PRUNED_PAYLOAD, payload_pruned_at: now })
    .where('status', '=', 'done').where('processed_at', '<', payloadsBefore).where('payload_pruned_at', 'is', null).executeTakeFirst();
  const inboxRows = await db.deleteFrom('inbox').where('status', '=', 'done').where('processed_at', '<', historyBefore).executeTakeFirst();
  const discrepancies = await db.deleteFrom('discrepancies').where('created_at', '<', historyBefore).executeTakeFirst();

  // Closed items: gone, unless a decision or an Ignore names them (the decision log stays); those lose their records.
  const named = sql`(EXISTS (SELECT 1 FROM decision_log d WHERE d.review_item_id = review_items.id) OR EXISTS (SELECT 1 FROM suppressions s WHERE s.review_item_id = review_items.id))`;
  const items = await db.deleteFrom('review_items')
    .where('status', 'not in', OPEN_STATUSES).where('closed_at', '<', historyBefore).where(sql<boolean>`NOT ${named}`).executeTakeFirst();
  await db.updateTable('review_items').set({ source: 'null', target: 'null', suggestion: 'null' })
    .where('status', 'not in', OPEN_STATUSES).where('closed_at', '<', historyBefore).where(sql<boolean>`${named}`).where('source', 'is not', null).execute();

  const runs = await sql`
    DELETE FROM runs r
     WHERE r.finished_at < ${historyBefore}
       AND r.id NOT IN (SELECT max(id) FROM runs GROUP BY check_name)
       AND r.id NOT IN (SELECT max(id) FROM runs WHERE mode = 'full' AND status IN ('succeeded', 'partial') AND dry_run = false GROUP BY check_name)
       AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.run_id = r.id)
       AND NOT EXISTS (SELECT 1 FROM discrepancies d WHERE d.run_id = r.id)
       AND NOT EXISTS (SELECT 1 FROM write_intents w WHERE w.run_id = r.id)
       AND NOT EXISTS (SELECT 1 FROM review_items i WHERE i.opened_run_id = r.id OR i.last_seen_run_id = r.id)`.execute(db);

  let bookkeeping = 0;
  bookkeeping += count(await db.deleteFrom('guard_spend').where('at', '<', historyBefore).executeTakeFirst());
  bookkeeping += count(await db.deleteFrom('schedule_slots').where('claimed_at', '<', historyBefore).executeTakeFirst());
  bookkeeping += count(await db.deleteFrom('inbox_dropped').where('day', '<', historyBefore.toISOString().slice(0, 10)).executeTakeFirst());
  bookkeeping += count(await db.deleteFrom('alerts').where('cleared_at', '<', historyBefore).executeTakeFirst());
  bookkeeping += count(await db.deleteFrom('write_intents').where('settled_at', '<', historyBefore).executeTakeFirst());

  return {
    payloads: count(payloads), inboxRows: count(inboxRows), discrepancies: count(discrepancies), items: count(items),
    runs: Number(runs.numAffectedRows ?? 0), bookkeeping,
  };
}

export interface Forgotten {
  /** The records of the person (`system:object:id`), kept as ids. */
  records: string[];
  removed: { payloads: number; items: number; decisions: number; suppressions: number; discrepancies: number };
}

const FORGOTTEN = '[forgotten]';
/** Keys whose values are a person's data wherever they appear in stored JSON. */
const PERSONAL_KEYS = new Set(['email', 'name', 'firstname', 'lastname', 'first_name', 'last_name', 'fullname', 'full_name', 'phone', 'address', 'dealname', 'contactname', 'displayname', 'summary', 'description']);

/** A JSON value with every personal key blanked and every mention of the emails replaced. */
function scrub(value: unknown, emails: readonly string[]): unknown {
  if (typeof value === 'string') return emails.reduce((text, email) => text.replace(new RegExp(escapeRegExp(email), 'gi'), FORGOTTEN), value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, emails));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, PERSONAL_KEYS.has(k.toLowerCase()) && (typeof v === 'string' || v === null) ? null : scrub(v, emails)]));
  }
  return value;
}
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mentions = (value: unknown, emails: readonly string[]) => {
  const text = JSON.stringify(value ?? null).toLowerCase();
  return emails.some((e) => text.includes(e));
};

/**
 * Removes a person's data (emails, names, webhook payloads) from Recon's tables, keeping the ids
 * and the fact that writes happened, and logs it (`forget_log`, with a hash of the subject). The
 * change log holds ids and field values, not personal data, and stays as it is.
 */
export async function forget(db: DbOrTx, subject: string, actor: string | null, now: Date): Promise<Forgotten | null> {
  const asked = await subjectIds(db, subject.trim());
  const links = await linkedRecords(db, asked);
  const ids = [...new Set([...asked, ...links.map((l) => l.external_id)])];
  const items = ids.length === 0 ? [] : await db.selectFrom('review_items').selectAll()
    .where((eb) => eb.or([eb(sql`source->>'id'`, 'in', ids), eb(sql`target->>'id'`, 'in', ids)])).execute();
  const emails = new Set<string>();
  const email = normaliseEmail(subject);
  if (email) emails.add(email);
  for (const item of items) {
    for (const side of [item.source, item.target] as ({ id?: string; email?: string | null } | null)[]) {
      const e = normaliseEmail(side?.email);
      if (side?.id && ids.includes(side.id) && e) emails.add(e);
    }
  }
  const emailList = [...emails];
  if (ids.length === 0 && emailList.length === 0) return null;
  const records = new Set([...links.map((l) => `${l.system}:${l.object}:${l.external_id}`)]);
  for (const item of items) for (const side of [item.source, item.target] as ({ system?: string; object?: string; id?: string } | null)[]) if (side?.id && ids.includes(side.id)) records.add(`${side.system}:${side.object}:${side.id}`);

  // Webhook payloads about the records or naming the person.
  const mentionsAny = (column: ReturnType<typeof sql>) => emailList.length
    ? sql<boolean>`(${sql.join(emailList.map((e) => sql`position(${e} in lower(${column}::text)) > 0`), sql` OR `)})`
    : sql<boolean>`false`;
  const payloads = await db.updateTable('inbox').set({ payload: JSON.stringify({ forgotten: true }), payload_pruned_at: now })
    .where((eb) => eb.or([
      ...(ids.length ? [eb('object_id', 'in', ids), eb.and([eb('provider', '=', 'stripe'), eb(STRIPE_OWNER, 'in', ids)])] : []),
      eb(mentionsAny(sql.ref('payload')), '=', true),
    ]))
    .executeTakeFirst();
  if (emailList.length) {
    await db.updateTable('inbox').set({ last_error: FORGOTTEN }).where(mentionsAny(sql.ref('last_error'))).execute();
  }

  // Items about the records, or mentioning the person anywhere (an ambiguous match lists candidates).
  const mentioning = emailList.length
    ? await db.selectFrom('review_items').selectAll().where(sql<boolean>`${mentionsAny(sql`review_items`)}`).execute()
    : [];
  const touched = new Map([...items, ...mentioning].map((i) => [i.id, i]));
  for (const item of touched.values()) {
    await db.updateTable('review_items').set({
      source: JSON.stringify(scrub(item.source, emailList)), target: JSON.stringify(scrub(item.target, emailList)),
      suggestion: JSON.stringify(scrub(item.suggestion, emailList)), decision: JSON.stringify(scrub(item.decision, emailList)),
      reason: scrub(item.reason, emailList) as string, entity_key: scrub(item.entity_key, emailList) as string,
    }).where('id', '=', item.id).execute();
  }
  let decisions = 0;
  if (touched.size) {
    for (const d of await db.selectFrom('decision_log').select(['id', 'detail']).where('review_item_id', 'in', [...touched.keys()]).execute()) {
      if (!mentions(d.detail, emailList)) continue;
      await db.updateTable('decision_log').set({ detail: JSON.stringify(scrub(d.detail, emailList)) }).where('id', '=', d.id).execute();
      decisions++;
    }
  }
  let suppressions = 0;
  let discrepancies = 0;
  if (emailList.length) {
    for (const s of await db.selectFrom('suppressions').select(['id', 'reason']).where(mentionsAny(sql`suppressions`)).execute()) {
      await db.updateTable('suppressions').set({ reason: scrub(s.reason, emailList) as string | null }).where('id', '=', s.id).execute();
      suppressions++;
    }
    for (const d of await db.selectFrom('discrepancies').select(['id', 'entity_key', 'source_value', 'target_value']).where(mentionsAny(sql`discrepancies`)).execute()) {
      await db.updateTable('discrepancies').set({
        entity_key: scrub(d.entity_key, emailList) as string, source_value: JSON.stringify(scrub(d.source_value, emailList)), target_value: JSON.stringify(scrub(d.target_value, emailList)),
      }).where('id', '=', d.id).execute();
      discrepancies++;
    }
  }

  const forgotten: Forgotten = {
    records: [...records].sort(),
    removed: { payloads: Number(payloads.numUpdatedRows ?? 0), items: touched.size, decisions, suppressions, discrepancies },
  };
  if (forgotten.records.length === 0 && Object.values(forgotten.removed).every((n) => n === 0)) return null;
  await db.insertInto('forget_log').values({
    at: now, actor, subject_hash: createHash('sha256').update(subject.trim().toLowerCase()).digest('hex'),
    records: JSON.stringify(forgotten.records), removed: JSON.stringify(forgotten.removed),
  }).execute();
  return forgotten;
}

/** Each of Recon's tables with its rows and its size on disk (indexes included), largest first. */
export async function tableSizes(db: DbOrTx): Promise<{ table: string; rows: number; bytes: number }[]> {
  const tables = await sql<{ table: string; bytes: string }>`
    SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = current_schema()
     ORDER BY pg_total_relation_size(c.oid) DESC, c.relname`.execute(db);
  const out: { table: string; rows: number; bytes: number }[] = [];
  for (const t of tables.rows) {
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(t.table)}`.execute(db);
    out.push({ table: t.table, rows: Number(rows.rows[0]?.n ?? 0), bytes: Number(t.bytes) });
  }
  return out;
}
