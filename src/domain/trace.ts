/**
 * A customer's timeline across both loops (`recon trace`, `/recon trace`): what the store holds
 * about the records of one customer, and the pure function that puts it in time order. The store
 * gathers the facts (`src/db/repositories/trace.ts`); this file reads them. No I/O.
 */

/** Who asked: an email, or an id of any system (Stripe customer, CRM record, calendar booking). */
export interface TraceQuery {
  subject: string;
  /** Only what happened from then on. */
  since?: Date | undefined;
  /** At most this many entries, the newest. */
  limit?: number | undefined;
}

export interface TracedRecord {
  system: string;
  object: string;
  id: string;
  /** How the record was linked to the customer, when a link is stored. */
  matchedBy: string | null;
  matchedAt: Date | null;
  email: string | null;
  url: string | null;
}

/** The rows the store found about one customer's records; each list already filtered by `since`. */
export interface TraceFacts {
  /** The span asked for: links made before it are listed as records, not as steps. */
  since: Date | null;
  records: TracedRecord[];
  events: { id: string; provider: string; eventId: string; type: string; objectType: string | null; objectId: string | null; occurredAt: Date | null; receivedAt: Date; status: string; outcome: string | null; wroteTo: string | null; lastError: string | null; attempts: number; processedAt: Date | null }[];
  discrepancies: { id: string; runId: string; cycleId: string; mode: string; dryRun: boolean; check: string; kind: string; category: string; sourceKey: string | null; targetKey: string | null; sourceValue: unknown; targetValue: unknown; resolution: string; reason: string | null; at: Date }[];
  changes: { id: string; at: Date; actor: string; origin: string; runId: string | null; check: string | null; system: string; object: string; externalId: string; field: string; before: unknown; after: unknown; rule: string | null; reason: string | null; outcome: string; error: string | null }[];
  items: { id: string; check: string; kind: string; category: string; reason: string; status: string; openedAt: Date; openedRunId: string | null; closedAt: Date | null; decidedBy: string | null; slack: { channel: string; ts: string } | null }[];
  decisions: { id: string; at: Date; itemId: string; actor: string; action: string; outcome: string }[];
  suppressions: { id: string; at: Date; check: string; by: string; reason: string | null; itemId: string | null; expiresAt: Date | null }[];
  /** Writes of these records a blast-radius guard held (from its items' held orders). */
  holds: { itemId: string; check: string; at: Date; origin: string | null; system: string; object: string; id: string; field: string; to: unknown; status: string }[];
}

export type TimelineKind = 'linked' | 'event' | 'cycle' | 'write' | 'opened' | 'decision' | 'closed' | 'suppressed' | 'held';

/** One step in a customer's story. Times are ISO 8601 in UTC, so the CLI and `recon serve` print the same JSON. */
export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  /** Who: `Recon`, `fast-loop`, `auto`, a Slack user id, or the system that sent an event. */
  actor: string;
  /** One line a person reads. */
  summary: string;
  /** The review item the step belongs to, if any. */
  itemId: string | null;
  /** Where to open what the step is about (a record in its system), when known. */
  url: string | null;
  /** The row behind the step, for `--json` readers. */
  ref: string;
}

export interface Timeline {
  subject: string;
  records: { system: string; object: string; id: string; matchedBy: string | null; email: string | null; url: string | null }[];
  entries: TimelineEntry[];
  /** Entries left out by the limit (the oldest). */
  omitted: number;
}

const iso = (at: Date) => at.toISOString();
const shown = (value: unknown): string => (value === null || value === undefined ? '(empty)' : typeof value === 'string' ? value : JSON.stringify(value));
const MATCHED_WORDS: Record<string, string> = { link: 'a stored link', shared_id: 'a shared id stored in the other system', email: 'an email unique on both sides', person: 'a person’s pick' };
const recordWords = (r: { system: string; object: string; id: string }) => `${r.system} ${r.object.replace(/s$/, '')} ${r.id}`;

/** The order of steps logged at one moment: what came in, what was found, what was written, who decided. */
const KIND_ORDER: readonly TimelineKind[] = ['linked', 'event', 'cycle', 'held', 'opened', 'decision', 'write', 'suppressed', 'closed'];

/**
 * The facts in time order, one entry each. Steps at the same moment keep the order in which
 * Recon takes them (an event before its write, a decision before the write it makes).
 */
