/**
 * The store port: what the use cases (a cycle, applying a plan, a decision) read and record.
 * `src/db/store.ts` implements it over Postgres or the embedded database. Types only.
 *
 * Rows keep the database's snake_case names: they are records of what happened, read back as
 * they were written.
 */
import type { Discrepancy, MatchedBy, PlannedWrite, Resolution } from './discrepancy.ts';
import type { SystemName } from './records.ts';
import type { TraceFacts, TraceQuery } from './trace.ts';
import type { AlertCondition, AlertRecord, HealthReading, Judged } from './alerts.ts';

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type RunMode = 'full' | 'incremental';

export interface Run {
  id: string;
  cycle_id: string;
  check_name: string;
  mode: RunMode;
  dry_run: boolean;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  /** Per side (`source`, `target`): where the next incremental read of that side starts. */
  cursors: Record<string, string>;
  stats: Record<string, unknown>;
  error: string | null;
}

export type ChangeOutcome = 'applied' | 'noop' | 'stale' | 'failed';

interface WriteColumns {
  actor: string;
  origin: string;
  run_id: string | null;
  check_name: string | null;
  fingerprint: string | null;
  system: string;
  object: string;
  external_id: string;
  field: string;
  before: unknown;
  after: unknown;
  rule: string | null;
  reason: string | null;
  idempotency_key: string;
  source_changed_at?: Date | null;
}

export interface WriteIntent extends WriteColumns {
  created_at: Date;
  settled_at: Date | null;
}

export interface Change extends WriteColumns {
  id: string;
  at: Date;
  outcome: ChangeOutcome;
  error: string | null;
}

export type ReviewStatus = 'open' | 'deciding' | 'approved' | 'overridden' | 'ignored' | 'failed' | 'resolved_elsewhere' | 'superseded' | 'obsolete';

/**
 * An item in these states still stands for its fingerprint: one at most per fingerprint, refreshed
 * by cycles, listed in the queue. A failed write stays open so a person can retry or decide otherwise.
 */
export const OPEN_STATUSES = ['open', 'deciding', 'failed'] as const satisfies readonly ReviewStatus[];

/** The states a person's decision may start from. */
export const DECIDABLE_STATUSES = ['open', 'failed'] as const satisfies readonly ReviewStatus[];

export interface ReviewItem {
  id: string;
  fingerprint: string;
  check_name: string;
  kind: string;
  category: string;
  reason: string;
  presentation: 'message' | 'exceptions';
  entity_key: string;
  source: unknown;
  target: unknown;
  suggestion: unknown;
  status: ReviewStatus;
  opened_run_id: string | null;
  last_seen_run_id: string | null;
  opened_at: Date;
  updated_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision: unknown;
  slack_channel: string | null;
  slack_ts: string | null;
  posted_at: Date | null;
  closed_at: Date | null;
  message_synced_at: Date | null;
  /** When the current decision claimed the item (status `deciding`). */
  claimed_at: Date | null;
  /** When a process took the item to post it; expires if that process died before posting. */
  post_claimed_at: Date | null;
  /** When the decision holding the claim last said it is still at work. */
  claim_renewed_at: Date | null;
}

export type DecisionAction = 'approve' | 'override' | 'ignore' | 'retry' | 'release' | 'link';
export type DecisionOutcome = 'refused' | 'already_decided' | 'approved' | 'overridden' | 'ignored' | 'stale' | 'failed';

/** One write attempt as the change log records it. */
export interface WriteAttempt {
  actor: string;
  origin: string;
  runId: string | null;
  check: string | null;
  fingerprint: string | null;
  system: string;
  object: string;
  externalId: string;
  field: string;
  before: unknown;
  after: unknown;
  rule: string | null;
  reason: string | null;
  idempotencyKey: string;
  /** When the source of the write changed (its record's own timestamp): time to consistency counts from it. */
  sourceChangedAt?: Date | null;
}

export type LoggedOutcome = { attempt: WriteAttempt; outcome: ChangeOutcome; error?: string | null };

export interface ObjectRef {
  system: SystemName;
  object: string;
}

export interface NewLinkPair {
  source: ObjectRef & { id: string };
  target: ObjectRef & { id: string };
  matchedBy: Exclude<MatchedBy, 'link'> | 'person';
}

export type Escalation = Extract<Resolution, { type: 'escalate' }>;

/** One write the blast-radius guard held back: what it would write, and when and by which loop it was held. */
export interface HeldOrder {
  write: PlannedWrite;
  fingerprint: string | null;
  rule: string | null;
  reason: string | null;
  category: string;
  /** When it was (last) held, ISO 8601. */
  heldAt?: string;
  /** Who planned it: `run:42` (a cycle) or `event:stripe:evt_...` (the fast loop). */
  origin?: string;
}

