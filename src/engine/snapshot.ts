/**
 * One side of a check, compactly: the records a cycle read, with only the fields its checks use.
 *
 * A million records as objects cost over a gigabyte; here each is a row across columns: its id,
 * an interned code per field value (a status or stage is stored once, rows hold a number), its
 * email, the ids it holds for other systems, its aliases, timestamps and field history in typed
 * arrays, and the entity a stored link gives it. A record becomes an object again
 * ({@link Snapshot.record}) only when the engine reports it: a discrepancy, a new link. Pure: no I/O.
 */
import type { ChangedBy, FieldChange, FieldValue, SystemName, SystemRecord } from '../domain/records.ts';
import { growableBuffer, MAX_ROWS, StringColumn, StringIndex } from './columns.ts';

const CHANGED_BY: readonly ChangedBy[] = ['unknown', 'human', 'integration', 'recon'];

/** A growable column of float64s, NaN for "none", grown in place (see {@link growableBuffer}). */
class Floats {
  private readonly buffer = growableBuffer(MAX_ROWS * 8);
  data = new Float64Array(this.buffer);
  ensure(size: number): void {
    const length = this.data.length;
    if (size <= length) return;
    this.buffer.resize(Math.max(size, Math.ceil(length * 1.5), 1024) * 8);
    this.data.fill(Number.NaN, length);
  }
  trim(size: number): void {
    if (this.data.length > size) this.buffer.resize(size * 8);
  }
}

type CodeArray = Uint8Array | Uint16Array | Uint32Array;

/**
 * A growable column of small codes, as narrow as its largest code allows: a byte per row while
 * there are at most 255 distinct values (statuses, stages), wider only when needed.
 */
class Codes {
  private width: 1 | 2 | 4 = 1;
  private buffer = growableBuffer(MAX_ROWS * 4);
  data: CodeArray = new Uint8Array(this.buffer);
  ensure(size: number): void {
    const length = this.data.length;
    if (size <= length) return;
    this.buffer.resize(Math.max(size, Math.ceil(length * 1.5), 1024) * this.width);
  }
  set(row: number, code: number): void {
    if (code > 0xff && this.width === 1) this.widen(code > 0xffff ? 4 : 2);
    else if (code > 0xffff && this.width === 2) this.widen(4);
    this.data[row] = code;
  }
  trim(size: number): void {
    if (this.data.length > size) this.buffer.resize(size * this.width);
  }
  private widen(width: 2 | 4): void {
    const old = this.data;
    this.width = width;
    this.buffer = growableBuffer(MAX_ROWS * 4);
    this.buffer.resize(old.length * width);
    this.data = width === 2 ? new Uint16Array(this.buffer) : new Uint32Array(this.buffer);
    this.data.set(old);
  }
}

/** Growable uint32 offsets, grown in place. */
class Offsets {
  private readonly buffer = growableBuffer(MAX_ROWS * 4);
  data = new Uint32Array(this.buffer);
  ensure(size: number): void {
    const length = this.data.length;
    if (size <= length) return;
    this.buffer.resize(Math.max(size, Math.ceil(length * 1.5), 1024) * 4);
  }
  trim(size: number): void {
    if (this.data.length > size) this.buffer.resize(size * 4);
  }
}

/** Distinct values, each stored once; code 0 is null. */
class Dictionary<V> {
  readonly values: (V | null)[] = [null];
  private readonly codes = new Map<string, number>();
  code(value: V | null, key: (value: V) => string): number {
    if (value === null || value === undefined) return 0;
    const k = key(value);
    let code = this.codes.get(k);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.codes.set(k, code);
    }
    return code;
  }
}

const valueKey = (value: FieldValue & {}): string =>
  typeof value === 'string' ? `s${value}` : typeof value === 'number' ? `n${value}` : typeof value === 'boolean' ? `b${value}` : `a${JSON.stringify(value)}`;

export interface SnapshotOptions {
  system: SystemName;
  object: string;
  /** The fields the checks read; others are dropped. */
  fields: readonly string[];
  /** The systems whose ids records may hold (`refs`), e.g. the CRM for Stripe's `metadata.crm_id`. */
  refSystems: readonly SystemName[];
  /** Builds a record's URL from its id when it is reported; null leaves URLs out. */
  urlOf?: ((id: string) => string | null) | undefined;
}

