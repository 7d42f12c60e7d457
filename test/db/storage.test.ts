import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.ts';
import { logOutcomes, recordIntents, unsettledIntents, type WriteAttempt } from '../../src/db/repositories/changes.ts';
import { linkedCounterparts, loadLinks, saveLinks, streamLinks } from '../../src/db/repositories/links.ts';
import { openItems, resolveVanished, upsertOpenItems } from '../../src/db/repositories/review-items.ts';
import { startRun } from '../../src/db/repositories/runs.ts';
import { activeSuppressions, addSuppression } from '../../src/db/repositories/suppressions.ts';
import type { Discrepancy, Resolution } from '../../src/domain/discrepancy.ts';
import { useTestDatabase, TEST_DATABASE_URL } from '../support/db.ts';
import { customer, deal } from '../support/records.ts';

const database = useTestDatabase();

const attempt = (key: string, extra: Partial<WriteAttempt> = {}): WriteAttempt => ({
  actor: 'auto', origin: 'run:1', runId: null, check: 'payment-status', fingerprint: 'f1', system: 'hubspot', object: 'deals',
  externalId: '900', field: 'dealstage', before: 'qualifiedtobuy', after: 'closedwon', rule: 'source_of_truth', reason: 'test', idempotencyKey: key, ...extra,
});

const escalation = (fingerprint: string): { discrepancy: Discrepancy; resolution: Extract<Resolution, { type: 'escalate' }> } => ({
  discrepancy: {
    check: 'payment-status', kind: 'value_mismatch', category: 'paid_but_not_marked', fingerprint, entityKey: 'e', matchedBy: 'shared_id', linked: false, candidates: [],
    source: customer('cus_1', { subscription_status: 'active' }), target: deal('900', { dealstage: 'qualifiedtobuy' }), sourceValue: 'active', targetValue: 'qualifiedtobuy',
  },
  resolution: { type: 'escalate', reason: 'high_value', explanation: 'big', suggestion: [], presentation: 'message' },
});

