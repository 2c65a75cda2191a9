/** Test helpers: read models folded from fixture events, as the projection would fold stored events. */
import type { StoredEvent } from '../../event-store/port';
import type { GivenEvent } from '../../domain/testing/given-when-then';
import { ReadModel } from '../../read-model/read-model';

const compare = (a: string, b: string): number => Number(a) - Number(b);

/** The events as stored in `org-<orgId>` at positions 1, 2, … */
export function storedEvents(events: readonly GivenEvent[], orgId = 'O'): StoredEvent[] {
  return events.map((e, i) => ({
    eventId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    stream: `org-${orgId}`,
    revision: i,
    position: String(i + 1),
    type: e.type,
    data: e.data as unknown as Record<string, unknown>,
    metadata: {
      actor: 'system',
      correlationId: 'c',
      occurredAt: '2025-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  }));
}

/** A fresh read model with `events` applied (optionally rewritten first). */
export function readModelOf(
  events: readonly GivenEvent[],
  transform: (e: StoredEvent) => StoredEvent = (e) => e,
): ReadModel {
  const rm = new ReadModel(compare);
  for (const e of storedEvents(events)) rm.apply(transform(e));
  return rm;
}
