import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { AppConfig, ClientToken } from '../config/config';
import { APP_CONFIG } from './tokens';
import { UnauthenticatedError, ValidationFailedError } from './problem';

const ACTOR = /^(system|user:[A-Za-z0-9._-]{1,128}|sa:[A-Za-z0-9._-]{1,128})$/;

export interface AuthContext {
  client: ClientToken;
  /** The X-Actor principal, when sent. */
  actor?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Bearer token → client; X-Actor → principal (`system` only with a system token). */
export function authenticate(
  tokens: ClientToken[],
  authorization: unknown,
  actorHeader: unknown,
): AuthContext {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) {
    throw new UnauthenticatedError('Missing bearer token (Authorization: Bearer <secret>)');
  }
  const secret = authorization.slice('Bearer '.length).trim();
  const client = tokens.find((t) => safeEqual(t.secret, secret));
  if (!client) throw new UnauthenticatedError('Unknown token');
  if (actorHeader === undefined) return { client };
  if (typeof actorHeader !== 'string' || !ACTOR.test(actorHeader)) {
    throw new ValidationFailedError([
      { field: 'X-Actor', message: 'must be user:<id>, sa:<id> or system (id: 1-128 of [A-Za-z0-9._-])' },
    ]);
  }
  if (actorHeader === 'system' && !client.system) {
    throw new UnauthenticatedError(`Client "${client.name}" may not act as system (needs a :system token)`);
  }
  return { client, actor: actorHeader };
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    req.auth = authenticate(this.config.tokens, req.headers.authorization, req.headers['x-actor']);
    return true;
  }
}
