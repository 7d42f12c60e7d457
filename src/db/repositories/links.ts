import type { NewLinkPair, ObjectRef } from '../../domain/store.ts';
import { sql } from 'kysely';
import type { DbOrTx } from '../connect.ts';

const CHUNK = 1000;

/** Stored links of one object, external id → entity id; only of `ids` when given. */
export async function loadLinks(db: DbOrTx, side: ObjectRef, ids?: readonly string[]): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const query = (chunk?: readonly string[]) => {
    let q = db.selectFrom('links').select(['entity_id', 'external_id']).where('system', '=', side.system).where('object', '=', side.object);
    if (chunk) q = q.where('external_id', 'in', chunk);
    return q.execute();
  };
  if (!ids) {
    for (const row of await query()) links.set(row.external_id, row.entity_id);
    return links;
  }
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    if (chunk.length) for (const row of await query(chunk)) links.set(row.external_id, row.entity_id);
  }
  return links;
}

/** Every link of an object in chunks ordered by id (keyset paging), so a million never sit in memory at once. */
export async function* streamLinks(db: DbOrTx, side: ObjectRef, chunkSize = 10_000): AsyncGenerator<[string, string][]> {
  let after = '0';
  for (;;) {
    const rows = await db
      .selectFrom('links')
      .select(['id', 'entity_id', 'external_id'])
      .where('system', '=', side.system)
      .where('object', '=', side.object)
      .where('id', '>', after)
      .orderBy('id')
      .limit(chunkSize)
      .execute();
    if (rows.length === 0) return;
    yield rows.map((row) => [row.external_id, row.entity_id]);
    after = (rows.at(-1) as { id: string }).id;
    if (rows.length < chunkSize) return;
  }
}

/** For records of `from`, the ids of the records of `to` linked to the same entity. */
export async function linkedCounterparts(db: DbOrTx, from: ObjectRef, ids: readonly string[], to: ObjectRef): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    if (chunk.length === 0) continue;
    const rows = await db
      .selectFrom('links as a')
      .innerJoin('links as b', 'b.entity_id', 'a.entity_id')
      .select(['a.external_id as from_id', 'b.external_id as to_id'])
      .where('a.system', '=', from.system)
      .where('a.object', '=', from.object)
      .where('a.external_id', 'in', chunk)
      .where('b.system', '=', to.system)
      .where('b.object', '=', to.object)
      .execute();
    for (const row of rows) {
      const list = out.get(row.from_id);
      if (list) list.push(row.to_id);
      else out.set(row.from_id, [row.to_id]);
    }
  }
  return out;
}

const key = (ref: ObjectRef & { id: string }) => `${ref.system}:${ref.object}:${ref.id}`;

/**
 * Records new pairs: a side already linked lends its entity to the other; otherwise both get a
 * new entity. A record already linked elsewhere keeps its link. Returns the links written. Reads
 * only the links of the records involved. Each statement takes its rows as arrays (`unnest`), and
 * a new pair's entity and both its links are written by one statement that answers only a count:
 * a first cycle's hundred thousand pairs cost a few dozen statements, and the embedded database
 * (where every row a statement returns is converted in JavaScript) hands back no rows.
 */
export async function saveLinks(db: DbOrTx, pairs: NewLinkPair[]): Promise<number> {
  // A record in two pairs: the later pair waits until the first is written, then joins its entity.
  const seen = new Set<string>();
  const first: NewLinkPair[] = [];
  const later: NewLinkPair[] = [];
  for (const pair of pairs) {
    const repeated = seen.has(key(pair.source)) || seen.has(key(pair.target));
    seen.add(key(pair.source));
    seen.add(key(pair.target));
    (repeated ? later : first).push(pair);
  }
  let written = 0;
  for (let i = 0; i < first.length; i += SAVE_CHUNK) {
    const chunk = first.slice(i, i + SAVE_CHUNK);
    const existing = await existingLinks(db, chunk.flatMap((p) => [p.source, p.target]));
    const needEntity = chunk.filter((p) => !existing.has(key(p.source)) && !existing.has(key(p.target)));
    const halfLinked = chunk.filter((p) => existing.has(key(p.source)) !== existing.has(key(p.target)));
    written += await insertNewPairs(db, needEntity);
    const rows = halfLinked.map((p) => {
      const entity = (existing.get(key(p.source)) ?? existing.get(key(p.target))) as string;
      return linkRow(existing.has(key(p.source)) ? p.target : p.source, entity, p.matchedBy);
    });
    written += await insertLinks(db, rows);
  }
  return later.length > 0 ? written + (await saveLinks(db, later)) : written;
}

