import { createHash } from 'node:crypto';
import { types } from 'node:util';
import type { EventStore } from '../event-store/port';
import type { OrgState } from '../domain/model';
import { PROJECTION_VERSION } from './projection-version';
import { decodeColumnar, encodeColumnar } from './snapshot-codec';
import { ReadModel, type UnknownEventLog } from './read-model';

/** The `format` tag of every snapshot. */
export const SNAPSHOT_FORMAT = 'wandb-permissions-snapshot';

/**
 * How the payload is encoded. Measured (issue 4) on generated states — 5 orgs, runs ~75% of the
 * events — with Node 20 on 2 shared, busy cores (load average 5-11), so only the ratios are firm:
 *
 *   whole state, 1M events     encode       decode      size
 *   v8.serialize               1.6-5.5 s    4.7-6.5 s   158 MB
 *   JSON, Maps/Sets tagged     3.7-4.1 s    4.0-4.8 s   174 MB
 *   columnar, one piece        ~10 s        4.2-8.9 s    70 MB   (one huge string-interning table)
 *
 *   columnar in pieces (this)  encode       decode      size    longest event-loop stall
 *   200k events                0.5-0.7 s    0.7-1.0 s    26 MB   ~0.1 s encoding
 *   1M events                  4.4-4.9 s    5.6-6.1 s   145 MB   ~0.45 s (provenance.toJSON)
 *   (with the provenance index, whose restore is ~40% of the decode time)
 *
 * Columnar in pieces is the choice: v8 encodes faster but decodes slower into twice the bytes, and
 * decoding is what start-up and cold `at:` queries wait for; the encode runs in slices while only the
 * projection pauses (see {@link encodeSnapshot}). Start-up over SQLite at 1M events, same machine:
 * replay from the first event 35 s, from the head snapshot 12 s (plus the audit index rebuilt in the
 * background, 22 s). The header names the encoding, so another one can be added without breaking files.
 */
export type SnapshotEncoding = 'columnar';
export const DEFAULT_SNAPSHOT_ENCODING: SnapshotEncoding = 'columnar';

/** Entries of one Map per piece: bounds the time between two yields to the event loop. */
const PIECE_ENTRIES = 5_000;
/** Work slice before yielding to the event loop while encoding or decoding. */
const SLICE_MS = 8;

/**
 * The first line of a snapshot (JSON), followed by the payload. Everything a loader needs to decide
 * whether the snapshot is usable is here, so listing snapshots never reads a payload.
 */
export interface SnapshotHeader {
  format: typeof SNAPSHOT_FORMAT;
  /** {@link PROJECTION_VERSION} of the code that wrote it; any other version is discarded. */
  projectionVersion: number;
  /** Positions only mean something in the kind of store that issued them. */
  storeKind: EventStore['kind'];
  /** Position of the last event folded into the snapshot. */
  position: string;
  /**
   * Position of the event before it (null when it is the first event). readAll is exclusive, so this
   * is what lets a loader read the event at `position` back and check that the store still holds it.
   */
  previousPosition: string | null;
  /** Id of the event at `position` (a replaced store with as many events still fails the check). */
  eventId: string;
  /** Events folded in; also the distance measure for retention (positions are opaque). */
  eventCount: number;
  createdAt: string;
  encoding: SnapshotEncoding;
  payloadBytes: number;
  /** sha256 of the payload: a truncated or damaged file is discarded, never half-loaded. */
  payloadSha256: string;
}

/** An encoded snapshot: the header line and the payload pieces (write them in order). */
export interface EncodedSnapshot {
  header: SnapshotHeader;
  /** `<header JSON>\n`, then the payload pieces. */
  chunks: Buffer[];
  bytes: number;
}

/** A snapshot that cannot be used (bad header, damaged payload). */
export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

/** Optional read-model parts that serialize themselves (the provenance index): `toJSON()`. */
interface SelfSerializing {
  toJSON(): unknown;
}
const OPTIONAL_PARTS = ['provenance'] as const;

/**
 * One unit of the payload. An org's state travels as a shell (its small fields) followed by its big
 * Maps in pieces of {@link PIECE_ENTRIES} entries, as parallel key/value arrays so that decoding does
 * one Map.set per entry.
 */
type Piece =
  | { t: 'org'; orgId: string; shell: Record<string, unknown> }
  | { t: 'orgMap'; orgId: string; field: string; keys: unknown[]; values: unknown[] }
  | { t: 'index'; keys: string[]; values: string[] }
  | { t: 'idempotency'; keys: string[]; values: unknown[] }
  | { t: 'parts'; parts: Record<string, unknown> }
  | { t: 'partSlice'; name: string; path: string[]; items: unknown[] };

