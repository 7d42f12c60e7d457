/**
 * One webhook event, one way: the object it names is read as it is now (a payload may be stale),
 * matched to its counterpart as a cycle would (stored link, an id one holds for the other, an
 * email unique on both sides), and handed to the same rules and guards as the slow loop. Recon's
 * own writes coming back are not new work; an older event never overwrites newer state, since
 * only the current state is ever compared.
 */
import type { Check, CheckSide } from '../domain/check.ts';
import type { Policy } from '../config/policy.ts';
import type { EventOutcome, InboxEvent, StoredEvent } from '../domain/events.ts';
import type { Connector } from '../domain/ports.ts';
import type { SystemName, SystemRecord } from '../domain/records.ts';
import type { ReconStore } from '../domain/store.ts';
import { Snapshot } from '../engine/snapshot.ts';
import type { Logger } from '../log.ts';
import { ECHO_MS, resolve, runCycle, type CycleDeps } from './cycle.ts';
import { assertPolicyMatches } from './preflight.ts';
import { emptyStats } from './stats.ts';

/** The record an event is about, in the terms of a connector; or a whole calendar to sync. */
export type EventSubject =
  | { kind: 'record'; system: SystemName; object: string; id: string }
  | { kind: 'sync'; system: SystemName };

/** What an event names, from its normalised fields and the vendor's payload. Null when Recon reads nothing like it. */
export function subjectOf(event: InboxEvent): EventSubject | null {
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  switch (event.provider) {
    case 'stripe': {
      const object = ((payload.data as { object?: Record<string, unknown> } | undefined)?.object ?? {}) as { object?: string; id?: string; customer?: unknown };
      if (object.object === 'customer' && object.id) return { kind: 'record', system: 'stripe', object: 'customers', id: object.id };
      const customer = typeof object.customer === 'string' ? object.customer : (object.customer as { id?: string } | null)?.id;
      return customer ? { kind: 'record', system: 'stripe', object: 'customers', id: customer } : null;
    }
    case 'hubspot': {
      if (!event.objectId) return null;
      if (event.objectType === 'deal') return { kind: 'record', system: 'hubspot', object: 'deals', id: event.objectId };
      if (event.objectType === 'contact') return { kind: 'record', system: 'hubspot', object: 'contacts', id: event.objectId };
      return null;
    }
    case 'gohighlevel': {
      if (!event.objectId) return null;
      if (event.objectType === 'opportunity') return { kind: 'record', system: 'gohighlevel', object: 'opportunities', id: event.objectId };
      if (event.objectType === 'contact') return { kind: 'record', system: 'gohighlevel', object: 'contacts', id: event.objectId };
      return null;
    }
    case 'google_calendar':
      return { kind: 'sync', system: 'google_calendar' };
    default:
      return null;
  }
}

/** The key of what an event is about, so a worker processes several events about one record once. */
export function subjectKey(event: InboxEvent): string | null {
  const subject = subjectOf(event);
  if (!subject) return null;
  return subject.kind === 'record' ? `${subject.system}:${subject.object}:${subject.id}` : `${subject.system}:sync`;
}

/** Stripe's events about a customer's state: the customer itself, its subscriptions and invoices. */
const STRIPE_USED_PREFIXES = ['customer.', 'invoice.'];

/**
 * Whether any check of the policy reads what the event names. An event nothing reads is answered
 * 200 and counted, never stored: a vendor sends every type an endpoint subscribed to.
 */
export function eventIsUsed(policy: Policy, event: InboxEvent): boolean {
  if (event.provider === 'stripe' && !STRIPE_USED_PREFIXES.some((prefix) => event.type.startsWith(prefix))) return false;
  // Google's first message on a new channel says only that it is open.
  if (event.provider === 'google_calendar' && event.type === 'calendar.sync') return false;
  const subject = subjectOf(event);
  if (!subject) return false;
  return policy.checks.some((check) =>
    [check.source, check.target].some((side) => side.system === subject.system && (subject.kind === 'sync' || (side.object ?? subject.object) === subject.object)),
  );
}

export interface EventResult {
  outcome: EventOutcome;
  /** The systems written to, for the digest's "by source and direction". */
  wroteTo: string[];
}

const sideKey = (side: { system: string; object: string }) => `${side.system}:${side.object}`;

/**
 * Processes one stored event. Throws when a system could not be read (the worker retries with
 * backoff); a per-record write failure is in the change log and the queue, like a cycle's.
 */
