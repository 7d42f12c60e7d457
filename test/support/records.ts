import { resolveCheck, type Check } from '../../src/engine/check.ts';
import { parsePolicy } from '../../src/config/load-policy.ts';
import type { SystemRecord } from '../../src/domain/records.ts';

export const NOW = Date.parse('2026-11-23T12:00:00Z');
export const DAY = 86_400_000;

export function customer(id: string, fields: SystemRecord['fields'], extra: Partial<SystemRecord> = {}): SystemRecord {
  return { system: 'stripe', object: 'customers', id, fields, email: null, refs: {}, aliases: [], updatedAt: NOW - 10 * DAY, history: {}, url: null, ...extra };
}

export function deal(id: string, fields: SystemRecord['fields'], extra: Partial<SystemRecord> = {}): SystemRecord {
  return { system: 'hubspot', object: 'deals', id, fields, email: null, refs: {}, aliases: [], updatedAt: NOW - 20 * DAY, history: {}, url: null, ...extra };
}

/** The payment-status check of the example policy, resolved, with optional overrides in YAML. */
export function paymentStatusCheck(extraYaml = ''): Check {
  const policy = parsePolicy(`
crm: hubspot
checks:
  - name: payment-status
    source: { system: stripe, object: customers, field: subscription_status }
    target: { system: hubspot, object: deals, field: dealstage }
    rule: source_of_truth
    map:
      active:   { write: closedwon,  accept: [closedwon] }
      trialing: { write: closedwon,  accept: [closedwon] }
      canceled: { write: closedlost, accept: [closedlost] }
    categories:
      paid_but_not_marked:        { source: [active, trialing], targetNot: [closedwon] }
      cancelled_but_still_active: { source: [canceled], target: [closedwon] }
    highValue: { field: amount, atLeast: 10000 }
    humanEditWindow: 24h
${extraYaml}`);
  return resolveCheck(policy.checks[0] as (typeof policy.checks)[number]);
}

/** A check built from YAML for one `checks:` entry. */
export function checkFromYaml(entry: string, crm = 'hubspot'): Check {
  const policy = parsePolicy(`crm: ${crm}\nchecks:\n${entry}`);
  return resolveCheck(policy.checks[0] as (typeof policy.checks)[number]);
}
