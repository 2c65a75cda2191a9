/*
 * The CLI's view of read-model snapshots (src/read-model/snapshot*.ts): load the latest usable one of
 * the data directory (verify) and write one (rebuild --write-snapshot).
 *
 * Listing goes through a read-only store: FileSnapshotStore.list() also deletes temporary files, and
 * with a server running next to the CLI such a file may be a snapshot being written right now.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventStore } from '../event-store/port';
import type { ReadModel } from '../read-model/read-model';
import { decodeSnapshotHeader, type EncodedSnapshot } from '../read-model/snapshot';
import { loadLatestSnapshot, writeSnapshot } from '../read-model/snapshot-manager';
import {
  FileSnapshotStore,
  type SnapshotListing,
  type SnapshotStore,
  type StoredSnapshot,
} from '../read-model/snapshot-store';
import { UsageError } from './errors';
import type { CommandContext } from './output';
import { messageOf } from './store';

/** `--snapshot-dir` of the commands that use snapshots; the default is the server's. */
export const SNAPSHOT_DIR_OPTION = {
  name: 'snapshot-dir',
  type: 'string',
  valueName: '<dir>',
  description: 'snapshot directory (default: $SNAPSHOT_DIR or <data-dir>/snapshots)',
} as const;

const SNAPSHOT_FILE = /^snapshot-[0-9A-Za-z._-]+\.bin$/;
const HEADER_PROBE_BYTES = 16 * 1024;

/** Lists and reads snapshot files without touching anything; never deletes. */
class ReadOnlySnapshotStore implements SnapshotStore {
  private readonly files: FileSnapshotStore;

  constructor(readonly location: string) {
    this.files = new FileSnapshotStore(location);
  }

  async list(): Promise<SnapshotListing> {
    let names: string[];
    try {
      names = await readdir(this.location);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { snapshots: [], unreadable: [] };
      throw error;
    }
    const out: SnapshotListing = { snapshots: [], unreadable: [] };
    for (const name of names.filter((n) => SNAPSHOT_FILE.test(n)).sort()) {
      try {
        const fh = await open(join(this.location, name), 'r');
        try {
          const size = (await fh.stat()).size;
          const head = Buffer.alloc(Math.min(size, HEADER_PROBE_BYTES));
          const { bytesRead } = await fh.read(head, 0, head.length, 0);
          out.snapshots.push({
            name,
            header: decodeSnapshotHeader(head.subarray(0, bytesRead)),
            bytes: size,
          });
        } finally {
          await fh.close();
        }
      } catch (error) {
        out.unreadable.push({ name, reason: messageOf(error) });
      }
    }
    return out;
  }

  read(name: string): Promise<Buffer> {
    return readFile(join(this.location, name));
  }

  write(snapshot: EncodedSnapshot): Promise<StoredSnapshot> {
    return this.files.write(snapshot);
  }

  async remove(name: string): Promise<void> {
    throw new Error(`read-only snapshot store: will not remove ${name}`);
  }
}

/** A snapshot read back from the data directory. */
export interface LoadedSnapshot {
  file: string;
  position: string;
  readModel: ReadModel;
}

export type SnapshotSupport =
  | { available: false; reason: string }
  | {
      available: true;
      location: string;
      /** The newest usable snapshot, or why there is none to compare with. */
      latest(store: EventStore): Promise<LoadedSnapshot | { unusable: string }>;
      write(rm: ReadModel, store: EventStore): Promise<{ file: string; position: string }>;
    };

/** Snapshots of the selected store (none for the memory store: its snapshots live in its process). */
export function snapshotSupport(ctx: CommandContext): SnapshotSupport {
  if (ctx.selection.kind === 'memory') {
    return { available: false, reason: 'the memory store keeps its snapshots in its own process' };
  }
  const location = ctx.selection.snapshotDir;
  const snapshots = new ReadOnlySnapshotStore(location);
  return {
    available: true,
    location,
    async latest(store) {
      const ignored: string[] = [];
      const logger = {
        log: (m: string) => ignored.push(m),
        warn: (m: string) => ignored.push(m),
        error: () => {},
      };
      const { loaded } = await loadLatestSnapshot(snapshots, store, { discard: false, logger });
      if (loaded) {
        return {
          file: join(location, loaded.snapshot.name),
          position: loaded.snapshot.header.position,
          readModel: loaded.readModel,
        };
      }
      return {
        unusable:
          ignored.length > 0
            ? `no usable snapshot in ${location}: ${ignored.join('; ')}`
            : `no snapshot in ${location}`,
      };
    },
    async write(rm, store) {
      if (rm.position === null)
        throw new UsageError('--write-snapshot: the store is empty, nothing to snapshot', ctx.hint);
      const stored = await writeSnapshot(snapshots, rm, store.kind);
      return { file: join(location, stored.name), position: stored.header.position };
    },
  };
}
