import 'reflect-metadata';
import { type DynamicModule, Logger, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule, UnhandledExceptionBus } from '@nestjs/cqrs';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from './config/config';
import { createEventStore } from './event-store/create-event-store';
import type { EventStore } from './event-store/port';
import { ReadModel, type UnknownEventLog } from './read-model/read-model';
import { AuditIndex, backfillAuditIndex } from './read-model/audit-index';
import { SnapshotManager, type LoadedSnapshot } from './read-model/snapshot-manager';
import { createSnapshotStore, type StoredSnapshot } from './read-model/snapshot-store';
import { ProjectionRunner } from './read-model/projection-runner';
import { CommandService } from './application/command.service';
import { ExecuteCommandHandler, ReadQueryHandler } from './application/cqrs';
import { ReadSide } from './application/read-side';
import { AuthGuard } from './http/auth';
import { CommandsController } from './http/commands.controller';
import { QueriesController } from './http/queries.controller';
import { DebugController } from './http/debug.controller';
import { HealthController } from './http/health.controller';
import { ProblemFilter } from './http/problem';
import { installJsonParser } from './http/json-body';
import { registerCheckRoute } from './http/check.route';
import {
  APP_CONFIG,
  AUDIT_INDEX,
  COMMAND_SERVICE,
  EVENT_STORE_TOKEN,
  PROJECTION,
  READ_SIDE,
} from './http/tokens';

export interface RunningApp {
  app: NestFastifyApplication;
  store: EventStore;
  projection: ProjectionRunner;
  snapshots: SnapshotManager;
  /** The snapshot the read models were seeded from at start-up, or null (replayed from the first event). */
  seededFrom: StoredSnapshot | null;
  audit: AuditIndex;
  /** Settles once the audit index holds every event (at once unless started from a snapshot). */
  auditBackfill: Promise<boolean>;
  /**
   * Settles once every org of the start-up snapshot is decoded (they are decoded on first use, and in
   * the background after start-up; read-model.ts DeferredOrg).
   */
  orgsDecoded: Promise<void>;
  /**
   * Settles once the store has passed its integrity check (SQLite `PRAGMA quick_check`, in the
   * background by default); rejects with StoreCorruptError when it found damage: main.ts then exits.
   */
  integrity: Promise<void>;
  config: AppConfig;
  /** Base URL once listening. */
  url: string;
  close(): Promise<void>;
}

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

@Module({})
class AppModule {
  static with(deps: {
    config: AppConfig;
    store: EventStore;
    projection: ProjectionRunner;
    audit: AuditIndex;
    commands: CommandService;
    readSide: ReadSide;
  }): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [CommandsController, QueriesController, DebugController, HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: deps.config },
        { provide: EVENT_STORE_TOKEN, useValue: deps.store },
        { provide: PROJECTION, useValue: deps.projection },
        { provide: AUDIT_INDEX, useValue: deps.audit },
        { provide: COMMAND_SERVICE, useValue: deps.commands },
        { provide: READ_SIDE, useValue: deps.readSide },
        AuthGuard,
        ExecuteCommandHandler,
        ReadQueryHandler,
      ],
    };
  }
}

/**
 * Opens the store, catches the read models up, then starts HTTP. Used by main.ts and by the e2e and
 * conformance tests (each with its own store), so tests exercise exactly what production runs.
 */
