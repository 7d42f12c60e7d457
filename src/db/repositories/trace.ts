/**
 * The facts of one customer's timeline (`recon trace`): which records are theirs (by the id asked
 * for, the stored links of its entity, and for an email the items and webhook payloads naming it),
 * then every row about those records. Reads only; each query uses an index on the record's id.
 */
import { sql } from 'kysely';
import { normaliseEmail } from '../../domain/records.ts';
import type { TraceFacts, TraceQuery, TracedRecord } from '../../domain/trace.ts';
import type { DbOrTx } from '../connect.ts';
import { heldOf } from './guard.ts';

interface Ref {
  system: string;
  object: string;
  id: string;
}

const keyOf = (r: Ref) => `${r.system}:${r.object}:${r.id}`;
const asRef = (side: unknown): (Ref & { email?: string | null; url?: string | null }) | null => {
  const s = side as Partial<Ref & { email: string | null; url: string | null }> | null;
  return s?.system && s.object && s.id ? { system: s.system, object: s.object, id: String(s.id), email: s.email ?? null, url: s.url ?? null } : null;
};
const date = (at: Date | string) => new Date(at);

/** The Stripe customer a Stripe event's object belongs to (its own id for a customer). */
export const STRIPE_OWNER = sql<string>`CASE WHEN payload->'data'->'object'->>'object' = 'customer' THEN payload->'data'->'object'->>'id' ELSE payload->'data'->'object'->>'customer' END`;

/** The records a subject names: by id in any table, or by email on items and webhook payloads. */
export async function subjectIds(db: DbOrTx, subject: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const email = normaliseEmail(subject);
  if (email) {
    const items = await db.selectFrom('review_items').select(['source', 'target'])
      .where((eb) => eb.or([eb(sql`lower(source->>'email')`, '=', email), eb(sql`lower(target->>'email')`, '=', email)])).execute();
    for (const item of items) for (const side of [item.source, item.target]) if (asRef(side)?.email?.toLowerCase() === email) ids.add((asRef(side) as Ref).id);
    const events = await db.selectFrom('inbox').select(['provider', 'object_id', STRIPE_OWNER.as('owner')])
      .where(sql`position(${email} in lower(payload::text))`, '>', 0).execute();
    for (const e of events) {
      if (e.provider === 'stripe' && e.owner) ids.add(e.owner);
      else if (e.object_id) ids.add(e.object_id);
    }
    return ids;
  }
  ids.add(subject);
  return ids;
}

/** Every record linked to the same customer as any of `ids`, with how each was linked. */
export async function linkedRecords(db: DbOrTx, ids: ReadonlySet<string>): Promise<{ system: string; object: string; external_id: string; matched_by: string; matched_at: Date }[]> {
  if (ids.size === 0) return [];
  const entities = db.selectFrom('links').select('entity_id').where('external_id', 'in', [...ids]);
  return db.selectFrom('links').select(['system', 'object', 'external_id', 'matched_by', 'matched_at']).where('entity_id', 'in', entities).orderBy('matched_at').execute();
}

/**
 * What Recon knows about the customer `query.subject` names, or null when it knows nothing of it.
 *
 * @example
 * const facts = await traceFacts(db, { subject: 'ada@example.com', since: new Date('2026-12-01') });
 * const timeline = facts && buildTimeline('ada@example.com', facts);
 */
