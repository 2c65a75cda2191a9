import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ProjectionRunner } from '../read-model/projection-runner';
import type { AppConfig } from '../config/config';
import { APP_CONFIG, PROJECTION } from './tokens';

/** Unauthenticated: load balancers and orchestrators probe it. */
@Controller()
export class HealthController {
  constructor(
    @Inject(PROJECTION) private readonly projection: ProjectionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('health')
  health(@Res() reply: FastifyReply): void {
    const ok = this.projection.isCaughtUp;
    void reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'starting',
      store: this.config.eventStore,
      position: this.projection.readModel.position,
      events: this.projection.readModel.eventCount,
      ...(this.projection.failure ? { error: this.projection.failure.message } : {}),
    });
  }
}