export class Snapshot {
  readonly system: SystemName;
  readonly object: string;
  readonly fields: readonly string[];
  readonly refSystems: readonly SystemName[];
  private readonly urlOf: ((id: string) => string | null) | undefined;

  private count = 0;
  private readonly ids = new StringColumn();
  private readonly idIndex = new StringIndex(this.ids);
  private readonly columns: Codes[];
  private readonly dictionaries: Dictionary<FieldValue & {}>[];
  private readonly emails = new StringColumn();
  private readonly refs: StringColumn[];
  private readonly aliasStart = new Offsets();
  private readonly aliasList = new StringColumn();
  private aliasIndex: StringIndex | null = null;
  private readonly updated = new Floats();
  /** Per field, allocated when a record first gives that field's history. */
  private readonly historyAt: (Floats | null)[];
  private readonly historyBy: (Codes | null)[];
  private readonly historySource = new Dictionary<string>();
  private readonly historySourceCode: (Codes | null)[];
  private readonly entities = new Floats();

  constructor(options: SnapshotOptions) {
    this.system = options.system;
    this.object = options.object;
    this.fields = [...new Set(options.fields)];
    this.refSystems = [...new Set(options.refSystems)];
    this.urlOf = options.urlOf;
    this.columns = this.fields.map(() => new Codes());
    this.dictionaries = this.fields.map(() => new Dictionary<FieldValue & {}>());
    this.refs = this.refSystems.map(() => new StringColumn());
    this.historyAt = this.fields.map(() => null);
    this.historyBy = this.fields.map(() => null);
    this.historySourceCode = this.fields.map(() => null);
    this.aliasStart.ensure(1);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds a record, keeping only the snapshot's fields. A record already present (read twice:
   * changed during the read, or a counterpart read again) is replaced by the later one. Returns its row.
   */
  add(record: SystemRecord): number {
    const existing = this.idIndex.find(record.id);
    if (existing >= 0) {
      this.write(existing, record, true);
      return existing;
    }
    const row = this.count++;
    this.ids.push(record.id);
    this.idIndex.add(row);
    this.write(row, record, false);
    return row;
  }

  private write(row: number, record: SystemRecord, replacing: boolean): void {
    const size = row + 1;
    this.fields.forEach((field, f) => {
      const column = this.columns[f] as Codes;
      column.ensure(size);
      column.set(row, (this.dictionaries[f] as Dictionary<FieldValue & {}>).code(record.fields[field] ?? null, valueKey));
      const change = record.history[field];
      if (change) this.setHistory(row, field, change);
      else if (this.historyBy[f]) {
        (this.historyBy[f] as Codes).ensure(size);
        (this.historyBy[f] as Codes).set(row, 0);
      }
    });
    if (replacing) {
      this.emails.set(row, record.email);
      this.refSystems.forEach((system, r) => (this.refs[r] as StringColumn).set(row, record.refs[system]));
    } else {
      this.emails.push(record.email);
      this.refSystems.forEach((system, r) => (this.refs[r] as StringColumn).push(record.refs[system]));
      // Aliases are kept from the first read: they name the same record.
      this.aliasStart.ensure(size + 1);
      for (const alias of record.aliases) this.aliasList.push(alias);
      this.aliasStart.data[row + 1] = this.aliasList.size;
      this.aliasIndex = null;
    }
    this.updated.ensure(size);
    this.updated.data[row] = record.updatedAt ?? Number.NaN;
    this.entities.ensure(size);
    if (!replacing) this.entities.data[row] = Number.NaN;
  }

  /**
   * Gives back the room kept for growth, once a read is complete (a million rows keep up to half
   * again as much room otherwise). Adding more afterwards grows it again.
   */
  trim(): void {
    const n = this.count;
    for (const column of [this.ids, this.emails, this.aliasList, ...this.refs]) column.trim();
    for (const codes of this.columns) codes.trim(n);
    for (const codes of [...this.historyBy, ...this.historySourceCode]) codes?.trim(n);
    for (const floats of [this.updated, this.entities, ...this.historyAt]) floats?.trim(n);
    this.aliasStart.trim(n + 1);
  }

