/**
 * Input validation of command bodies and query parameters (api.md). Returns `{ok: true, value}` with a plain
 * copy of the input, or `{ok: false, errors}` listing every bad field by (dotted) path, for a 400
 * `VALIDATION_FAILED` answer.
 *
 * Nothing is coerced: class-transformer runs without implicit conversion, and every rule checks the JSON
 * type itself (`"true"` is not a boolean, `5` is not an id).
 */
import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  getMetadataStorage,
  ValidateNested,
  validateSync,
  type ValidationError,
  type ValidatorOptions,
} from 'class-validator';
import {
  IsActor,
  IsArrayOf,
  IsConsistency,
  IsEventType,
  IsId,
  IsLookupResourceType,
  IsCheckablePermission,
  IsPosition,
  IsPrincipal,
  IsRegistryMember,
  IsResource,
  IsRfc3339DateTime,
  IsSortOrder,
  MAX_BATCH_CHECKS,
  Optional,
  Rule,
  RULES,
  arrayItemErrors,
  DECLARED_RULES,
  jsonKind,
  parseConsistency,
  type Consistency,
  type FieldError,
  type LookupResourceType,
  type CheckablePermission,
  type RuleSpec,
  type SortOrder,
} from './common';
import {
  COMMAND_DTOS,
  commandBodyErrors,
  isCommandName,
  type CommandBody,
  type CommandName,
} from './commands.dto';

export * from './common';
export * from './commands.dto';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: true },
};

// ---------------------------------------------------------------------------------------------------------
// Core
// ---------------------------------------------------------------------------------------------------------

/** Keys class-transformer would skip or misuse (prototype members); always reported as unknown. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);
/** Bodies are at most 3 levels deep (`checks.0.principal`); deeper input is rejected before transformation. */
const MAX_DEPTH = 8;

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

interface CopyContext {
  errors: FieldError[];
  /** A problem that makes further validation meaningless (non-JSON value, excessive depth). */
  fatal: boolean;
}

/** A deep plain copy of JSON data, without prototype-member keys (each reported as an unknown property). */
function copyJson(value: unknown, path: string, depth: number, ctx: CopyContext): unknown {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean')
    return value;
  const field = path === '' ? 'body' : path;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    ctx.fatal = true;
    ctx.errors.push({ field, message: `${field} must be a finite number` });
    return undefined;
  }
  if (depth > MAX_DEPTH) {
    ctx.fatal = true;
    ctx.errors.push({ field, message: `${field} is nested too deeply` });
    return undefined;
  }
  if (Array.isArray(value)) {
    return Array.from(value as unknown[], (item, i) => copyJson(item, join(path, String(i)), depth + 1, ctx));
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        ctx.errors.push({ field: join(path, key), message: `property ${key} should not exist` });
        continue;
      }
      out[key] = copyJson(value[key], join(path, key), depth + 1, ctx);
    }
    return out;
  }
  ctx.fatal = true;
  ctx.errors.push({ field, message: `${field} must be a JSON value (got ${jsonKind(value)})` });
  return undefined;
}

/** Rewrites "type must be …" into "deployment.type must be …" for nested fields. */
function qualify(message: string, property: string, field: string): string {
  if (field === property) return message;
  if (message.startsWith(`${property} `) || message.startsWith(`${property}.`)) {
    return field + message.slice(property.length);
  }
  return message;
}

function flatten(errors: readonly ValidationError[], prefix: string, out: FieldError[]): void {
  for (const error of errors) {
    const property = error.property as string | undefined;
    const field = property === undefined || property === '' ? prefix || 'body' : join(prefix, property);
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const items = arrayItemErrors(constraint, field, error.value);
      if (items) out.push(...items);
      else out.push({ field, message: qualify(message, property ?? '', field) });
    }
    if (error.children && error.children.length > 0) flatten(error.children, field, out);
  }
}

/** A flat DTO's properties and their rules, as {@link Rule} and {@link Optional} declared them. */
type FlatPlan = ReadonlyMap<string, { specs: readonly RuleSpec[]; optional: boolean }>;
const flatPlans = new Map<new () => object, FlatPlan | null>();