/** The writes a blast-radius guard held back, kept on its item for a person to release. */
export interface HeldWrites {
  /** How many writes are held, the most the check may make on its own per window, and the records that limit counts from. */
  planned: number;
  limit: number;
  recordsRead: number;
  /** The guard's window, such as `1h`. */
  window?: string;
  orders: HeldOrder[];
}

/**
 * A cycle's or an event's auto-fixes of one check, put to the check's rolling guard. What a pass
 * read is named so that held writes of records it found agreeing can leave the guard's item.
 */
export interface GuardRequest {
  check: string;
  runId: string | null;
  origin: string;
  /** A cycle holds all of its fixes when they exceed what is left of the budget; the fast loop writes what is left and holds the rest. */
  allOrNothing: boolean;
  /** Auto-fixes allowed per window, and the window. */
  limit: number;
  windowMs: number;
  window: string;
  recordsRead: number;
  now: Date;
  orders: HeldOrder[];
  /** Records this pass read (`system:object:id`). */
  read: ReadonlySet<string>;
  /** Records read that are not settled this pass (their history could not be read): their held writes stay. */
  undetermined: ReadonlySet<string>;
  /** Records read whose disagreement now waits for a person on its own (escalated or ignored). */
  handedOver: ReadonlySet<string>;
  /** The item's explanation for a number of held writes. */
  explain: (held: number) => string;
}

export interface GuardOutcome {
  /** Indexes into the request's orders that may be sent now (their budget is spent). */
  admitted: number[];
  /** How many of the request's orders were held. */
  held: number;
  opened: number;
  refreshed: number;
  /** Held writes dropped because a read showed their record agrees, or now waits for a person on its own. */
  agreed: number;
  handedOver: number;
  /** The guard item closed because none of its held writes is needed any more. */
  closed: boolean;
}

/** `system:object:id`: the record a write goes to, as a pass's read set names it. */
export function recordKey(ref: { system: string; object: string; id: string }): string {
  return `${ref.system}:${ref.object}:${ref.id}`;
}

/** One held write's identity: the field of the record it goes to. */
export function heldKey(write: Pick<PlannedWrite, 'system' | 'object' | 'id' | 'field'>): string {
  return `${write.system}:${write.object}:${write.id}:${write.field}`;
}

/** Recon's last applied write to a record: when, which field, and the value it wrote. */
export interface AppliedWrite {
  at: Date;
  field: string;
  after: unknown;
}

/** What a cycle decided for one discrepancy. */
export interface Decided {
  discrepancy: Discrepancy;
  resolution: Resolution;
}

export interface ReconStore {
  /** Runs `work` in one transaction: everything it records stands or falls together. */
  transaction<T>(work: (store: ReconStore) => Promise<T>): Promise<T>;
  /** Runs `work` holding a lock named `name` across replicas; null when another process holds it. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<{ value: T } | null>;

  // Runs.
  startRun(run: { cycleId: string; check: string; mode: RunMode; dryRun: boolean }): Promise<Run>;
  finishRun(id: string, outcome: { status: Exclude<RunStatus, 'running'>; stats: Record<string, unknown>; cursors?: Record<string, string>; error?: string | null }): Promise<void>;
  /** Runs left `running` by a process that died: called while holding the check's lock. */
  failAbandonedRuns(check: string, exceptId: string): Promise<number>;
  /** The cursors of the check's last run and when it started, when its last full pass finished and how many records it read. */
  lastCursors(check: string): Promise<{ cursors: Record<string, string>; lastStartedAt: Date; lastFullAt: Date | null; lastFullRecords: number | null } | null>;

  // Links: the id map.
  /** Stored links of one object, external id → entity id; of `ids` only when given. */
  loadLinks(side: ObjectRef, ids?: readonly string[]): Promise<Map<string, string>>;
  /** Every stored link of an object, a chunk at a time, without holding them all. */
  streamLinks(side: ObjectRef): AsyncIterable<[externalId: string, entityId: string][]>;
  /** For records of `from`, the ids of the records of `to` linked to the same entity. */
  linkedCounterparts(from: ObjectRef, ids: readonly string[], to: ObjectRef): Promise<Map<string, string[]>>;
  /** Records new pairs; a record already linked keeps its link. Returns the links written. */
  saveLinks(pairs: NewLinkPair[]): Promise<number>;
  /**
   * A person said `target` is the counterpart of `source`: it joins the source's entity, and any
   * other record of its object leaves that entity. Overrides any link either had.
   */
  linkByPerson(source: ObjectRef & { id: string }, target: ObjectRef & { id: string }): Promise<void>;

  // What cycles found.
  saveDiscrepancies(runId: string, decided: Decided[]): Promise<void>;

