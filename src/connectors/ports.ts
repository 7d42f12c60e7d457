import type { FieldValue, SystemName, SystemRecord } from '../domain/records.ts';

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

export interface ReadOptions {
  /** Ask for per-field history of `fields` (HubSpot `propertiesWithHistory`) to tell a person's edit. */
  withHistory?: boolean;
}

export interface ConnectionHealth {
  system: SystemName;
  ok: boolean;
  detail: string;
}

/** The vocabulary of a field in the target system, e.g. HubSpot deal stage ids and their labels. */
export interface Vocabulary {
  values: { value: string; label: string }[];
}

/**
 * What every connector does, whatever its role. Reads page with the largest page size the API
 * allows; idempotent reads retry with backoff and honour Retry-After.
 */
export interface Connector {
  readonly system: SystemName;
  /** Every record of `object`, with at least `fields` filled in. */
  list(object: string, fields: string[], progress?: PageProgress): Promise<SystemRecord[]>;
  /** The current state of some records, for compare-and-set and for history. Missing ids are left out. */
  read(object: string, ids: string[], fields: string[], options?: ReadOptions): Promise<SystemRecord[]>;
  /** Applies writes; one outcome per write, in order. Never throws for a per-record failure. */
  write(writes: FieldWrite[]): Promise<WriteOutcome[]>;
  /** The allowed values of a field, or null when the system has no fixed vocabulary for it. */
  vocabulary(object: string, field: string): Promise<Vocabulary | null>;
  /** A cheap authenticated call that proves the credentials and base URL work. */
  health(): Promise<ConnectionHealth>;
  /** HTTP requests made so far, for run statistics. */
  apiCalls(): number;
}

/** Stripe's role: customers, subscriptions and invoices, normalised per customer. */
export interface BillingConnector extends Connector {
  readonly role: 'billing';
}

/** HubSpot's or GoHighLevel's role: deals (opportunities) and contacts. */
export interface CrmConnector extends Connector {
  readonly role: 'crm';
}
