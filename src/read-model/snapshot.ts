import { createHash } from 'node:crypto';
import { types } from 'node:util';
import type { EventStore } from '../event-store/port';
import type { OrgState, ProjectState } from '../domain/model';
import { PROJECTION_VERSION } from './projection-version';
import { ProvenanceIndex } from './provenance';
import { decodeColumnar, encodeColumnar } from './snapshot-codec';
import {
  ReadModel,
  type DeferredOrg,
  type IdempotentResult,
  type RestoredOrg,
  type UnknownEventLog,
} from './read-model';

/** The `format` tag of every snapshot. */
export const SNAPSHOT_FORMAT = 'wandb-permissions-snapshot';

/**
 * How the pieces are encoded. Measured (issue 4) on generated states — 5 orgs, runs ~75% of the
 * events — with Node 20 on 2 shared, busy cores (load average 5-11), so only the ratios are firm:
 *
 *   whole state, 1M events     encode       decode      size
 *   v8.serialize               1.6-5.5 s    4.7-6.5 s   158 MB
 *   JSON, Maps/Sets tagged     3.7-4.1 s    4.0-4.8 s   174 MB
 *   columnar, one piece        ~10 s        4.2-8.9 s    70 MB   (one huge string-interning table)
 *   columnar in pieces (this)  4.4-4.9 s    5.6-6.1 s   145 MB
 *
 * Columnar in pieces is the choice: v8 encodes faster but decodes slower into twice the bytes, and
 * decoding is what start-up and cold `at:` queries wait for. The header names the encoding, so another
 * one can be added without breaking files.
 *
 * Layout (issue 5, PROJECTION_VERSION 2): the payload starts with a table of contents, then five
 * sections per org (its id-index entries, its state, its runs' ids, its runs, its provenance), each
 * independently decodable and hashed, so that a time-travel query decodes only the org it asks about
 * (and only the parts it needs), and start-up decodes only the id index but its runs' part, deferring
 * every org to its first use (read-model.ts DeferredOrg). Measured on the bench history of 1M events
 * (17 orgs, 586k runs; 83 MB in layout 1, 81 MB in layout 2), Node 20 on 2 cores shared with other
 * benchmark runs (load average 3-4):
 *
 *                                         layout 1 (one payload)    layout 2 (org sections)
 *   load the head snapshot (start-up)     5.9 s (decode all)        0.17-0.21 s (read 80 MB ~85 ms,
 *                                                                   hashes ~50 ms, ids but runs' ~40 ms)
 *   then every org, in the background     -                         2.3-2.7 s, in 8 ms slices
 *   heap once all is decoded              239 MB                    241 MB
 *   one org at 900k events: no runs / with runs / and provenance   3-11 / 55-72 / 130-153 ms
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
  /** Bytes after the header line: the table of contents, then the sections. */
  payloadBytes: number;
  /** Length of the table of contents ({@link SnapshotToc}) that starts the payload. */
  tocBytes: number;
  /** sha256 of the table of contents, which holds the sha256 of every section. */
  tocSha256: string;
  /**
   * A time-travel checkpoint ({@link EncodeOptions.runless}): every org's id-index entries and state but
   * none of its runs, no provenance and no idempotency answers (those sections are empty). It serves
   * time-travel questions about anything but runs (read-side.ts rank 0) and can never seed a read model.
   * Absent on a full snapshot.
   */
  runless?: true;
}

/** Where a section lies, relative to the end of the table of contents: offset, length, sha256. */
export type SectionRange = [offset: number, bytes: number, sha256: string];

/**
 * One org's sections, in this order in the file. Runs are most of a large org (their records, their
 * ids in the index and in each project's `runs`), and only questions about a run read them: they have
 * sections of their own, so a time-travel query about anything else skips them (read-side.ts).
 */
export interface TocOrg {
  orgId: string;
  /** Revision of the org's stream folded in: a reader of one org goes on from the next one. */
  revision: number;
  /** The org's entries of the id index (`<kind>:<id>` keys), but runs'. */
  ids: SectionRange;
  /** The state, but `runs` and each project's `runs`. */
  state: SectionRange;
  /** The org's `run:<id>` entries of the id index. */
  runIds: SectionRange;
  /** `runs`, and each project's `runs`. */
  runs: SectionRange;
  provenance: SectionRange;
}

