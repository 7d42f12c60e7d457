/**
 * What the read-only commands print with `--json`, read from the database: the same objects
 * whether the CLI reads the database itself or asks `recon serve` for them (see read-api.ts).
 * Every moment is an ISO 8601 string in UTC, so both ways give the same JSON.
 */
import { latestChanges } from '../db/repositories/changes.ts';
import { latestDecisions } from '../db/repositories/decision-log.ts';
import { throttlesLastHour } from '../db/repositories/budget.ts';
import { heldOf, openGuardItems } from '../db/repositories/guard.ts';
import { openItemsPage, queueFigures, reviewItem } from '../db/repositories/review-items.ts';
import { latestRunPerCheck } from '../db/repositories/runs.ts';
import { traceFacts } from '../db/repositories/trace.ts';
import { alertsInForce } from '../db/repositories/alerts.ts';
import { timeToConsistency, type ConsistencyByLoop } from '../db/repositories/consistency.ts';
import { alertTitle } from '../domain/alerts.ts';
import { buildTimeline, type Timeline } from '../domain/trace.ts';
import type { Db } from '../db/connect.ts';
import type { Change, DecisionLogEntry, ReviewItem } from '../db/schema.ts';
import { isoTime } from './time.ts';

export interface RecordRef {
  system: string;
  object: string;
  id: string;
}

/** A record as the item stored it when raised: the checked field's value, and where to open it. */
export interface StoredRecord extends RecordRef {
  field: string;
  value: unknown;
  email: string | null;
  url: string | null;
}

export interface StatusReport {
  database: string;
  runs: {
    check: string;
    runId: string;
    status: string;
    mode: string;
    dryRun: boolean;
    startedAt: string;
    finishedAt: string | null;
    found: number;
    autoFixed: number;
    wouldWrite: number;
    escalated: number;
    failed: number;
    error: string | null;
  }[];
  queue: { open: number; byCategory: Record<string, number>; oldest: { id: string; check: string; category: string; openedAt: string } | null };
  /** Writes the blast-radius guard holds for a person, per check (only checks holding some). */
  held: Record<string, { itemId: string; writes: number }>;
  /** 429s the vendors answered in the last hour, per budget (`vendor:credential digest:limit`). */
  throttledLastHour: Record<string, number>;
  /** Recon's health alerts in force, oldest first. */
  alerts: { key: string; title: string; since: string; what: string; todo: string }[];
  /** Time to consistency of the writes applied in the last `days` days, per loop. */
  consistency: { days: number } & ConsistencyByLoop;
}

export interface QueueQuery {
  check?: string | undefined;
  category?: string | undefined;
  openedBefore?: string | undefined;
  limit: number;
}

export interface QueueItem {
  id: string;
  status: string;
  check: string;
  category: string;
  reason: string;
  records: { source: RecordRef | null; target: RecordRef | null };
  /** For the blast-radius guard's item: how many writes it holds for Release. */
  held: number | null;
  openedAt: string;
  updatedAt: string;
}

export interface QueueReport {
  /** How many open items match, of which `items` lists the oldest `limit`. */
  total: number;
  items: QueueItem[];
}

export interface LogQuery {
  since?: string | undefined;
  item?: string | undefined;
  limit: number;
}

export type LogEntry =
  | {
      kind: 'change';
      at: string;
      id: string;
      actor: string;
      origin: string;
      /** The review item whose decision made this write, when one did. */
      itemId: string | null;
      check: string | null;
      record: RecordRef;
      field: string;
      before: unknown;
      after: unknown;
      rule: string | null;
      reason: string | null;
      outcome: string;
      error: string | null;
    }
  | { kind: 'decision'; at: string; id: string; itemId: string; actor: string; action: string; outcome: string; detail: unknown };

export interface LogReport {
  /** The newest `limit` entries, oldest first. */
  entries: LogEntry[];
}

export type HistoryEntry = LogEntry | { kind: 'opened'; at: string; runId: string | null } | { kind: 'closed'; at: string; status: string };

