import type { DbOrTx } from '../connect.ts';

/** Ignores in force for some checks: fingerprint → expiry (epoch ms) or null for no expiry. */
export async function activeSuppressions(db: DbOrTx, checks: string[], now: Date): Promise<Map<string, number | null>> {
  const active = new Map<string, number | null>();
  if (checks.length === 0) return active;
  const rows = await db
    .selectFrom('suppressions')
    .select(['fingerprint', 'expires_at'])
    .where('check_name', 'in', checks)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
  for (const row of rows) {
    const until = row.expires_at ? new Date(row.expires_at).getTime() : null;
    const current = active.get(row.fingerprint);
    // The longest-lasting ignore wins.
    if (current === undefined || (current !== null && (until === null || until > current))) active.set(row.fingerprint, until);
  }
  return active;
}

export async function addSuppression(
  db: DbOrTx,
  input: { fingerprint: string; check: string; createdBy: string; reason?: string | null; reviewItemId?: string | null; expiresAt?: Date | null },
): Promise<void> {
  await db
    .insertInto('suppressions')
    .values({
      fingerprint: input.fingerprint,
      check_name: input.check,
      created_by: input.createdBy,
      reason: input.reason ?? null,
      review_item_id: input.reviewItemId ?? null,
      expires_at: input.expiresAt ?? null,
    })
    .execute();
}
