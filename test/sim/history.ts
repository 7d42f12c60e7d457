/**
 * A history: the steps the simulation drives Recon through, as plain data, drawn from a seed. The
 * same seed gives the same history; a history replays without its seed (shrinking removes steps).
 */
import { seededRandom } from '../../src/sandbox/random.ts';

export type StripeStatus = 'active' | 'trialing' | 'past_due' | 'canceled' | 'unpaid';
/** What becomes of the webhook a change sends: delivered at the next delivery step, or lost. */
export type Fate = 'queued' | 'lost';
export type Fault = 'rate_limit' | 'server_error' | 'write_fails' | 'write_refused';
export type Decision = 'approve' | 'ignore' | 'snooze' | 'override' | 'release' | 'retry' | 'pick';

export type Step =
  /** A change in Stripe: the n-th subscription (of those there are, modulo) gets a status. */
  | { kind: 'stripe'; n: number; status: StripeStatus; fate: Fate }
  /** A change of a deal's stage in HubSpot, by a person in the UI or by another integration. */
  | { kind: 'hubspot'; n: number; stage: string; by: 'person' | 'integration'; fate: Fate }
  /** A booking cancelled in the calendar. */
  | { kind: 'calendar'; n: number }
  /** A bulk change: this many active subscriptions cancelled at once (an import, a mass cancellation). */
  | { kind: 'bulk'; count: number; fate: Fate }
  /** Webhooks waiting are delivered: some, shuffled, some twice, plus a forged one; then the inbox is worked through. */
  | { kind: 'deliver'; take: number; shuffle: boolean; duplicate: boolean; forge: boolean }
  | { kind: 'cycle'; mode: 'full' | 'incremental' | 'dry_run'; check: string | null }
  /** A person's decision on the n-th open item (modulo), as Slack's buttons and `recon decide` make it. */
  | { kind: 'decide'; n: number; action: Decision; stranger: boolean; alongside: 'nothing' | 'cycle' | 'deliver' | 'same_item' }
  | { kind: 'policy'; change: 'drop_booking_check' | 'restore' | 'remap_past_due' }
  /** A vendor fault for the next step only. */
  | { kind: 'fault'; fault: Fault }
  /** The process dies after this many more calls to the database during the next step, and starts again. */
  | { kind: 'kill'; afterCalls: number }
  /** Every Calendar sync token answers 410 (Google expired them): the next pass of its checks is full. */
  | { kind: 'expire_cursor' };

export const CHECKS = ['payment-status', 'deal-amount', 'booking-stage'] as const;
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];
const STATUSES: StripeStatus[] = ['active', 'trialing', 'past_due', 'canceled', 'unpaid'];
const DECISIONS: Decision[] = ['approve', 'approve', 'ignore', 'snooze', 'override', 'release', 'release', 'retry', 'pick'];

/** Draws `length` steps from `seed`. */
export function drawHistory(seed: number, length: number): Step[] {
  const random = seededRandom(seed * 7919 + 17);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const fate = (): Fate => (random() < 0.85 ? 'queued' : 'lost');
  const steps: Step[] = [];
  for (let i = 0; i < length; i++) {
    const roll = random();
    if (roll < 0.2) steps.push({ kind: 'stripe', n: int(1000), status: pick(STATUSES), fate: fate() });
    else if (roll < 0.3) steps.push({ kind: 'hubspot', n: int(1000), stage: pick(STAGES), by: random() < 0.6 ? 'person' : 'integration', fate: fate() });
    else if (roll < 0.34) steps.push({ kind: 'calendar', n: int(1000) });
    else if (roll < 0.38) steps.push({ kind: 'bulk', count: 3 + int(6), fate: fate() });
    else if (roll < 0.53) steps.push({ kind: 'deliver', take: 1 + int(8), shuffle: random() < 0.5, duplicate: random() < 0.3, forge: random() < 0.15 });
    else if (roll < 0.7) {
      const mode = pick(['full', 'full', 'incremental', 'incremental', 'dry_run'] as const);
      steps.push({ kind: 'cycle', mode, check: random() < 0.2 ? pick(CHECKS) : null });
    } else if (roll < 0.86) {
      steps.push({ kind: 'decide', n: int(1000), action: pick(DECISIONS), stranger: random() < 0.08, alongside: pick(['nothing', 'nothing', 'nothing', 'cycle', 'deliver', 'same_item'] as const) });
    } else if (roll < 0.89) steps.push({ kind: 'policy', change: pick(['drop_booking_check', 'restore', 'remap_past_due'] as const) });
    else if (roll < 0.94) steps.push({ kind: 'fault', fault: pick(['rate_limit', 'server_error', 'write_fails', 'write_refused'] as const) });
    else if (roll < 0.98) steps.push({ kind: 'kill', afterCalls: 1 + int(40) });
    else steps.push({ kind: 'expire_cursor' });
  }
  // Every history ends with a full pass, so the promises about what a full read sees are checked at the end.
  steps.push({ kind: 'cycle', mode: 'full', check: null });
  return steps;
}

/** One line per step, for a failure's report. */
export function describeStep(step: Step): string {
  const { kind, ...rest } = step;
  return `${kind} ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(' ')}`.trim();
}