/**
 * The plan of `cls` when everything class-validator will check on it was declared through {@link Rule}
 * and {@link Optional} on `cls` itself (one constraint per Rule, one condition per Optional, no nested or
 * array validation, no groups, no `each`): then a body that passes the plan is exactly a body that
 * class-validator accepts. Null for any other class.
 */
function flatPlanOf(cls: new () => object): FlatPlan | null {
  let plan = flatPlans.get(cls);
  if (plan !== undefined) return plan;
  plan = null;
  const declared = DECLARED_RULES.get(cls);
  if (declared) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
    // Per property: as many constraints as Rules, one condition if Optional, and nothing else.
    const seen = new Map<string, { constraints: number; conditions: number }>();
    let simple = true;
    for (const m of metadata) {
      const entry = declared.get(m.propertyName);
      if (!entry || m.target !== cls || m.each || m.always || (m.groups?.length ?? 0) > 0) simple = false;
      const count = seen.get(m.propertyName) ?? { constraints: 0, conditions: 0 };
      seen.set(m.propertyName, count);
      if (m.type === 'customValidation') count.constraints += 1;
      else if (m.type === 'conditionalValidation') count.conditions += 1;
      else simple = false;
    }
    for (const [property, entry] of declared) {
      const count = seen.get(property);
      if (
        entry.specs.length === 0 ||
        count?.constraints !== entry.specs.length ||
        count.conditions !== (entry.optional ? 1 : 0)
      )
        simple = false;
    }
    if (simple) plan = declared;
  }
  flatPlans.set(cls, plan);
  return plan;
}

/**
 * The accepted copy of a flat body that passes `plan`, or undefined when it does not (or is not flat):
 * the caller then runs class-validator, which reports the errors in its own words. Acceptance is the
 * same decision class-validator makes; only the work differs.
 */
function acceptFlat(plan: FlatPlan, input: Record<string, unknown>): Record<string, unknown> | undefined {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    // An unknown property (prototype-member names included) is an error: let the full path say so.
    if (!plan.has(key)) return undefined;
    const value = input[key];
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value === 'object' && value !== null)
      return undefined;
    copy[key] = value;
  }
  for (const [key, { specs, optional }] of plan) {
    const value = copy[key];
    if (value === undefined && optional) continue;
    for (const spec of specs) if (!spec.test(value)) return undefined;
  }
  return copy;
}

/**
 * Validates `input` (a JSON object) against DTO class `cls`: unknown properties are errors, nothing is
 * coerced. `what` names the input in the "must be a JSON object" error (`body`, `query`).
 */
export function validateAgainst<T extends object>(
  cls: new () => T,
  input: unknown,
  what = 'body',
): ValidationResult<Record<string, unknown>> {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      errors: [{ field: what, message: `${what} must be a JSON object (got ${jsonKind(input)})` }],
    };
  }
  // Most bodies are flat and valid: accept them without class-transformer and class-validator.
  const plan = flatPlanOf(cls);
  const accepted = plan ? acceptFlat(plan, input) : undefined;
  if (accepted) return { ok: true, value: accepted };
  return validateWithClassValidator(cls, input);
}

/** Whether bodies of `cls` can be accepted without class-validator (see {@link flatPlanOf}). */
export function hasFlatPlan(cls: new () => object): boolean {
  return flatPlanOf(cls) !== null;
}

/** {@link validateAgainst} through class-transformer and class-validator only (`input` a plain object). */
export function validateWithClassValidator<T extends object>(
  cls: new () => T,
  input: Record<string, unknown>,
): ValidationResult<Record<string, unknown>> {
  const ctx: CopyContext = { errors: [], fatal: false };
  const copy = copyJson(input, '', 0, ctx) as Record<string, unknown>;
  if (ctx.fatal) return { ok: false, errors: ctx.errors };
  const instance = plainToInstance(cls, copy, {
    enableImplicitConversion: false,
    exposeDefaultValues: false,
  });
  const errors = [...ctx.errors];
  flatten(validateSync(instance, VALIDATOR_OPTIONS), '', errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: copy };
}

// ---------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------

/**
 * Validates the body of `POST /v1/commands/<name>`. On success `value` is a plain copy of the body (same
 * keys; `SetRegistryOwningTeam.teamId` may be `null`).
 */