export async function processEvent(deps: CycleDeps, event: StoredEvent): Promise<EventResult> {
  const subject = subjectOf(event);
  if (!subject) return { outcome: 'unused', wroteTo: [] };
  const { checks, descriptions } = await assertPolicyMatches(deps.policy, deps.connectors, deps.describe ? { describe: deps.describe } : {});
  const involved = checks.filter((c) => c.source.system === subject.system || c.target.system === subject.system);
  if (subject.kind === 'sync') {
    // A Calendar notification only says "something changed": an incremental pass of its checks finds what.
    if (involved.length === 0) return { outcome: 'unused', wroteTo: [] };
    const result = await runCycle(deps, { checks: involved.map((c) => c.name) });
    const busy = result.checks.filter((c) => c.status === 'skipped');
    // Another replica's cycle holds the check now; it may have read the calendar before this change.
    if (busy.length > 0) throw new Error(`${busy.map((c) => c.check).join(', ')}: a cycle is running on another replica; the notification is tried again after it`);
    return summarize(result.checks.map((c) => ({ written: c.autoFixed, escalated: c.escalated, found: c.discrepancies.total, unmatched: 0 })), involved.map((c) => c.target.system));
  }
  const relevant = involved.filter((c) => (c.source.system === subject.system && c.source.object === subject.object) || (c.target.system === subject.system && c.target.object === subject.object));
  if (relevant.length === 0) return { outcome: 'unused', wroteTo: [] };
  if (await isEcho(deps.store, subject, event)) return { outcome: 'echo', wroteTo: [] };

  const log = deps.logger.child({ event: `${event.provider}:${event.eventId}` });
  const tallies: Tally[] = [];
  const wroteTo = new Set<string>();
  const fieldsOf = (check: Check, side: CheckSide) => {
    const scope = descriptions.get(sideKey(side))?.fields.find((f) => f.name === side.field)?.scoped?.by;
    const highValue = check.highValue && (check.highValue.side === 'source') === (side === check.source) ? [check.highValue.field] : [];
    return [...new Set([side.field, ...(scope ? [scope] : []), ...highValue])];
  };
  // Several checks read the same records (a Stripe customer, its deal): each is read once, with
  // the fields of every check, and the checks share what was read.
  const readers = sharedReaders(deps.connectors, relevant.flatMap((check) => [check.source, check.target].map((side) => ({ side, fields: fieldsOf(check, side) }))));
  for (const check of relevant) {
    const own = check.source.system === subject.system && check.source.object === subject.object ? 'source' : 'target';
    const mine = own === 'source' ? check.source : check.target;
    const other = own === 'source' ? check.target : check.source;
    const fieldsOfSide = (side: CheckSide) => fieldsOf(check, side);
    const mineConnector = readers(mine.system);
    const otherConnector = readers(other.system);
    const [record] = await mineConnector.read(mine.object, [subject.id]);
    if (!record) {
      tallies.push({ written: 0, escalated: 0, found: 0, unmatched: 0, gone: 1 });
      continue;
    }
    const { counterparts, searched } = await counterpartsOf(deps.store, record, mine, other, otherConnector);
    // Where an email matched, the other records on this side with that email count too: an email
    // two customers share says nothing about which deal is whose.
    const sameSide = searched && record.email && mineConnector.lookup ? await mineConnector.lookup(mine.object, { email: record.email }) : [record];
    const snapshot = (side: CheckSide, records: SystemRecord[], connector: Reader) => {
      const snap = new Snapshot({ system: side.system, object: side.object, fields: fieldsOfSide(side), refSystems: [side === mine ? other.system : mine.system], urlOf: (id) => connector.recordUrl(side.object, id) });
      for (const r of records) snap.add(r);
      return snap;
    };
    const mineSnap = snapshot(mine, sameSide.some((r) => r.id === record.id) ? sameSide : [record, ...sameSide], mineConnector);
    const otherSnap = snapshot(other, counterparts, otherConnector);
    await setEntities(deps.store, mine, mineSnap);
    await setEntities(deps.store, other, otherSnap);
    const [source, target] = own === 'source' ? [mineSnap, otherSnap] : [otherSnap, mineSnap];
    const stats = emptyStats(check.name, { system: check.source.system, object: check.source.object, records: source.size }, { system: check.target.system, object: check.target.object, records: target.size }, false);
    // The guard's default limit counts from the records the check's last full pass read.
    const population = (await deps.store.lastCursors(check.name))?.lastFullRecords ?? 0;
    // Email matching only where a search gave every record holding the email on both sides.
    await resolve(deps, check, source, target, { goneSourceEntities: new Set(), goneTargetEntities: new Set() }, {
      mode: 'incremental', byEmail: searched, runId: null, origin: `event:${event.provider}:${event.eventId}`, actor: 'fast-loop',
      dryRun: false, guard: true, stats, log, population,
    });
    if (stats.autoFixed > 0) wroteTo.add(check.target.system);
    tallies.push({ written: stats.autoFixed, escalated: stats.escalated, found: stats.discrepancies.total, unmatched: counterparts.length === 0 ? 1 : 0, gone: 0 });
  }
  return summarize(tallies, [...wroteTo]);
}

interface Tally {
  written: number;
  escalated: number;
  found: number;
  unmatched: number;
  gone?: number;
}

