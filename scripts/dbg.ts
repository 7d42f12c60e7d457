import { openTestDatabase } from '../test/support/database.ts';
import { runHistory } from '../test/sim/runner.ts';
const db = await openTestDatabase();
const steps: any[] = [
  { kind: 'cycle', mode: 'incremental', check: 'payment-status' },
  { kind: 'hubspot', n: 464, stage: 'appointmentscheduled', by: 'person', fate: 'queued' },
  { kind: 'deliver', take: 7, shuffle: true, duplicate: true, forge: false },
  { kind: 'cycle', mode: 'incremental', check: 'payment-status' },
];
(globalThis as any).DEBUG_DB = db;
console.log(await runHistory(db, 32, steps));
const items = await db.db.selectFrom('review_items').selectAll().execute();
for (const i of items) console.log(i.id, i.status, i.kind, i.reason, i.fingerprint, JSON.stringify(i.source), JSON.stringify(i.target), i.last_seen_run_id);
console.log(await db.db.selectFrom('runs').select(['id','check_name','mode','status']).execute());
console.log(await db.db.selectFrom('inbox').select(['provider','event_id','status','outcome','object_id']).execute());
console.log(await db.db.selectFrom('discrepancies').select(['run_id','fingerprint','kind','resolution','reason','source_key','target_key','source_value','target_value']).execute());
await db.close();