/** Which parts of an org a reader decodes (start-up decodes all of them). */
export interface OrgParts {
  /** `runs`, each project's `runs` and the `run:` ids; without them the state has none of the runs. */
  runs: boolean;
  provenance: boolean;
}

const ALL_PARTS: OrgParts = { runs: true, provenance: true };

/** The table of contents: the global section (idempotency answers), then every org in first-event order. */
export interface SnapshotToc {
  global: SectionRange;
  orgs: TocOrg[];
}

/** An encoded snapshot: the header line and the payload pieces (write them in order). */
export interface EncodedSnapshot {
  header: SnapshotHeader;
  /** `<header JSON>\n`, the table of contents, then the sections. */
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

/**
 * One unit of a section. An org's state travels as a shell (its small fields) followed by its big Maps
 * in pieces of {@link PIECE_ENTRIES} entries, as parallel key/value arrays so that decoding does one
 * Map.set per entry; its provenance as a JSON shell whose long arrays follow in slices.
 */
type Piece =
  | { t: 'idempotency'; keys: string[]; values: IdempotentResult[] }
  | { t: 'ids'; keys: string[] }
  | { t: 'org'; shell: Record<string, unknown> }
  | { t: 'orgMap'; field: string; keys: unknown[]; values: unknown[] }
  | { t: 'projectRuns'; keys: string[]; values: string[][] }
  | { t: 'prov'; json: Record<string, unknown> }
  | { t: 'provSlice'; path: string[]; items: unknown[] };

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

function* idPieces(keys: readonly string[]): Generator<Piece> {
  for (let i = 0; i < keys.length; i += PIECE_ENTRIES) {
    yield { t: 'ids', keys: keys.slice(i, i + PIECE_ENTRIES) };
  }
}

/** The state without its runs: `runs` empty, and every project's `runs` empty (copies, not the model's). */
function* statePieces(state: OrgState): Generator<Piece> {
  const shell: Record<string, unknown> = {};
  const big: [string, Map<unknown, unknown>][] = [];
  for (const [field, value] of Object.entries(state)) {
    if (field === 'runs') shell[field] = new Map();
    else if (field === 'projects') {
      const projects = new Map<string, ProjectState>();
      for (const [id, p] of state.projects)
        projects.set(id, p.runs.size === 0 ? p : { ...p, runs: new Set() });
      if (projects.size > PIECE_ENTRIES) {
        big.push([field, projects]);
        shell[field] = new Map();
      } else shell[field] = projects;
    } else if (types.isMap(value) && value.size > PIECE_ENTRIES) {
      big.push([field, value]);
      shell[field] = new Map();
    } else shell[field] = value;
  }
  yield { t: 'org', shell };
  for (const [field, m] of big) yield* mapPieces(m, (keys, values) => ({ t: 'orgMap', field, keys, values }));
}

/** The runs {@link statePieces} leaves out: the `runs` Map, then each project's run ids in order. */
function* runPieces(state: OrgState): Generator<Piece> {
  yield* mapPieces(state.runs, (keys, values) => ({ t: 'orgMap', field: 'runs', keys, values }));
  const withRuns = new Map<string, string[]>();
  for (const [id, p] of state.projects) if (p.runs.size > 0) withRuns.set(id, [...p.runs]);
  yield* mapPieces(withRuns, (keys, values) => ({ t: 'projectRuns', keys, values }));
}

function* provenancePieces(provenance: ProvenanceIndex): Generator<Piece> {
  // The JSON travels as a shell whose long arrays are empty, then those arrays in slices.
  const long: { path: string[]; items: unknown[] }[] = [];
  const hollow = (value: unknown, path: string[]): unknown => {
    if (Array.isArray(value) && value.length > PIECE_ENTRIES) {
      long.push({ path, items: value });
      return [];
    }
    if (path.length < 3 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = hollow(v, [...path, k]);
      return out;
    }
    return value;
  };
  yield { t: 'prov', json: hollow(provenance.toJSON(), []) as Record<string, unknown> };
  for (const { path, items } of long) {
    for (let i = 0; i < items.length; i += PIECE_ENTRIES) {
      yield { t: 'provSlice', path, items: items.slice(i, i + PIECE_ENTRIES) };
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

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Metadata the caller supplies for {@link encodeSnapshot}. */
export interface EncodeOptions {
  storeKind: EventStore['kind'];
  encoding?: SnapshotEncoding;
  createdAt?: Date;
  /**
   * Write a time-travel checkpoint ({@link SnapshotHeader.runless}): only each org's `ids` and `state`
   * sections, the rest empty. At 1M events (17 orgs) that is about 3 MB instead of about 77 MB, and
   * about a tenth of a second to encode instead of seconds, so checkpoints can be much denser than
   * snapshots (snapshot-manager.ts).
   */
  runless?: boolean;
}

/**
 * Serializes a read model at its current position. It yields to the event loop between pieces, so
 * the caller must keep the read model still until the promise settles (the projection runner's
 * `exclusive`); queries, which only read, go on being answered meanwhile. An org still deferred since
 * the snapshot the model was seeded from has had no event since, so its sections are copied as they
 * are, without decoding them. Throws on a read model that has applied nothing: there is nothing to seed.
 */
export async function encodeSnapshot(rm: ReadModel, options: EncodeOptions): Promise<EncodedSnapshot> {
  const position = rm.position;
  const eventId = rm.lastEventId;
  if (position === null || eventId === null) {
    throw new Error('encodeSnapshot: the read model has applied no event yet');
  }
  if (!rm.hasProvenance || !rm.hasAllRuns) throw new Error('encodeSnapshot: the read model is a partial one');
  const encoding = options.encoding ?? DEFAULT_SNAPSHOT_ENCODING;
  const runless = options.runless === true;
  const pause = slicer();
  const body: Buffer[] = [];
  let at = 0;
  const section = async (pieces: Iterable<Piece>): Promise<SectionRange> => {
    const start = at;
    const hash = createHash('sha256');
    for (const piece of pieces) {
      const bytes = encodePiece(piece, encoding);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      for (const b of [len, bytes]) {
        hash.update(b);
        body.push(b);
        at += b.length;
      }
      await pause();
    }
    return [start, at - start, hash.digest('hex')];
  };
  const copied = (bytes: Buffer, sha: string): SectionRange => {
    const start = at;
    body.push(bytes);
    at += bytes.length;
    return [start, bytes.length, sha];
  };

  const global = await section(
    runless ? [] : mapPieces(rm.idempotency, (keys, values) => ({ t: 'idempotency', keys, values })),
  );
  const orgIds = rm.orgIds();
  const reused = new Map<string, OrgSection>();
  for (const orgId of orgIds) {
    const d = rm.deferredOrg(orgId);
    if (d instanceof OrgSection && d.encoding === encoding) reused.set(orgId, d);
  }
  // The id index grouped by org, for the orgs encoded afresh (its deferred parts decoded first).
  while (rm.loadIdsPart()) await pause();
  const ids = new Map<string, OrgKeys>();
  let n = 0;
  for (const [key, orgId] of rm.index) {
    if (!reused.has(orgId) && !(runless && key.startsWith('run:'))) addKey(ids, orgId, key);
    if (++n % PIECE_ENTRIES === 0) await pause();
  }
  const orgs: TocOrg[] = [];
  for (const orgId of orgIds) {
    const old = reused.get(orgId);
    if (old && rm.deferredOrg(orgId) === old) {
      const e = old.entry;
      const copy = (r: SectionRange): SectionRange => copied(old.bytesOf(r), r[2]);
      orgs.push({
        orgId,
        revision: e.revision,
        ids: copy(e.ids),
        state: copy(e.state),
        runIds: runless ? await section([]) : copy(e.runIds),
        runs: runless ? await section([]) : copy(e.runs),
        provenance: runless ? await section([]) : copy(e.provenance),
      });
      continue;
    }
    const state = rm.org(orgId);
    const provenance = rm.provenanceOf(orgId);
    if (!state || !provenance) throw new Error(`encodeSnapshot: org ${orgId} vanished while encoding`);
    // An org seeded deferred may have been decoded meanwhile (a query needed it): its ids were skipped.
    const keys = ids.get(orgId) ?? (old ? keysOf(rm.index, orgId) : { other: [], runs: [] });
    orgs.push({
      orgId,
      revision: state.revision,
      ids: await section(idPieces(keys.other)),
      state: await section(statePieces(state)),
      runIds: await section(runless ? [] : idPieces(keys.runs)),
      runs: await section(runless ? [] : runPieces(state)),
      provenance: await section(runless ? [] : provenancePieces(provenance)),
    });
  }
  if (rm.position !== position) throw new Error('encodeSnapshot: the read model changed while encoding');
  const toc = encodeColumnar({ global, orgs } satisfies SnapshotToc);
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
    payloadBytes: toc.length + at,
    tocBytes: toc.length,
    tocSha256: sha256(toc),
    ...(runless ? { runless: true as const } : {}),
  };
  const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
  return { header, chunks: [head, toc, ...body], bytes: head.length + toc.length + at };
}

/** One org's keys of the id index: runs' and the others. */
interface OrgKeys {
  other: string[];
  runs: string[];
}

function addKey(byOrg: Map<string, OrgKeys>, orgId: string, key: string): void {
  let keys = byOrg.get(orgId);
  if (!keys) byOrg.set(orgId, (keys = { other: [], runs: [] }));
  (key.startsWith('run:') ? keys.runs : keys.other).push(key);
}

function keysOf(index: ReadonlyMap<string, string>, orgId: string): OrgKeys {
  const out = new Map<string, OrgKeys>();
  for (const [key, owner] of index) if (owner === orgId) addKey(out, orgId, key);
  return out.get(orgId) ?? { other: [], runs: [] };
}

/**
 * Reads and checks the header line of a snapshot (the first bytes of the file are enough). A header of
 * another projection version is only checked for what says so (such a snapshot is discarded, never
 * decoded: its layout may differ).
 */
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
  const common =
    typeof h.projectionVersion === 'number' &&
    (h.storeKind === 'memory' || h.storeKind === 'sqlite' || h.storeKind === 'esdb') &&
    typeof h.position === 'string' &&
    (h.previousPosition === null || typeof h.previousPosition === 'string') &&
    typeof h.eventId === 'string' &&
    typeof h.eventCount === 'number' &&
    typeof h.createdAt === 'string' &&
    (h.runless === undefined || h.runless === true);
  const layout =
    h.projectionVersion !== PROJECTION_VERSION ||
    (h.encoding === 'columnar' &&
      typeof h.payloadBytes === 'number' &&
      typeof h.tocBytes === 'number' &&
      typeof h.tocSha256 === 'string');
  if (!common || !layout) throw new SnapshotFormatError('the header lacks a field or has a wrong one');
  return h as SnapshotHeader;
}

function isRange(v: unknown): v is SectionRange {
  return (
    Array.isArray(v) &&
    v.length === 3 &&
    Number.isSafeInteger(v[0]) &&
    Number.isSafeInteger(v[1]) &&
    (v[0] as number) >= 0 &&
    (v[1] as number) >= 0 &&
    typeof v[2] === 'string'
  );
}

function isToc(v: unknown): v is SnapshotToc {
  if (v === null || typeof v !== 'object') return false;
  const t = v as Partial<SnapshotToc>;
  return (
    isRange(t.global) &&
    Array.isArray(t.orgs) &&
    t.orgs.every(
      (o: Partial<TocOrg>) =>
        o !== null &&
        typeof o === 'object' &&
        typeof o.orgId === 'string' &&
        Number.isSafeInteger(o.revision) &&
        isRange(o.ids) &&
        isRange(o.state) &&
        isRange(o.runIds) &&
        isRange(o.runs) &&
        isRange(o.provenance),
    )
  );
}

/** Where the table of contents and the sections lie in a snapshot file. */
export interface SnapshotLayout {
  header: SnapshotHeader;
  toc: SnapshotToc;
  /** File offset of the first byte after the table of contents (section offsets count from here). */
  sectionsAt: number;
}

/**
 * The header and table of contents of a snapshot from its first bytes, or the number of bytes needed
 * when `head` is too short. Checks the version (only this version's layout can be read), the table's
 * hash and that every section lies inside the payload.
 */
export function decodeSnapshotLayout(head: Buffer): SnapshotLayout | { need: number } {
  const header = decodeSnapshotHeader(head);
  if (header.projectionVersion !== PROJECTION_VERSION) {
    throw new SnapshotFormatError(
      `written by projection version ${header.projectionVersion}, this is version ${PROJECTION_VERSION}`,
    );
  }
  const tocAt = head.indexOf(0x0a) + 1;
  const sectionsAt = tocAt + header.tocBytes;
  if (head.length < sectionsAt) return { need: sectionsAt };
  const tocBytes = head.subarray(tocAt, sectionsAt);
  if (sha256(tocBytes) !== header.tocSha256) throw new SnapshotFormatError('table of contents hash mismatch');
  let toc: unknown;
  try {
    toc = decodeColumnar(tocBytes);
  } catch (err) {
    throw new SnapshotFormatError(`the table of contents does not decode: ${(err as Error).message}`);
  }
  if (!isToc(toc)) throw new SnapshotFormatError('the table of contents has a wrong shape');
  const area = header.payloadBytes - header.tocBytes;
  for (const o of toc.orgs) {
    const order = [o.ids, o.state, o.runIds, o.runs, o.provenance];
    for (let i = 1; i < order.length; i++) {
      const [prev, next] = [order[i - 1] as SectionRange, order[i] as SectionRange];
      if (prev[0] + prev[1] > next[0]) throw new SnapshotFormatError(`the sections of ${o.orgId} overlap`);
    }
  }
  for (const r of [toc.global, ...toc.orgs.map((o) => o.provenance)]) {
    if (r[0] + r[1] > area) throw new SnapshotFormatError('a section lies beyond the payload');
  }
  return { header, toc, sectionsAt };
}

/** Throws unless `bytes` (a section) has the hash the table of contents gives it. */
function checkSection(bytes: Buffer, range: SectionRange, what: string): void {
  if (bytes.length !== range[1] || sha256(bytes) !== range[2]) {
    throw new SnapshotFormatError(`${what}: section hash mismatch`);
  }
}

/** Pieces of one section, in order. */
function* piecesIn(bytes: Buffer, encoding: SnapshotEncoding): Generator<Piece> {
  for (let at = 0; at < bytes.length;) {
    if (at + 4 > bytes.length) throw new RangeError('a piece length is cut off');
    const len = bytes.readUInt32LE(at);
    if (at + 4 + len > bytes.length) throw new RangeError('a piece is cut off');
    yield decodePiece(bytes.subarray(at + 4, at + 4 + len), encoding);
    at += 4 + len;
  }
}

function decodeIds(
  bytes: Buffer,
  orgId: string,
  index: Map<string, string>,
  encoding: SnapshotEncoding,
): void {
  for (const piece of piecesIn(bytes, encoding)) {
    if (piece.t !== 'ids') throw new SnapshotFormatError(`unexpected ${piece.t} piece among ${orgId}'s ids`);
    for (const key of piece.keys) index.set(key, orgId);
  }
}

/**
 * One org of a snapshot, decoded a piece at a time ({@link step}) or all at once ({@link load}). Holds
 * the sections' bytes (checked against their hashes already) until it is decoded.
 */
class OrgSection implements DeferredOrg {
  private pieces: Generator<Piece> | null = null;
  private phase: 'state' | 'runs' | 'provenance' | 'done' = 'state';
  private shell: Record<string, unknown> | null = null;
  private provenanceJson: Record<string, unknown> | null = null;

  constructor(
    /** The section area of the snapshot (everything after the table of contents), or a part of it. */
    private area: Buffer | null,
    /** Where `area` starts, relative to the section area. */
    private readonly areaAt: number,
    readonly entry: TocOrg,
    readonly encoding: SnapshotEncoding,
    private readonly parts: OrgParts,
  ) {}

  /** The bytes of one of this org's sections (re-encoding copies them). */
  bytesOf(range: SectionRange): Buffer {
    if (!this.area) throw new Error(`org ${this.entry.orgId} is decoded already`);
    return this.area.subarray(range[0] - this.areaAt, range[0] - this.areaAt + range[1]);
  }

  step(): boolean {
    try {
      return this.advance();
    } catch (err) {
      if (err instanceof SnapshotFormatError) throw err;
      throw new SnapshotFormatError(`org ${this.entry.orgId} does not decode: ${(err as Error).message}`);
    }
  }

  /** Moves to the next part asked for; true when there is none. */
  private nextPhase(): boolean {
    if (this.phase === 'state' && this.parts.runs) this.phase = 'runs';
    else if ((this.phase === 'state' || this.phase === 'runs') && this.parts.provenance)
      this.phase = 'provenance';
    else this.phase = 'done';
    return this.phase === 'done';
  }

  private advance(): boolean {
    if (this.phase === 'done') return true;
    if (!this.pieces) {
      const e = this.entry;
      const range = this.phase === 'state' ? e.state : this.phase === 'runs' ? e.runs : e.provenance;
      this.pieces = piecesIn(this.bytesOf(range), this.encoding);
    }
    const next = this.pieces.next();
    if (next.done) {
      this.pieces = null;
      return this.nextPhase();
    }
    const piece = next.value;
    switch (piece.t) {
      case 'org':
        this.shell = piece.shell;
        break;
      case 'orgMap': {
        const target = this.shell?.[piece.field];
        if (!types.isMap(target)) throw new SnapshotFormatError(`piece for unknown field ${piece.field}`);
        for (let i = 0; i < piece.keys.length; i++) target.set(piece.keys[i], piece.values[i]);
        break;
      }
      case 'projectRuns': {
        const projects = this.shell?.projects as Map<string, ProjectState> | undefined;
        for (let i = 0; i < piece.keys.length; i++) {
          const p = projects?.get(piece.keys[i] as string);
          if (!p) throw new SnapshotFormatError(`runs of unknown project ${piece.keys[i] as string}`);
          p.runs = new Set(piece.values[i]);
        }
        break;
      }
      case 'prov':
        this.provenanceJson = piece.json;
        break;
      case 'provSlice': {
        let target: unknown = this.provenanceJson;
        for (const k of piece.path) target = (target as Record<string, unknown> | null)?.[k];
        if (!Array.isArray(target))
          throw new SnapshotFormatError(`slice for unknown ${piece.path.join('.')}`);
        for (const item of piece.items) target.push(item);
        break;
      }
      default:
        throw new SnapshotFormatError(`unexpected ${piece.t} piece in org ${this.entry.orgId}`);
    }
    return false;
  }

  load(): RestoredOrg {
    while (!this.step());
    if (!this.shell) throw new SnapshotFormatError(`org ${this.entry.orgId} has no state`);
    let provenance: ProvenanceIndex | null = null;
    if (this.parts.provenance) {
      try {
        provenance = ProvenanceIndex.fromJSON(this.provenanceJson);
      } catch (err) {
        throw new SnapshotFormatError(`org ${this.entry.orgId}: ${(err as Error).message}`);
      }
    }
    const state = this.shell as unknown as OrgState;
    // Let the file's bytes go once every org is decoded.
    this.area = null;
    this.shell = null;
    this.provenanceJson = null;
    return { state, provenance };
  }
}

/** Options of {@link decodeSnapshot}. */
export interface DecodeOptions {
  comparePositions: (a: string, b: string) => number;
  onSkipped?: UnknownEventLog;
  /**
   * Decode each org on first use instead of now (start-up: the id index and the idempotency answers
   * are decoded at once, the orgs when a command, query or event needs them, or by
   * ReadModel.loadDeferred in the background). Default false.
   */
  deferOrgs?: boolean;
}

/**
 * Rebuilds a read model from a whole snapshot (header line + payload). Checks the payload length and
 * every section's hash (a damaged file is refused here, before anything is served from it), and that
 * the snapshot has this version's layout; not the store: the loader decides what that means. Yields to
 * the event loop between pieces, so decoding a big snapshot does not stall other requests.
 */
export async function decodeSnapshot(
  bytes: Buffer,
  options: DecodeOptions,
): Promise<{ header: SnapshotHeader; readModel: ReadModel }> {
  const layout = decodeSnapshotLayout(bytes);
  if ('need' in layout) throw new SnapshotFormatError('the table of contents is cut off');
  const { header, toc, sectionsAt } = layout;
  if (header.runless)
    throw new SnapshotFormatError('a time-travel checkpoint (runless) cannot seed a read model');
  const payloadAt = bytes.indexOf(0x0a) + 1;
  if (bytes.length - payloadAt !== header.payloadBytes) {
    throw new SnapshotFormatError(
      `payload is ${bytes.length - payloadAt} bytes, the header says ${header.payloadBytes}`,
    );
  }
  const area = bytes.subarray(sectionsAt);
  const section = (r: SectionRange, what: string): Buffer => {
    const b = area.subarray(r[0], r[0] + r[1]);
    checkSection(b, r, what);
    return b;
  };
  const pause = slicer();
  const rm = new ReadModel(options.comparePositions, options.onSkipped);
  try {
    for (const piece of piecesIn(section(toc.global, 'idempotency'), header.encoding)) {
      if (piece.t !== 'idempotency') throw new SnapshotFormatError(`unexpected ${piece.t} piece`);
      for (let i = 0; i < piece.keys.length; i++) {
        rm.idempotency.set(piece.keys[i] as string, piece.values[i] as IdempotentResult);
      }
      await pause();
    }
    const sections: [string, OrgSection][] = [];
    const runIds: ((index: Map<string, string>) => void)[] = [];
    for (const o of toc.orgs) {
      decodeIds(section(o.ids, `${o.orgId} ids`), o.orgId, rm.index, header.encoding);
      const runs = section(o.runIds, `${o.orgId} run ids`);
      // Most of the index, and only questions about runs read it: deferred with the orgs.
      if (options.deferOrgs) runIds.push((index) => decodeIds(runs, o.orgId, index, header.encoding));
      else decodeIds(runs, o.orgId, rm.index, header.encoding);
      section(o.state, `${o.orgId} state`);
      section(o.runs, `${o.orgId} runs`);
      section(o.provenance, `${o.orgId} provenance`);
      sections.push([o.orgId, new OrgSection(area, 0, o, header.encoding, ALL_PARTS)]);
      await pause();
    }
    if (options.deferOrgs) {
      rm.deferIds('run:', runIds);
      rm.deferOrgs(sections);
    } else {
      for (const [orgId, s] of sections) {
        while (!s.step()) await pause();
        rm.restoreOrg(orgId, s.load());
      }
    }
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw err;
    throw new SnapshotFormatError(`payload does not decode: ${(err as Error).message}`);
  }
  rm.position = header.position;
  rm.previousPosition = header.previousPosition;
  rm.lastEventId = header.eventId;
  rm.eventCount = header.eventCount;
  return { header, readModel: rm };
}

/**
 * The byte range of the file that holds what {@link decodeOrgSections} reads of one org (its sections
 * are contiguous, `ids` first): [file offset, length].
 */
export function orgSectionsSpan(layout: SnapshotLayout, entry: TocOrg, parts: OrgParts): [number, number] {
  const last = parts.provenance ? entry.provenance : parts.runs ? entry.runs : entry.state;
  return [layout.sectionsAt + entry.ids[0], last[0] + last[1] - entry.ids[0]];
}

/**
 * One org of a snapshot, from the bytes {@link orgSectionsSpan} names: a read model holding that org
 * alone as of the snapshot's position, with its part of the id index and the `parts` asked for (a model
 * without runs has none of the org's runs: fit only for questions about anything but runs and reports'
 * runs). Checks the sections' hashes.
 */
export function decodeOrgSections(
  layout: SnapshotLayout,
  entry: TocOrg,
  bytes: Buffer,
  options: DecodeOptions & OrgParts,
): ReadModel {
  const parts: OrgParts = { runs: options.runs, provenance: options.provenance };
  if (layout.header.runless && (parts.runs || parts.provenance)) {
    throw new SnapshotFormatError('a time-travel checkpoint holds no runs and no provenance');
  }
  const at = entry.ids[0];
  const slice = (r: SectionRange, what: string): Buffer => {
    const b = bytes.subarray(r[0] - at, r[0] - at + r[1]);
    checkSection(b, r, `${entry.orgId} ${what}`);
    return b;
  };
  const rm = new ReadModel(options.comparePositions, options.onSkipped, parts);
  const encoding = layout.header.encoding;
  try {
    decodeIds(slice(entry.ids, 'ids'), entry.orgId, rm.index, encoding);
    slice(entry.state, 'state');
    if (parts.runs) {
      decodeIds(slice(entry.runIds, 'run ids'), entry.orgId, rm.index, encoding);
      slice(entry.runs, 'runs');
    }
    if (parts.provenance) slice(entry.provenance, 'provenance');
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw err;
    throw new SnapshotFormatError(`${entry.orgId} ids do not decode: ${(err as Error).message}`);
  }
  rm.restoreOrg(entry.orgId, new OrgSection(bytes, at, entry, encoding, parts).load());
  rm.position = layout.header.position;
  return rm;
}