describe(`storage on ${TEST_DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`, () => {
  it('applies each migration once and records it', async () => {
    expect((await migrate(database)).applied).toEqual([]);
    const rows = await sql<{ name: string }>`SELECT name FROM recon_migrations`.execute(database.db);
    expect(rows.rows.map((r) => r.name)).toEqual((await readMigrations()).map((m) => m.name));
  });

  it('keeps the change log append-only', async () => {
    await logOutcomes(database.db, [{ attempt: attempt('k1'), outcome: 'applied' }]);
    await expect(sql`UPDATE changes SET outcome = 'failed'`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM changes`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('refuses a second applied row for one idempotency key', async () => {
    await logOutcomes(database.db, [{ attempt: attempt('k1'), outcome: 'applied' }]);
    await expect(logOutcomes(database.db, [{ attempt: attempt('k1'), outcome: 'applied' }])).rejects.toThrow();
  });

  it('keeps an intent open until its outcome is logged', async () => {
    await recordIntents(database.db, [attempt('k1'), attempt('k2')]);
    await logOutcomes(database.db, [{ attempt: attempt('k1'), outcome: 'applied' }]);
    expect((await unsettledIntents(database.db)).map((i) => i.idempotency_key)).toEqual(['k2']);
  });

  it('stores field values of every JSON type as they were', async () => {
    await logOutcomes(database.db, [{ attempt: attempt('k1', { before: ['a', 'b'], after: 12.5 }), outcome: 'applied' }]);
    const row = await database.db.selectFrom('changes').select(['before', 'after']).executeTakeFirstOrThrow();
    expect(row).toEqual({ before: ['a', 'b'], after: 12.5 });
  });

  it('links a new pair to one new entity, and a half-linked pair to the existing entity', async () => {
    await saveLinks(database.db, [{ source: { system: 'stripe', object: 'customers', id: 'cus_1' }, target: { system: 'hubspot', object: 'deals', id: '900' }, matchedBy: 'email' }]);
    const customers = await loadLinks(database.db, { system: 'stripe', object: 'customers' });
    const deals = await loadLinks(database.db, { system: 'hubspot', object: 'deals' });
    expect(customers.get('cus_1')).toBe(deals.get('900'));
    await saveLinks(database.db, [{ source: { system: 'stripe', object: 'customers', id: 'cus_1' }, target: { system: 'hubspot', object: 'contacts', id: '501' }, matchedBy: 'shared_id' }]);
    const contacts = await loadLinks(database.db, { system: 'hubspot', object: 'contacts' });
    expect(contacts.get('501')).toBe(customers.get('cus_1'));
  });

  it('gives each new pair an entity of its own and counts the links it wrote', async () => {
    const written = await saveLinks(database.db, [
      { source: { system: 'stripe', object: 'customers', id: 'cus_1' }, target: { system: 'hubspot', object: 'deals', id: '900' }, matchedBy: 'email' },
      { source: { system: 'stripe', object: 'customers', id: 'cus_2' }, target: { system: 'hubspot', object: 'deals', id: '901' }, matchedBy: 'shared_id' },
    ]);
    const customers = await loadLinks(database.db, { system: 'stripe', object: 'customers' });
    const deals = await loadLinks(database.db, { system: 'hubspot', object: 'deals' });
    expect(written).toBe(4);
    expect([deals.get('900'), deals.get('901')]).toEqual([customers.get('cus_1'), customers.get('cus_2')]);
    expect(customers.get('cus_1')).not.toBe(customers.get('cus_2'));
  });

  it('joins a later pair of one call to the entity of an earlier pair sharing its record', async () => {
    const written = await saveLinks(database.db, [
      { source: { system: 'stripe', object: 'customers', id: 'cus_1' }, target: { system: 'hubspot', object: 'deals', id: '900' }, matchedBy: 'email' },
      { source: { system: 'stripe', object: 'customers', id: 'cus_1' }, target: { system: 'hubspot', object: 'contacts', id: '501' }, matchedBy: 'shared_id' },
    ]);
    const contacts = await loadLinks(database.db, { system: 'hubspot', object: 'contacts' });
    const customers = await loadLinks(database.db, { system: 'stripe', object: 'customers' });
    expect(written).toBe(3);
    expect(contacts.get('501')).toBe(customers.get('cus_1'));
  });

  it('finds the records linked to the same entity on the other side', async () => {
    await saveLinks(database.db, [
      { source: { system: 'stripe', object: 'customers', id: 'cus_1' }, target: { system: 'hubspot', object: 'deals', id: '900' }, matchedBy: 'email' },
      { source: { system: 'stripe', object: 'customers', id: 'cus_2' }, target: { system: 'hubspot', object: 'deals', id: '901' }, matchedBy: 'email' },
    ]);
    const found = await linkedCounterparts(database.db, { system: 'stripe', object: 'customers' }, ['cus_2', 'cus_9'], { system: 'hubspot', object: 'deals' });
    expect([...found]).toEqual([['cus_2', ['901']]]);
  });

  it('streams every link of an object in chunks', async () => {
    await saveLinks(database.db, Array.from({ length: 25 }, (_, i) => ({
      source: { system: 'stripe', object: 'customers', id: `cus_${i}` }, target: { system: 'hubspot', object: 'deals', id: String(900 + i) }, matchedBy: 'email' as const,
    })));
    const chunks: number[] = [];
    for await (const chunk of streamLinks(database.db, { system: 'hubspot', object: 'deals' }, 10)) chunks.push(chunk.length);
    expect(chunks).toEqual([10, 10, 5]);
  });

  it('keeps one open review item per fingerprint across runs', async () => {
    const first = await startRun(database.db, { cycleId: 'c1', check: 'payment-status', mode: 'full', dryRun: false });
    const second = await startRun(database.db, { cycleId: 'c2', check: 'payment-status', mode: 'full', dryRun: false });
    const fields = { source: 'subscription_status', target: 'dealstage' };
    expect(await upsertOpenItems(database.db, first.id, fields, [escalation('f1')])).toEqual({ opened: 1, refreshed: 0 });
    expect(await upsertOpenItems(database.db, second.id, fields, [escalation('f1')])).toEqual({ opened: 0, refreshed: 1 });
    expect(await openItems(database.db)).toHaveLength(1);
  });

  it('resolves open items elsewhere when a run no longer finds them', async () => {
    const run = await startRun(database.db, { cycleId: 'c1', check: 'payment-status', mode: 'full', dryRun: false });
    await upsertOpenItems(database.db, run.id, { source: 's', target: 't' }, [escalation('f1'), escalation('f2')]);
    const resolved = await resolveVanished(database.db, 'payment-status', run.id, new Set(['f2']));
    expect(resolved.map((r) => [r.fingerprint, r.status])).toEqual([['f1', 'resolved_elsewhere']]);
  });

  it('honours a snooze until it expires', async () => {
    const now = new Date('2026-11-23T12:00:00Z');
    await addSuppression(database.db, { fingerprint: 'f1', check: 'payment-status', createdBy: 'U1', expiresAt: new Date(now.getTime() + 60_000) });
    await addSuppression(database.db, { fingerprint: 'f2', check: 'payment-status', createdBy: 'U1', expiresAt: new Date(now.getTime() - 60_000) });
    const active = await activeSuppressions(database.db, ['payment-status'], now);
    expect([...active.keys()]).toEqual(['f1']);
  });
});
