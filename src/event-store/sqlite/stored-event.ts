/**
 * Events as the SQLite adapter reads them: `data` parsed at once, `metadata` parsed on first use.
 *
 * A replay reads two fields of the metadata (who and when, for provenance) from almost every event and
 * nothing else of it; the rest — correlation ids and the two sha256 hex strings of the hash chain —
 * is about four fifths of the row and was most of the cost of reading it. So the row keeps the text,
 * {@link MetadataSummary} takes what the projections read straight from it, and `metadata` parses the
 * whole text the first time anything reads it. To every reader the event is an ordinary
 * {@link StoredEvent}: `metadata` is an own enumerable property (an accessor), so spreading, cloning,
 * serialising and comparing the event all see the parsed object.
 */
import {
  METADATA_SUMMARY,
  StoreCorruptError,
  type EventMetadata,
  type MetadataSummary,
  type StoredEvent,
} from '../port';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
/** A JSON number or literal, where the scan meets a value that is not a string. */
const SCALAR = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

/**
 * `actor` and `occurredAt` read from a metadata text without parsing the rest, when the text is a flat
 * object as `JSON.stringify` writes one: `{"key":value,…}`, no whitespace, no escape sequences, every
 * value a string, number or literal. Null for anything else, and for a text naming an
 * `idempotencyKey` (the read model then reads the rest of it anyway): the caller parses the whole text
 * instead.
 *
 * Without escapes, the next quote always closes the string it is in, so the scan needs no decoding and
 * meets keys only at the top level. What it does not check — control characters inside strings —
 * JSON.parse still rejects when the whole metadata is read.
 */
export function scanMetadataSummary(text: string): MetadataSummary | null {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== LEFT_BRACE || text.charCodeAt(n - 1) !== RIGHT_BRACE) return null;
  if (text.indexOf('\\') !== -1) return null;
  let actor: string | undefined;
  let occurredAt: string | undefined;
  if (n === 2) return summary(actor, occurredAt);
  let i = 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return null;
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd === -1 || text.charCodeAt(keyEnd + 1) !== COLON) return null;
    const value = keyEnd + 2;
    const isString = text.charCodeAt(value) === QUOTE;
    let end: number;
    if (isString) {
      end = text.indexOf('"', value + 1) + 1;
      if (end === 0) return null;
    } else {
      SCALAR.lastIndex = value;
      if (!SCALAR.test(text)) return null;
      end = SCALAR.lastIndex;
    }
    const keyLength = keyEnd - i - 1;
    if (keyLength === 5 && text.startsWith('actor', i + 1)) {
      if (!isString) return null;
      actor = copyOf(text, value, end);
    } else if (keyLength === 10 && text.startsWith('occurredAt', i + 1)) {
      if (!isString) return null;
      // A view into the text is fine here: provenance reads it once, as a number.
      occurredAt = text.slice(value + 1, end - 1);
    } else if (keyLength === 14 && text.startsWith('idempotencyKey', i + 1)) {
      return null;
    }
    const next = text.charCodeAt(end);
    if (next === COMMA) i = end + 1;
    else if (next === RIGHT_BRACE && end === n - 1) return summary(actor, occurredAt);
    else return null;
  }
}

/**
 * The string literal at `[from, to)` of `text` (quotes included) as a string of its own. Not a slice:
 * V8 keeps a slice of 13 or more characters as a view into the whole metadata text, and such a string
 * is several times slower as a Map key (provenance interns every actor) and keeps the whole text alive;
 * JSON.parse of the literal makes a plain copy and costs less than the lookups it saves.
 */
function copyOf(text: string, from: number, to: number): string {
  return JSON.parse(text.slice(from, to)) as string;
}

/** One shape for every summary the scan returns. */
function summary(actor: string | undefined, occurredAt: string | undefined): MetadataSummary {
  // A text without them reads as undefined, as the parsed object would; no idempotency key (see above).
  return { actor, occurredAt, idempotencyKey: undefined } as unknown as MetadataSummary;
}

/** What a damaged row's error names. */
export interface RowOrigin {
  /** The database file. */
  readonly file: string;
}

/** A {@link StoredEvent} whose metadata is parsed on first use (see the file comment). */
export class SqliteStoredEvent implements StoredEvent {
  eventId: string;
  stream: string;
  revision: number;
  position: string;
  type: string;
  data: Record<string, unknown>;
  /** Defined per instance in the constructor, as an own enumerable accessor. */
  declare metadata: EventMetadata;
  #text: string;
  #metadata: EventMetadata | undefined;
  #summary: MetadataSummary;
  readonly #origin: RowOrigin;

  /**
   * Parses `dataText` and scans `metadataText`; throws {@link StoreCorruptError} when either is not
   * JSON (a metadata text the scan does not take is parsed whole here).
   */
  constructor(
    origin: RowOrigin,
    position: number,
    stream: string,
    revision: number,
    eventId: string,
    type: string,
    dataText: string,
    metadataText: string,
  ) {
    this.eventId = eventId;
    this.stream = stream;
    this.revision = revision;
    this.position = String(position);
    this.type = type;
    this.#origin = origin;
    this.#text = metadataText;
    this.data = this.parse(dataText) as Record<string, unknown>;
    const scanned = scanMetadataSummary(metadataText);
    if (scanned) {
      this.#metadata = undefined;
      this.#summary = scanned;
    } else {
      this.#metadata = this.parse(metadataText) as EventMetadata;
      this.#summary = this.#metadata;
    }
    Object.defineProperty(this, 'metadata', SqliteStoredEvent.#metadataProperty);
  }

  /** The fields the projections read on every event (port.ts {@link metadataSummaryOf}). */
  [METADATA_SUMMARY](): MetadataSummary {
    return this.#metadata ?? this.#summary;
  }

  /** One accessor pair for every instance (so they all share one hidden class). */
  static readonly #metadataProperty: PropertyDescriptor = {
    get(this: SqliteStoredEvent): EventMetadata {
      if (this.#metadata === undefined) {
        this.#metadata = this.parse(this.#text) as EventMetadata;
        this.#text = '';
      }
      return this.#metadata;
    },
    set(this: SqliteStoredEvent, value: EventMetadata): void {
      this.#metadata = value;
    },
    enumerable: true,
    configurable: true,
  };

  private parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new StoreCorruptError(
        `Event at position ${this.position} in ${this.#origin.file} holds invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
