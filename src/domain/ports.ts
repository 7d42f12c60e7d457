/**
 * The ports: what a use case (a cycle, applying a plan, a decision, one webhook event) needs from
 * a system it connects to. Types only; `src/connectors/<system>/` implements them.
 */
import type { InboxEvent } from './events.ts';
import type { FieldValue, SystemName, SystemRecord } from './records.ts';

/** Who is waiting for a call: a person (a click, `doctor`) goes ahead of a cycle's background reads. */
export type CallPriority = 'interactive' | 'background';

export interface CallOptions {
  /** Default `background`. */
  priority?: CallPriority;
}

/** Called as pages arrive, so the CLI can show progress. */
export type PageProgress = (event: { system: SystemName; object: string; fetched: number }) => void;

/** One field write, compare-and-set: `expected` is what the target held when the decision was made. */
export interface FieldWrite {
  object: string;
  id: string;
  field: string;
  value: FieldValue;
  /** Derived from the decision; Stripe sends it as `Idempotency-Key`. */
  idempotencyKey: string;
}

export type WriteOutcome =
  | { id: string; field: string; ok: true }
  | { id: string; field: string; ok: false; error: string; retryable: boolean };

export interface ReadOptions extends CallOptions {
  /** Ask for per-field history of `fields` (HubSpot `propertiesWithHistory`) to tell a person's edit. */
  withHistory?: boolean;
  /**
   * Fill in `email` and `aliases` even where that costs more calls (a HubSpot deal's contacts are
   * not in a batch read): for one record of a webhook event, matched by email if nothing else.
   */
  withEmail?: boolean;
  /**
   * The records as this cycle's list of the object left them (the counterparts of changed
   * records): a connector that keeps what its last full list read, brought up to date by the
   * changes it listed since (Stripe, from its events), may answer from that without a call.
   * Never for a compare-and-set or a person's decision, which read the record as it is now.
   */
  asListed?: boolean;
}

export interface ListOptions extends CallOptions {
  /**
   * Where the last read stopped, as this connector wrote it in an earlier page's `cursor`. Only
   * what changed since is read. Null (or a cursor too old to resume from) reads everything.
   */
  since?: string | null;
  progress?: PageProgress;
}

/** A page of records as a list yields it. */
export interface RecordPage {
  records: SystemRecord[];
  /**
   * `full` when every record of the object is being listed (no cursor, or one too old to use: a
   * Stripe event older than 30 days, a Calendar sync token answered 410), `incremental` when only
   * records changed since the cursor are. The same for every page of one list.
   */
  mode: 'full' | 'incremental';
  /** The cursor to pass as `since` next time, once every page has been read; on the last page at least. */
  cursor: string | null;
}

export interface ConnectionHealth {
  system: SystemName;
  ok: boolean;
  detail: string;
}

export interface VocabularyValue {
  value: string;
  label: string;
}

/** The vocabulary of a field in the target system, e.g. HubSpot deal stage ids and their labels. */
export interface Vocabulary {
  values: VocabularyValue[];
}

/** One field of an object, as its system has it now. */
export interface FieldDescription {
  name: string;
  label: string;
  type: 'string' | 'number' | 'enumeration' | 'datetime' | 'boolean' | 'list';
  /** Whether Recon may write it: false for read-only, calculated and derived fields. */
  writable: boolean;
  /** Allowed values for every record; null when free, or when they depend on a scope (below). */
  options: VocabularyValue[] | null;
  /**
   * Allowed values that depend on another field of the record: HubSpot deal stages belong to a
   * pipeline, and HubSpot refuses a stage of another pipeline.
   */
  scoped?: { by: string; byLabel: string; scopes: { id: string; label: string; options: VocabularyValue[] }[] } | undefined;
}

/** What an object has: its fields, and any family of fields named by a prefix (`metadata.<key>`). */
export interface ObjectDescription {
  system: SystemName;
  object: string;
  fields: FieldDescription[];
  /** Field families any name may extend, e.g. Stripe's `metadata.` (any key, written as text). */
  openPrefixes: string[];
}