function summarize(tallies: Tally[], wroteTo: string[]): EventResult {
  const sum = (key: keyof Tally) => tallies.reduce((n, t) => n + (t[key] ?? 0), 0);
  const outcome: EventOutcome = sum('written') > 0 ? 'written' : sum('escalated') > 0 ? 'escalated' : sum('gone') > 0 && sum('found') === 0 ? 'gone' : sum('unmatched') > 0 && sum('found') === 0 ? 'unmatched' : 'agreed';
  return { outcome, wroteTo: outcome === 'written' ? wroteTo : [] };
}

/**
 * The counterparts of a record on the other side: by stored link and by the id it holds for the
 * other system, read by id; failing both, by what the other system finds by this record's id
 * (a deal holding the Stripe customer id) or by its email (unique on both sides, checked by the engine).
 */
async function counterpartsOf(
  store: ReconStore, record: SystemRecord, mine: CheckSide, other: CheckSide, connector: Reader,
): Promise<{ counterparts: SystemRecord[]; searched: boolean }> {
  const ids = new Set((await store.linkedCounterparts(mine, [record.id], other)).get(record.id) ?? []);
  const ref = record.refs[other.system];
  if (ref) ids.add(ref);
  const byId = ids.size ? await connector.read(other.object, [...ids]) : [];
  if (byId.length > 0 || !connector.lookup) return { counterparts: byId, searched: false };
  const byRef = await connector.lookup(other.object, { ref: { system: mine.system, id: record.id } });
  if (byRef.length > 0) return { counterparts: byRef, searched: false };
  if (!record.email) return { counterparts: [], searched: false };
  return { counterparts: await connector.lookup(other.object, { email: record.email }), searched: true };
}

/** What one event reads of a system: records by id, or found by email or by the id another system holds. */
interface Reader {
  read(object: string, ids: string[]): Promise<SystemRecord[]>;
  lookup?: ((object: string, by: { email: string } | { ref: { system: SystemName; id: string } }) => Promise<SystemRecord[]>) | undefined;
  recordUrl(object: string, id: string): string | null;
}

/**
 * Readers that fetch each record (or search) once per event with the fields every check needs of
 * that object. A write in between is no hazard: a write reads its target again before it is sent.
 */
function sharedReaders(connectors: CycleDeps['connectors'], sides: { side: CheckSide; fields: string[] }[]): (system: SystemName) => Reader {
  const fields = new Map<string, Set<string>>();
  for (const { side, fields: wanted } of sides) {
    const key = sideKey(side);
    fields.set(key, new Set([...(fields.get(key) ?? []), ...wanted]));
  }
  const cache = new Map<string, Promise<SystemRecord[]>>();
  const once = (key: string, fetch: () => Promise<SystemRecord[]>) => {
    let hit = cache.get(key);
    if (!hit) {
      hit = fetch();
      cache.set(key, hit);
      // A failed read is not remembered: the worker's retry reads again.
      hit.catch(() => cache.delete(key));
    }
    return hit;
  };
  const readers = new Map<SystemName, Reader>();
  return (system) => {
    let reader = readers.get(system);
    if (reader) return reader;
    const connector = connectors[system] as Connector;
    const fieldsFor = (object: string) => [...(fields.get(`${system}:${object}`) ?? [])];
    reader = {
      read: (object, ids) => once(`${system}|${object}|read|${[...ids].sort().join(',')}`, () => connector.read(object, ids, fieldsFor(object), { withEmail: true })),
      lookup: connector.lookup
        ? (object, by) => once(`${system}|${object}|lookup|${JSON.stringify(by)}`, () => (connector.lookup as NonNullable<Connector['lookup']>).call(connector, object, by, fieldsFor(object)))
        : undefined,
      recordUrl: (object, id) => connector.recordUrl(object, id),
    };
    readers.set(system, reader);
    return reader;
  };
}

async function setEntities(store: ReconStore, side: CheckSide, snapshot: Snapshot): Promise<void> {
  const ids = Array.from({ length: snapshot.size }, (_, row) => snapshot.id(row));
  for (const [id, entity] of await store.loadLinks(side, ids)) {
    const row = snapshot.rowOfId(id);
    if (row >= 0) snapshot.setEntity(row, Number(entity));
  }
}

/** Recon's own write coming back: the change happened within moments of Recon's write to the record. */
async function isEcho(store: ReconStore, subject: Extract<EventSubject, { kind: 'record' }>, event: StoredEvent): Promise<boolean> {
  const payload = (event.payload ?? {}) as { changeSource?: unknown };
  const wrote = (await store.lastAppliedWrites(subject, [subject.id])).get(subject.id);
  if (!wrote || event.occurredAt === null) return false;
  // HubSpot says who made the change: an integration's change at the moment Recon wrote is Recon's.
  if (payload.changeSource !== undefined && payload.changeSource !== 'INTEGRATION' && payload.changeSource !== 'API') return false;
  return Math.abs(event.occurredAt - wrote.at.getTime()) <= ECHO_MS;
}

export type { Logger };