function* mapPieces<K, V>(m: Map<K, V>, make: (keys: K[], values: V[]) => Piece): Generator<Piece> {
  let keys: K[] = [];
  let values: V[] = [];
  for (const [k, v] of m) {
    keys.push(k);
    values.push(v);
    if (keys.length === PIECE_ENTRIES) {
      yield make(keys, values);
      keys = [];
      values = [];
    }
  }
  if (keys.length > 0) yield make(keys, values);
}

function* piecesOf(rm: ReadModel): Generator<Piece> {
  for (const [orgId, state] of rm.orgs) {
    const shell: Record<string, unknown> = {};
    const big: [string, Map<unknown, unknown>][] = [];
    for (const [field, value] of Object.entries(state)) {
      if (types.isMap(value) && value.size > PIECE_ENTRIES) {
        big.push([field, value]);
        shell[field] = new Map();
      } else shell[field] = value;
    }
    yield { t: 'org', orgId, shell };
    for (const [field, m] of big) {
      yield* mapPieces(m, (keys, values) => ({ t: 'orgMap', orgId, field, keys, values }));
    }
  }
  yield* mapPieces(rm.index, (keys, values) => ({ t: 'index', keys, values }));
  yield* mapPieces(rm.idempotency, (keys, values) => ({ t: 'idempotency', keys, values }));
  // A part's JSON travels as a shell whose long arrays are empty, then those arrays in slices.
  const parts: Record<string, unknown> = {};
  const long: { name: string; path: string[]; items: unknown[] }[] = [];
  const hollow = (value: unknown, name: string, path: string[]): unknown => {
    if (Array.isArray(value) && value.length > PIECE_ENTRIES) {
      long.push({ name, path, items: value });
      return [];
    }
    if (path.length < 3 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = hollow(v, name, [...path, k]);
      return out;
    }
    return value;
  };
  const bag = rm as unknown as Record<string, unknown>;
  for (const name of OPTIONAL_PARTS) {
    const part = bag[name] as SelfSerializing | undefined;
    if (part && typeof part.toJSON === 'function') parts[name] = hollow(part.toJSON(), name, []);
  }
  yield { t: 'parts', parts };
  for (const { name, path, items } of long) {
    for (let i = 0; i < items.length; i += PIECE_ENTRIES) {
      yield { t: 'partSlice', name, path, items: items.slice(i, i + PIECE_ENTRIES) };
    }
  }
}

function encodePiece(p: Piece, _encoding: SnapshotEncoding): Buffer {
  return encodeColumnar(p);
}

function decodePiece(bytes: Buffer, _encoding: SnapshotEncoding): Piece {
  return decodeColumnar(bytes) as Piece;
}

/** Yields to the event loop when the current slice has run long enough. */
function slicer(): () => Promise<void> {
  let since = Date.now();
  return async () => {
    if (Date.now() - since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = Date.now();
  };
}

/** Metadata the caller supplies for {@link encodeSnapshot}. */
export interface EncodeOptions {
  storeKind: EventStore['kind'];
  encoding?: SnapshotEncoding;
  createdAt?: Date;
}

/**
 * Serializes a read model at its current position. It yields to the event loop between pieces, so
 * the caller must keep the read model still until the promise settles (the projection runner's
 * `exclusive`); queries, which only read, go on being answered meanwhile. Throws on a read model that
 * has applied nothing: there is nothing to seed.
 */
export async function encodeSnapshot(rm: ReadModel, options: EncodeOptions): Promise<EncodedSnapshot> {
  const position = rm.position;
  const eventId = rm.lastEventId;
  if (position === null || eventId === null) {
    throw new Error('encodeSnapshot: the read model has applied no event yet');
  }
  const encoding = options.encoding ?? DEFAULT_SNAPSHOT_ENCODING;
  const hash = createHash('sha256');
  const payload: Buffer[] = [];
  let payloadBytes = 0;
  const pause = slicer();
  for (const piece of piecesOf(rm)) {
    const body = encodePiece(piece, encoding);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    for (const b of [len, body]) {
      hash.update(b);
      payload.push(b);
      payloadBytes += b.length;
    }
    await pause();
  }
  if (rm.position !== position) throw new Error('encodeSnapshot: the read model changed while encoding');
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    projectionVersion: PROJECTION_VERSION,
    storeKind: options.storeKind,
    position,
    previousPosition: rm.previousPosition,
    eventId,
    eventCount: rm.eventCount,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    encoding,
    payloadBytes,
    payloadSha256: hash.digest('hex'),
  };
  const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
  return { header, chunks: [head, ...payload], bytes: head.length + payloadBytes };
}

