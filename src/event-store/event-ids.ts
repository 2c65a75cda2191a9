import { createHash } from 'node:crypto';

/**
 * Derives the id of the `index`-th event produced by a command from its idempotency key, so that a retried
 * append carries the same event ids and EventStoreDB can deduplicate it.
 *
 * The result is an RFC 4122-shaped UUID (version nibble 5, variant 10xx) built from the first 16 bytes of
 * sha256(idempotencyKey NUL index): the same idea as UUID v5, with SHA-256 instead of SHA-1 and no namespace.
 * Pure and deterministic.
 */
export function deterministicEventId(idempotencyKey: string, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`deterministicEventId: index must be a non-negative integer, got ${index}`);
  }
  // NUL separator: keys are free text, and "k1" + 0 must not collide with "k" + 10.
  const bytes = createHash('sha256')
    .update(`${idempotencyKey}\u0000${index}`, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
