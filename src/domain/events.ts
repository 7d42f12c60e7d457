/** A webhook event as the fast loop keeps it: verified, normalised, stored before it is answered. */
export interface InboxEvent {
  /** The system that sent it: `stripe`, `hubspot`, `gohighlevel`, `google_calendar`. */
  provider: string;
  /** Unique per provider: the duplicate of a stored event is answered and not processed again. */
  eventId: string;
  /** The vendor's event type: `customer.subscription.updated`, `deal.propertyChange`, ... */
  type: string;
  /** The object the event is about, as the vendor names it (`subscription`, `deal`, `opportunity`). */
  objectType: string | null;
  objectId: string | null;
  /** Stripe only: the customer the object belongs to (its own id for a customer). */
  customerId?: string;
  /** When the change happened, as the vendor says (ms). */
  occurredAt: number | null;
  /** The event as received, after its signature was checked. */
  payload: unknown;
}

/** A stored event, as a worker claims it. */
export interface StoredEvent extends InboxEvent {
  id: string;
  attempts: number;
  receivedAt: Date;
}

/** What processing one event did. */
export type EventOutcome =
  /** Recon wrote the fix to the system that mirrors the fact. */
  | 'written'
  /** The rules held it back for a person (financial, high value, recent human edit, ambiguity, mapping gap). */
  | 'escalated'
  /** Both sides already agree. */
  | 'agreed'
  /** Recon's own write coming back: no new work. */
  | 'echo'
  /** No counterpart found (the slow loop will report it). */
  | 'unmatched'
  /** The object is gone; only a full pass concludes that. */
  | 'gone'
  /** Nothing in the policy reads this object. */
  | 'unused'
  /** A later event about the same record was processed, reading the record as it is now: this one's change was in it. */
  | 'superseded';