export async function traceFacts(db: DbOrTx, query: TraceQuery): Promise<TraceFacts | null> {
  const subject = query.subject.trim();
  const asked = await subjectIds(db, subject);
  const links = await linkedRecords(db, asked);
  const ids = new Set([...asked, ...links.map((l) => l.external_id)]);
  if (ids.size === 0) return null;
  const idList = [...ids];
  const since = query.since;

  const items = await db.selectFrom('review_items').selectAll()
    .where((eb) => eb.or([eb(sql`source->>'id'`, 'in', idList), eb(sql`target->>'id'`, 'in', idList)]))
    .orderBy('id').execute();
  // Guard items name their records inside the held orders: few exist, so they are read and searched here.
  const guardItems = await db.selectFrom('review_items').selectAll().where('kind', '=', 'guard').execute();
  const holds: TraceFacts['holds'] = guardItems.flatMap((g) => (heldOf(g)?.orders ?? [])
    .filter((o) => ids.has(o.write.id))
    .map((o) => ({ itemId: g.id, check: g.check_name, at: date(o.heldAt ?? g.opened_at), origin: o.origin ?? null, system: o.write.system, object: o.write.object, id: o.write.id, field: o.write.field, to: o.write.to, status: g.status })))
    .filter((h) => !since || h.at >= since);

  // Records by key, with an email and a URL where an item stored one.
  const records = new Map<string, TracedRecord>();
  for (const l of links) records.set(keyOf({ system: l.system, object: l.object, id: l.external_id }), { system: l.system, object: l.object, id: l.external_id, matchedBy: l.matched_by, matchedAt: date(l.matched_at), email: null, url: null });
  for (const item of items) {
    for (const side of [item.source, item.target]) {
      const r = asRef(side);
      if (!r || !ids.has(r.id)) continue;
      const known = records.get(keyOf(r)) ?? { system: r.system, object: r.object, id: r.id, matchedBy: null, matchedAt: null, email: null, url: null };
      records.set(keyOf(r), { ...known, email: known.email ?? r.email ?? null, url: known.url ?? r.url ?? null });
    }
  }
  const keys = [...records.keys()];

  const [events, discrepancies, changes] = await Promise.all([
    db.selectFrom('inbox').select(['id', 'provider', 'event_id', 'type', 'object_type', 'object_id', 'occurred_at', 'received_at', 'status', 'outcome', 'wrote_to', 'last_error', 'attempts', 'processed_at'])
      .where((eb) => eb.or([eb('object_id', 'in', idList), eb.and([eb('provider', '=', 'stripe'), eb(STRIPE_OWNER, 'in', idList)])]))
      .$if(since !== undefined, (q) => q.where('received_at', '>=', since as Date))
      .orderBy('id').execute(),
    keys.length === 0 ? [] : db.selectFrom('discrepancies as d').innerJoin('runs as r', 'r.id', 'd.run_id')
      .select(['d.id', 'd.run_id', 'r.cycle_id', 'r.mode', 'r.dry_run', 'd.check_name', 'd.kind', 'd.category', 'd.source_key', 'd.target_key', 'd.source_value', 'd.target_value', 'd.resolution', 'd.reason', 'd.created_at'])
      .where((eb) => eb.or([eb('d.source_key', 'in', keys), eb('d.target_key', 'in', keys)]))
      .$if(since !== undefined, (q) => q.where('d.created_at', '>=', since as Date))
      .orderBy('d.id').execute(),
    db.selectFrom('changes').selectAll().where('external_id', 'in', idList)
      .$if(since !== undefined, (q) => q.where('at', '>=', since as Date))
      .orderBy('id').execute(),
  ]);

  // The events whose processing made a write: found by the write's origin, even once their payload is pruned.
  const seen = new Set(events.map((e) => e.id));
  const origins = [...new Set(changes.map((c) => c.origin).filter((o) => o.startsWith('event:')))].map((o) => {
    const rest = o.slice('event:'.length);
    const at = rest.indexOf(':');
    return { provider: rest.slice(0, at), eventId: rest.slice(at + 1) };
  });
  for (const o of origins) {
    const row = await db.selectFrom('inbox').select(['id', 'provider', 'event_id', 'type', 'object_type', 'object_id', 'occurred_at', 'received_at', 'status', 'outcome', 'wrote_to', 'last_error', 'attempts', 'processed_at'])
      .where('provider', '=', o.provider).where('event_id', '=', o.eventId).executeTakeFirst();
    if (row && !seen.has(row.id) && (!since || new Date(row.received_at) >= since)) {
      seen.add(row.id);
      events.push(row);
    }
  }

  const itemIds = [...items.map((i) => i.id), ...new Set(holds.map((h) => h.itemId))];
  const fingerprints = items.map((i) => i.fingerprint);
  const [decisions, suppressions] = await Promise.all([
    itemIds.length === 0 ? [] : db.selectFrom('decision_log').selectAll().where('review_item_id', 'in', itemIds)
      .$if(since !== undefined, (q) => q.where('at', '>=', since as Date)).orderBy('id').execute(),
    fingerprints.length === 0 ? [] : db.selectFrom('suppressions').selectAll().where('fingerprint', 'in', fingerprints)
      .$if(since !== undefined, (q) => q.where('created_at', '>=', since as Date)).orderBy('id').execute(),
  ]);

  if (records.size + events.length + discrepancies.length + changes.length + items.length + holds.length === 0) return null;
  return {
    since: since ?? null,
    records: [...records.values()],
    events: events.map((e) => ({
      id: e.id, provider: e.provider, eventId: e.event_id, type: e.type, objectType: e.object_type, objectId: e.object_id,
      occurredAt: e.occurred_at ? date(e.occurred_at) : null, receivedAt: date(e.received_at), status: e.status, outcome: e.outcome, wroteTo: e.wrote_to,
      lastError: e.last_error, attempts: Number(e.attempts), processedAt: e.processed_at ? date(e.processed_at) : null,
    })),
    discrepancies: discrepancies.map((d) => ({
      id: d.id, runId: d.run_id, cycleId: d.cycle_id, mode: d.mode, dryRun: d.dry_run, check: d.check_name, kind: d.kind, category: d.category,
      sourceKey: d.source_key, targetKey: d.target_key, sourceValue: d.source_value, targetValue: d.target_value, resolution: d.resolution, reason: d.reason, at: date(d.created_at),
    })),
    changes: changes.map((c) => ({
      id: c.id, at: date(c.at), actor: c.actor, origin: c.origin, runId: c.run_id, check: c.check_name, system: c.system, object: c.object, externalId: c.external_id,
      field: c.field, before: c.before, after: c.after, rule: c.rule, reason: c.reason, outcome: c.outcome, error: c.error,
    })),
    items: items
      .filter((i) => !since || date(i.opened_at) >= since || (i.closed_at && date(i.closed_at) >= since))
      .map((i) => ({
        id: i.id, check: i.check_name, kind: i.kind, category: i.category, reason: i.reason, status: i.status, openedAt: date(i.opened_at), openedRunId: i.opened_run_id,
        closedAt: i.closed_at ? date(i.closed_at) : null, decidedBy: i.decided_by, slack: i.slack_channel && i.slack_ts ? { channel: i.slack_channel, ts: i.slack_ts } : null,
      })),
    decisions: decisions.map((d) => ({ id: d.id, at: date(d.at), itemId: d.review_item_id, actor: d.actor, action: d.action, outcome: d.outcome })),
    suppressions: suppressions.map((s) => ({ id: s.id, at: date(s.created_at), check: s.check_name, by: s.created_by, reason: s.reason, itemId: s.review_item_id, expiresAt: s.expires_at ? date(s.expires_at) : null })),
    holds,
  };
}
