import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CycleResult } from '../../src/reconcile/cycle.ts';
import { recon, worldOverrides } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';
import { startWorld, type World } from '../support/world.ts';

const database = useTestDatabase();
let world: World;
// A fresh world each test: a real run changes the sandbox's records.
beforeEach(async () => {
  world = await startWorld(database);
});
afterEach(async () => {
  await world.close();
});

const overrides = () => worldOverrides(world, database);

async function runJson(args: string[]): Promise<CycleResult> {
  const { code, stdout, stderr } = await recon(['run', '--json', ...args], overrides());
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as CycleResult;
}

const writeKey = (w: { system: string; object: string; id: string; field: string; to: unknown }) => `${w.system} ${w.object} ${w.id} ${w.field} := ${JSON.stringify(w.to)}`;

describe('recon run --dry-run', () => {
  it('plans exactly the writes the following real run makes', async () => {
    const planned = (await runJson(['--dry-run'])).checks.flatMap((c) => c.plan?.writes ?? []).map((w) => writeKey(w.write));
    await runJson([]);
    const applied = await database.db.selectFrom('changes').selectAll().where('outcome', '=', 'applied').execute();
    expect(planned.length).toBeGreaterThan(0);
    expect(new Set(planned)).toEqual(new Set(applied.map((c) => writeKey({ system: c.system, object: c.object, id: c.external_id, field: c.field, to: c.after }))));
  });

  it('plans exactly the escalations the following real run opens as review items', async () => {
    const planned = (await runJson(['--dry-run'])).checks.flatMap((c) => c.plan?.escalations ?? []).map((e) => `${e.category} ${e.reason} ${e.source?.id ?? '-'} ${e.target?.id ?? '-'}`);
    await runJson([]);
    const items = await database.db.selectFrom('review_items').selectAll().execute();
    const side = (value: unknown) => (value as { id?: string } | null)?.id ?? '-';
    expect(planned.length).toBeGreaterThan(0);
    expect(planned.sort()).toEqual(items.map((i) => `${i.category} ${i.reason} ${side(i.source)} ${side(i.target)}`).sort());
  });

  it('writes nothing to the systems or the change log', async () => {
    const before = world.scenario.state.writes.length;
    await runJson(['--dry-run']);
    expect(world.scenario.state.writes.length).toBe(before);
    expect(await database.db.selectFrom('changes').selectAll().execute()).toEqual([]);
  });

  it('gives in --json as many planned writes as wouldWrite and planned escalations as escalated', async () => {
    for (const check of (await runJson(['--dry-run'])).checks) {
      expect(check.plan?.writes.length).toBe(check.wouldWrite);
      expect(check.plan?.escalations.length).toBe(check.escalated);
      expect(check.autoFixed).toBe(0);
    }
  });

  it('shows per check what it would write and escalate, then each write with its before and after', async () => {
    const result = await runJson(['--dry-run']);
    const { stdout } = await recon(['run', '--dry-run'], overrides());
    expect(stdout).toMatch(/^check +status +read \(source \/ target\) +found +would write +would escalate/);
    for (const check of result.checks) {
      expect(stdout).toContain(`Plan of ${check.check}: would write ${check.wouldWrite}, would escalate ${check.escalated}`);
      for (const w of check.plan?.writes ?? []) expect(stdout).toMatch(new RegExp(`deal ${w.write.id} +${w.write.field} +${w.write.from} → ${w.write.to} +${w.rule}`));
    }
  });
});
