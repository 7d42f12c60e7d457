import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/reports.ts';
import { recon, reconJson, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
beforeAll(async () => {
  world = await startWorld(database);
});
afterAll(async () => {
  await world.close();
});

describe('recon status', () => {
  it('says there are no runs yet on an empty database', async () => {
    const { code, stdout } = await recon(['status'], worldOverrides(world, database));
    expect(code).toBe(0);
    expect(stdout).toContain('No runs yet: try `recon run`.');
    expect(stdout).toContain('Review queue: empty.');
  });

  it('gives the last run of each check and the open queue as JSON, with ISO times', async () => {
    await world.cycle();
    const status = await reconJson<StatusReport>(['status'], worldOverrides(world, database));
    expect(status.database).toBe(database.describe);
    expect(status.runs.map((r) => r.check).sort()).toEqual(world.policy.checks.map((c) => c.name).sort());
    expect(status.runs.find((r) => r.check === 'payment-status')).toEqual({
      check: 'payment-status', runId: expect.any(String), status: 'succeeded', mode: 'full', dryRun: false,
      startedAt: expect.stringMatching(/Z$/), finishedAt: expect.stringMatching(/Z$/),
      found: expect.any(Number), autoFixed: expect.any(Number), wouldWrite: 0, escalated: expect.any(Number), failed: 0, error: null,
    });
    const open = await database.db.selectFrom('review_items').select('id').execute();
    expect(status.queue).toMatchObject({ open: open.length, oldest: { id: expect.any(String), openedAt: expect.stringMatching(/Z$/) } });
  });

  it('shows when each check last ran, relative and in local time', async () => {
    await world.cycle();
    const { stdout } = await recon(['status'], worldOverrides(world, database));
    expect(stdout).toMatch(/^payment-status +just now, \d{4}-\d{2}-\d{2} \d{2}:\d{2} CES?T +succeeded +full/m);
    expect(stdout).toMatch(/^Review queue: \d+ open \(.*\); the oldest, \d+, opened just now, /m);
  });

  it("counts the vendors' 429s of the last hour per budget", async () => {
    await database.db.insertInto('vendor_throttles').values([
      { key: 'hubspot:3f2a9c41d0e2:general', replica: 'a' },
      { key: 'hubspot:3f2a9c41d0e2:general', replica: 'b' },
      { key: 'hubspot:3f2a9c41d0e2:general', replica: 'b', at: new Date(Date.now() - 2 * 3_600_000) },
    ]).execute();
    const { stdout } = await recon(['status'], worldOverrides(world, database));
    expect(stdout).toContain('Rate limits: 2 × 429 from hubspot:3f2a9c41d0e2:general in the last hour.');
  });

  it('says when no vendor answered 429 in the last hour', async () => {
    const { stdout } = await recon(['status'], worldOverrides(world, database));
    expect(stdout).toContain('Rate limits: no 429 in the last hour.');
  });

  it('gives the time to consistency of each loop over the last seven days', async () => {
    await database.db.insertInto('changes').values({
      at: new Date(), actor: 'auto', origin: 'run:1', run_id: null, check_name: 'payment-status', fingerprint: null, system: 'hubspot', object: 'deals', external_id: '1',
      field: 'dealstage', before: '"a"', after: '"b"', rule: null, reason: null, outcome: 'applied', error: null, idempotency_key: 'k1', source_changed_at: new Date(Date.now() - 90 * 60_000),
    }).execute();
    const status = await reconJson<StatusReport>(['status'], worldOverrides(world, database));
    expect(status.consistency).toMatchObject({ fast: null, slow: { writes: 1, p50Seconds: expect.closeTo(5400, 0), p95Seconds: expect.closeTo(5400, 0) } });
    const { stdout } = await recon(['status'], worldOverrides(world, database));
    expect(stdout).toContain('Time to consistency, last 7 days (from a change to the write that made the other side agree): cycles p50 1.5 h, p95 1.5 h over 1 write.');
  });
});
