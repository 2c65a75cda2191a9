import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ReadQuery, type Consistency, type QueryScope } from '../application/cqrs';
import type { CheckInput, Queries } from '../application/query.service';
import type { AuditIndex, AuditFilter } from '../read-model/audit-index';
import type { ProjectionRunner } from '../read-model/projection-runner';
import type { AppConfig } from '../config/config';
import { AuthGuard } from './auth';
import { parseConsistency } from './consistency';
import {
  ID_RE,
  PRINCIPAL_RE,
  REGISTRY_MEMBER_RE,
  RESOURCE_RE,
  RFC3339_DATE_TIME_RE,
  POSITION_RE,
  EVENT_TYPE_RE,
  ACTOR_RE,
  isCheckablePermission,
} from './dto/common';
import { type FieldError, ValidationFailedError } from './problem';
import { APP_CONFIG, AUDIT_INDEX, PROJECTION } from './tokens';
import { MALFORMED_JSON } from './json-body';
import { notFound } from '../domain/errors';

const MAX_BATCH = 1000;

type Params = Record<string, unknown>;

function str(
  params: Params,
  field: string,
  re: RegExp,
  errors: FieldError[],
  what: string,
  required = true,
): string {
  const v = params[field];
  if (v === undefined || v === '') {
    if (required) errors.push({ field, message: `required: ${what}` });
    return '';
  }
  if (typeof v !== 'string' || !re.test(v)) errors.push({ field, message: `must be ${what}` });
  return typeof v === 'string' ? v : '';
}

export function checkInput(params: Params, errors: FieldError[], prefix = ''): CheckInput {
  const sub: FieldError[] = [];
  const principal = str(params, 'principal', PRINCIPAL_RE, sub, 'user:<id> or sa:<id>');
  const permission = str(params, 'permission', /^[a-z]+:[a-z.-]+$/, sub, 'a permission id of api.md');
  if (permission && !isCheckablePermission(permission) && !sub.some((e) => e.field === 'permission')) {
    sub.push({
      field: 'permission',
      message: `unknown permission "${permission}" (see api.md "Permissions")`,
    });
  }
  const resource = str(params, 'resource', RESOURCE_RE, sub, 'org|team|project|run|report|registry:<id>');
  errors.push(...sub.map((e) => ({ ...e, field: prefix + e.field })));
  return { principal, permission, resource };
}

function id(value: string, field: string, errors: FieldError[]): void {
  if (!ID_RE.test(value)) errors.push({ field, message: 'must be 1-128 characters of [A-Za-z0-9._-]' });
}

function fail(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationFailedError(errors);
}

export function consistencyOf(params: Params, errors: FieldError[]): Consistency {
  try {
    return parseConsistency(params.consistency);
  } catch (e) {
    errors.push(...(e as ValidationFailedError).errors);
    return { kind: 'latest' };
  }
}

