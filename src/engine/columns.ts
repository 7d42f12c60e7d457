/**
 * Compact columns for snapshots: strings packed as UTF-8 bytes in one buffer (a million ids cost
 * about 20 MB instead of about 70 as string objects), found again through an open-addressing
 * hash index over those bytes. Pure.
 */

/** The most rows a snapshot column holds: 134 million, far past any customer base Recon serves. */
export const MAX_ROWS = 2 ** 27;

/**
 * An ArrayBuffer that grows in place up to `maxBytes`: only the address space is reserved, and
 * growing copies nothing and leaves no garbage behind, so a column of a million rows costs its
 * size, not the sum of every size it grew through.
 */
export function growableBuffer(maxBytes: number): ArrayBuffer {
  return new ArrayBuffer(0, { maxByteLength: maxBytes });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let scratch = new Uint8Array(256);

/** The UTF-8 bytes of `text` in a shared scratch buffer (valid until the next call), and their length. */
function encode(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    if (scratch.length < text.length) scratch = new Uint8Array(Math.max(text.length, scratch.length * 2));
    for (let i = 0; i < text.length; i++) scratch[i] = text.charCodeAt(i);
    return text.length;
  }
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  return encoder.encodeInto(text, scratch).written;
}

/** FNV-1a over bytes, 32 bits. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A growable column of strings (or null), packed; rows replaced later are kept aside. */
export class StringColumn {
  private readonly bytesBuffer = growableBuffer(2 ** 31);
  private bytes = new Uint8Array(this.bytesBuffer);
  private used = 0;
  private readonly offsetsBuffer = growableBuffer((MAX_ROWS + 1) * 4);
  private offsets = new Uint32Array(this.offsetsBuffer);
  /** 1 for a null row. */
  private readonly nullsBuffer = growableBuffer(MAX_ROWS);
  private nulls = new Uint8Array(this.nullsBuffer);
  private count = 0;

  constructor() {
    this.offsetsBuffer.resize(1025 * 4);
    this.nullsBuffer.resize(1024);
    this.bytesBuffer.resize(4096);
  }
  /** Rows whose value was replaced after they were added (rare: a record read twice). */
  private replaced: Map<number, string | null> | null = null;

  get size(): number {
    return this.count;
  }

  push(value: string | null | undefined): number {
    const row = this.count++;
    if (this.offsets.length < this.count + 1) this.offsetsBuffer.resize((Math.ceil(this.offsets.length * 1.5) + 1) * 4);
    if (this.nulls.length < this.count) this.nullsBuffer.resize(this.offsets.length);
    if (value === null || value === undefined) {
      this.nulls[row] = 1;
      this.offsets[row + 1] = this.used;
      return row;
    }
    const length = encode(value);
    if (this.bytes.length < this.used + length) this.bytesBuffer.resize(Math.max(Math.ceil(this.bytes.length * 1.5), this.used + length));
    this.bytes.set(scratch.subarray(0, length), this.used);
    this.used += length;
    this.offsets[row + 1] = this.used;
    return row;
  }

  /** Gives an existing row another value. */
  set(row: number, value: string | null | undefined): void {
    this.replaced ??= new Map();
    this.replaced.set(row, value ?? null);
  }

  get(row: number): string | null {
    if (this.replaced?.has(row)) return this.replaced.get(row) ?? null;
    if (this.nulls[row]) return null;
    return decoder.decode(this.bytes.subarray(this.offsets[row] as number, this.offsets[row + 1] as number));
  }

  isNull(row: number): boolean {
    if (this.replaced?.has(row)) return this.replaced.get(row) === null;
    return this.nulls[row] === 1;
  }

  /** Whether the row holds exactly `text`, without decoding it. */
  equals(row: number, text: string): boolean {
    if (this.replaced?.has(row)) return this.replaced.get(row) === text;
    if (this.nulls[row]) return false;
    const start = this.offsets[row] as number;
    const end = this.offsets[row + 1] as number;
    const length = encode(text);
    if (length !== end - start) return false;
    for (let i = 0; i < length; i++) if (this.bytes[start + i] !== scratch[i]) return false;
    return true;
  }

  /** Whether this row and a row of another column hold the same string, without decoding either. */
  sameAs(row: number, other: StringColumn, otherRow: number): boolean {
    if (this.replaced?.has(row) || other.replaced?.has(otherRow)) {
      const a = this.get(row);
      return a !== null && a === other.get(otherRow);
    }
    if (this.nulls[row] || other.nulls[otherRow]) return false;
    const start = this.offsets[row] as number;
    const length = (this.offsets[row + 1] as number) - start;
    const otherStart = other.offsets[otherRow] as number;
    if ((other.offsets[otherRow + 1] as number) - otherStart !== length) return false;
    for (let i = 0; i < length; i++) if (this.bytes[start + i] !== other.bytes[otherStart + i]) return false;
    return true;
  }

