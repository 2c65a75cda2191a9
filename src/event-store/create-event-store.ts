import { EsdbEventStore } from './esdb/esdb-event-store';
import { MemoryEventStore } from './memory/memory-event-store';
import type { EventStore } from './port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/** Selects and opens an event-store adapter. */
export interface EventStoreConfig {
  kind: 'memory' | 'sqlite' | 'esdb';
  /** Required for `sqlite`: directory of `events.sqlite`. */
  dataDir?: string;
  /** `sqlite` only; default FULL. */
  sqliteSynchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** `sqlite` only; default `startup` (see SqliteEventStoreOptions.integrityCheck). */
  sqliteIntegrityCheck?: 'background' | 'startup';
  /** Required for `esdb`, e.g. `esdb://localhost:2113?tls=false`. */
  esdbConnectionString?: string;
}

/**
 * Opens the configured adapter. Throws StoreCorruptError / StoreUnavailableError from the
 * SQLite adapter when its file is unusable; an EventStoreDB connection is lazy and fails on first use.
 */
export async function createEventStore(config: EventStoreConfig): Promise<EventStore> {
  // Adapters are imported statically: `await import()` is not transformed to require() under ts-jest here.
  switch (config.kind) {
    case 'memory':
      return new MemoryEventStore();
    case 'sqlite':
      if (!config.dataDir) throw new TypeError('createEventStore: kind "sqlite" requires dataDir');
      return SqliteEventStore.open({
        dataDir: config.dataDir,
        synchronous: config.sqliteSynchronous ?? 'FULL',
        integrityCheck: config.sqliteIntegrityCheck === 'background' ? 'background' : 'open',
      });
    case 'esdb':
      if (!config.esdbConnectionString)
        throw new TypeError('createEventStore: kind "esdb" requires esdbConnectionString');
      return EsdbEventStore.connect({ connectionString: config.esdbConnectionString });
    default: {
      const unknownKind: never = config.kind;
      throw new TypeError(`createEventStore: unknown kind ${String(unknownKind)}`);
    }
  }
}
