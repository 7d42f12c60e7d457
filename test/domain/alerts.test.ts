import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_THRESHOLDS, judgeHealth, type HealthReading } from '../../src/domain/alerts.ts';

const now = new Date('2026-12-01T09:00:00Z');
const calm: HealthReading = { now, deadLetters: { count: 0, oldestAt: null }, guardHolding: [] };

describe('judgeHealth', () => {
  it('finds a stale cursor when a check had to read everything, and judges only the checks that ran', () => {
    const { active, judged } = judgeHealth({ ...calm, cycle: { ok: true, checks: [{ check: 'payment-status', status: 'succeeded', errors: [], cursorExpired: true }, { check: 'booking-stage', status: 'skipped', errors: [] }] } });
    expect(active.map((a) => a.key)).toEqual(['stale_cursor:payment-status']);
    expect(judged).toContainEqual({ kind: 'stale_cursor', subjects: ['payment-status'] });
  });

  it('leaves a check’s failures to the credentials alert when refused credentials stopped the cycle', () => {
    const { active, judged } = judgeHealth({ ...calm, cycle: { ok: false, error: 'stripe GET /v1/customers failed: HTTP 401', system: 'stripe', status: 401 } });
    expect(active.map((a) => a.key)).toEqual(['credentials:stripe']);
    expect(judged.map((j) => j.kind)).not.toContain('check_failing');
  });

  it('judges no credentials when a cycle stopped for another reason', () => {
    const { judged } = judgeHealth({ ...calm, cycle: { ok: false, error: 'the database is unreachable' } });
    expect(judged.map((j) => j.kind)).toEqual(['dead_letters', 'guard_holding']);
  });

  it('waits for the threshold of failing cycles before a check alerts', () => {
    const failed = { ok: true as const, checks: [{ check: 'payment-status', status: 'failed', errors: ['boom'] }] };
    const runs = (n: number) => ({ 'payment-status': Array.from({ length: n }, () => ({ status: 'failed', startedAt: now, error: 'boom' })) });
    expect(judgeHealth({ ...calm, cycle: failed, recentRuns: runs(2) }, { ...DEFAULT_ALERT_THRESHOLDS, failingCycles: 3 }).active).toEqual([]);
    expect(judgeHealth({ ...calm, cycle: failed, recentRuns: runs(3) }, { ...DEFAULT_ALERT_THRESHOLDS, failingCycles: 3 }).active.map((a) => a.key)).toEqual(['check_failing:payment-status']);
  });

  const fastChecks = (found: number, missed: number) => ({ ok: true as const, checks: [{ check: 'payment-status', status: 'succeeded', errors: [], sourceSystem: 'stripe', found, missedByFastLoop: missed }] });

  it('says no webhook arrives when the endpoint is on, none came in a day, and the cycle found changes they should have brought', () => {
    const { active } = judgeHealth({ ...calm, cycle: fastChecks(3, 2), webhooks: { on: ['stripe'], last24h: {} } });
    expect(active.map((a) => a.key)).toEqual(['webhooks_silent:stripe']);
  });

  it('says webhooks miss changes when the share the cycle caught for them passes the threshold', () => {
    const reading = (missed: number) => ({ ...calm, cycle: fastChecks(20, missed), webhooks: { on: ['stripe'], last24h: { stripe: 40 } } });
    expect(judgeHealth(reading(5)).active).toEqual([]);
    expect(judgeHealth(reading(6)).active.map((a) => a.key)).toEqual(['fast_loop_missing:stripe']);
  });

  it('judges nothing of the fast loop for a system whose webhooks are off', () => {
    const { active, judged } = judgeHealth({ ...calm, cycle: fastChecks(20, 20), webhooks: { on: [], last24h: {} } });
    expect(active).toEqual([]);
    expect(judged).toContainEqual({ kind: 'webhooks_silent', subjects: [] });
  });

  it('says the systems no longer match the policy when a cycle stops on a field or value that is gone, and clears on a cycle that runs', () => {
    const stopped = judgeHealth({ ...calm, cycle: { ok: false, code: 'policy.mismatch', error: 'check payment-status: map.active.write "closedwon" is not a stage of hubspot deals' } });
    expect(stopped.active.map((a) => a.key)).toEqual(['schema_drift:policy']);
    expect(stopped.active[0]?.what).toContain('"closedwon" is not a stage');
    expect(judgeHealth({ ...calm, cycle: { ok: true, checks: [] } }).judged).toContainEqual({ kind: 'schema_drift' });
  });
});
