/**
 * Version of what the projection computes. A snapshot records the version that wrote it and is only
 * loaded by the same version: bump this whenever evolve(), the ReadModel (its fields, the id index,
 * idempotency answers) or anything folded into a snapshot changes meaning or shape, so that start-up
 * discards old snapshots (logged) and rebuilds them by replay instead of serving stale derived facts.
 *
 * History: 1 — first snapshot format (issue 4). 2 — the provenance index per org, and the snapshot
 * payload in independently decodable org sections behind a table of contents (issue 5, snapshot.ts);
 * snapshots of version 1 are discarded at start-up and rebuilt.
 */
export const PROJECTION_VERSION = 2;
