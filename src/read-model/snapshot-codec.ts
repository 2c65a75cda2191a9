import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';

/*
 * A schema-less columnar codec for the read model's state: Maps of same-shaped records (the org
 * states, users, teams, projects, runs …), Sets and Maps of strings, and scalars.
 *
 * Why not v8.serialize or JSON: on a state of a million events both cost seconds each way (numbers in
 * snapshot.ts), about as long as replaying the events, because they write and re-create every
 * object property by property and every string as a fresh copy. Here each record field becomes one
 * column, strings are interned into one table (ids repeat across maps, sets and records: each is
 * written, parsed and kept in memory once), and numbers, lengths and string references go to one
 * Int32Array. The column layout is derived from the values themselves, so a field added to the model
 * is carried without touching this file; anything that is not one of the shapes below goes through
 * v8.serialize as a fallback column.
 */

/** Layout of one column (the "schema", derived while encoding and stored with the data). */
type Column =
  | { t: 'none' }
  | { t: 'str' }
  | { t: 'int' }
  | { t: 'bool' }
  | { t: 'set'; items: Column }
  | { t: 'arr'; items: Column }
  | { t: 'map'; keys: Column; values: Column }
  | { t: 'rec'; fields: string[]; cols: Column[] }
  | { t: 'any' };

const NULL_REF = -1;
const UNDEFINED_REF = -2;

class IntWriter {
  private buf = new Int32Array(1 << 16);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length * 4);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isInt32(v: unknown): boolean {
  return typeof v === 'number' && (v | 0) === v && !Object.is(v, -0);
}

function sameKeys(o: Record<string, unknown>, fields: readonly string[]): boolean {
  let n = 0;
  for (const _ in o) n++;
  if (n !== fields.length) return false;
  for (const f of fields) if (!Object.prototype.hasOwnProperty.call(o, f)) return false;
  return true;
}

class Encoder {
  readonly ints = new IntWriter();
  readonly strings: string[] = [];
  readonly anys: unknown[] = [];
  private readonly stringIds = new Map<string, number>();

  private str(s: string | null | undefined): void {
    if (s === null) return this.ints.push(NULL_REF);
    if (s === undefined) return this.ints.push(UNDEFINED_REF);
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.push(s) - 1;
      this.stringIds.set(s, id);
    }
    this.ints.push(id);
  }

  column(values: readonly unknown[]): Column {
    if (values.length === 0) return { t: 'none' };
    const first = values[0];
    if (first === null || first === undefined || typeof first === 'string') {
      if (values.every((v) => v === null || v === undefined || typeof v === 'string')) {
        for (const v of values) this.str(v as string | null | undefined);
        return { t: 'str' };
      }
    } else if (typeof first === 'boolean') {
      if (values.every((v) => typeof v === 'boolean')) {
        for (const v of values) this.ints.push(v ? 1 : 0);
        return { t: 'bool' };
      }
    } else if (typeof first === 'number') {
      if (values.every(isInt32)) {
        for (const v of values) this.ints.push(v as number);
        return { t: 'int' };
      }
    } else if (first instanceof Set) {
      if (values.every((v) => v instanceof Set)) {
        const items: unknown[] = [];
        for (const s of values as Set<unknown>[]) {
          this.ints.push(s.size);
          for (const x of s) items.push(x);
        }
        return { t: 'set', items: this.column(items) };
      }
    } else if (first instanceof Map) {
      if (values.every((v) => v instanceof Map)) {
        const keys: unknown[] = [];
        const vals: unknown[] = [];
        for (const m of values as Map<unknown, unknown>[]) {
          this.ints.push(m.size);
          for (const [k, v] of m) {
            keys.push(k);
            vals.push(v);
          }
        }
        const keyCol = this.column(keys);
        return { t: 'map', keys: keyCol, values: this.column(vals) };
      }
    } else if (Array.isArray(first)) {
      if (values.every((v) => Array.isArray(v))) {
        const items: unknown[] = [];
        for (const a of values as unknown[][]) {
          this.ints.push(a.length);
          for (const x of a) items.push(x);
        }
        return { t: 'arr', items: this.column(items) };
      }
    } else if (isPlainObject(first)) {
      const fields = Object.keys(first);
      if (values.every((v) => isPlainObject(v) && sameKeys(v, fields))) {
        const recs = values as Record<string, unknown>[];
        const cols = fields.map((f) => this.column(recs.map((r) => r[f])));
        return { t: 'rec', fields, cols };
      }
    }
    // Mixed or unusual values: exact, if slower.
    this.ints.push(this.anys.push(values) - 1);
    return { t: 'any' };
  }
}

class Decoder {
  private at = 0;

  constructor(
    private readonly ints: Int32Array,
    private readonly strings: readonly string[],
    private readonly anys: readonly unknown[][],
  ) {}

  private next(): number {
    const v = this.ints[this.at++];
    if (v === undefined) throw new RangeError('snapshot codec: the integer stream is too short');
    return v;
  }

