import type { FastifyInstance } from 'fastify';
import type { ReadSide } from '../application/read-side';
import type { ClientToken } from '../config/config';
import { authenticate } from './auth';
import { sendProblem, toProblem, ValidationFailedError, type FieldError } from './problem';
import { checkInput, consistencyOf } from './queries.controller';

/**
 * `GET /v1/check` as a plain fastify route. It is the service's hottest endpoint, and Nest's router,
 * guard, QueryBus and rxjs around it cost about half of what a bare fastify route serves on this
 * hardware (BENCHMARKS.md). It does exactly what the other queries do — the same authentication, the same
 * validation, the same read side and `check` — with less machinery in between.
 */
export function registerCheckRoute(
  fastify: FastifyInstance,
  tokens: ClientToken[],
  readSide: ReadSide,
): void {
  fastify.get('/v1/check', async (req, reply) => {
    try {
      authenticate(tokens, req.headers.authorization, req.headers['x-actor']);
      const params = (req.query ?? {}) as Record<string, unknown>;
      const errors: FieldError[] = [];
      const input = checkInput(params, errors);
      const c = consistencyOf(params, errors);
      for (const k of Object.keys(params)) {
        if (!['principal', 'permission', 'resource', 'consistency'].includes(k)) {
          errors.push({ field: k, message: `unknown parameter ${k}` });
        }
      }
      if (errors.length > 0) throw new ValidationFailedError(errors);
      const q = await readSide.queriesAt(c, { resources: [input.resource] });
      return reply.send({ ...q.check(input), position: q.position });
    } catch (err) {
      const p = toProblem(err);
      p.instance = req.url;
      sendProblem(reply, p);
      return reply;
    }
  });
}
