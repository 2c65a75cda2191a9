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
 * The {@link MetadataSummary} fields read from a metadata text without parsing the rest, when the text
 * is a flat object as `JSON.stringify` writes one: `{"key":value,…}`, no whitespace, no escape
 * sequences, every value a string, number or literal, and the summary's fields strings. Null for
 * anything else: the caller parses the whole text instead.
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
  let idempotencyKey: string | undefined;
  let requestHash: string | undefined;
  let commandAt = -1;
  let commandEnd = -1;
  let i = n === 2 ? -1 : 1;
  while (i !== -1) {
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
    switch (keyEnd - i - 1) {
      case 5:
        if (text.startsWith('actor', i + 1)) {
          if (!isString) return null;
          actor = copyOf(text, value, end);
        }
        break;
      case 9:
        if (text.startsWith('commandId', i + 1)) {
          if (!isString) return null;
          commandAt = value;
          commandEnd = end;
        }
        break;
      case 10:
        if (text.startsWith('occurredAt', i + 1)) {
          if (!isString) return null;
          // A view into the text is fine here: provenance reads it once, as a number.
          occurredAt = text.slice(value + 1, end - 1);
        }
        break;
      case 11:
        if (text.startsWith('requestHash', i + 1)) {
          if (!isString) return null;
          requestHash = copyOf(text, value, end);
        }
        break;
      case 14:
        if (text.startsWith('idempotencyKey', i + 1)) {
          if (!isString) return null;
          idempotencyKey = copyOf(text, value, end);
        }
        break;
    }
    const next = text.charCodeAt(end);
    if (next === COMMA) i = end + 1;
    else if (next === RIGHT_BRACE && end === n - 1) i = -1;
    else return null;
  }
  // Only an event with an idempotency key has its command id kept (ReadModel); otherwise a view will do.
  const commandId =
    commandAt === -1
      ? undefined
      : idempotencyKey === undefined
        ? text.slice(commandAt + 1, commandEnd - 1)
        : copyOf(text, commandAt, commandEnd);
  return { actor, occurredAt, idempotencyKey, requestHash, commandId } as MetadataSummary;
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
