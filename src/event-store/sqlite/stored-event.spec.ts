/**
 * The SQLite adapter's events parse `metadata` on first use and hand the projections a summary read
 * straight from the text: the summary must say what the parsed metadata says, and the event must look
 * like any other StoredEvent to every reader.
 */
import { metadataSummaryOf, StoreCorruptError, type EventMetadata, type StoredEvent } from '../port';
import { scanMetadataSummary, SqliteStoredEvent } from './stored-event';

const origin = { file: '/data/events.sqlite' };

const metadata: EventMetadata = {
  actor: 'user:o1-u351',
  correlationId: 'a8399e40-3a29-46f3-84f6-62863eebc3c6',
  causationId: 'a8399e40-3a29-46f3-84f6-62863eebc3c6',
  commandId: 'a8399e40-3a29-46f3-84f6-62863eebc3c6',
  commandName: 'CreateProject',
  occurredAt: '2024-01-01T10:37:21.127Z',
  schemaVersion: 1,
  prevHash: '5e188d6c1ffd70c9ce6ae90d5c3e7327f56e9662db76cd660b8c4d01ff0cda70',
  hash: 'ca609d17bca2539fdacf4e6fb7a2fa9d35d70968eaf9c4a64d18e5563b9e7d74',
};

function eventOf(meta: unknown, text = JSON.stringify(meta), data = '{"projectId":"p1"}'): SqliteStoredEvent {
  return new SqliteStoredEvent(origin, 7, 'org-o1', 3, 'e-7', 'ProjectCreated', data, text);
}

/** What the summary must hold: the parsed metadata's fields. */
function expectedSummary(text: string): Record<string, unknown> {
  const m = JSON.parse(text) as Record<string, unknown>;
  return {
    actor: m.actor,
    occurredAt: m.occurredAt,
    idempotencyKey: m.idempotencyKey,
    requestHash: m.requestHash,
    commandId: m.commandId,
  };
}

describe('scanMetadataSummary', () => {
  it('reads actor and occurredAt from what JSON.stringify writes, as JSON.parse would', () => {
    const texts = [
      JSON.stringify(metadata),
      JSON.stringify({ ...metadata, idempotencyKey: 'client:k', requestHash: 'h' }),
      JSON.stringify({ idempotencyKey: 'client:k', commandId: 'c', requestHash: 'h', actor: 'a' }),
      JSON.stringify({ occurredAt: 't', actor: 'system' }),
      JSON.stringify({ schemaVersion: -1.5e3, ok: true, no: false, none: null, actor: 'a', occurredAt: 'b' }),
      JSON.stringify({ actor: 'first', occurredAt: 'x', again: 1, actor2: 'y' }),
      '{"actor":"first","occurredAt":"t","actor":"last"}',
      '{"correlationId":"c"}',
      '{}',
    ];
    for (const text of texts) {
      const summary = scanMetadataSummary(text);
      expect(summary).not.toBeNull();
      expect({ ...summary }).toEqual(expectedSummary(text));
    }
  });

  it('gives up (the caller parses the whole text) on anything but a flat, unescaped object', () => {
    const texts = [
      JSON.stringify({ actor: 'user:"quoted"', occurredAt: 't' }),
      JSON.stringify({ actor: 'a', occurredAt: 't', note: 'line\nbreak' }),
      JSON.stringify({ actor: 'a', occurredAt: 't', nested: { actor: 'inner' } }),
      JSON.stringify({ actor: 'a', occurredAt: 't', list: ['x'] }),
      JSON.stringify({ actor: 5, occurredAt: 't' }),
      JSON.stringify({ actor: 'a', occurredAt: null }),
      JSON.stringify({ actor: 'a', occurredAt: 't', idempotencyKey: 7 }),
      JSON.stringify({ actor: 'a', occurredAt: 't', idempotencyKey: 'k', requestHash: null }),
      JSON.stringify({ actor: 'a', occurredAt: 't', commandId: 1 }),
      '{ "actor": "a" }',
      '{"actor":"a",}',
      '{"actor":"a","n":01}',
      '{"actor":"a","n":1x}',
      '{"actor":"a"',
      '[]',
      '',
    ];
    for (const text of texts) expect(scanMetadataSummary(text)).toBeNull();
  });
});

describe('SqliteStoredEvent', () => {
  it('is an ordinary StoredEvent to every reader: keys, spread, clone, JSON, equality', () => {
    const e = eventOf(metadata);
    const plain: StoredEvent = {
      eventId: 'e-7',
      stream: 'org-o1',
      revision: 3,
      position: '7',
      type: 'ProjectCreated',
      data: { projectId: 'p1' },
      metadata,
    };
    expect(Object.keys(e)).toEqual(Object.keys(plain));
    expect({ ...e }).toEqual(plain);
    expect(structuredClone(e)).toEqual(plain);
    expect(JSON.parse(JSON.stringify(e))).toEqual(plain);
    expect(e).toEqual(plain);
    expect(e.metadata).toBe(e.metadata);
  });

  it('hands the projections the summary without parsing the metadata, and the parsed metadata once read', () => {
    const e = eventOf(metadata);
    const { actor, occurredAt, commandId } = metadata;
    expect(metadataSummaryOf(e)).toEqual({ actor, occurredAt, commandId });
    expect(e.metadata).toEqual(metadata);
    expect(metadataSummaryOf(e)).toBe(e.metadata);
    const keyed = eventOf({ ...metadata, idempotencyKey: 'client:k', requestHash: 'h' });
    expect(metadataSummaryOf(keyed)).toEqual({
      actor,
      occurredAt,
      commandId,
      idempotencyKey: 'client:k',
      requestHash: 'h',
    });
    const plain = { ...e };
    expect(metadataSummaryOf(plain)).toBe(plain.metadata);
  });

  it('takes an assigned metadata like a plain object would', () => {
    const e = eventOf(metadata);
    const other = { ...metadata, actor: 'user:other' };
    e.metadata = other;
    expect(e.metadata).toBe(other);
    expect(metadataSummaryOf(e).actor).toBe('user:other');
  });

  it('reports invalid JSON as a StoreCorruptError naming the position: data at once, metadata when read', () => {
    expect(() => eventOf(metadata, JSON.stringify(metadata), '{"projectId":')).toThrow(StoreCorruptError);
    expect(() => eventOf(metadata, '{"actor":"a",')).toThrow(/position 7 in \/data\/events\.sqlite/);
    // Scans as flat but is not JSON (a raw control character in a string): found when the metadata is read.
    const e = eventOf(metadata, '{"actor":"a","occurredAt":"t","note":"\u0001"}');
    expect(metadataSummaryOf(e)).toEqual({ actor: 'a', occurredAt: 't' });
    expect(() => e.metadata).toThrow(StoreCorruptError);
  });
});
