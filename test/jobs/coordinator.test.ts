import { describe, expect, it } from 'vitest';
import { postgresRunCoordinator } from '../../src/jobs/coordinator.ts';
import { nextRuns } from '../../src/jobs/schedules.ts';
import { parsePolicy } from '../../src/config/load-policy.ts';
import { useTestDatabase, TEST_DATABASE_URL } from '../support/db.ts';

const database = useTestDatabase();

describe('the schedule coordinator', () => {
  it('lets one replica run a slot and the other skip it', async () => {
    const a = postgresRunCoordinator(database.db, 'replica-a');
    const b = postgresRunCoordinator(database.db, 'replica-b');
    expect(await a.shouldRun('reconcile:2026-11-23T12:00:00.000Z', 60_000)).toBe(true);
    expect(await b.shouldRun('reconcile:2026-11-23T12:00:00.000Z', 60_000)).toBe(false);
    expect(await b.shouldRun('reconcile:2026-11-23T18:00:00.000Z', 60_000)).toBe(true);
  });

  it.runIf(TEST_DATABASE_URL)('elects exactly one of many replicas racing on real Postgres', async () => {
    const replicas = await Promise.all(Array.from({ length: 4 }, () => database.replica()));
    try {
      const votes = await Promise.all(replicas.map((r, i) => postgresRunCoordinator(r.db, `replica-${i}`).shouldRun('digest:2026-11-23T08:00:00.000Z', 60_000)));
      expect(votes.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});

describe('the next runs', () => {
  it('come from the policy schedule in its time zone', () => {
    const policy = parsePolicy(`crm: hubspot
schedule: { timezone: Europe/Berlin, reconcile: "0 */6 * * *", digest: "0 9 * * MON" }
checks:
  - name: c
    source: { system: stripe, field: s }
    target: { system: hubspot, object: deals, field: t }
    rule: escalate`);
    const next = nextRuns(policy);
    expect(next.reconcile).toBeInstanceOf(Date);
    expect(next.digest?.getUTCDay()).toBe(1);
  });
});