  /** The row of a record id, or -1. */
  rowOfId(id: string): number {
    return this.idIndex.find(id);
  }

  /** The row whose id is the string at `row` of `column` (another snapshot's ref), or -1, without decoding. */
  rowOfIdIn(column: StringColumn, row: number): number {
    return this.idIndex.findRow(column, row);
  }

  id(row: number): string {
    return this.ids.get(row) as string;
  }

  /** The packed ids, for comparisons without decoding. */
  get idColumn(): StringColumn {
    return this.ids;
  }

  email(row: number): string | null {
    return this.emails.get(row);
  }

  get emailColumn(): StringColumn {
    return this.emails;
  }

  /** The column of ids this side's records hold for `system`, or null when it keeps none. */
  refColumn(system: SystemName): StringColumn | null {
    const r = this.refSystems.indexOf(system);
    return r < 0 ? null : (this.refs[r] as StringColumn);
  }

  /** The id this record holds for `system` (Stripe `metadata.crm_id` for the CRM), if any. */
  ref(row: number, system: SystemName): string | undefined {
    return this.refColumn(system)?.get(row) ?? undefined;
  }

  aliasCount(row: number): number {
    return (this.aliasStart.data[row + 1] as number) - (this.aliasStart.data[row] as number);
  }

  alias(row: number, n: number): string {
    return this.aliasList.get((this.aliasStart.data[row] as number) + n) as string;
  }

  /** Whether the record is known by the string at `row` of `column` (its own id or an alias), without decoding. */
  holdsIdIn(target: number, column: StringColumn, row: number): boolean {
    if (this.ids.sameAs(target, column, row)) return true;
    const end = this.aliasStart.data[target + 1] as number;
    for (let i = this.aliasStart.data[target] as number; i < end; i++) if (this.aliasList.sameAs(i, column, row)) return true;
    return false;
  }

  /** Whether the record is known by `id`: its own id or one of its aliases. */
  holdsId(row: number, id: string): boolean {
    if (this.ids.equals(row, id)) return true;
    const end = this.aliasStart.data[row + 1] as number;
    for (let i = this.aliasStart.data[row] as number; i < end; i++) if (this.aliasList.equals(i, id)) return true;
    return false;
  }

  /** Rows known by `id` as an alias (built once, when first asked). */
  rowsWithAlias(id: string): number[] {
    if (!this.aliasIndex) {
      this.aliasIndex = new StringIndex(this.aliasList);
      this.aliasOwners = new Int32Array(this.aliasList.size);
      this.moreAliasOwners = new Map();
      for (let row = 0; row < this.count; row++) {
        const end = this.aliasStart.data[row + 1] as number;
        for (let i = this.aliasStart.data[row] as number; i < end; i++) {
          this.aliasOwners[i] = row;
          const first = this.aliasIndex.add(i);
          if (first >= 0) {
            const owners = this.moreAliasOwners.get(first) ?? [];
            owners.push(row);
            this.moreAliasOwners.set(first, owners);
          }
        }
      }
    }
    const first = this.aliasIndex.find(id);
    if (first < 0) return [];
    const rows = [this.aliasOwners?.[first] as number, ...(this.moreAliasOwners?.get(first) ?? [])];
    return [...new Set(rows)];
  }

  private aliasOwners: Int32Array | null = null;
  private moreAliasOwners: Map<number, number[]> | null = null;

  /** The column index of a field, or -1 when the snapshot does not keep it. */
  fieldIndex(field: string): number {
    return this.fields.indexOf(field);
  }

  /** The interned code of a row's value of field number `f`: equal codes, equal values. 0 is null. */
  code(row: number, f: number): number {
    return (this.columns[f] as Codes).data[row] as number;
  }

  /** The value a code stands for, in field number `f`. */
  valueOfCode(f: number, code: number): FieldValue {
    return (this.dictionaries[f] as Dictionary<FieldValue & {}>).values[code] ?? null;
  }

