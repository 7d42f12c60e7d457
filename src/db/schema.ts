import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** A JSON column: written as JSON text (the same on pg and PGlite), read back parsed. */
export type Json<T = unknown> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Id = ColumnType<string, never, never>;

export interface EntitiesTable {
  id: Generated<string>;
  created_at: CreatedAt;
}

export interface LinksTable {
  id: Generated<string>;
  entity_id: string;
  system: string;
  object: string;
  external_id: string;
  matched_by: 'link' | 'shared_id' | 'email' | 'person';
  matched_at: CreatedAt;
}

export type { RunStatus } from '../domain/store.ts';

export interface RunsTable {
  id: Generated<string>;
  cycle_id: string;
  check_name: string;
  mode: 'full' | 'incremental';
  dry_run: boolean;
  status: RunStatus;
  started_at: CreatedAt;
  finished_at: Timestamp | null;
  cursors: Json<Record<string, string>>;
  stats: Json<Record<string, unknown>>;
  error: string | null;
}

export interface DiscrepanciesTable {
  id: Generated<string>;
  run_id: string;
  check_name: string;
  fingerprint: string;
  kind: string;
  category: string;
  entity_key: string;
  source_key: string | null;
  target_key: string | null;
  source_value: Json | null;
  target_value: Json | null;
  resolution: 'auto_fix' | 'escalate' | 'suppressed' | 'noop';
  reason: string | null;
  created_at: CreatedAt;
}

export type { ChangeOutcome } from '../domain/store.ts';

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
  before: Json | null;
  after: Json | null;
  rule: string | null;
  reason: string | null;
  idempotency_key: string;
  /** When the source of the write changed, for time to consistency; null when not known (a person's decision). */
  source_changed_at?: Timestamp | null;
}

export interface WriteIntentsTable extends WriteColumns {
  created_at: CreatedAt;
  settled_at: Timestamp | null;
}

export interface ChangesTable extends WriteColumns {
  id: Generated<string>;
  at: CreatedAt;
  outcome: ChangeOutcome;
  error: string | null;
}

export type { ReviewStatus } from '../domain/store.ts';
import type { ReviewStatus, DecisionAction, DecisionOutcome, ChangeOutcome, RunStatus } from '../domain/store.ts';

export interface ReviewItemsTable {
  id: Generated<string>;
  fingerprint: string;
  check_name: string;
  kind: string;
  category: string;
  reason: string;
  presentation: 'message' | 'exceptions';
  entity_key: string;
  source: Json | null;
  target: Json | null;
  suggestion: Json | null;
  status: ReviewStatus;
  opened_run_id: string | null;
  last_seen_run_id: string | null;
  opened_at: CreatedAt;
  updated_at: CreatedAt;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision: Json | null;
  slack_channel: string | null;
  slack_ts: string | null;
  posted_at: Timestamp | null;
  closed_at: Timestamp | null;
  message_synced_at: Timestamp | null;
  /** When the current decision claimed the item (status `deciding`). */
  claimed_at: Timestamp | null;
  /** When a process took the item to post it; expires if that process died before posting. */
  post_claimed_at: Timestamp | null;
  /** When the decision holding the claim last said it is still at work. */
  claim_renewed_at: Timestamp | null;
}

export type { DecisionAction, DecisionOutcome } from '../domain/store.ts';

export interface DecisionLogTable {
  id: Generated<string>;
  at: CreatedAt;
  review_item_id: string;
  actor: string;
  action: DecisionAction;
  outcome: DecisionOutcome;
  detail: Json | null;
}

export interface ScheduleSlotsTable {
  key: string;
  claimed_by: string;
  claimed_at: CreatedAt;
}

export interface SuppressionsTable {
  id: Generated<string>;
  fingerprint: string;
  check_name: string;
  created_by: string;
  reason: string | null;
  review_item_id: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp | null;
}

export interface InboxTable {
  id: Generated<string>;
  provider: string;
  event_id: string;
  type: string;
  object_type: string | null;
  object_id: string | null;
  occurred_at: Timestamp | null;
  received_at: CreatedAt;
  payload: Json;
  status: ColumnType<'pending' | 'processing' | 'done' | 'dead', 'pending' | 'processing' | 'done' | 'dead' | undefined, 'pending' | 'processing' | 'done' | 'dead'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: CreatedAt;
  claimed_at: Timestamp | null;
  claimed_by: string | null;
  processed_at: Timestamp | null;
  outcome: string | null;
  wrote_to: string | null;
  last_error: string | null;
  payload_pruned_at?: Timestamp | null;
}

export interface ForgetLogTable {
  id: Generated<string>;
  at: CreatedAt;
  actor: string | null;
  subject_hash: string;
  records: ColumnType<unknown, string, string>;
  removed: ColumnType<unknown, string, string>;
}

export interface InboxDroppedTable {
  day: string;
  provider: string;
  type: string;
  count: ColumnType<string, number | string, number | string>;
}

export interface PushChannelsTable {
  id: string;
  system: string;
  resource_id: string;
  address: string;
  expires_at: Date;
  opened_at: Generated<Date>;
  closed_at: Date | null;
}

export interface FastloopCursorsTable {
  provider: string;
  cursor: string;
  updated_at: CreatedAt;
}

export interface GuardChecksTable {
  check_name: string;
}

export interface GuardSpendTable {
  id: Generated<string>;
  check_name: string;
  origin: string;
  at: CreatedAt;
}

export interface VendorBudgetsTable {
  key: string;
  sent: number[];
  window_start: number;
  used: number;
  paused_until: number;
  bucket: number | null;
  bucket_at: number;
}

export interface BudgetReplicasTable {
  replica: string;
  seen_at: Date;
}

export interface VendorThrottlesTable {
  id: Generated<string>;
  key: string;
  replica: string;
  at: CreatedAt;
}

export interface AlertsTable {
  id: Generated<string>;
  key: string;
  kind: string;
  subject: string;
  started_at: CreatedAt;
  since: CreatedAt;
  what: string;
  todo: string;
  detail: ColumnType<unknown, string | undefined, string>;
  cleared_at: Timestamp | null;
  slack_channel: string | null;
  slack_ts: string | null;
}

export interface Database {
  alerts: AlertsTable;
  forget_log: ForgetLogTable;
  vendor_budgets: VendorBudgetsTable;
  budget_replicas: BudgetReplicasTable;
  vendor_throttles: VendorThrottlesTable;
  guard_checks: GuardChecksTable;
  guard_spend: GuardSpendTable;
  inbox: InboxTable;
  inbox_dropped: InboxDroppedTable;
  fastloop_cursors: FastloopCursorsTable;
  push_channels: PushChannelsTable;
  entities: EntitiesTable;
  links: LinksTable;
  runs: RunsTable;
  discrepancies: DiscrepanciesTable;
  write_intents: WriteIntentsTable;
  changes: ChangesTable;
  review_items: ReviewItemsTable;
  suppressions: SuppressionsTable;
  decision_log: DecisionLogTable;
  schedule_slots: ScheduleSlotsTable;
}

export type Link = Selectable<LinksTable>;
export type Run = Selectable<RunsTable>;
export type Change = Selectable<ChangesTable>;
export type NewChange = Insertable<ChangesTable>;
export type WriteIntent = Selectable<WriteIntentsTable>;
export type ReviewItem = Selectable<ReviewItemsTable>;
export type Suppression = Selectable<SuppressionsTable>;
export type DecisionLogEntry = Selectable<DecisionLogTable>;
export type { Id };