/** What every connector does, whatever its role. */
export interface Connector {
  readonly system: SystemName;
  /** The objects Recon can read from this system. */
  readonly objects: readonly string[];
  /**
   * What the system says about who changed a field: `per_field` (HubSpot's property history:
   * who and when, per field) or `record` (only when the record last changed, as GoHighLevel).
   * With `record`, a person's edit is inferred from that time against Recon's own last write.
   * Default `per_field`.
   */
  readonly fieldHistory?: 'per_field' | 'record';
  /**
   * The object's fields as the system has them now (HubSpot's properties and pipelines, the fields
   * the Stripe connector derives), so a policy can be checked before anything is read or written.
   */
  describe(object: string, options?: CallOptions): Promise<ObjectDescription>;
  /**
   * The records of `object` with at least `fields` filled in, a page at a time; with `since`,
   * only those changed since. Pages hold normalised records, never the vendor's payloads.
   */
  list(object: string, fields: string[], options?: ListOptions): AsyncIterable<RecordPage>;
  /** The current state of some records, for compare-and-set, counterparts and history. Missing ids are left out. */
  read(object: string, ids: string[], fields: string[], options?: ReadOptions): Promise<SystemRecord[]>;
  /**
   * Applies writes; one outcome per write, in order. Never throws for a per-record failure: a
   * batch the vendor refuses for some of its records is split until each valid record is written
   * and each invalid one fails with the vendor's own message.
   */
  write(writes: FieldWrite[], options?: CallOptions): Promise<WriteOutcome[]>;
  /** A URL a person can open for a record, or null. */
  recordUrl(object: string, id: string): string | null;
  /**
   * Records of `object` that hold `email`, or that hold another system's id (`ref`), found by the
   * system's own search: the counterpart of a record no cycle has linked yet, for one webhook
   * event. Absent where the system cannot search so.
   */
  lookup?(object: string, by: { email: string } | { ref: { system: SystemName; id: string } }, fields: string[], options?: CallOptions): Promise<SystemRecord[]>;
  /**
   * The system's own log of changes since `cursor` (Stripe's Events API, 30 days), as webhook
   * events would have carried them: replayed into the fast loop's inbox so a missed webhook is
   * not missed for long. Absent where the system keeps no such log.
   */
  replay?(cursor: string | null, options?: CallOptions): AsyncIterable<{ events: InboxEvent[]; cursor: string }>;
  /**
   * Asks the system to push a notification to `address` whenever the watched records change
   * (Google Calendar's `events.watch`); the channel expires and must be renewed. Absent where the
   * system's webhooks are set up in its own console instead.
   */
  openChannel?(request: { id: string; address: string; token: string; ttlSeconds: number }, options?: CallOptions): Promise<PushChannel>;
  /** Stops a channel's notifications; a channel the system no longer knows counts as stopped. */
  closeChannel?(channel: Pick<PushChannel, 'id' | 'resourceId'>, options?: CallOptions): Promise<void>;
  /** A cheap authenticated call that proves the credentials and base URL work. */
  health(options?: CallOptions): Promise<ConnectionHealth>;
  /** HTTP requests made so far, for run statistics. */
  apiCalls(): number;
  /** The same requests by kind (an endpoint, or what the request was for), where the connector tells them apart. */
  apiCallsByKind?(): Record<string, number>;
}

export type ConnectorsBySystem = Partial<Record<SystemName, Connector>>;

/** A push-notification channel a system opened for Recon. */
export interface PushChannel {
  id: string;
  /** The system's id of what is watched; stopping the channel needs it. */
  resourceId: string;
  /** Epoch milliseconds after which the system sends nothing more on it. */
  expiresAt: number;
}

/**
 * The vocabulary of a field for messages and Override: its options, or every scope's options
 * (labelled with the scope when there are several). Null when the field is free.
 */
export function vocabularyOf(field: FieldDescription | undefined): Vocabulary | null {
  if (!field) return null;
  if (field.options) return { values: field.options };
  if (!field.scoped) return null;
  const many = field.scoped.scopes.length > 1;
  return {
    values: field.scoped.scopes.flatMap((scope) =>
      scope.options.map((option) => ({ value: option.value, label: many ? `${scope.label}: ${option.label}` : option.label })),
    ),
  };
}
