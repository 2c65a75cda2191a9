import 'reflect-metadata';
import { type DynamicModule, Logger, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule, UnhandledExceptionBus } from '@nestjs/cqrs';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from './config/config';
import { createEventStore } from './event-store/create-event-store';
import type { EventStore } from './event-store/port';
import { ReadModel } from './read-model/read-model';
import { AuditIndex } from './read-model/audit-index';
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
    esdbConnectionString: config.esdbConnectionString,
  });
  const readModel = new ReadModel(
    (a, b) => store.comparePositions(a, b),
    (e, why) => logger.warn(`skipped event ${e.type} at ${e.position} on ${e.stream}: ${why}`),
  );
  const audit = new AuditIndex((a, b) => store.comparePositions(a, b));
  const projection = new ProjectionRunner(store, readModel, logger);
  projection.onApplied((e) => audit.add(e));
  try {
    await projection.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  const commands = new CommandService(store, projection, {
    retries: config.commandRetries,
    consistencyTimeoutMs: config.consistencyTimeoutMs,
  });
  const readSide = new ReadSide(store, projection, config.consistencyTimeoutMs);

  const adapter = new FastifyAdapter({ bodyLimit: 1_048_576 });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.with({ config, store, projection, audit, commands, readSide }),
    adapter,
    { logger: LEVELS[config.logLevel], bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installJsonParser(fastify);
  app.useGlobalFilters(new ProblemFilter());
  // @nestjs/cqrs swallows errors thrown in event handlers and sagas: log them (DESIGN.md).
  app
    .get(UnhandledExceptionBus)
    .subscribe((e) => logger.error(`unhandled CQRS exception: ${String(e.exception)}`));
  app.enableShutdownHooks();
  await app.init();
  let url = '';
  if (options.listen !== false) {
    await app.listen(config.port, config.host);
    const addr = fastify.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  }
  return {
    app,
    store,
    projection,
    config,
    url,
    async close() {
      await app.close();
      await projection.stop();
      await store.close();
    },
  };
}
