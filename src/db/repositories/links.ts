import type { MatchedBy } from '../../domain/discrepancy.ts';
import type { LinkIndex } from '../../engine/match.ts';
import type { DbOrTx } from '../connect.ts';

export interface ObjectRef {
  system: string;
  object: string;
}

/** Stored links of a check's two objects: external id → entity id, per side. */
export async function loadLinkIndex(db: DbOrTx, sides: { source: ObjectRef; target: ObjectRef }): Promise<LinkIndex> {
  const load = async (side: ObjectRef) => {
    const rows = await db
      .selectFrom('links')
      .select(['entity_id', 'external_id'])
      .where('system', '=', side.system)
      .where('object', '=', side.object)
      .execute();
    return new Map(rows.map((row) => [row.external_id, row.entity_id]));
  };
  const [source, target] = await Promise.all([load(sides.source), load(sides.target)]);
  return { source, target };
}

/** The link index as savePairs keeps it: `system:object:id` → entity id. */
export function flatLinks(index: LinkIndex, sides: { source: ObjectRef; target: ObjectRef }): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [id, entity] of index.source) flat.set(`${sides.source.system}:${sides.source.object}:${id}`, entity);
  for (const [id, entity] of index.target) flat.set(`${sides.target.system}:${sides.target.object}:${id}`, entity);
  return flat;
}

export interface NewLinkPair {
  source: ObjectRef & { id: string };
  target: ObjectRef & { id: string };
  matchedBy: Exclude<MatchedBy, 'link'>;
}

/**
 * Records new pairs: a side already linked lends its entity to the other; otherwise both get a
 * new entity. A record already linked elsewhere keeps its link. Returns the links written.
 */
export async function savePairs(db: DbOrTx, pairs: NewLinkPair[], existing: Map<string, string>): Promise<number> {
  let written = 0;
  for (let i = 0; i < pairs.length; i += 500) {
    const chunk = pairs.slice(i, i + 500);
    const needEntity = chunk.filter((p) => !existing.has(key(p.source)) && !existing.has(key(p.target)));
    if (needEntity.length) {
      const created = await db.insertInto('entities').values(needEntity.map(() => ({ created_at: new Date() }))).returning('id').execute();
      const rows = needEntity.flatMap((p, n) => [p.source, p.target].map((side) => linkRow(side, (created[n] as { id: string }).id, p.matchedBy)));
      written += await insertLinks(db, rows, existing);
    }
    const halfLinked = chunk.filter((p) => existing.has(key(p.source)) !== existing.has(key(p.target)));
    const rows = halfLinked.map((p) => {
      const entity = (existing.get(key(p.source)) ?? existing.get(key(p.target))) as string;
      return linkRow(existing.has(key(p.source)) ? p.target : p.source, entity, p.matchedBy);
    });
    written += await insertLinks(db, rows, existing);
  }
  return written;
}

type LinkRow = { entity_id: string; system: string; object: string; external_id: string; matched_by: NewLinkPair['matchedBy'] };

function linkRow(side: ObjectRef & { id: string }, entity: string, matchedBy: NewLinkPair['matchedBy']): LinkRow {
  return { entity_id: entity, system: side.system, object: side.object, external_id: side.id, matched_by: matchedBy };
}

async function insertLinks(db: DbOrTx, rows: LinkRow[], existing: Map<string, string>): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('links')
    .values(rows)
    .onConflict((oc) => oc.columns(['system', 'object', 'external_id']).doNothing())
    .returning(['entity_id', 'system', 'object', 'external_id'])
    .execute();
  for (const row of inserted) existing.set(`${row.system}:${row.object}:${row.external_id}`, row.entity_id);
  return inserted.length;
}

function key(ref: ObjectRef & { id: string }): string {
  return `${ref.system}:${ref.object}:${ref.id}`;
}
