import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ReadQuery, type Consistency, type QueryScope } from '../application/cqrs';
import { explainCheck } from '../application/explain';
import { accessHistory } from '../application/history';
import {
  permissionScope,
  principalsOfResource,
  resourcesOfPrincipal,
  scopeOfResourceKind,
} from '../application/lookups';
import { orgOfResource, type ResourceKind } from '../application/resource-org';
import { notFound } from '../domain/errors';
import type { EventStore } from '../event-store/port';
import type { ReadModel } from '../read-model/read-model';
import { AuthGuard } from './auth';
import {
  PRINCIPAL_RE,
  RESOURCE_RE,
  validateQuery,
  type Consistency as ConsistencyParam,
  type QueryKind,
  type QueryValues,
} from './dto/validate';
import { type FieldError, ValidationFailedError } from './problem';
import { EVENT_STORE_TOKEN } from './tokens';

type Params = Record<string, unknown>;

/**
 * Validates query parameters with the DTO of `kind`, together with errors already found in the path, so
 * that one 400 lists every bad field. Fastify's query object is copied into a plain one first (it may
 * have no prototype; `__proto__` stays an own key and is reported as unknown).
 */
function validated<K extends QueryKind>(kind: K, params: Params, pathErrors: FieldError[]): QueryValues[K] {
  const result = validateQuery(kind, Object.fromEntries(Object.entries(params ?? {})));
  const errors = [...pathErrors, ...(result.ok ? [] : result.errors)];
  if (errors.length > 0 || !result.ok) throw new ValidationFailedError(errors);
  return result.value;
}

function consistencyOf(c: ConsistencyParam | undefined): Consistency {
  return c === undefined ? { kind: 'latest' } : { kind: c.mode, position: c.position };
}

/**
 * Debugging and access-review reads (api.md "Queries"): who can reach what, why a check answers as it
 * does (with the events behind every fact), and how a principal's access to a resource changed over
 * time. All honour `consistency` through the read side, like the other queries: `at:` explains with the
 * read model (and provenance) rebuilt as of that position.
 */
@Controller('v1')
@UseGuards(AuthGuard)
export class DebugController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(EVENT_STORE_TOKEN) private readonly store: EventStore,
  ) {}

  /** `scope` for a read about one org's resources (see QueryScope); none for a lookup across orgs. */
  private ask<T extends object>(
    c: Consistency,
    read: (rm: ReadModel) => T,
    scope?: QueryScope,
  ): Promise<T & { position: string }> {
    return this.queryBus.execute(new ReadQuery<T>(c, (q) => read(q.readModel), scope));
  }

  @Get('principals/:principal/resources')
  principalResources(@Param('principal') principal: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    if (!PRINCIPAL_RE.test(principal))
      errors.push({ field: 'principal', message: 'must be user:<id> or sa:<id>' });
    const q = validated('principalResources', params, errors);
    const scope = permissionScope(q.permission);
    if (scope === undefined || (q.type !== undefined && q.type !== scope)) {
      throw new ValidationFailedError([
        {
          field: 'type',
          message: `type=${q.type ?? ''} does not fit ${q.permission}, which is checked on ${scope ?? 'no'} resources`,
        },
      ]);
    }
    return this.ask(consistencyOf(q.consistency), (rm) =>
      resourcesOfPrincipal(rm, principal, q.permission, scope),
    );
  }

  @Get('resources/:resource/principals')
  resourcePrincipals(@Param('resource') resource: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    const resourceOk = RESOURCE_RE.test(resource);
    if (!resourceOk) {
      errors.push({ field: 'resource', message: 'must be org|team|project|run|report|registry:<id>' });
    }
    const q = validated('resourcePrincipals', params, errors);
    const kind = resource.slice(0, resource.indexOf(':')) as ResourceKind;
    if (permissionScope(q.permission) !== scopeOfResourceKind(kind)) {
      throw new ValidationFailedError([
        {
          field: 'permission',
          message: `${q.permission} is not checked on ${kind} resources (api.md "Permissions")`,
        },
      ]);
    }
    // The resource's org alone answers (its users and service accounts).
    return this.ask(consistencyOf(q.consistency), (rm) => principalsOfResource(rm, resource, q.permission), {
      resources: [resource],
    });
  }

  @Get('explain')
  explain(@Query() params: Params) {
    const q = validated('explain', params, []);
    const input = { principal: q.principal, permission: q.permission, resource: q.resource };
    return this.ask(consistencyOf(q.consistency), (rm) => explainCheck(rm, input), {
      resources: [q.resource],
      provenance: true,
    });
  }

  @Get('history')
  async history(@Query() params: Params) {
    const q = validated('history', params, []);
    // The read side fixes the position (and, for `at:`, that the resource existed by then); the
    // replay of the org's stream then stops at that same position.
    const { orgId, position } = await this.ask(
      consistencyOf(q.consistency),
      (rm) => {
        const found = orgOfResource(rm, q.resource, false);
        if (!found) throw notFound(`${q.resource} does not exist`);
        return { orgId: found.org.orgId };
      },
      { resources: [q.resource] },
    );
    const answer = await accessHistory(this.store, orgId, q.principal, q.resource, position);
    return { ...answer, position };
  }
}