export function validateCommandBody<N extends CommandName>(
  name: N,
  body: unknown,
): ValidationResult<CommandBody<N> & Record<string, unknown>>;
export function validateCommandBody(name: string, body: unknown): ValidationResult<Record<string, unknown>>;
export function validateCommandBody(name: string, body: unknown): ValidationResult<Record<string, unknown>> {
  if (!isCommandName(name)) {
    return { ok: false, errors: [{ field: 'command', message: `unknown command ${JSON.stringify(name)}` }] };
  }
  const result = validateAgainst(COMMAND_DTOS[name], body);
  if (!isPlainObject(body)) return result;
  const extra = commandBodyErrors(name, body);
  if (extra.length === 0) return result;
  return { ok: false, errors: [...(result.ok ? [] : result.errors), ...extra] };
}

// ---------------------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------------------

const LIMIT_RE = /^[1-9][0-9]{0,3}$/;
export const MAX_AUDIT_LIMIT = 1000;
const IsLimit = (): PropertyDecorator =>
  Rule({
    name: 'isLimit',
    test: (v: unknown) => typeof v === 'string' && LIMIT_RE.test(v) && Number(v) <= MAX_AUDIT_LIMIT,
    expectation: `an integer from 1 to ${MAX_AUDIT_LIMIT}`,
    kinds: ['string'],
  });

/** One check: `GET /v1/check`'s parameters and an item of `POST /v1/check/batch`. */
export class CheckItemDto {
  @IsPrincipal() principal!: string;
  @IsCheckablePermission() permission!: CheckablePermission;
  @IsResource() resource!: string;
}

export class CheckQueryDto extends CheckItemDto {
  @Optional() @IsConsistency() consistency?: string;
}

export class CheckBatchDto {
  @IsArrayOf(RULES.object, { min: 1, max: MAX_BATCH_CHECKS })
  @ValidateNested()
  @Type(() => CheckItemDto)
  checks!: CheckItemDto[];
}

export class HistoryQueryDto {
  @IsPrincipal() principal!: string;
  @IsResource() resource!: string;
  @Optional() @IsConsistency() consistency?: string;
}

export class ConsistencyQueryDto {
  @Optional() @IsConsistency() consistency?: string;
}

export class AuditQueryDto {
  @Optional() @IsId() orgId?: string;
  @Optional() @IsActor() actor?: string;
  /** The principal an event is about (`user:`, `sa:` or `team:`). */
  @Optional() @IsRegistryMember() subject?: string;
  @Optional() @IsResource() resource?: string;
  @Optional() @IsEventType() type?: string;
  @Optional() @IsRfc3339DateTime() from?: string;
  @Optional() @IsRfc3339DateTime() to?: string;
  @Optional() @IsPosition() after?: string;
  @Optional() @IsLimit() limit?: string;
  @Optional() @IsSortOrder() order?: SortOrder;
  @Optional() @IsConsistency() consistency?: string;
}

export class ProjectAccessQueryDto {
  @IsPrincipal() principal!: string;
  @Optional() @IsConsistency() consistency?: string;
}

export class RegistryAccessQueryDto {
  /** A user, service account or team. */
  @IsRegistryMember() principal!: string;
  @Optional() @IsConsistency() consistency?: string;
}

export class PrincipalResourcesQueryDto {
  @Optional() @IsLookupResourceType() type?: LookupResourceType;
  @IsCheckablePermission() permission!: CheckablePermission;
  @Optional() @IsConsistency() consistency?: string;
}

export class ResourcePrincipalsQueryDto {
  @IsCheckablePermission() permission!: CheckablePermission;
  @Optional() @IsConsistency() consistency?: string;
}

export interface CheckItem {
  principal: string;
  permission: CheckablePermission;
  resource: string;
}
export interface ConsistencyQuery {
  consistency?: Consistency;
}
export interface CheckQuery extends CheckItem, ConsistencyQuery {}
export interface CheckBatchBody {
  checks: CheckItem[];
}
export interface HistoryQuery extends ConsistencyQuery {
  principal: string;
  resource: string;
}
export interface AuditQuery extends ConsistencyQuery {
  orgId?: string;
  actor?: string;
  subject?: string;
  resource?: string;
  type?: string;
  from?: string;
  to?: string;
  after?: string;
  limit?: number;
  order?: SortOrder;
}
export interface ProjectAccessQuery extends ConsistencyQuery {
  principal: string;
}
export interface RegistryAccessQuery extends ConsistencyQuery {
  principal: string;
}
export interface PrincipalResourcesQuery extends ConsistencyQuery {
  type?: LookupResourceType;
  permission: CheckablePermission;
}
export interface ResourcePrincipalsQuery extends ConsistencyQuery {
  permission: CheckablePermission;
}