/** Reads and checks the header line of a snapshot (the first bytes of the file are enough). */
export function decodeSnapshotHeader(bytes: Buffer): SnapshotHeader {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) throw new SnapshotFormatError('no header line');
  let h: Partial<SnapshotHeader>;
  try {
    h = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as Partial<SnapshotHeader>;
  } catch {
    throw new SnapshotFormatError('the header is not JSON');
  }
  if (h === null || typeof h !== 'object' || h.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotFormatError(`not a ${SNAPSHOT_FORMAT}`);
  }
  const ok =
    typeof h.projectionVersion === 'number' &&
    (h.storeKind === 'memory' || h.storeKind === 'sqlite' || h.storeKind === 'esdb') &&
    typeof h.position === 'string' &&
    (h.previousPosition === null || typeof h.previousPosition === 'string') &&
    typeof h.eventId === 'string' &&
    typeof h.eventCount === 'number' &&
    typeof h.createdAt === 'string' &&
    h.encoding === 'columnar' &&
    typeof h.payloadBytes === 'number' &&
    typeof h.payloadSha256 === 'string';
  if (!ok) throw new SnapshotFormatError('the header lacks a field or has a wrong one');
  return h as SnapshotHeader;
}

/** Options of {@link decodeSnapshot}. */
export interface DecodeOptions {
  comparePositions: (a: string, b: string) => number;
  onSkipped?: UnknownEventLog;
}

/**
 * Rebuilds a read model from a snapshot (header line + payload). Checks the payload length and hash,
 * not the projection version or the store: the loader decides what those mean. Yields to the event
 * loop between pieces, so a time-travel query decoding a big snapshot does not stall other requests.
 */
export async function decodeSnapshot(
  bytes: Buffer,
  options: DecodeOptions,
): Promise<{ header: SnapshotHeader; readModel: ReadModel }> {
  const header = decodeSnapshotHeader(bytes);
  const payload = bytes.subarray(bytes.indexOf(0x0a) + 1);
  if (payload.length !== header.payloadBytes) {
    throw new SnapshotFormatError(
      `payload is ${payload.length} bytes, the header says ${header.payloadBytes}`,
    );
  }
  if (createHash('sha256').update(payload).digest('hex') !== header.payloadSha256) {
    throw new SnapshotFormatError('payload hash mismatch');
  }
  const rm = new ReadModel(options.comparePositions, options.onSkipped);
  let parts: Record<string, unknown> = {};
  const pause = slicer();
  try {
    for (let at = 0; at < payload.length;) {
      const len = payload.readUInt32LE(at);
      const piece = decodePiece(payload.subarray(at + 4, at + 4 + len), header.encoding);
      at += 4 + len;
      switch (piece.t) {
        case 'org':
          rm.orgs.set(piece.orgId, piece.shell as unknown as OrgState);
          break;
        case 'orgMap': {
          const target = (rm.orgs.get(piece.orgId) as unknown as Record<string, unknown> | undefined)?.[
            piece.field
          ];
          if (!types.isMap(target))
            throw new SnapshotFormatError(`piece for unknown ${piece.orgId}.${piece.field}`);
          for (let i = 0; i < piece.keys.length; i++) target.set(piece.keys[i], piece.values[i]);
          break;
        }
        case 'index':
          for (let i = 0; i < piece.keys.length; i++)
            rm.index.set(piece.keys[i] as string, piece.values[i] as string);
          break;
        case 'idempotency':
          for (let i = 0; i < piece.keys.length; i++) {
            rm.idempotency.set(piece.keys[i] as string, piece.values[i] as never);
          }
          break;
        case 'parts':
          parts = piece.parts;
          break;
        case 'partSlice': {
          let target: unknown = parts[piece.name];
          for (const k of piece.path) target = (target as Record<string, unknown> | undefined)?.[k];
          if (!Array.isArray(target))
            throw new SnapshotFormatError(`slice for unknown ${piece.name}.${piece.path.join('.')}`);
          for (const item of piece.items) target.push(item);
          break;
        }
      }
      await pause();
    }
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw err;
    throw new SnapshotFormatError(`payload does not decode: ${(err as Error).message}`);
  }
  rm.position = header.position;
  rm.previousPosition = header.previousPosition;
  rm.lastEventId = header.eventId;
  rm.eventCount = header.eventCount;
  rm.restoreParts(parts);
  return { header, readModel: rm };
}