export interface ShowReport {
  item: {
    id: string;
    status: string;
    check: string;
    kind: string;
    category: string;
    reason: string;
    fingerprint: string;
    openedAt: string;
    updatedAt: string;
    decidedBy: string | null;
    decidedAt: string | null;
    closedAt: string | null;
    slack: { channel: string; ts: string } | null;
  };
  source: StoredRecord | null;
  target: StoredRecord | null;
  explanation: string | null;
  /** What Approve would write (for a guard item, what Release would). */
  proposed: { system: string; object: string; id: string; field: string; from: unknown; to: unknown; financial: boolean }[];
  candidates: StoredRecord[];
  decision: unknown;
  /** Opened, each decision and write, closed; oldest first. */
  history: HistoryEntry[];
}

export interface TraceRequest {
  /** An email, or an id of a record in any system. */
  subject: string;
  since?: string | undefined;
  limit: number;
}

export type { Timeline };

/** The read-only questions, answered from a database or by `recon serve`. */
export interface Reports {
  status(): Promise<StatusReport>;
  queue(query: QueueQuery): Promise<QueueReport>;
  /** null when `query.item` names no item. */
  log(query: LogQuery): Promise<LogReport | null>;
  /** null when there is no such item. */
  show(itemId: string): Promise<ShowReport | null>;
  /** One customer's timeline; null when Recon knows nothing of the subject. */
  trace(request: TraceRequest): Promise<Timeline | null>;
}

const iso = (at: Date | string | null | undefined): string | null => (at == null ? null : isoTime(at));
const ref = (side: unknown): RecordRef | null => {
  const s = side as Partial<RecordRef> | null;
  return s?.system && s.object && s.id ? { system: s.system, object: s.object, id: s.id } : null;
};
const stored = (side: unknown): StoredRecord | null => {
  const s = side as Partial<StoredRecord> | null;
  const r = ref(s);
  return r ? { ...r, field: s?.field ?? '', value: s?.value ?? null, email: s?.email ?? null, url: s?.url ?? null } : null;
};
const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The reports over a database, for the CLI on its own or for `recon serve`'s read-only endpoint. */
export function databaseReports(db: Db, describe: string): Reports {
  async function log(query: LogQuery): Promise<LogReport | null> {
    const item = query.item ? await reviewItem(db, query.item) : undefined;
    if (query.item && !item) return null;
    const since = query.since ? new Date(query.since) : undefined;
    const [changes, decisions] = await Promise.all([
      latestChanges(db, { since, limit: query.limit, item: item && { id: item.id, fingerprint: item.fingerprint, openedAt: new Date(item.opened_at) } }),
      latestDecisions(db, { since, itemId: item?.id, limit: query.limit }),
    ]);
    return { entries: newestInOrder([...changes.map(changeEntry), ...decisions.map(decisionEntry)], query.limit) };
  }

  return {
    async status() {
      const since = new Date(Date.now() - 7 * 86_400_000);
      const [runs, queue, guards, alerts, consistency, throttled] = await Promise.all([
        latestRunPerCheck(db), queueFigures(db), openGuardItems(db), alertsInForce(db), timeToConsistency(db, since, new Date(Date.now() + 1000)), throttlesLastHour(db),
      ]);
      return {
        database: describe,
        runs: runs.map((r) => {
          const s = r.stats as { discrepancies?: { total?: unknown }; autoFixed?: unknown; wouldWrite?: unknown; escalated?: unknown; failed?: unknown };
          return {
            check: r.check_name, runId: r.id, status: r.status, mode: r.mode, dryRun: r.dry_run,
            startedAt: isoTime(r.started_at), finishedAt: iso(r.finished_at),
            found: count(s.discrepancies?.total), autoFixed: count(s.autoFixed), wouldWrite: count(s.wouldWrite), escalated: count(s.escalated), failed: count(s.failed),
            error: r.error,
          };
        }),
        queue: {
          open: queue.open,
          byCategory: queue.byCategory,
          oldest: queue.oldest ? { id: queue.oldest.id, check: queue.oldest.check_name, category: queue.oldest.category, openedAt: isoTime(queue.oldest.opened_at) } : null,
        },
        held: Object.fromEntries(guards.map((g) => [g.check_name, { itemId: g.id, writes: heldOf(g)?.orders.length ?? 0 }])),
        throttledLastHour: throttled,
        alerts: alerts.map((a) => ({ key: a.key, title: alertTitle(a), since: isoTime(a.since), what: a.what, todo: a.todo })),
        consistency: { days: 7, ...consistency },
      };
    },

    async queue(query) {
      const { total, items } = await openItemsPage(db, {
        check: query.check, category: query.category, openedBefore: query.openedBefore ? new Date(query.openedBefore) : undefined, limit: query.limit,
      });
      return { total, items: items.map(queueItem) };
    },

    log,

    async trace(request) {
      const facts = await traceFacts(db, { subject: request.subject, since: request.since ? new Date(request.since) : undefined });
      return facts && buildTimeline(request.subject.trim(), facts, request.limit);
    },

    async show(itemId) {
      const item = await reviewItem(db, itemId);
      if (!item) return null;
      const history: HistoryEntry[] = [
        { kind: 'opened', at: isoTime(item.opened_at), runId: item.opened_run_id },
        ...((await log({ item: item.id, limit: 1000 }))?.entries ?? []),
        ...(item.closed_at ? [{ kind: 'closed' as const, at: isoTime(item.closed_at), status: item.status }] : []),
      ];
      const suggestion = item.suggestion as { explanation?: string; writes?: ShowReport['proposed']; candidates?: unknown[]; held?: { orders?: { write: ShowReport['proposed'][number] }[] } } | null;
      return {
        item: {
          id: item.id, status: item.status, check: item.check_name, kind: item.kind, category: item.category, reason: item.reason, fingerprint: item.fingerprint,
          openedAt: isoTime(item.opened_at), updatedAt: isoTime(item.updated_at), decidedBy: item.decided_by, decidedAt: iso(item.decided_at), closedAt: iso(item.closed_at),
          slack: item.slack_channel && item.slack_ts ? { channel: item.slack_channel, ts: item.slack_ts } : null,
        },
        source: stored(item.source),
        target: stored(item.target),
        explanation: suggestion?.explanation ?? null,
        proposed: suggestion?.writes?.length ? suggestion.writes : (suggestion?.held?.orders ?? []).map((o) => o.write),
        candidates: (suggestion?.candidates ?? []).flatMap((c) => stored(c) ?? []),
        decision: item.decision,
        history: history.sort((a, b) => a.at.localeCompare(b.at)),
      };
    },
  };
}

