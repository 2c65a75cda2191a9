import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ProjectionRunner } from '../read-model/projection-runner';
import type { AppConfig } from '../config/config';
import type { EventStore } from '../event-store/port';
import { APP_CONFIG, EVENT_STORE_TOKEN, PROJECTION } from './tokens';

/** Unauthenticated: load balancers and orchestrators probe it. */
@Controller()
export class HealthController {
  constructor(
    @Inject(PROJECTION) private readonly projection: ProjectionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE_TOKEN) private readonly store: EventStore,
  ) {}

  @Get('health')
  health(@Res() reply: FastifyReply): void {
    // Ready once caught up, while a background integrity check may still run: the read models come
    // from the snapshot and the events after it, all read without error, and commands wait for the
    // check's verdict; a failed check stops the process (main.ts).
    const integrity = this.store.integrityState;
    const ok = this.projection.isCaughtUp && integrity !== 'failed';
    void reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : integrity === 'failed' ? 'failed' : 'starting',
      store: this.config.eventStore,
      ...(integrity ? { integrity } : {}),
      position: this.projection.readModel.position,
      events: this.projection.readModel.eventCount,
      ...(this.projection.failure ? { error: this.projection.failure.message } : {}),
    });
  }
}
