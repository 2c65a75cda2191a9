/*
 * Per-stream hash chain (tamper evidence). Every event's metadata carries
 * `prevHash` (the `hash` of the previous event of the same stream, GENESIS_HASH for revision 0)
 * and `hash` = sha256 over (prevHash, stream, revision, type, data, metadata without `hash`).
 *
 * The hashed values are serialised as canonical JSON (object keys sorted, recursively) inside one JSON
 * array, so the digest does not depend on key order after a storage round trip, and field boundaries are
 * unambiguous (stream "a1" + revision 0 cannot collide with stream "a" + revision 10).
 */

import { createHash } from 'node:crypto';
import type { EventMetadata, StoredEvent } from './port';

/** `prevHash` of the first event (revision 0) of every stream. */
export const GENESIS_HASH = '0'.repeat(64);

/** Result of {@link verifyHashChain}. */
export type HashChainVerification =
  { ok: true } | { ok: false; position: string; stream: string; revision: number; reason: string };

/**
 * JSON with object keys sorted recursively; `undefined` members are dropped like JSON.stringify does.
 * Written with loops and string concatenation (it runs for every appended and every verified event);
 * the output is byte for byte what the original `map`/`join` formulation gave, holes of sparse arrays
 * included (they render as nothing, as `Array.prototype.join` renders them).
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') {
    // JSON.stringify returns undefined for undefined/functions/symbols; they serialise as null in arrays.
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${quote(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

/** `JSON.stringify(text)`, without its overhead for the usual text that needs no escaping. */
function quote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // What JSON.stringify escapes: controls, quote, backslash, and (lone) surrogates.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** The digest stored in `metadata.hash`. `metadata` must already contain `prevHash`; its `hash` is ignored. */
export function computeEventHash(
  stream: string,
  revision: number,
  type: string,
  data: Record<string, unknown>,
  metadata: EventMetadata,
): string {
  const { hash: _ignored, ...withoutHash } = metadata;
  return digestOf(stream, revision, type, data, withoutHash);
}

/**
 * sha256 over `canonicalJson([prevHash, stream, revision, type, data, metadata])`, built piecewise (the
 * same text: an array's canonical form is its items' canonical forms joined by commas). `metadata`
 * carries `prevHash` and no `hash`.
 */
function digestOf(
  stream: string,
  revision: number,
  type: string,
  data: Record<string, unknown>,
  metadata: Record<string, unknown>,
): string {
  const prevHash = typeof metadata.prevHash === 'string' ? metadata.prevHash : '';
  const text =
    `[${canonicalJson(prevHash)},${canonicalJson(stream)},${canonicalJson(revision)},` +
    `${canonicalJson(type)},${canonicalJson(data)},${canonicalJson(metadata)}]`;
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Returns the metadata to store for an event: the caller's metadata (any `hash`/`prevHash` it carried are
 * replaced) plus the chain link. The result is a new object whose keys are the caller's, then `prevHash`,
 * then `hash`.
 */
export function chainMetadata(
  prevHash: string,
  stream: string,
  revision: number,
  type: string,
  data: Record<string, unknown>,
  metadata: EventMetadata,
): EventMetadata {
  const { hash: _h, prevHash: _p, ...linked } = metadata as Record<string, unknown>;
  linked.prevHash = prevHash;
  // Hashed before `hash` is added: the digest covers the metadata without it.
  const hash = digestOf(stream, revision, type, data, linked);
  linked.hash = hash;
  return linked as EventMetadata;
}

/** The `hash` of a stored event's metadata, or null when the event carries none. */
export function hashOf(metadata: EventMetadata | null | undefined): string | null {
  const hash = metadata?.hash;
  return typeof hash === 'string' ? hash : null;
}

/**
 * Verifies the hash chain of a list of stored events, given in position order (a `readAll` page sequence)
 * or revision order (a `readStream` result); streams may be interleaved. The first event seen of a stream
 * is checked against {@link GENESIS_HASH} when it is revision 0; when the list starts mid-stream its
 * `prevHash` is taken on trust (only its own digest is checked). Reports the first broken link.
 */
export function verifyHashChain(events: StoredEvent[]): HashChainVerification {
  const last = new Map<string, { revision: number; hash: string }>();
  for (const event of events) {
    const fail = (reason: string): HashChainVerification => ({
      ok: false,
      position: event.position,
      stream: event.stream,
      revision: event.revision,
      reason,
    });
    const hash = hashOf(event.metadata);
    const prevHash = event.metadata.prevHash;
    if (hash === null || typeof prevHash !== 'string') return fail('event carries no hash/prevHash');
    const previous = last.get(event.stream);
    if (previous) {
      if (event.revision !== previous.revision + 1) {
        return fail(`revision ${event.revision} does not follow revision ${previous.revision}`);
      }
      if (prevHash !== previous.hash) return fail('prevHash does not match the hash of the previous event');
    } else if (event.revision === 0 && prevHash !== GENESIS_HASH) {
      return fail('first event of the stream does not link to the genesis hash');
    }
    const expected = computeEventHash(event.stream, event.revision, event.type, event.data, event.metadata);
    if (expected !== hash) return fail('hash mismatch: the event was altered after it was written');
    last.set(event.stream, { revision: event.revision, hash });
  }
  return { ok: true };
}
