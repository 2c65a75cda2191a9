import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSnapshotHeader, type EncodedSnapshot, type SnapshotHeader } from './snapshot';

/** A stored snapshot as a listing shows it: its header and where it is. */
export interface StoredSnapshot {
  /** File name (file store) or key (memory store). */
  name: string;
  header: SnapshotHeader;
  /** Size of the whole snapshot, header included. */
  bytes: number;
}

/** What a listing found: usable headers, and entries that are not readable snapshots. */
export interface SnapshotListing {
  snapshots: StoredSnapshot[];
  unreadable: { name: string; reason: string }[];
}

/**
 * Where snapshots live: files under DATA_DIR/snapshots for the SQLite and EventStoreDB stores, memory
 * for the in-memory store. Listing reads headers only.
 */
export interface SnapshotStore {
  /** For log lines: the directory, or "memory". */
  readonly location: string;
  list(): Promise<SnapshotListing>;
  read(name: string): Promise<Buffer>;
  /**
   * `length` bytes from `offset` (fewer at the end of the file): a time-travel query reads one org's
   * sections, not the whole snapshot. Optional; {@link readSnapshotRange} falls back to {@link read}.
   */
  readRange?(name: string, offset: number, length: number): Promise<Buffer>;
  /** Stores the snapshot atomically (a reader sees all of it or none); replaces one at the same position. */
  write(snapshot: EncodedSnapshot): Promise<StoredSnapshot>;
  remove(name: string): Promise<void>;
}

/** `snapshot-<position>.bin`; characters a file name should not carry (EventStoreDB's `:`) become `-`. */
export function snapshotFileName(position: string): string {
  return `snapshot-${position.replace(/[^0-9A-Za-z._-]/g, '-')}.bin`;
}

const SNAPSHOT_FILE = /^snapshot-[0-9A-Za-z._-]+\.bin$/;
const TEMP_FILE = /^\.snapshot-.*\.tmp$/;
/** Headers are a few hundred bytes; this bounds what listing reads of each file. */
const HEADER_PROBE_BYTES = 16 * 1024;

/**
 * Snapshots as files. A write goes to a temporary file in the same directory, is fsynced, renamed
 * over the final name and the directory fsynced: a crash leaves either the old set of snapshots or
 * the new one, never a torn file under a snapshot name (and a torn temporary file is removed by the
 * next listing).
 */
export class FileSnapshotStore implements SnapshotStore {
  constructor(readonly location: string) {}

  async list(): Promise<SnapshotListing> {
    let names: string[];
    try {
      names = await readdir(this.location);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { snapshots: [], unreadable: [] };
      throw err;
    }
    const out: SnapshotListing = { snapshots: [], unreadable: [] };
    for (const name of names.sort()) {
      if (TEMP_FILE.test(name)) {
        await rm(join(this.location, name), { force: true });
        continue;
      }
      if (!SNAPSHOT_FILE.test(name)) continue;
      try {
        const { head, size } = await this.probe(name);
        out.snapshots.push({ name, header: decodeSnapshotHeader(head), bytes: size });
      } catch (err) {
        out.unreadable.push({ name, reason: (err as Error).message });
      }
    }
    return out;
  }

  private async probe(name: string): Promise<{ head: Buffer; size: number }> {
    const fh = await open(join(this.location, name), 'r');
    try {
      const size = (await fh.stat()).size;
      const head = Buffer.alloc(Math.min(size, HEADER_PROBE_BYTES));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      return { head: head.subarray(0, bytesRead), size };
    } finally {
      await fh.close();
    }
  }

  read(name: string): Promise<Buffer> {
    return readFile(join(this.location, name));
  }

  /**
   * Synchronous inside, like the SQLite store's reads: the ranges are small (a table of contents, one
   * org's sections: ~150 KB), and the three thread-pool round trips of an asynchronous open/read/close
   * cost more than reading them — about 1.5 ms against 0.1 ms per time-travel query on the bench
   * machine, and 10 ms when its cores are busy (a collection's sweeper threads, other processes).
   */
  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    const fd = openSync(join(this.location, name), 'r');
    try {
      const out = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const bytesRead = readSync(fd, out, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return out.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  async write(snapshot: EncodedSnapshot): Promise<StoredSnapshot> {
    await mkdir(this.location, { recursive: true });
    const name = snapshotFileName(snapshot.header.position);
    const tmp = join(this.location, `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    try {
      for (const chunk of snapshot.chunks) {
        for (let off = 0; off < chunk.length;) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
      }
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, join(this.location, name));
    await this.syncDir();
    return { name, header: snapshot.header, bytes: (await stat(join(this.location, name))).size };
  }

  async remove(name: string): Promise<void> {
    if (!SNAPSHOT_FILE.test(name)) throw new Error(`not a snapshot file name: ${name}`);
    await rm(join(this.location, name), { force: true });
    await this.syncDir();
  }

  /** Makes the rename/unlink itself durable (the directory entry), not only the file's bytes. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.location, 'r');
    try {
      await dir.sync();
    } catch {
      // Some filesystems refuse fsync on a directory; the file itself is already durable.
    } finally {
      await dir.close();
    }
  }
}

/** Snapshots for the in-memory store: they live as long as the process, like its events. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly location = 'memory';
  private readonly files = new Map<string, Buffer>();

  async list(): Promise<SnapshotListing> {
    const snapshots = [...this.files].map(([name, bytes]) => ({
      name,
      header: decodeSnapshotHeader(bytes),
      bytes: bytes.length,
    }));
    return { snapshots, unreadable: [] };
  }

  async read(name: string): Promise<Buffer> {
    const bytes = this.files.get(name);
    if (!bytes) throw Object.assign(new Error(`no snapshot ${name}`), { code: 'ENOENT' });
    return bytes;
  }

  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    return (await this.read(name)).subarray(offset, offset + length);
  }

  async write(snapshot: EncodedSnapshot): Promise<StoredSnapshot> {
    const name = snapshotFileName(snapshot.header.position);
    const bytes = Buffer.concat(snapshot.chunks);
    this.files.set(name, bytes);
    return { name, header: snapshot.header, bytes: bytes.length };
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
}

/** The snapshot store for a deployment: memory for the memory event store, else files under `dir`. */
export function createSnapshotStore(
  eventStoreKind: 'memory' | 'sqlite' | 'esdb',
  dir: string,
): SnapshotStore {
  return eventStoreKind === 'memory' ? new MemorySnapshotStore() : new FileSnapshotStore(dir);
}

/**
 * Where the time-travel checkpoints that go with `store` live (snapshot-manager.ts): the `checkpoints`
 * directory inside a file store's directory (listing the snapshots skips it), else a memory store of
 * their own. Their file names are a snapshot's, so they must not share a directory with snapshots.
 */
export function checkpointStoreFor(store: SnapshotStore): SnapshotStore {
  return store instanceof FileSnapshotStore
    ? new FileSnapshotStore(join(store.location, 'checkpoints'))
    : new MemorySnapshotStore();
}

/** {@link SnapshotStore.readRange}, or a slice of the whole file for a store without it. */
export async function readSnapshotRange(
  store: SnapshotStore,
  name: string,
  offset: number,
  length: number,
): Promise<Buffer> {
  if (store.readRange) return store.readRange(name, offset, length);
  return (await store.read(name)).subarray(offset, offset + length);
}
