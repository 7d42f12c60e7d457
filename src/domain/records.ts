/**
 * The name of an external tool Recon talks to: `stripe`, `hubspot`, `gohighlevel`,
 * `google_calendar`. The connector registry (`src/connectors/registry.ts`) is the list; the policy
 * is validated against it where it is read, so the domain needs no enum to keep in step.
 */
export type SystemName = string;

/** A normalised field value. Lists hold things like tags; amounts are numbers in major units. */
export type FieldValue = string | number | boolean | string[] | null;

/** Who changed a field last, when the system can say so. */
export type ChangedBy = 'human' | 'integration' | 'recon' | 'unknown';

export interface FieldChange {
  /** Epoch milliseconds of the last change, or null when the system does not say. */
  changedAt: number | null;
  changedBy: ChangedBy;
  /** The system's own word for the writer (HubSpot `sourceType`, e.g. `CRM_UI`), for people. */
  sourceType?: string | undefined;
}

/** One entry of a field's history: a value it held, from when, written by whom. */
export interface FieldEntry {
  value: FieldValue;
  changedAt: number | null;
  changedBy: ChangedBy;
}

/**
 * One object of one system, normalised. Connectors' mappers produce these; the engine reads only these.
 *
 * @example
 * { system: 'hubspot', object: 'deals', id: '901', fields: { dealstage: 'closedwon', amount: 1200 },
 *   email: 'ada@example.com', refs: { stripe: 'cus_123' }, aliases: ['501'], updatedAt: 1700000000000,
 *   history: { dealstage: { changedAt: 1700000000000, changedBy: 'human', sourceType: 'CRM_UI' } },
 *   url: 'https://app.hubspot.com/contacts/1/deal/901' }
 */
export interface SystemRecord {
  system: SystemName;
  object: string;
  id: string;
  fields: Record<string, FieldValue>;
  /** Lower-cased, trimmed email of the customer behind the record, if any. */
  email: string | null;
  /** Stable ids of this customer in other systems, as stored in this record (Stripe `metadata.crm_id`, ...). */
  refs: Partial<Record<SystemName, string>>;
  /** Other ids this record is known by in its own system (a deal's associated contact ids). */
  aliases: string[];
  /** Epoch milliseconds of the record's last modification, or null. */
  updatedAt: number | null;
  /** The last change of a field, for the fields whose history the system gave. */
  history: Record<string, FieldChange>;
  /**
   * Every value of a field the system's history holds, newest first, for the fields whose history
   * was asked for; given only where the system can name Recon's own writes in it (HubSpot with
   * `HUBSPOT_APP_ID` set), so that whether a write of Recon's landed can be told after a crash.
   */
  trail?: Record<string, FieldEntry[]>;
  /** A URL a person can open, or null. */
  url: string | null;
}

/** Normalises an email for matching: trimmed, lower-cased; empty becomes null. */
export function normaliseEmail(email: string | null | undefined): string | null {
  if (email == null) return null;
  const trimmed = email.trim().toLowerCase();
  return trimmed.length > 0 && trimmed.includes('@') ? trimmed : null;
}

/** The singular of an object name, for sentences: `deals` → `deal`, `opportunities` → `opportunity`. */
export function singularObject(object: string): string {
  return object.endsWith('ies') ? `${object.slice(0, -3)}y` : object.replace(/s$/, '');
}

/** The key that names one record across Recon: `system:object:id`. */
export function recordKey(record: Pick<SystemRecord, 'system' | 'object' | 'id'>): string {
  return `${record.system}:${record.object}:${record.id}`;
}