@Controller('v1')
@UseGuards(AuthGuard)
export class QueriesController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(AUDIT_INDEX) private readonly audit: AuditIndex,
    @Inject(PROJECTION) private readonly projection: ProjectionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every read here is about one org's resources: `scope` lets `at:` rebuild only those orgs. */
  private ask<T extends object>(
    c: Consistency,
    scope: QueryScope,
    read: (q: Queries) => T,
  ): Promise<T & { position: string }> {
    return this.queryBus.execute(new ReadQuery<T>(c, read, scope));
  }

  // GET /v1/check is served by a plain fastify route (src/http/check.route.ts): it is the hot path.

  @Post('check/batch')
  @HttpCode(200)
  batch(@Body() body: unknown, @Query() params: Params) {
    const errors: FieldError[] = [];
    const c = consistencyOf(params, errors);
    const malformed = (body as { [MALFORMED_JSON]?: string } | undefined)?.[MALFORMED_JSON];
    if (malformed !== undefined) throw new ValidationFailedError([{ field: 'body', message: malformed }]);
    const checks = (body as { checks?: unknown } | undefined)?.checks;
    const extra = body && typeof body === 'object' ? Object.keys(body).filter((k) => k !== 'checks') : [];
    for (const k of extra) errors.push({ field: k, message: `property ${k} should not exist` });
    if (!Array.isArray(checks) || checks.length === 0 || checks.length > MAX_BATCH) {
      errors.push({
        field: 'checks',
        message: `must be an array of 1-${MAX_BATCH} {principal, permission, resource}`,
      });
      fail(errors);
    }
    const inputs = (checks as unknown[]).map((item, i) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        errors.push({ field: `checks.${i}`, message: 'must be an object' });
        return { principal: '', permission: '', resource: '' };
      }
      for (const k of Object.keys(item)) {
        if (!['principal', 'permission', 'resource'].includes(k)) {
          errors.push({ field: `checks.${i}.${k}`, message: `property ${k} should not exist` });
        }
      }
      return checkInput(item as Params, errors, `checks.${i}.`);
    });
    fail(errors);
    return this.ask(c, { resources: inputs.map((input) => input.resource) }, (q) => ({
      results: inputs.map((input) => q.check(input)),
    }));
  }

  @Get('projects/:projectId/access')
  projectAccess(@Param('projectId') projectId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(projectId, 'projectId', errors);
    const principal = str(params, 'principal', PRINCIPAL_RE, errors, 'user:<id> or sa:<id>');
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { resources: [`project:${projectId}`] }, (q) => q.projectAccess(projectId, principal));
  }

  @Get('projects/:projectId/members')
  projectMembers(@Param('projectId') projectId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(projectId, 'projectId', errors);
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { resources: [`project:${projectId}`] }, (q) => q.projectMembers(projectId));
  }

  @Get('registries/:registryId/access')
  registryAccess(@Param('registryId') registryId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(registryId, 'registryId', errors);
    const principal = str(params, 'principal', REGISTRY_MEMBER_RE, errors, 'user:<id>, sa:<id> or team:<id>');
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { resources: [`registry:${registryId}`] }, (q) =>
      q.registryAccess(registryId, principal),
    );
  }

  @Get('registries/:registryId/members')
  registryMembers(@Param('registryId') registryId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(registryId, 'registryId', errors);
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { resources: [`registry:${registryId}`] }, (q) => q.registryMembers(registryId));
  }

  @Get('teams/:teamId/members')
  teamMembers(@Param('teamId') teamId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(teamId, 'teamId', errors);
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { resources: [`team:${teamId}`] }, (q) => q.teamMembers(teamId));
  }

  @Get('orgs/:orgId/custom-roles/:roleId')
  customRole(@Param('orgId') orgId: string, @Param('roleId') roleId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(orgId, 'orgId', errors);
    id(roleId, 'roleId', errors);
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { orgs: [orgId] }, (q) => q.customRole(orgId, roleId));
  }

  @Get('orgs/:orgId/orphaned-projects')
  orphaned(@Param('orgId') orgId: string, @Query() params: Params) {
    const errors: FieldError[] = [];
    id(orgId, 'orgId', errors);
    const c = consistencyOf(params, errors);
    fail(errors);
    return this.ask(c, { orgs: [orgId] }, (q) => q.orphanedProjects(orgId));
  }

  @Get('audit')
  async auditLog(@Query() params: Params) {
    const errors: FieldError[] = [];
    const known = [
      'orgId',
      'actor',
      'subject',
      'resource',
      'type',
      'from',
      'to',
      'after',
      'limit',
      'order',
      'consistency',
    ];
    for (const k of Object.keys(params))
      if (!known.includes(k)) errors.push({ field: k, message: `unknown parameter ${k}` });
    const f: AuditFilter = { limit: 100, order: 'desc' };
    const opt = (field: keyof AuditFilter, re: RegExp, what: string): void => {
      const v = str(params, field, re, errors, what, false);
      if (v) (f as unknown as Record<string, unknown>)[field] = v;
    };
    opt('orgId', ID_RE, 'an organization id');
    opt('actor', ACTOR_RE, 'user:<id>, sa:<id> or system');
    opt('subject', REGISTRY_MEMBER_RE, 'user:<id>, sa:<id> or team:<id>');
    opt(
      'resource',
      /^(org|team|project|run|report|registry|sa|customRole):[A-Za-z0-9._-]{1,128}$/,
      'a resource like project:<id>',
    );
    opt('type', EVENT_TYPE_RE, 'an event type such as TeamRoleChanged');
    opt('from', RFC3339_DATE_TIME_RE, 'an RFC 3339 date-time');
    opt('to', RFC3339_DATE_TIME_RE, 'an RFC 3339 date-time');
    opt('after', POSITION_RE, 'a position (the `next` of a previous page)');
    // The pattern admits impossible dates (month 13): those are 400 too, not an empty page.
    for (const field of ['from', 'to'] as const) {
      const v = f[field];
      if (v !== undefined && Number.isNaN(Date.parse(v)))
        errors.push({ field, message: 'must be a valid date-time' });
    }
    const limit = str(params, 'limit', /^\d{1,4}$/, errors, 'an integer 1-1000', false);
    if (limit) {
      const n = Number(limit);
      if (n < 1 || n > 1000) errors.push({ field: 'limit', message: 'must be an integer 1-1000' });
      else f.limit = n;
    }
    const order = str(params, 'order', /^(asc|desc)$/, errors, 'asc or desc', false);
    if (order) f.order = order as 'asc' | 'desc';
    const c = consistencyOf(params, errors);
    // Positions of another store kind are malformed here (400), not a server error.
    if (f.after !== undefined && !this.audit.isPosition(f.after)) {
      errors.push({ field: 'after', message: 'must be a position of this event store' });
    }
    if (c.kind !== 'latest' && !this.audit.isPosition(c.position)) {
      errors.push({ field: 'consistency', message: 'must name a position of this event store' });
    }
    fail(errors);
    // 503 until the events before a start-up snapshot are back in the index: never a partial log.
    this.audit.assertComplete();
    if (c.kind !== 'latest') {
      const live = this.projection.readModel;
      if (c.kind === 'atLeast' || !live.includes(c.position)) {
        await this.projection.waitFor(c.position, this.config.consistencyTimeoutMs);
      }
    }
    if (c.kind === 'at') {
      // As for every `at:` query (read-side.ts): the position of an event, or 404.
      if (!this.audit.hasPosition(c.position)) {
        throw notFound(`position ${c.position} is not the position of an event in this store`);
      }
      f.until = c.position;
    }
    const page = this.audit.query(f);
    const position =
      c.kind === 'at' ? c.position : (this.audit.lastPosition ?? this.projection.readModel.position ?? '0');
    return { ...page, position };
  }
}