function queueItem(item: ReviewItem): QueueItem {
  return {
    id: item.id, status: item.status, check: item.check_name, category: item.category, reason: item.reason,
    records: { source: ref(item.source), target: ref(item.target) },
    held: item.kind === 'guard' ? (heldOf(item)?.orders.length ?? 0) : null,
    openedAt: isoTime(item.opened_at), updatedAt: isoTime(item.updated_at),
  };
}

function changeEntry(c: Change): LogEntry {
  return {
    kind: 'change', at: isoTime(c.at), id: c.id, actor: c.actor, origin: c.origin,
    itemId: c.origin.startsWith('decision:') ? c.origin.slice('decision:'.length) : null,
    check: c.check_name, record: { system: c.system, object: c.object, id: c.external_id }, field: c.field,
    before: c.before, after: c.after, rule: c.rule, reason: c.reason, outcome: c.outcome, error: c.error,
  };
}

function decisionEntry(d: DecisionLogEntry): LogEntry {
  return { kind: 'decision', at: isoTime(d.at), id: d.id, itemId: d.review_item_id, actor: d.actor, action: d.action, outcome: d.outcome, detail: d.detail };
}

/** The newest `limit` entries of both logs, oldest first (by id within one log at one moment). */
function newestInOrder(entries: LogEntry[], limit: number): LogEntry[] {
  const order = (a: LogEntry, b: LogEntry) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind) || Number(a.id) - Number(b.id);
  return entries.sort(order).slice(-limit);
}
