/**
 * Time to consistency in the weekly digest, with known figures: per loop, from the change of the
 * record a write copies from to the applied write, p50 and p95 (nearest rank), against the week before.
 */
import { describe, expect, it } from 'vitest';
import { digestMessage } from '../../src/digest/message.ts';
import { digestFigures } from '../../src/digest/query.ts';
import { useTestDatabase } from '../support/db.ts';
import { POSTED_AT } from './seed.ts';

const database = useTestDatabase();
let n = 0;

/** A write applied at `at` whose source changed `seconds` before. */
async function write(actor: string, at: string, seconds: number | null, outcome: 'applied' | 'noop' = 'applied') {
  const when = new Date(`${at}Z`);
  await database.db.insertInto('changes').values({
    at: when, actor, origin: actor === 'fast-loop' ? `event:stripe:evt_${n}` : actor === 'auto' ? 'run:1' : 'decision:1', run_id: null, check_name: 'payment-status', fingerprint: `fp-${n}`,
    system: 'hubspot', object: 'deals', external_id: String(100 + n), field: 'dealstage', before: '"closedwon"', after: '"closedlost"', rule: 'source_of_truth', reason: null,
    outcome, error: null, idempotency_key: `key-${n++}`, source_changed_at: seconds === null ? null : new Date(when.getTime() - seconds * 1000),
  }).execute();
}

async function seed() {
  // The week reported (2026-11-16 to 22): webhooks 2, 4, 6 and 100 s; cycles 1 h and 2 h.
  for (const [s, day] of [[2, 16], [4, 17], [6, 18], [100, 22]] as const) await write('fast-loop', `2026-11-${day}T10:00:00`, s);
  await write('auto', '2026-11-17T06:00:00', 3600);
  await write('auto', '2026-11-19T06:00:00', 7200);
  // Not measured: a write that changed nothing, a person's decision, a write whose source time is unknown.
  await write('auto', '2026-11-19T06:00:00', 5, 'noop');
  await write('U0OPSLEAD', '2026-11-19T07:00:00', 50);
  await write('auto', '2026-11-19T08:00:00', null);
  // The week before: one webhook write of 10 s.
  await write('fast-loop', '2026-11-12T10:00:00', 10);
}

describe('time to consistency in the digest', () => {
  it('gives each loop’s p50 and p95 over the writes it applied in the week, and the week before', async () => {
    await seed();
    const { week, previous } = await digestFigures(database.db, POSTED_AT);
    expect(week.timeToConsistency).toEqual({ fast: { writes: 4, p50Seconds: 4, p95Seconds: 100 }, slow: { writes: 2, p50Seconds: 3600, p95Seconds: 7200 } });
    expect(previous.timeToConsistency).toEqual({ fast: { writes: 1, p50Seconds: 10, p95Seconds: 10 }, slow: null });
  });

  it('says it in one line of the digest, each loop against the week before', async () => {
    await seed();
    const message = digestMessage(await digestFigures(database.db, POSTED_AT));
    const text = message.blocks.map((b) => (b.type === 'section' ? b.text?.text ?? '' : '')).join('\n');
    expect(text).toContain('*Time to consistency* (from a change to the write that made the other side agree): webhooks p50 4 s, p95 1.7 min over 4 writes (the week before: p50 10 s, p95 10 s over 1); cycles p50 1.0 h, p95 2.0 h over 2 writes (none the week before)');
  });
});
