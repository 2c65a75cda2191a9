import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { createEventStore } from '../../src/event-store/create-event-store';
import { EsdbEventStore, redactConnectionString } from '../../src/event-store/esdb/esdb-event-store';
import { compareLogPositions, formatLogPosition, parseLogPosition } from '../../src/event-store/positions';
import { StoreUnavailableError, type NewEvent } from '../../src/event-store/port';
import { runEventStoreContract, waitFor } from './event-store.contract';

/**
 * Where to run the contract: ESDB_CONNECTION_STRING, else a throwaway container through testcontainers.
 * Jest needs to know synchronously whether to register the tests as skipped, so the container runtime is
 * probed by testcontainers itself in a short child process (its own strategy list, ~1 s).
 */
function probeContainerRuntime(): { ok: true } | { ok: false; reason: string } {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `require('testcontainers').getContainerRuntimeClient().then(
         () => process.exit(0),
         (error) => { process.stderr.write(String(error && error.message)); process.exit(1); })`,
    ],
    { cwd: resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 30_000 },
  );
  if (probe.status === 0) return { ok: true };
  return {
    ok: false,
    reason: (probe.stderr || probe.error?.message || `probe exited ${String(probe.status)}`).trim(),
  };
}

const configuredUrl = process.env.ESDB_CONNECTION_STRING;
const runtime = configuredUrl ? ({ ok: true } as const) : probeContainerRuntime();
const liveAvailable = runtime.ok;
if (!runtime.ok) {
  console.log(`[esdb] SKIPPED: no ESDB_CONNECTION_STRING and no container runtime (${runtime.reason})`);
}

const describeLive = liveAvailable ? describe : describe.skip;

describeLive('EsdbEventStore against a live EventStoreDB', () => {
  let connectionString = configuredUrl ?? '';
  let container: StartedTestContainer | undefined;

  beforeAll(async () => {
    if (configuredUrl) return;
    container = await new GenericContainer('eventstore/eventstore:24.10')
      .withEnvironment({
        EVENTSTORE_INSECURE: 'true',
        EVENTSTORE_CLUSTER_SIZE: '1',
        EVENTSTORE_MEM_DB: 'true',
        EVENTSTORE_RUN_PROJECTIONS: 'None',
        EVENTSTORE_TELEMETRY_OPTOUT: 'true',
      })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .withStartupTimeout(120_000)
      .start();
    connectionString = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
  }, 180_000);

  afterAll(async () => {
    await container?.stop();
  }, 60_000);

  // The server may hold other events (shared server, system streams): the suite filters on a per-test prefix.
  runEventStoreContract('esdb', async () => EsdbEventStore.connect({ connectionString }), undefined, {
    skip: !liveAvailable,
    sharedBackend: true,
    hashChain: false,
    timeoutMs: 30_000,
  });
});

describe('EsdbEventStore without a server', () => {
  const event: NewEvent = {
    type: 'Probe',
    data: {},
    metadata: {
      actor: 'system',
      correlationId: 'c',
      occurredAt: '2024-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
  const unreachable = 'esdb://admin:s3cret@127.0.0.1:1?tls=false';

  it('maps an unreachable server to StoreUnavailableError quickly, naming the server without credentials', async () => {
    const store = EsdbEventStore.connect({ connectionString: unreachable, deadlineMs: 2000 });
    try {
      const started = Date.now();
      const appendError = await store.append('probe', [event], 'any').catch((error: unknown) => error);
      expect(appendError).toBeInstanceOf(StoreUnavailableError);
      expect((appendError as Error).message).toContain('esdb://127.0.0.1:1?tls=false');
      expect((appendError as Error).message).not.toContain('s3cret');
      expect(Date.now() - started).toBeLessThan(5000);

      await expect(store.readStream('probe')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);

      const errors: Error[] = [];
      const subscription = store.subscribeAll(null, {
        onEvent: () => undefined,
        onError: (error) => errors.push(error),
      });
      await waitFor(() => errors.length > 0, 'subscription error');
      expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
      await subscription.close();
    } finally {
      await store.close();
    }
  }, 15_000);

  it('is what createEventStore returns for kind esdb, and validates its configuration', async () => {
    const store = await createEventStore({
      kind: 'esdb',
      esdbConnectionString: 'esdb://127.0.0.1:1?tls=false',
    });
    expect(store).toBeInstanceOf(EsdbEventStore);
    expect(store.kind).toBe('esdb');
    await store.close();
    await expect(createEventStore({ kind: 'esdb' })).rejects.toThrow(/esdbConnectionString/);
    expect(() => EsdbEventStore.connect({ connectionString: 'http://nope' })).toThrow(
      /Invalid EventStoreDB connection string/,
    );
  });

  it('positions are <commit>:<prepare> tokens ordered by commit, then prepare', () => {
    const store = EsdbEventStore.connect({ connectionString: 'esdb://127.0.0.1:1?tls=false' });
    expect(formatLogPosition({ commit: 12n, prepare: 10n })).toBe('12:10');
    expect(parseLogPosition('12:10')).toEqual({ commit: 12n, prepare: 10n });
    expect(store.comparePositions('9:9', '10:0')).toBeLessThan(0);
    expect(store.comparePositions('10:2', '10:1')).toBeGreaterThan(0);
    expect(store.comparePositions('10:1', '10:1')).toBe(0);
    expect(compareLogPositions('18446744073709551615:1', '18446744073709551614:2')).toBeGreaterThan(0);
    expect(() => parseLogPosition('12')).toThrow(RangeError);
    return store.close();
  });

  it('redacts credentials from connection strings', () => {
    expect(redactConnectionString('esdb://admin:changeit@host:2113?tls=false')).toBe(
      'esdb://host:2113?tls=false',
    );
    expect(redactConnectionString('esdb+discover://u:p@a:2113,b:2113')).toBe('esdb+discover://a:2113,b:2113');
    expect(redactConnectionString('esdb://host:2113')).toBe('esdb://host:2113');
  });
});