  private lengths(n: number): { lens: number[]; total: number } {
    const lens = new Array<number>(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += lens[i] = this.next();
    return { lens, total };
  }

  column(c: Column, n: number): unknown[] {
    const out = new Array<unknown>(n);
    switch (c.t) {
      case 'none':
        if (n !== 0) throw new RangeError('snapshot codec: an empty column with rows');
        return out;
      case 'str':
        for (let i = 0; i < n; i++) {
          const id = this.next();
          out[i] = id === NULL_REF ? null : id === UNDEFINED_REF ? undefined : this.strings[id];
        }
        return out;
      case 'int':
        for (let i = 0; i < n; i++) out[i] = this.next();
        return out;
      case 'bool':
        for (let i = 0; i < n; i++) out[i] = this.next() === 1;
        return out;
      case 'set': {
        const { lens, total } = this.lengths(n);
        const items = this.column(c.items, total);
        let k = 0;
        for (let i = 0; i < n; i++) {
          const s = new Set<unknown>();
          for (let j = lens[i] as number; j > 0; j--) s.add(items[k++]);
          out[i] = s;
        }
        return out;
      }
      case 'arr': {
        const { lens, total } = this.lengths(n);
        const items = this.column(c.items, total);
        let k = 0;
        for (let i = 0; i < n; i++) {
          const len = lens[i] as number;
          out[i] = items.slice(k, k + len);
          k += len;
        }
        return out;
      }
      case 'map': {
        const { lens, total } = this.lengths(n);
        const keys = this.column(c.keys, total);
        const vals = this.column(c.values, total);
        let k = 0;
        for (let i = 0; i < n; i++) {
          const m = new Map<unknown, unknown>();
          for (let j = lens[i] as number; j > 0; j--, k++) m.set(keys[k], vals[k]);
          out[i] = m;
        }
        return out;
      }
      case 'rec': {
        const cols = c.cols.map((col) => this.column(col, n));
        for (let i = 0; i < n; i++) {
          const o: Record<string, unknown> = {};
          for (let f = 0; f < c.fields.length; f++) o[c.fields[f] as string] = (cols[f] as unknown[])[i];
          out[i] = o;
        }
        return out;
      }
      case 'any': {
        const values = this.anys[this.next()];
        if (!values || values.length !== n)
          throw new RangeError('snapshot codec: a fallback column is missing');
        return values;
      }
    }
  }

  done(): boolean {
    return this.at === this.ints.length;
  }
}

/**
 * Encodes a value (typically an object of Maps) into a self-describing buffer:
 * `[u32 n][layout JSON][u32 n][strings JSON][u32 n][fallback v8][int32 stream]`.
 */
export function encodeColumnar(value: unknown): Buffer {
  const enc = new Encoder();
  const layout = enc.column([value]);
  const parts = [
    Buffer.from(JSON.stringify(layout), 'utf8'),
    Buffer.from(JSON.stringify(enc.strings), 'utf8'),
    enc.anys.length > 0 ? v8Serialize(enc.anys) : Buffer.alloc(0),
  ];
  const chunks: Buffer[] = [];
  let size = 0;
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(p.length);
    chunks.push(len, p);
    size += 4 + p.length;
  }
  // The int stream starts 4-byte aligned so that decoding can view it without copying.
  const pad = (4 - (size % 4)) % 4;
  chunks.push(Buffer.alloc(pad), enc.ints.bytes());
  return Buffer.concat(chunks);
}

/** Inverse of {@link encodeColumnar}. Throws on a truncated or inconsistent buffer. */
export function decodeColumnar(bytes: Buffer): unknown {
  let at = 0;
  const part = (): Buffer => {
    if (at + 4 > bytes.length) throw new RangeError('snapshot codec: truncated');
    const len = bytes.readUInt32LE(at);
    const p = bytes.subarray(at + 4, at + 4 + len);
    if (p.length !== len) throw new RangeError('snapshot codec: truncated');
    at += 4 + len;
    return p;
  };
  const layout = JSON.parse(part().toString('utf8')) as Column;
  const strings = JSON.parse(part().toString('utf8')) as string[];
  const anyBytes = part();
  const anys = anyBytes.length > 0 ? (v8Deserialize(anyBytes) as unknown[][]) : [];
  at += (4 - (at % 4)) % 4;
  const rest = bytes.subarray(at);
  if (rest.length % 4 !== 0) throw new RangeError('snapshot codec: truncated integer stream');
  // Copy into a fresh aligned buffer: the file buffer's byteOffset need not be a multiple of 4.
  const ints = new Int32Array(rest.length / 4);
  Buffer.from(ints.buffer).set(rest);
  const dec = new Decoder(ints, strings, anys);
  const [value] = dec.column(layout, 1);
  if (!dec.done()) throw new RangeError('snapshot codec: trailing data');
  return value;
}
