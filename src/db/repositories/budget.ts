/**
 * The shared rate-limit budgets (migrations/0012_shared_budget.sql): every replica on this
 * database asks here before a vendor request. One statement per request (`recon_budget_take`).
 */
import { sql } from 'kysely';
import type { BudgetLedger } from '../../util/shared-limiter.ts';
import type { DbOrTx } from '../connect.ts';

export function budgetLedger(db: DbOrTx): BudgetLedger {
  return {
    async take({ key, replica, cap, windowMs, rolling, paceMs, burst }) {
      const { rows } = await sql<{ wait_ms: number; in_window: number; replicas: number; admitted_at: number | null }>`
        SELECT wait_ms, in_window, replicas, admitted_at FROM recon_budget_take(${key}, ${replica}, ${cap}::integer, ${windowMs}::double precision, ${rolling}, ${paceMs}::double precision, ${burst}::double precision)`.execute(db);
      const row = rows[0];
      if (!row) throw new Error(`the budget ${key} gave no answer`);
      return { waitMs: Number(row.wait_ms), inWindow: Number(row.in_window), replicas: Number(row.replicas), admittedAt: Number(row.admitted_at ?? 0) };
    },
    async settle({ key, admittedAt }) {
      await sql`SELECT recon_budget_settle(${key}, ${admittedAt}::double precision)`.execute(db);
    },
    async pause(key, ms) {
      await sql`
        INSERT INTO vendor_budgets (key, paused_until) VALUES (${key}, extract(epoch FROM clock_timestamp()) * 1000 + ${ms}::double precision)
        ON CONFLICT (key) DO UPDATE SET paused_until = greatest(vendor_budgets.paused_until, excluded.paused_until)`.execute(db);
    },
    async observe({ key, used, windowMs, rolling }) {
      await sql`SELECT recon_budget_observe(${key}, ${used}::integer, ${windowMs}::double precision, ${rolling})`.execute(db);
    },
    async throttled(key, replica) {
      await db.insertInto('vendor_throttles').values({ key, replica }).execute();
      await db.deleteFrom('vendor_throttles').where('at', '<', sql<Date>`now() - interval '1 day'`).execute();
    },
  };
}

/** 429s per budget in the last hour, for `recon status`. */
export async function throttlesLastHour(db: DbOrTx): Promise<Record<string, number>> {
  const rows = await db.selectFrom('vendor_throttles').select(['key', (eb) => eb.fn.countAll<string>().as('n')])
    .where('at', '>', sql<Date>`now() - interval '1 hour'`).groupBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));
}
