import { recordKey } from '../../domain/records.ts';
import type { Decided } from '../../domain/store.ts';
import type { DbOrTx } from '../connect.ts';

/** Stores what a run found and decided, in chunks. */
export async function saveDiscrepancies(db: DbOrTx, runId: string, decided: Decided[]): Promise<void> {
  for (let i = 0; i < decided.length; i += 500) {
    const rows = decided.slice(i, i + 500).map(({ discrepancy: d, resolution: r }) => ({
      run_id: runId,
      check_name: d.check,
      fingerprint: d.fingerprint,
      kind: d.kind,
      category: d.category,
      entity_key: d.entityKey,
      source_key: d.source ? recordKey(d.source) : null,
      target_key: d.target ? recordKey(d.target) : null,
      source_value: jsonValue(d.sourceValue),
      target_value: jsonValue(d.targetValue),
      resolution: r.type,
      reason: r.type === 'escalate' ? r.reason : r.type === 'auto_fix' ? r.rule : null,
    }));
    await db.insertInto('discrepancies').values(rows).execute();
  }
}

/** JSON columns get JSON text so that strings, numbers and lists survive both drivers alike. */
export function jsonValue(value: unknown): string {
  return JSON.stringify(value ?? null);
}