  /** A 32-bit hash of the row's string (0 for null), equal to {@link hashString} of the same text. */
  hash(row: number): number {
    if (this.replaced?.has(row)) {
      const value = this.replaced.get(row);
      return value === null || value === undefined ? 0 : hashString(value);
    }
    if (this.nulls[row]) return 0;
    return hashBytes(this.bytes, this.offsets[row] as number, this.offsets[row + 1] as number);
  }

  /** Gives back the room kept for growth: called once a read is complete. */
  trim(): void {
    this.bytesBuffer.resize(Math.max(this.used, 1));
    this.offsetsBuffer.resize((this.count + 1) * 4);
    this.nullsBuffer.resize(Math.max(this.count, 1));
  }

  /** Bytes held, for memory accounting. */
  byteSize(): number {
    return this.bytes.byteLength + this.offsets.byteLength + this.nulls.byteLength;
  }
}

export function hashString(text: string): number {
  const length = encode(text);
  return hashBytes(scratch, 0, length);
}

/**
 * Finds rows of a {@link StringColumn} by value: open addressing over row numbers, compared by bytes.
 * Rows are added as the column grows; a value added twice is found at its first row.
 */
export class StringIndex {
  private slots = new Int32Array(2048);
  private filled = 0;

  constructor(private readonly column: StringColumn) {}

  /** Indexes a row; returns the row already holding the same value, or -1 when it is new. */
  add(row: number): number {
    if (this.column.isNull(row)) return -1;
    if ((this.filled + 1) * 2 > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    for (let slot = this.column.hash(row) & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot] as number;
      if (held === 0) {
        this.slots[slot] = row + 1;
        this.filled++;
        return -1;
      }
      if (this.column.sameAs(held - 1, this.column, row)) return held - 1;
    }
  }

  /** The first row holding `text`, or -1. */
  find(text: string): number {
    const mask = this.slots.length - 1;
    for (let slot = hashString(text) & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot] as number;
      if (held === 0) return -1;
      if (this.column.equals(held - 1, text)) return held - 1;
    }
  }

  /** The first row holding the same string as `row` of `other`, or -1, without decoding. */
  findRow(other: StringColumn, row: number): number {
    if (other.isNull(row)) return -1;
    const mask = this.slots.length - 1;
    for (let slot = other.hash(row) & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot] as number;
      if (held === 0) return -1;
      if (this.column.sameAs(held - 1, other, row)) return held - 1;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const held of old) {
      if (held === 0) continue;
      let slot = this.column.hash(held - 1) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = held;
    }
  }
}

/**
 * A map from numbers (entity ids) to rows in typed arrays: about a third of a `Map`'s memory at a
 * million entries. Keys are whole numbers below 2^53; a key added twice keeps its first row, and
 * the others are counted as duplicates.
 */
export class NumberIndex {
  private keys: Float64Array;
  private rows: Int32Array;
  private filled = 0;

  constructor(expected: number) {
    let size = 1024;
    while (size < expected * 2) size *= 2;
    this.keys = new Float64Array(size).fill(Number.NaN);
    this.rows = new Int32Array(size);
  }

  private static slotOf(key: number, mask: number): number {
    // Mix the key's low and high halves: entity ids are sequential.
    const low = key >>> 0;
    const high = Math.floor(key / 4294967296) >>> 0;
    return (Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> 0) & mask;
  }

  /** Adds key → row; returns the row the key already had, or -1. */
  add(key: number, row: number): number {
    if ((this.filled + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    for (let slot = NumberIndex.slotOf(key, mask); ; slot = (slot + 1) & mask) {
      const held = this.keys[slot] as number;
      if (Number.isNaN(held)) {
        this.keys[slot] = key;
        this.rows[slot] = row;
        this.filled++;
        return -1;
      }
      if (held === key) return this.rows[slot] as number;
    }
  }

  get(key: number): number {
    const mask = this.keys.length - 1;
    for (let slot = NumberIndex.slotOf(key, mask); ; slot = (slot + 1) & mask) {
      const held = this.keys[slot] as number;
      if (Number.isNaN(held)) return -1;
      if (held === key) return this.rows[slot] as number;
    }
  }

  get size(): number {
    return this.filled;
  }

  private grow(): void {
    const keys = this.keys;
    const rows = this.rows;
    this.keys = new Float64Array(keys.length * 2).fill(Number.NaN);
    this.rows = new Int32Array(keys.length * 2);
    this.filled = 0;
    for (let i = 0; i < keys.length; i++) if (!Number.isNaN(keys[i] as number)) this.add(keys[i] as number, rows[i] as number);
  }
}
