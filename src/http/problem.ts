import { ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors';
import { ConflictRetriesExhaustedError, IdempotencyKeyReusedError } from '../application/command.service';
import { NotCaughtUpError } from '../read-model/projection-runner';
import { StoreCorruptError, StoreUnavailableError } from '../event-store/port';

export interface FieldError {
  field: string;
  message: string;
}

/** 400 VALIDATION_FAILED, listing every bad field. */
export class ValidationFailedError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'ValidationFailedError';
  }
}

/** 401 UNAUTHENTICATED. */
export class UnauthenticatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  rule?: string;
  errors?: FieldError[];
  instance?: string;
}

const DOMAIN_STATUS: Record<DomainError['kind'], { status: number; code: string; title: string }> = {
  validation: { status: 400, code: 'VALIDATION_FAILED', title: 'Validation failed' },
  forbidden: { status: 403, code: 'FORBIDDEN', title: 'Forbidden' },
  not_found: { status: 404, code: 'NOT_FOUND', title: 'Not found' },
  already_exists: { status: 409, code: 'ALREADY_EXISTS', title: 'Already exists' },
  rule: { status: 422, code: 'RULE_VIOLATION', title: 'Rule violation' },
};

function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: `https://permissions.internal/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title,
    status,
    code,
    detail,
    ...extra,
  };
}

/** Maps every error to application/problem+json (DESIGN.md "Errors in three kinds"). */
export function toProblem(err: unknown): Problem {
  if (err instanceof ValidationFailedError) {
    return problem(400, 'VALIDATION_FAILED', 'Validation failed', err.message, { errors: err.errors });
  }
  if (err instanceof UnauthenticatedError)
    return problem(401, 'UNAUTHENTICATED', 'Unauthenticated', err.message);
  if (err instanceof DomainError) {
    const m = DOMAIN_STATUS[err.kind];
    return problem(m.status, m.code, m.title, err.message, err.rule ? { rule: err.rule } : {});
  }
  if (err instanceof IdempotencyKeyReusedError) {
    return problem(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency key reused', err.message);
  }
  if (err instanceof ConflictRetriesExhaustedError) return problem(409, 'CONFLICT', 'Conflict', err.message);
  if (err instanceof NotCaughtUpError) return problem(503, 'NOT_CAUGHT_UP', 'Not caught up', err.message);
  // A damaged store (found by the background integrity check) takes no more writes either.
  if (err instanceof StoreUnavailableError || err instanceof StoreCorruptError) {
    return problem(503, 'STORE_UNAVAILABLE', 'Event store unavailable', err.message);
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status === 404) return problem(404, 'NOT_FOUND', 'Not found', 'No such endpoint');
    if (status === 413) return problem(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', err.message);
    if (status === 415) return problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', err.message);
    return problem(status, status < 500 ? 'BAD_REQUEST' : 'INTERNAL', err.name, err.message);
  }
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fst.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    // Fastify's own errors (body too large, bad content type, malformed JSON).
    if (fst.statusCode === 413)
      return problem(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', fst.message ?? '');
    if (fst.statusCode === 415)
      return problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', fst.message ?? '');
    return problem(400, 'VALIDATION_FAILED', 'Validation failed', fst.message ?? 'bad request', {
      errors: [{ field: 'body', message: fst.message ?? 'malformed request' }],
    });
  }
  return problem(500, 'INTERNAL', 'Internal error', 'An unexpected error occurred; it has been logged');
}

export function sendProblem(reply: FastifyReply, p: Problem): void {
  void reply
    .status(p.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify(p));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const p = toProblem(exception);
    p.instance = req.url;
    if (p.status >= 500) {
      this.logger.error(
        `${req.method} ${req.url} → ${p.status} ${p.code}: ${(exception as Error)?.stack ?? String(exception)}`,
      );
    } else {
      this.logger.debug?.(
        `${req.method} ${req.url} → ${p.status} ${p.code}${p.rule ? ` (${p.rule})` : ''}: ${p.detail}`,
      );
    }
    sendProblem(reply, p);
  }
}