export async function startApp(config: AppConfig, options: { listen?: boolean } = {}): Promise<RunningApp> {
  const logger = new Logger('permissions');
  Logger.overrideLogger(LEVELS[config.logLevel]);
  const store = await createEventStore({
    kind: config.eventStore,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    sqliteIntegrityCheck: config.sqliteIntegrityCheck,
    esdbConnectionString: config.esdbConnectionString,
  });
  const onSkipped: UnknownEventLog = (e, why) =>
    logger.warn(`skipped event ${e.type} at ${e.position} on ${e.stream}: ${why}`);
  const snapshots = new SnapshotManager(
    createSnapshotStore(config.eventStore, config.snapshotDir),
    store,
    { every: config.snapshotEvery, keep: config.snapshotKeep },
    logger,
  );
  const started = Date.now();
  // SQLITE_INTEGRITY_CHECK=background: PRAGMA quick_check runs in a worker while the read models load
  // and catch up (they read only the snapshot file and the tail); commands wait for its verdict.
  const integrity = store.integrity ?? Promise.resolve();
  if (store.integrityState === 'checking') {
    void integrity.then(
      () => logger.log(`store integrity: PRAGMA quick_check ok in ${Date.now() - started} ms (background)`),
      (err: unknown) => logger.error(`store integrity: ${(err as Error).message}`),
    );
  }
  let loaded: LoadedSnapshot | null;
  try {
    // The newest snapshot the store still holds seeds the read models; the projection then replays only
    // the events after it, instead of the whole log.
    loaded = await snapshots.loadLatest(onSkipped);
  } catch (err) {
    await store.close();
    throw err;
  }
  if (loaded) {
    const h = loaded.snapshot.header;
    logger.log(
      `read models seeded from snapshot ${snapshots.snapshots.location}/${loaded.snapshot.name} ` +
        `(position ${h.position}, ${h.eventCount} events, taken ${h.createdAt}) in ${loaded.ms} ms`,
    );
  } else if (snapshots.enabled) {
    logger.log(`no usable snapshot in ${snapshots.snapshots.location}: replaying from the first event`);
  }
  const readModel = loaded?.readModel ?? new ReadModel((a, b) => store.comparePositions(a, b), onSkipped);
  const audit = new AuditIndex((a, b) => store.comparePositions(a, b));
  // The projection feeds the audit index from the snapshot's position on; the events before it are
  // read back in the background once serving (/v1/audit answers 503 until then).
  if (loaded) audit.expectBackfill(loaded.snapshot.header.position);
  const projection = new ProjectionRunner(store, readModel, logger);
  projection.onApplied((e) => audit.add(e));
  snapshots.attach(projection);
  try {
    await projection.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  logger.log(`start-up: read models ready in ${Date.now() - started} ms`);
  snapshots.afterCatchUp();
  const commands = new CommandService(store, projection, {
    retries: config.commandRetries,
    consistencyTimeoutMs: config.consistencyTimeoutMs,
  });
  const readSide = new ReadSide(store, projection, config.consistencyTimeoutMs, 4, snapshots, logger);

  const adapter = new FastifyAdapter({ bodyLimit: 1_048_576 });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.with({ config, store, projection, audit, commands, readSide }),
    adapter,
    { logger: LEVELS[config.logLevel], bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installJsonParser(fastify);
  registerCheckRoute(fastify, config.tokens, readSide);
  app.useGlobalFilters(new ProblemFilter());
  // @nestjs/cqrs swallows errors thrown in event handlers and sagas: log them (DESIGN.md).
  app
    .get(UnhandledExceptionBus)
    .subscribe((e) => logger.error(`unhandled CQRS exception: ${String(e.exception)}`));
  // No app.enableShutdownHooks(): Nest's handler re-raises SIGTERM after closing itself, which kills the
  // process before RunningApp.close() (main.ts) has written the shutdown snapshot and closed the store.
  // close() below runs Nest's shutdown hooks through app.close().
  await app.init();
  let url = '';
  if (options.listen !== false) {
    await app.listen(config.port, config.host);
    const addr = fastify.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  }
  let stopping = false;
  let orgsDecoded: Promise<void> = Promise.resolve();
  if (readModel.deferredOrgs > 0) {
    // Start-up only decoded the snapshot's id index: the orgs follow here, a slice at a time, unless a
    // command, query or event needs one first.
    const decodeStarted = Date.now();
    orgsDecoded = readModel.loadDeferred({ shouldStop: () => stopping }).then(
      (n) => logger.log(`read models: ${n} orgs of the snapshot decoded in ${Date.now() - decodeStarted} ms`),
      (err: unknown) =>
        logger.error(`read models: decoding the snapshot's orgs failed: ${(err as Error).message}`),
    );
  }
  let auditBackfill: Promise<boolean> = Promise.resolve(true);
  if (loaded) {
    const upTo = loaded.snapshot.header.position;
    const backfillStarted = Date.now();
    auditBackfill = backfillAuditIndex(store, audit, upTo, {
      shouldStop: () => stopping,
      onError: (err) => logger.error(`audit index rebuild up to ${upTo} failed (retrying): ${err.message}`),
    }).then((done) => {
      if (done)
        logger.log(
          `audit index complete: ${audit.size} entries, rebuilt in ${Date.now() - backfillStarted} ms`,
        );
      return done;
    });
  }
  return {
    app,
    store,
    projection,
    config,
    url,
    snapshots,
    seededFrom: loaded?.snapshot ?? null,
    audit,
    auditBackfill,
    orgsDecoded,
    integrity,
    async close() {
      stopping = true;
      await orgsDecoded;
      await app.close();
      await projection.stop();
      // Graceful shutdown: the next start loads this snapshot and replays nothing.
      await snapshots.close();
      await auditBackfill;
      await store.close();
    },
  };
}
