import { types } from 'node:util';

/*
 * A schema-less columnar codec for the read model's state: Maps of same-shaped records (the org
 * states, users, teams, projects, runs …), Sets and Maps of strings, and scalars.
 *
 * Why not v8.serialize or JSON: on a state of a million events both cost seconds each way (numbers in
 * snapshot.ts), about as long as replaying the events, because they write and re-create every
 * object property by property and every string as a fresh copy. Here each record field becomes one
 * column, strings are interned into one table (ids repeat across maps, sets and records: each is
 * written, parsed and kept in memory once), and numbers, lengths and string references go to one
 * Int32Array (non-integers to a Float64Array). The column layout is derived from the values
 * themselves, so a field added to the model is carried without touching this file; values of mixed
 * kinds get one layout each. Anything that is not JSON-like data, Maps or Sets (a class instance, a
 * Date, a bigint) is refused rather than silently flattened: such state needs a codec decision.
 */

/** Layout of one column (the "schema", derived while encoding and stored with the data). */
type Column =
  | { t: 'none' }
  | { t: 'str' }
  | { t: 'int' }
  | { t: 'num' }
  | { t: 'bool' }
  | { t: 'set'; items: Column }
  | { t: 'arr'; items: Column }
  | { t: 'tup'; cols: Column[] }
  | { t: 'map'; keys: Column; values: Column }
  | { t: 'rec'; fields: string[]; cols: Column[] }
  | { t: 'mix'; cols: Column[] };

/** Longest array encoded as a tuple (a column per slot) rather than as a list. */
const MAX_TUPLE = 8;
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

class FloatWriter {
  private buf = new Float64Array(256);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length * 8);
  }
}

/** A value the codec cannot carry exactly. */
export class UnsupportedValueError extends TypeError {
  constructor(what: string) {
    super(`snapshot codec: cannot encode ${what}`);
    this.name = 'UnsupportedValueError';
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
  readonly floats = new FloatWriter();
  readonly strings: string[] = [];
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
      if (values.every((v) => typeof v === 'number')) {
        for (const v of values) this.floats.push(v as number);
        return { t: 'num' };
      }
    } else if (types.isSet(first)) {
      if (values.every((v) => types.isSet(v))) {
        const items: unknown[] = [];
        for (const s of values as Set<unknown>[]) {
          this.ints.push(s.size);
          for (const x of s) items.push(x);
        }
        return { t: 'set', items: this.column(items) };
      }
    } else if (types.isMap(first)) {
      if (values.every((v) => types.isMap(v))) {
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
        // Tuples (every array as long as the first, and short): one column per slot, so that
        // [string, int, int] rows stay three homogeneous columns instead of one mixed one.
        const width = first.length;
        if (width > 0 && width <= MAX_TUPLE && values.every((v) => (v as unknown[]).length === width)) {
          const rows = values as unknown[][];
          const cols: Column[] = [];
          for (let i = 0; i < width; i++) cols.push(this.column(rows.map((r) => r[i])));
          return { t: 'tup', cols };
        }
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
    } else {
      throw new UnsupportedValueError(
        typeof first === 'object' ? `a ${Object.prototype.toString.call(first)}` : `a ${typeof first}`,
      );
    }
    // Values of different kinds (or records of different shapes): one layout per value.
    return { t: 'mix', cols: values.map((v) => this.column([v])) };
  }
}

class Decoder {
  private at = 0;
  private floatAt = 0;

  constructor(
    private readonly ints: Int32Array,
    private readonly floats: Float64Array,
    private readonly strings: readonly string[],
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
      case 'num':
        for (let i = 0; i < n; i++) {
          const v = this.floats[this.floatAt++];
          if (v === undefined) throw new RangeError('snapshot codec: the number stream is too short');
          out[i] = v;
        }
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
      case 'tup': {
        const cols = c.cols.map((col) => this.column(col, n));
        for (let i = 0; i < n; i++) out[i] = cols.map((col) => col[i]);
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
      case 'mix':
        if (c.cols.length !== n) throw new RangeError('snapshot codec: a mixed column has the wrong length');
        for (let i = 0; i < n; i++) out[i] = this.column(c.cols[i] as Column, 1)[0];
        return out;
      default:
        throw new RangeError(`snapshot codec: unknown column type ${(c as { t: unknown }).t as string}`);
    }
  }

  done(): boolean {
    return this.at === this.ints.length && this.floatAt === this.floats.length;
  }
}

/**
 * Encodes a value (typically an object of Maps) into a self-describing buffer:
 * `[u32 n][layout JSON][u32 n][strings JSON][u32 n][float64 stream][int32 stream]` (little-endian
 * typed arrays, as on every platform Node supports).
 */
export function encodeColumnar(value: unknown): Buffer {
  const enc = new Encoder();
  const layout = enc.column([value]);
  const parts = [
    Buffer.from(JSON.stringify(layout), 'utf8'),
    Buffer.from(JSON.stringify(enc.strings), 'utf8'),
    enc.floats.bytes(),
  ];
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(p.length);
    chunks.push(len, p);
  }
  chunks.push(enc.ints.bytes());
  return Buffer.concat(chunks);
}

/** Inverse of {@link encodeColumnar}. Throws a RangeError on a truncated or inconsistent buffer. */
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
  const floatBytes = part();
  const rest = bytes.subarray(at);
  if (rest.length % 4 !== 0 || floatBytes.length % 8 !== 0) throw new RangeError('snapshot codec: truncated');
  // Copies into fresh, aligned arrays: a slice of a file buffer need not be aligned.
  const floats = new Float64Array(floatBytes.length / 8);
  Buffer.from(floats.buffer).set(floatBytes);
  const ints = new Int32Array(rest.length / 4);
  Buffer.from(ints.buffer).set(rest);
  const dec = new Decoder(ints, floats, strings);
  const [value] = dec.column(layout, 1);
  if (!dec.done()) throw new RangeError('snapshot codec: trailing data');
  return value;
}