export function buildTimeline(subject: string, facts: TraceFacts, limit = Number.POSITIVE_INFINITY): Timeline {
  const urls = new Map(facts.records.filter((r) => r.url).map((r) => [`${r.system}:${r.object}:${r.id}`, r.url]));
  const urlOf = (system: string, object: string, id: string) => urls.get(`${system}:${object}:${id}`) ?? null;
  const urlOfKey = (key: string | null) => (key ? (urls.get(key) ?? null) : null);
  const entries: TimelineEntry[] = [];

  for (const r of facts.records) {
    if (!r.matchedBy || !r.matchedAt || (facts.since && r.matchedAt < facts.since)) continue;
    entries.push({ at: iso(r.matchedAt), kind: 'linked', actor: 'Recon', summary: `${recordWords(r)} linked by ${MATCHED_WORDS[r.matchedBy] ?? r.matchedBy}`, itemId: null, url: r.url, ref: `link:${r.system}:${r.object}:${r.id}` });
  }
  for (const e of facts.events) {
    const what = e.status === 'dead' ? `dead letter after ${e.attempts} attempts${e.lastError ? `: ${e.lastError}` : ''}`
      : e.status === 'done' ? `${e.outcome ?? 'processed'}${e.wroteTo ? ` (wrote to ${e.wroteTo})` : ''}` : `${e.status}${e.lastError ? `: ${e.lastError}` : ''}`;
    entries.push({
      at: iso(e.receivedAt), kind: 'event', actor: e.provider,
      summary: `webhook ${e.type}${e.objectId ? ` about ${e.objectType ?? 'object'} ${e.objectId}` : ''}${e.occurredAt ? ` (changed ${iso(e.occurredAt)})` : ''}: ${what}`,
      itemId: null, url: null, ref: `event:${e.provider}:${e.eventId}`,
    });
  }
  for (const d of facts.discrepancies) {
    const decided = d.resolution === 'auto_fix' ? `auto-fix by ${d.reason ?? 'rule'}` : d.resolution === 'escalate' ? `escalated (${d.reason ?? 'for a person'})` : d.resolution;
    entries.push({
      at: iso(d.at), kind: 'cycle', actor: 'Recon',
      summary: `${d.dryRun ? 'dry-run ' : ''}${d.mode} cycle ${d.cycleId} (run ${d.runId}, ${d.check}) found ${d.category.replace(/_/g, ' ')}: source says ${shown(d.sourceValue)}, target says ${shown(d.targetValue)}; ${decided}`,
      itemId: null, url: urlOfKey(d.targetKey) ?? urlOfKey(d.sourceKey), ref: `discrepancy:${d.id}`,
    });
  }
  for (const c of facts.changes) {
    const by = c.origin.startsWith('decision:') ? `decision on item ${c.origin.slice('decision:'.length)}` : c.rule ? `rule ${c.rule}` : c.origin;
    entries.push({
      at: iso(c.at), kind: 'write', actor: c.actor,
      summary: `${recordWords({ system: c.system, object: c.object, id: c.externalId })} ${c.field}: ${shown(c.before)} → ${shown(c.after)} (${by}): ${c.outcome}${c.error ? `: ${c.error}` : ''}`,
      itemId: c.origin.startsWith('decision:') ? c.origin.slice('decision:'.length) : null, url: urlOf(c.system, c.object, c.externalId), ref: `change:${c.id}`,
    });
  }
  for (const i of facts.items) {
    entries.push({
      at: iso(i.openedAt), kind: 'opened', actor: 'Recon',
      summary: `review item ${i.id} opened${i.openedRunId ? ` by run ${i.openedRunId}` : ' by the fast loop'}: ${i.category.replace(/_/g, ' ')} (${i.reason.replace(/_/g, ' ')})`,
      itemId: i.id, url: null, ref: `item:${i.id}`,
    });
    if (i.closedAt) {
      entries.push({ at: iso(i.closedAt), kind: 'closed', actor: i.decidedBy ?? 'Recon', summary: `review item ${i.id} closed: ${i.status.replace(/_/g, ' ')}`, itemId: i.id, url: null, ref: `item:${i.id}:closed` });
    }
  }
  for (const d of facts.decisions) {
    entries.push({ at: iso(d.at), kind: 'decision', actor: d.actor, summary: `${d.action} on item ${d.itemId}: ${d.outcome.replace(/_/g, ' ')}`, itemId: d.itemId, url: null, ref: `decision:${d.id}` });
  }
  for (const s of facts.suppressions) {
    entries.push({
      at: iso(s.at), kind: 'suppressed', actor: s.by,
      summary: `ignored${s.expiresAt ? ` until ${iso(s.expiresAt)}` : ' while the values stay as they are'}${s.reason ? `: ${s.reason}` : ''}`,
      itemId: s.itemId, url: null, ref: `suppression:${s.id}`,
    });
  }
  for (const h of facts.holds) {
    entries.push({
      at: iso(h.at), kind: 'held', actor: h.origin?.startsWith('event:') ? 'fast-loop' : 'Recon',
      summary: `guard of ${h.check} held ${recordWords(h)} ${h.field} → ${shown(h.to)} (item ${h.itemId}, ${h.status.replace(/_/g, ' ')})`,
      itemId: h.itemId, url: urlOf(h.system, h.object, h.id), ref: `held:${h.itemId}:${h.system}:${h.object}:${h.id}:${h.field}`,
    });
  }

  const order = (a: TimelineEntry, b: TimelineEntry) => a.at.localeCompare(b.at) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.ref.localeCompare(b.ref, 'en', { numeric: true });
  entries.sort(order);
  const kept = entries.length > limit ? entries.slice(entries.length - limit) : entries;
  return {
    subject,
    records: facts.records.map((r) => ({ system: r.system, object: r.object, id: r.id, matchedBy: r.matchedBy, email: r.email, url: r.url })),
    entries: kept,
    omitted: entries.length - kept.length,
  };
}