  /** How many distinct values field number `f` holds, null included: codes run from 0 to this minus one. */
  distinctValues(f: number): number {
    return (this.dictionaries[f] as Dictionary<FieldValue & {}>).values.length;
  }

  value(row: number, field: string): FieldValue {
    const f = this.fields.indexOf(field);
    return f < 0 ? null : this.valueOfCode(f, this.code(row, f));
  }

  updatedAt(row: number): number | null {
    const at = this.updated.data[row] as number;
    return Number.isNaN(at) ? null : at;
  }

  /** The last change of a field, when the system gave its history. */
  history(row: number, field: string): FieldChange | undefined {
    const f = this.fields.indexOf(field);
    const byColumn = f < 0 ? null : this.historyBy[f];
    if (!byColumn || row >= byColumn.data.length) return undefined;
    const by = byColumn.data[row] as number;
    if (by === 0) return undefined;
    const at = (this.historyAt[f] as Floats).data[row] as number;
    const source = this.historySource.values[(this.historySourceCode[f] as Codes).data[row] as number];
    return { changedAt: Number.isNaN(at) ? null : at, changedBy: CHANGED_BY[by - 1] as ChangedBy, ...(source ? { sourceType: source } : {}) };
  }

  /** Records a field's last change (as read, or learnt later for a few records). */
  setHistory(row: number, field: string, change: FieldChange): void {
    const f = this.fields.indexOf(field);
    if (f < 0) return;
    const at = (this.historyAt[f] ??= new Floats());
    const by = (this.historyBy[f] ??= new Codes());
    const source = (this.historySourceCode[f] ??= new Codes());
    const size = Math.max(row + 1, this.count);
    at.ensure(size);
    by.ensure(size);
    source.ensure(size);
    at.data[row] = change.changedAt ?? Number.NaN;
    by.set(row, 1 + CHANGED_BY.indexOf(change.changedBy));
    source.set(row, change.sourceType ? this.historySource.code(change.sourceType, (s) => s) : 0);
  }

  /** The entity a stored link gives the record, or NaN. */
  entity(row: number): number {
    return this.entities.data[row] as number;
  }

  setEntity(row: number, entity: number): void {
    this.entities.data[row] = entity;
  }

  /** The record as an object again, for a discrepancy or a message. */
  record(row: number): SystemRecord {
    const fields: Record<string, FieldValue> = {};
    const history: Record<string, FieldChange> = {};
    for (const field of this.fields) {
      fields[field] = this.value(row, field);
      const change = this.history(row, field);
      if (change) history[field] = change;
    }
    const refs: Record<string, string> = {};
    for (const system of this.refSystems) {
      const ref = this.ref(row, system);
      if (ref !== undefined) refs[system] = ref;
    }
    const aliases: string[] = [];
    for (let n = 0; n < this.aliasCount(row); n++) aliases.push(this.alias(row, n));
    const id = this.id(row);
    return {
      system: this.system, object: this.object, id, fields, email: this.email(row), refs, aliases,
      updatedAt: this.updatedAt(row), history, url: this.urlOf?.(id) ?? null,
    };
  }

  /** Every record of the snapshot, for tests and small callers. */
  records(): SystemRecord[] {
    return Array.from({ length: this.count }, (_, row) => this.record(row));
  }
}

/** A snapshot of some records, for tests and small callers: every field they carry is kept. */
export function snapshotOf(
  side: { system: SystemName; object: string },
  records: readonly SystemRecord[],
  options: { fields?: readonly string[]; refSystems?: readonly SystemName[]; entities?: ReadonlyMap<string, string | number> } = {},
): Snapshot {
  const fields = options.fields ?? [...new Set(records.flatMap((r) => [...Object.keys(r.fields), ...Object.keys(r.history)]))];
  const refSystems = options.refSystems ?? [...new Set(records.flatMap((r) => Object.keys(r.refs)))];
  const snapshot = new Snapshot({ system: side.system, object: side.object, fields, refSystems, urlOf: undefined });
  for (const record of records) {
    const row = snapshot.add(record);
    const entity = options.entities?.get(record.id);
    if (entity !== undefined) snapshot.setEntity(row, Number(entity));
  }
  return snapshot;
}