/** What each query kind validates and the value it yields. */
export interface QueryValues {
  /** `GET /v1/check` */
  check: CheckQuery;
  /** `GET /v1/explain` (same parameters as check) */
  explain: CheckQuery;
  /** `GET /v1/history` */
  history: HistoryQuery;
  /** `POST /v1/check/batch` body */
  checkBatch: CheckBatchBody;
  /** The `consistency` parameter alone (any query without other parameters) */
  consistency: ConsistencyQuery;
  /** `GET /v1/audit` */
  audit: AuditQuery;
  /** `GET /v1/projects/<id>/access` */
  projectAccess: ProjectAccessQuery;
  /** `GET /v1/registries/<id>/access` */
  registryAccess: RegistryAccessQuery;
  /** `GET /v1/principals/<principal>/resources` */
  principalResources: PrincipalResourcesQuery;
  /** `GET /v1/resources/<resource>/principals` */
  resourcePrincipals: ResourcePrincipalsQuery;
}
export type QueryKind = keyof QueryValues;

const QUERY_DTOS: { readonly [K in QueryKind]: new () => object } = {
  check: CheckQueryDto,
  explain: CheckQueryDto,
  history: HistoryQueryDto,
  checkBatch: CheckBatchDto,
  consistency: ConsistencyQueryDto,
  audit: AuditQueryDto,
  projectAccess: ProjectAccessQueryDto,
  registryAccess: RegistryAccessQueryDto,
  principalResources: PrincipalResourcesQueryDto,
  resourcePrincipals: ResourcePrincipalsQueryDto,
};

export const QUERY_KINDS = Object.keys(QUERY_DTOS) as QueryKind[];

export function isQueryKind(kind: unknown): kind is QueryKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(QUERY_DTOS, kind);
}

/**
 * Validates query parameters (or, for `checkBatch`, the request body). Unknown parameters are errors.
 * On success `consistency` is parsed (`{mode, position}`) and audit `limit` is a number.
 */
export function validateQuery<K extends QueryKind>(
  kind: K,
  params: unknown,
): ValidationResult<QueryValues[K]>;
export function validateQuery(kind: string, params: unknown): ValidationResult<Record<string, unknown>>;
export function validateQuery(kind: string, params: unknown): ValidationResult<Record<string, unknown>> {
  if (!isQueryKind(kind)) {
    return { ok: false, errors: [{ field: 'query', message: `unknown query kind ${JSON.stringify(kind)}` }] };
  }
  const result = validateAgainst(QUERY_DTOS[kind], params, kind === 'checkBatch' ? 'body' : 'query');
  if (!result.ok) return result;
  const value = result.value;
  if (typeof value.consistency === 'string') value.consistency = parseConsistency(value.consistency);
  if (kind === 'audit') {
    if (typeof value.limit === 'string') value.limit = Number(value.limit);
    if (typeof value.from === 'string' && typeof value.to === 'string') {
      const from = Date.parse(value.from);
      const to = Date.parse(value.to);
      if (!Number.isNaN(from) && !Number.isNaN(to) && from > to) {
        return { ok: false, errors: [{ field: 'to', message: 'to must not be before from' }] };
      }
    }
  }
  return { ok: true, value };
}

/** Validates the `consistency` parameter value alone (undefined = none). */
export function validateConsistency(value: unknown): ValidationResult<Consistency | undefined> {
  const result = validateQuery('consistency', value === undefined ? {} : { consistency: value });
  return result.ok ? { ok: true, value: result.value.consistency } : result;
}

/** Validates an `X-Actor` header value: `user:<id>` | `sa:<id>` | `system`. */
export function validateActorHeader(value: unknown): ValidationResult<string> {
  if (typeof value === 'string' && RULES.actor.test(value)) return { ok: true, value };
  return {
    ok: false,
    errors: [
      {
        field: 'X-Actor',
        message: value === undefined ? 'X-Actor is required' : `X-Actor must be ${RULES.actor.expectation}`,
      },
    ],
  };
}