  // Review items.
  /** Opens or refreshes the escalations' items; `runId` null for a webhook event's. */
  upsertOpenItems(runId: string | null, fields: { source: string; target: string }, escalations: { discrepancy: Discrepancy; resolution: Escalation }[]): Promise<{ opened: number; refreshed: number }>;
  /**
   * Open (or failed) items of a check whose fingerprints are not in `stillFound`: fixed elsewhere.
   * With `entities`, only items every record of which is among them (an incremental run knows nothing of the rest).
   */
  resolveVanished(check: string, runId: string | null, stillFound: ReadonlySet<string>, entities?: ReadonlySet<string>): Promise<ReviewItem[]>;
  /**
   * Fingerprints of a check's open items whose fix the target system refused, with the item's
   * explanation (the vendor's message): cycles leave them to a person instead of sending them again.
   */
  refusedWrites(check: string): Promise<Map<string, string>>;
  /**
   * The blast-radius guard, one caller at a time per check across replicas: spends the check's
   * rolling budget on the orders it admits and adds the rest to the check's one guard item, which
   * keeps every held write until a person releases or dismisses it, or reads show its records agree.
   */
  guardAutoFixes(request: GuardRequest): Promise<GuardOutcome>;
  /** What {@link guardAutoFixes} would let through now and hold, changing nothing: for a dry run. */
  previewAutoFixes(request: GuardRequest): Promise<{ admitted: number; held: number }>;
  /**
   * After a person settled guard item `itemId`: writes held while the decision ran (not among
   * `taken`, keys of {@link heldKey}) go on waiting in the check's open guard item.
   */
  carryOverHeld(itemId: string, taken: readonly string[]): Promise<number>;
  /** Items of checks no longer in the policy: closed as obsolete. */
  closeObsoleteItems(checks: readonly string[]): Promise<number>;
  /** Decisions abandoned before `before` with no unsettled write go back to open; returns how many. */
  reopenAbandonedDecisions(check: string, before: Date): Promise<number>;
  reviewItem(id: string): Promise<ReviewItem | undefined>;
  claimItem(id: string, user: string, from: readonly ReviewStatus[]): Promise<ReviewItem | undefined>;
  /** Renews a decision's claim while its writes are under way, so it is never taken for abandoned. */
  renewClaim(id: string, claimedAt: Date): Promise<Date | null>;
  settleItem(id: string, claimedAt: Date, outcome: { status: ReviewStatus; by: string; decision: unknown }): Promise<ReviewItem | undefined>;
  releaseClaim(claimed: ReviewItem, previous: Pick<ReviewItem, 'status' | 'decided_by'>): Promise<void>;
  /** In a decision's transaction: throws `lost()` unless the claim made at `claimedAt` still holds. */
  assertClaimHeld(id: string, claimedAt: Date, lost: () => Error): Promise<void>;
  logDecision(entry: { itemId: string; actor: string; action: DecisionAction; outcome: DecisionOutcome; detail: unknown }): Promise<void>;

  // Ignores.
  activeSuppressions(checks: string[], now: Date): Promise<Map<string, number | null>>;
  addSuppression(input: { fingerprint: string; check: string; createdBy: string; reason?: string | null; reviewItemId?: string | null; expiresAt?: Date | null }): Promise<void>;

  // The change log and write intents.
  recordIntents(attempts: WriteAttempt[]): Promise<void>;
  /** Appends outcomes and settles their intents. */
  logOutcomes(outcomes: LoggedOutcome[]): Promise<void>;
  /** Appends attempts without settling their intents (a retry follows). */
  appendChanges(outcomes: LoggedOutcome[]): Promise<void>;
  unsettledIntents(): Promise<WriteIntent[]>;
  /** When Recon last wrote each of these records (an applied change), for telling its own writes from others'. */
  lastAppliedWrites(side: ObjectRef, ids: readonly string[]): Promise<Map<string, AppliedWrite>>;

  // Reading back.
  /** What Recon knows of the customer an email or a record id names (links, events, cycles, writes, items); null when nothing. */
  traceFacts(query: TraceQuery): Promise<TraceFacts | null>;

  // Recon's own health.
  /** Dead letters, guard holds, and the last `runsPerCheck` finished runs of each of `checks`. */
  healthFacts(checks: readonly string[], runsPerCheck: number): Promise<Omit<HealthReading, 'now' | 'cycle' | 'webhooks'> & { eventsLast24h: Record<string, number> }>;
  /** Starts the alerts newly in force and clears those of a judged kind no longer in force; each change returned to one caller only. */
  syncAlerts(active: readonly AlertCondition[], judged: readonly Judged[], now: Date): Promise<{ started: AlertRecord[]; cleared: AlertRecord[] }>;
  markAlertPosted(id: string, slack: { channel: string; ts: string }): Promise<void>;
  alertsInForce(): Promise<AlertRecord[]>;
}
