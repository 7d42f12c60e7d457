import { describe, expect, it } from 'vitest';
import { guardWindowMs, maxAutoFixes } from '../../src/config/checks.ts';
import { formatDuration } from '../../src/config/duration.ts';
import { parsePolicy } from '../../src/config/load-policy.ts';

const policy = (policyGuard: string, checkGuard: string) => parsePolicy(`crm: hubspot
${policyGuard}
checks:
  - name: payment-status
    source: { system: stripe, field: subscription_status }
    target: { system: hubspot, object: deals, field: dealstage }
    rule: source_of_truth
    map:
      active: { write: closedwon }
${checkGuard}
  - name: deal-amount
    source: { system: stripe, field: amount }
    target: { system: hubspot, object: deals, field: amount }
    rule: source_of_truth
`);

describe('how many fixes a cycle may make on its own (guards.maxAutoFixes)', () => {
  it('takes a share of the records read, rounded down', () => {
    expect(maxAutoFixes(policy('guards: { maxAutoFixes: "5%" }', ''), 'payment-status', 1_999)).toBe(99);
  });

  it('takes a count as it is, whatever the records read', () => {
    expect(maxAutoFixes(policy('guards: { maxAutoFixes: 500 }', ''), 'payment-status', 100_000)).toBe(500);
  });

  it("lets a check's own guard win over the policy's, for that check only", () => {
    const p = policy('guards: { maxAutoFixes: "5%" }', '    guards: { maxAutoFixes: 3 }');
    expect(maxAutoFixes(p, 'payment-status', 1_000)).toBe(3);
    expect(maxAutoFixes(p, 'deal-amount', 1_000)).toBe(50);
  });

  it('defaults to the larger of 25 and 5% of the records read', () => {
    const p = policy('', '');
    expect(maxAutoFixes(p, 'payment-status', 100)).toBe(25);
    expect(maxAutoFixes(p, 'payment-status', 10_000)).toBe(500);
  });
});

describe('the window the guard counts over (guards.window)', () => {
  it('is an hour unless the policy names one', () => {
    expect(guardWindowMs(policy('', ''), 'payment-status')).toBe(3_600_000);
  });

  it("takes the check's own window over the policy's", () => {
    const p = policy('guards: { window: 24h }', '    guards: { window: 15m }');
    expect(guardWindowMs(p, 'payment-status')).toBe(900_000);
    expect(guardWindowMs(p, 'deal-amount')).toBe(86_400_000);
  });

  it('refuses a window that is not a duration, naming the key', () => {
    expect(() => policy('guards: { window: soon }', '')).toThrow(/guards\.window.*expected a duration/);
  });
});

describe('a window written back as the policy writes it', () => {
  it('uses the largest whole unit', () => {
    expect([3_600_000, 5_400_000, 172_800_000, 45_000, 1_500].map(formatDuration)).toEqual(['1h', '90m', '2d', '45s', '1500ms']);
  });
});