const SAVE_CHUNK = 5_000;

/** A new entity per pair and both its links, in one statement; returns the links written. */
async function insertNewPairs(db: DbOrTx, pairs: NewLinkPair[]): Promise<number> {
  if (pairs.length === 0) return 0;
  const column = (f: (p: NewLinkPair) => string) => pairs.map(f);
  const result = await sql<{ n: number }>`
    WITH pair AS (
      SELECT nextval(pg_get_serial_sequence('entities', 'id')) AS entity, u.*
        FROM unnest(${column((p) => p.source.system)}::text[], ${column((p) => p.source.object)}::text[], ${column((p) => p.source.id)}::text[],
                    ${column((p) => p.target.system)}::text[], ${column((p) => p.target.object)}::text[], ${column((p) => p.target.id)}::text[],
                    ${column((p) => p.matchedBy)}::text[])
             AS u(source_system, source_object, source_id, target_system, target_object, target_id, matched_by)
    ), entity AS (
      INSERT INTO entities (id, created_at) SELECT entity, now() FROM pair
    ), link AS (
      INSERT INTO links (entity_id, system, object, external_id, matched_by)
      SELECT entity, source_system, source_object, source_id, matched_by FROM pair
      UNION ALL
      SELECT entity, target_system, target_object, target_id, matched_by FROM pair
      ON CONFLICT (system, object, external_id) DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM link`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

async function existingLinks(db: DbOrTx, refs: (ObjectRef & { id: string })[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const groups = new Map<string, { side: ObjectRef; ids: Set<string> }>();
  for (const ref of refs) {
    const k = `${ref.system}:${ref.object}`;
    const group = groups.get(k) ?? { side: { system: ref.system, object: ref.object }, ids: new Set<string>() };
    group.ids.add(ref.id);
    groups.set(k, group);
  }
  for (const { side, ids } of groups.values()) {
    const rows = await sql<{ entity_id: string; external_id: string }>`
      SELECT entity_id, external_id FROM links
       WHERE system = ${side.system} AND object = ${side.object} AND external_id = ANY(${[...ids]}::text[])`.execute(db);
    for (const row of rows.rows) found.set(`${side.system}:${side.object}:${row.external_id}`, String(row.entity_id));
  }
  return found;
}

type LinkRow = { entity_id: string; system: string; object: string; external_id: string; matched_by: NewLinkPair['matchedBy'] };

function linkRow(side: ObjectRef & { id: string }, entity: string, matchedBy: NewLinkPair['matchedBy']): LinkRow {
  return { entity_id: entity, system: side.system, object: side.object, external_id: side.id, matched_by: matchedBy };
}

async function insertLinks(db: DbOrTx, rows: LinkRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await sql<{ n: number }>`
    WITH link AS (
      INSERT INTO links (entity_id, system, object, external_id, matched_by)
      SELECT * FROM unnest(${rows.map((r) => r.entity_id)}::bigint[], ${rows.map((r) => r.system)}::text[], ${rows.map((r) => r.object)}::text[],
                           ${rows.map((r) => r.external_id)}::text[], ${rows.map((r) => r.matched_by)}::text[])
      ON CONFLICT (system, object, external_id) DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM link`.execute(db);
  return Number(inserted.rows[0]?.n ?? 0);
}

/**
 * A person said `target` is the source's counterpart: the target joins the source's entity (or
 * both a new one), and any other record of the target's object on that entity leaves it.
 */
export async function linkByPerson(db: DbOrTx, source: ObjectRef & { id: string }, target: ObjectRef & { id: string }): Promise<void> {
  const [sourceEntity] = [...(await loadLinks(db, source, [source.id])).values()];
  let entity = sourceEntity;
  if (entity === undefined) {
    const [created] = await db.insertInto('entities').values({ created_at: new Date() }).returning('id').execute();
    entity = (created as { id: string }).id;
    await db.insertInto('links').values(linkRow(source, entity, 'person')).execute();
  }
  await db.deleteFrom('links')
    .where('system', '=', target.system)
    .where('object', '=', target.object)
    .where((eb) => eb.or([eb('external_id', '=', target.id), eb('entity_id', '=', entity as string)]))
    .execute();
  await db.insertInto('links').values(linkRow(target, entity, 'person')).execute();
}
