/**
 * Shared vocabulary of the HTTP contract (docs: /work/shared/spec/api.md, "Identifiers and vocabulary" and
 * "Permissions"): patterns, enums, predicates and class-validator decorators used by the request DTOs.
 *
 * Every decorator here registers exactly one class-validator constraint per property, so a bad field yields
 * one precise message ("orgId is required", "role must be one of: admin, member, viewer (got number)").
 * No decorator coerces: a string is never a boolean, a number is never a string.
 */
import { Type } from 'class-transformer';
import { registerDecorator, ValidateIf, ValidateNested, type ValidationArguments } from 'class-validator';

// ---------------------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------------------

/** Source of the id pattern without anchors, for composing other patterns. */
export const ID_CHARS = '[A-Za-z0-9._-]{1,128}';
export const ID_MAX_LENGTH = 128;
/** Ids: 1-128 chars of `[A-Za-z0-9._-]`. */
export const ID_RE = new RegExp(`^${ID_CHARS}$`);
/** Principals: `user:<id>` | `sa:<id>`. */
export const PRINCIPAL_RE = new RegExp(`^(?:user|sa):${ID_CHARS}$`);
/** Registry members: `user:<id>` | `sa:<id>` | `team:<id>`. */
export const REGISTRY_MEMBER_RE = new RegExp(`^(?:user|sa|team):${ID_CHARS}$`);
/** Resources: `org|team|project|run|report|registry:<id>`. */
export const RESOURCE_RE = new RegExp(`^(?:org|team|project|run|report|registry):${ID_CHARS}$`);
/** `X-Actor` header (and audit `actor` filter): `user:<id>` | `sa:<id>` | `system`. */
export const ACTOR_RE = new RegExp(`^(?:(?:user|sa):${ID_CHARS}|system)$`);
/** A custom role reference inside a team/project role: `custom:<roleId>`. */
export const CUSTOM_ROLE_REF_RE = new RegExp(`^custom:${ID_CHARS}$`);
/** Team and project roles: `admin` | `member` | `viewer` | `custom:<roleId>`. */
export const TEAM_ROLE_RE = new RegExp(`^(?:admin|member|viewer|custom:${ID_CHARS})$`);
/** Shape of a permission id (`object:operation`); membership in the catalogue is checked elsewhere. */
export const PERMISSION_FORMAT_RE = /^[a-z]+:[a-z.-]+$/;
/** `deployment.serverVersion`: `MAJOR.MINOR.PATCH`. */
export const SERVER_VERSION_RE = /^\d+\.\d+\.\d+$/;
/** Store positions as accepted in `consistency` and audit `after`. */
export const POSITION_RE = /^[0-9]+(?::[0-9]+)?$/;
/** `consistency` query parameter: `atLeast:<position>` | `at:<position>`. */
export const CONSISTENCY_RE = /^(atLeast|at):([0-9]+(?::[0-9]+)?)$/;
/** Audit `type` filter (an event type name). */
export const EVENT_TYPE_RE = /^[A-Za-z]+$/;
/** RFC 3339 `date-time` (section 5.6), e.g. `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.5+02:00`. */
export const RFC3339_DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

export const NAME_MAX_LENGTH = 256;
export const DESCRIPTION_MAX_LENGTH = 2000;
export const MAX_INVITEES = 1000;
export const MAX_PERMISSIONS = 100;
export const MAX_BATCH_CHECKS = 1000;

// ---------------------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------------------

export const ORG_ROLES = ['admin', 'member', 'viewer'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** Built-in team/project roles; a team/project role may also be `custom:<roleId>`. */
export const BUILTIN_TEAM_ROLES = ['admin', 'member', 'viewer'] as const;
export type BuiltinTeamRole = (typeof BUILTIN_TEAM_ROLES)[number];
export type TeamRole = BuiltinTeamRole | `custom:${string}`;
export type ProjectRole = TeamRole;

/** Bases a custom role may extend. */
export const CUSTOM_ROLE_BASES = ['member', 'viewer'] as const;
export type CustomRoleBase = (typeof CUSTOM_ROLE_BASES)[number];

/** Registry roles, ascending. */
export const REGISTRY_ROLES = ['restricted-viewer', 'viewer', 'member', 'admin'] as const;
export type RegistryRole = (typeof REGISTRY_ROLES)[number];

export const PROJECT_VISIBILITIES = ['open', 'public', 'team', 'restricted'] as const;
export type ProjectVisibility = (typeof PROJECT_VISIBILITIES)[number];

export const REGISTRY_VISIBILITIES = ['organization', 'restricted'] as const;
export type RegistryVisibility = (typeof REGISTRY_VISIBILITIES)[number];

export const DEPLOYMENT_TYPES = ['multi-tenant', 'dedicated', 'self-managed'] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

export const ORG_POLICIES = ['futureProjectPrivacy', 'invitationControl'] as const;
export type OrgPolicy = (typeof ORG_POLICIES)[number];

export const SERVICE_ACCOUNT_SCOPES = ['org', 'team'] as const;
export type ServiceAccountScope = (typeof SERVICE_ACCOUNT_SCOPES)[number];

export const PRINCIPAL_KINDS = ['user', 'sa'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export const REGISTRY_MEMBER_KINDS = ['user', 'sa', 'team'] as const;
export type RegistryMemberKind = (typeof REGISTRY_MEMBER_KINDS)[number];

export const RESOURCE_KINDS = ['org', 'team', 'project', 'run', 'report', 'registry'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** `type` of `GET /v1/principals/<principal>/resources`. */
export const LOOKUP_RESOURCE_TYPES = ['project', 'registry'] as const;
export type LookupResourceType = (typeof LOOKUP_RESOURCE_TYPES)[number];

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

export const CONSISTENCY_MODES = ['atLeast', 'at'] as const;
export type ConsistencyMode = (typeof CONSISTENCY_MODES)[number];

// ---------------------------------------------------------------------------------------------------------
// Permissions (api.md "Permissions")
// ---------------------------------------------------------------------------------------------------------

// The lists live in the domain's catalogue (one source of truth); the edge re-exports them typed.
export {
  PROJECT_PERMISSION_IDS as PROJECT_PERMISSIONS,
  TEAM_PERMISSION_IDS as TEAM_PERMISSIONS,
  ORG_PERMISSION_IDS as ORG_PERMISSIONS,
  REGISTRY_PERMISSION_IDS as REGISTRY_PERMISSIONS,
} from '../../domain/permissions';
import {
  PROJECT_PERMISSION_IDS as PROJECT_PERMISSIONS,
  TEAM_PERMISSION_IDS as TEAM_PERMISSIONS,
  ORG_PERMISSION_IDS as ORG_PERMISSIONS,
  REGISTRY_PERMISSION_IDS as REGISTRY_PERMISSIONS,
  TEAM_SCOPE_EXTRA_PERMISSION_IDS,
} from '../../domain/permissions';

export type ProjectPermission = (typeof PROJECT_PERMISSIONS)[number];
export type TeamPermission = (typeof TEAM_PERMISSIONS)[number];
export type OrgPermission = (typeof ORG_PERMISSIONS)[number];
export type RegistryPermission = (typeof REGISTRY_PERMISSIONS)[number];
export type PermissionId = ProjectPermission | TeamPermission | OrgPermission | RegistryPermission;
export type PermissionScope = 'project' | 'team' | 'org' | 'registry';

/** The checkable permissions grouped by scope. */
export const PERMISSIONS_BY_SCOPE: { readonly [S in PermissionScope]: readonly PermissionId[] } = {
  project: PROJECT_PERMISSIONS,
  team: TEAM_PERMISSIONS,
  org: ORG_PERMISSIONS,
  registry: REGISTRY_PERMISSIONS,
};

/** Every checkable permission id (all scopes). */
export const PERMISSION_IDS: readonly PermissionId[] = [
  ...PROJECT_PERMISSIONS,
  ...TEAM_PERMISSIONS,
  ...ORG_PERMISSIONS,
  ...REGISTRY_PERMISSIONS,
];

/**
 * Team-scope ids of the custom-role catalogue (access-model §3.8) that api.md does not list under "Team scope"
 * but that the domain accepts in a `team:<id>` check: creating a project (A15), viewing Launch agents (R74).
 */
export const TEAM_SCOPE_EXTRA_PERMISSIONS = TEAM_SCOPE_EXTRA_PERMISSION_IDS;
export type TeamScopeExtraPermission = (typeof TEAM_SCOPE_EXTRA_PERMISSIONS)[number];
export type CheckablePermission = PermissionId | TeamScopeExtraPermission;

/** What `GET /v1/check` (and batch, explain, lookups) accept: {@link PERMISSION_IDS} plus the team-scope extras. */
export const CHECKABLE_PERMISSION_IDS: readonly CheckablePermission[] = [
  ...PERMISSION_IDS,
  ...TEAM_SCOPE_EXTRA_PERMISSIONS,
];

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSION_IDS);
const CHECKABLE_SET: ReadonlySet<string> = new Set(CHECKABLE_PERMISSION_IDS);

// ---------------------------------------------------------------------------------------------------------
// Predicates and parsers
// ---------------------------------------------------------------------------------------------------------

const matches =
  (re: RegExp) =>
  (value: unknown): value is string =>
    typeof value === 'string' && re.test(value);

export const isId = matches(ID_RE);
export const isPrincipal = matches(PRINCIPAL_RE);
export const isRegistryMember = matches(REGISTRY_MEMBER_RE);
export const isResource = matches(RESOURCE_RE);
export const isActor = matches(ACTOR_RE);
export const isTeamRole = matches(TEAM_ROLE_RE) as (value: unknown) => value is TeamRole;
export const isPermissionFormat = matches(PERMISSION_FORMAT_RE);
export const isServerVersion = matches(SERVER_VERSION_RE);
export const isPosition = matches(POSITION_RE);
export const isEventType = matches(EVENT_TYPE_RE);

export function isOneOf<T extends string>(values: readonly T[]): (value: unknown) => value is T {
  return (value: unknown): value is T =>
    typeof value === 'string' && (values as readonly string[]).includes(value);
}

export const isOrgRole = isOneOf(ORG_ROLES);
export const isRegistryRole = isOneOf(REGISTRY_ROLES);
export const isProjectVisibility = isOneOf(PROJECT_VISIBILITIES);
export const isRegistryVisibility = isOneOf(REGISTRY_VISIBILITIES);
export const isDeploymentType = isOneOf(DEPLOYMENT_TYPES);
export const isOrgPolicy = isOneOf(ORG_POLICIES);
export const isServiceAccountScope = isOneOf(SERVICE_ACCOUNT_SCOPES);
export const isCustomRoleBase = isOneOf(CUSTOM_ROLE_BASES);

/** A permission id from api.md's "Permissions" list (any scope). */
export function isPermissionId(value: unknown): value is PermissionId {
  return typeof value === 'string' && PERMISSION_SET.has(value);
}

/** A permission accepted by checks: api.md's list plus {@link TEAM_SCOPE_EXTRA_PERMISSIONS}. */
export function isCheckablePermission(value: unknown): value is CheckablePermission {
  return typeof value === 'string' && CHECKABLE_SET.has(value);
}

/** The scope a checkable permission belongs to, or undefined for an unknown permission. */
export function permissionScope(permission: string): PermissionScope | undefined {
  for (const scope of Object.keys(PERMISSIONS_BY_SCOPE) as PermissionScope[]) {
    if ((PERMISSIONS_BY_SCOPE[scope] as readonly string[]).includes(permission)) return scope;
  }
  if ((TEAM_SCOPE_EXTRA_PERMISSIONS as readonly string[]).includes(permission)) return 'team';
  return undefined;
}

/** Counts code points, so a name of 256 emoji is 256 characters long. */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** A name: a string of 1-256 characters that is not only whitespace. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && codePointLength(value) <= NAME_MAX_LENGTH;
}

/** A description: a string of at most 2000 characters (empty allowed, e.g. to clear it). */
export function isDescription(value: unknown): value is string {
  return typeof value === 'string' && codePointLength(value) <= DESCRIPTION_MAX_LENGTH;
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** RFC 3339 date-time with calendar checks (no 2024-02-30, no 25:00). Leap second 60 accepted. */
export function isRfc3339DateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = RFC3339_DATE_TIME_RE.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[7] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return true;
}

export interface ParsedPrincipal {
  kind: RegistryMemberKind;
  id: string;
}

/** `user:alice` → `{kind: 'user', id: 'alice'}`; `team:x` only when `allowTeam`. */
export function parsePrincipal(value: string, allowTeam = false): ParsedPrincipal | undefined {
  if (!(allowTeam ? REGISTRY_MEMBER_RE : PRINCIPAL_RE).test(value)) return undefined;
  const i = value.indexOf(':');
  return { kind: value.slice(0, i) as RegistryMemberKind, id: value.slice(i + 1) };
}

export interface ParsedResource {
  kind: ResourceKind;
  id: string;
}

/** `project:p1` → `{kind: 'project', id: 'p1'}`. */
export function parseResource(value: string): ParsedResource | undefined {
  if (!RESOURCE_RE.test(value)) return undefined;
  const i = value.indexOf(':');
  return { kind: value.slice(0, i) as ResourceKind, id: value.slice(i + 1) };
}

export interface Consistency {
  mode: ConsistencyMode;
  position: string;
}

/** `atLeast:12` → `{mode: 'atLeast', position: '12'}`. */
export function parseConsistency(value: string): Consistency | undefined {
  const m = CONSISTENCY_RE.exec(value);
  if (!m) return undefined;
  return { mode: m[1] as ConsistencyMode, position: m[2] as string };
}

/** `{field: 'deployment.type', message: 'deployment.type must be one of: …'}`. */
export interface FieldError {
  field: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------------------
// Decorators
// ---------------------------------------------------------------------------------------------------------

type JsonKind = 'null' | 'string' | 'number' | 'boolean' | 'array' | 'object' | 'undefined' | 'other';

/** JSON kind of a value, for messages ("got number"). */
export function jsonKind(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'object':
    case 'undefined':
      return typeof value as JsonKind;
    default:
      return 'other';
  }
}

/** What a rule expects, in words, and which JSON kinds are acceptable at all. */
export interface RuleSpec {
  /** Constraint name in class-validator errors, e.g. `isId`. */
  name: string;
  test: (value: unknown) => boolean;
  /** Completes "<field> must be …", e.g. "an id (1-128 characters of A-Z a-z 0-9 . _ -)". */
  expectation: string;
  /** Kinds the expectation is about; another kind gets "(got <kind>)" appended. */
  kinds: readonly JsonKind[];
}

/** Message for a value that failed `spec`, naming the field (`field` may be a dotted path). */
export function ruleMessage(
  field: string,
  value: unknown,
  spec: Pick<RuleSpec, 'expectation' | 'kinds'>,
): string {
  if (value === undefined) return `${field} is required`;
  const kind = jsonKind(value);
  const got = spec.kinds.includes(kind) ? '' : ` (got ${kind})`;
  return `${field} must be ${spec.expectation}${got}`;
}

/**
 * What {@link Rule} and {@link Optional} declared on each class, property by property, besides registering
 * it with class-validator: validate.ts checks flat bodies against it directly (the result must agree with
 * class-validator's, which it compares against before relying on it).
 */
export const DECLARED_RULES = new WeakMap<object, Map<string, { specs: RuleSpec[]; optional: boolean }>>();

function declared(target: object, propertyKey: string | symbol): { specs: RuleSpec[]; optional: boolean } {
  let properties = DECLARED_RULES.get(target.constructor);
  if (!properties) DECLARED_RULES.set(target.constructor, (properties = new Map()));
  const key = String(propertyKey);
  let entry = properties.get(key);
  if (!entry) properties.set(key, (entry = { specs: [], optional: false }));
  return entry;
}

/** A property decorator registering one class-validator constraint for `spec`. */
export function Rule(spec: RuleSpec): PropertyDecorator {
  return (target: object, propertyKey: string | symbol): void => {
    declared(target, propertyKey).specs.push(spec);
    registerDecorator({
      name: spec.name,
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown) => spec.test(value),
        defaultMessage: (args?: ValidationArguments) => ruleMessage(args?.property ?? '', args?.value, spec),
      },
    });
  };
}

const ID_WORDS = 'an id (1-128 characters of A-Z a-z 0-9 . _ -)';

export const RULES = {
  id: { name: 'isId', test: isId, expectation: ID_WORDS, kinds: ['string'] },
  idOrNull: {
    name: 'isIdOrNull',
    test: (v: unknown) => v === null || isId(v),
    expectation: `${ID_WORDS} or null`,
    kinds: ['string', 'null'],
  },
  principal: {
    name: 'isPrincipal',
    test: isPrincipal,
    expectation: 'a principal (user:<id> or sa:<id>)',
    kinds: ['string'],
  },
  registryMember: {
    name: 'isRegistryMember',
    test: isRegistryMember,
    expectation: 'a registry member (user:<id>, sa:<id> or team:<id>)',
    kinds: ['string'],
  },
  resource: {
    name: 'isResource',
    test: isResource,
    expectation: `a resource (${RESOURCE_KINDS.join('|')}:<id>)`,
    kinds: ['string'],
  },
  actor: {
    name: 'isActor',
    test: isActor,
    expectation: 'an actor (user:<id>, sa:<id> or system)',
    kinds: ['string'],
  },
  orgRole: {
    name: 'isOrgRole',
    test: isOrgRole,
    expectation: `one of: ${ORG_ROLES.join(', ')}`,
    kinds: ['string'],
  },
  teamRole: {
    name: 'isTeamRole',
    test: isTeamRole,
    expectation: `one of: ${BUILTIN_TEAM_ROLES.join(', ')}, custom:<roleId>`,
    kinds: ['string'],
  },
  registryRole: {
    name: 'isRegistryRole',
    test: isRegistryRole,
    expectation: `one of: ${REGISTRY_ROLES.join(', ')}`,
    kinds: ['string'],
  },
  projectVisibility: {
    name: 'isProjectVisibility',
    test: isProjectVisibility,
    expectation: `one of: ${PROJECT_VISIBILITIES.join(', ')}`,
    kinds: ['string'],
  },
  registryVisibility: {
    name: 'isRegistryVisibility',
    test: isRegistryVisibility,
    expectation: `one of: ${REGISTRY_VISIBILITIES.join(', ')}`,
    kinds: ['string'],
  },
  deploymentType: {
    name: 'isDeploymentType',
    test: isDeploymentType,
    expectation: `one of: ${DEPLOYMENT_TYPES.join(', ')}`,
    kinds: ['string'],
  },
  orgPolicy: {
    name: 'isOrgPolicy',
    test: isOrgPolicy,
    expectation: `one of: ${ORG_POLICIES.join(', ')}`,
    kinds: ['string'],
  },
  serviceAccountScope: {
    name: 'isServiceAccountScope',
    test: isServiceAccountScope,
    expectation: `one of: ${SERVICE_ACCOUNT_SCOPES.join(', ')}`,
    kinds: ['string'],
  },
  customRoleBase: {
    name: 'isCustomRoleBase',
    test: isCustomRoleBase,
    expectation: `one of: ${CUSTOM_ROLE_BASES.join(', ')}`,
    kinds: ['string'],
  },
  boolean: {
    name: 'isStrictBoolean',
    test: (v: unknown) => typeof v === 'boolean',
    expectation: 'a boolean',
    kinds: ['boolean'],
  },
  name: {
    name: 'isName',
    test: isName,
    expectation: `a non-blank string of at most ${NAME_MAX_LENGTH} characters`,
    kinds: ['string'],
  },
  description: {
    name: 'isDescription',
    test: isDescription,
    expectation: `a string of at most ${DESCRIPTION_MAX_LENGTH} characters`,
    kinds: ['string'],
  },
  serverVersion: {
    name: 'isServerVersion',
    test: isServerVersion,
    expectation: 'a version MAJOR.MINOR.PATCH (e.g. 0.75.0)',
    kinds: ['string'],
  },
  permissionFormat: {
    name: 'isPermissionFormat',
    test: isPermissionFormat,
    expectation: 'a permission id of the form object:operation (e.g. run:stop)',
    kinds: ['string'],
  },
  permissionId: {
    name: 'isPermissionId',
    test: isPermissionId,
    expectation: 'a known permission id (see api.md "Permissions")',
    kinds: ['string'],
  },
  checkablePermission: {
    name: 'isCheckablePermission',
    test: isCheckablePermission,
    expectation: 'a known permission id (see api.md "Permissions")',
    kinds: ['string'],
  },
  position: {
    name: 'isPosition',
    test: isPosition,
    expectation: 'a position (digits, optionally <n>:<n>)',
    kinds: ['string'],
  },
  consistency: {
    name: 'isConsistency',
    test: matches(CONSISTENCY_RE),
    expectation: 'atLeast:<position> or at:<position>',
    kinds: ['string'],
  },
  eventType: {
    name: 'isEventType',
    test: isEventType,
    expectation: 'an event type name (letters only)',
    kinds: ['string'],
  },
  dateTime: {
    name: 'isRfc3339DateTime',
    test: isRfc3339DateTime,
    expectation: 'an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z)',
    kinds: ['string'],
  },
  sortOrder: {
    name: 'isSortOrder',
    test: isOneOf(SORT_ORDERS),
    expectation: 'asc or desc',
    kinds: ['string'],
  },
  lookupResourceType: {
    name: 'isLookupResourceType',
    test: isOneOf(LOOKUP_RESOURCE_TYPES),
    expectation: `one of: ${LOOKUP_RESOURCE_TYPES.join(', ')}`,
    kinds: ['string'],
  },
  object: {
    name: 'isJsonObject',
    test: (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v),
    expectation: 'an object',
    kinds: ['object'],
  },
} satisfies Record<string, RuleSpec>;

/** The property may be absent (undefined); `null` is still validated (and rejected unless the rule allows it). */
export const Optional = (): PropertyDecorator => {
  const validateIf = ValidateIf((_object: object, value: unknown) => value !== undefined);
  return (target: object, propertyKey: string | symbol): void => {
    declared(target, propertyKey).optional = true;
    validateIf(target, propertyKey);
  };
};

export const IsId = (): PropertyDecorator => Rule(RULES.id);
/** An id, or an explicit `null`; absence is an error ("is required"). */
export const IsIdOrNull = (): PropertyDecorator => Rule(RULES.idOrNull);
export const IsPrincipal = (): PropertyDecorator => Rule(RULES.principal);
export const IsRegistryMember = (): PropertyDecorator => Rule(RULES.registryMember);
export const IsResource = (): PropertyDecorator => Rule(RULES.resource);
export const IsActor = (): PropertyDecorator => Rule(RULES.actor);
export const IsOrgRole = (): PropertyDecorator => Rule(RULES.orgRole);
/** Team and project roles. */
export const IsTeamRole = (): PropertyDecorator => Rule(RULES.teamRole);
export const IsRegistryRole = (): PropertyDecorator => Rule(RULES.registryRole);
export const IsProjectVisibility = (): PropertyDecorator => Rule(RULES.projectVisibility);
export const IsRegistryVisibility = (): PropertyDecorator => Rule(RULES.registryVisibility);
export const IsDeploymentType = (): PropertyDecorator => Rule(RULES.deploymentType);
export const IsOrgPolicy = (): PropertyDecorator => Rule(RULES.orgPolicy);
export const IsServiceAccountScope = (): PropertyDecorator => Rule(RULES.serviceAccountScope);
export const IsCustomRoleBase = (): PropertyDecorator => Rule(RULES.customRoleBase);
/** A real JSON boolean; `"true"`, `1` and `null` fail. */
export const IsStrictBoolean = (): PropertyDecorator => Rule(RULES.boolean);
export const IsName = (): PropertyDecorator => Rule(RULES.name);
export const IsDescription = (): PropertyDecorator => Rule(RULES.description);
export const IsServerVersion = (): PropertyDecorator => Rule(RULES.serverVersion);
export const IsPermissionId = (): PropertyDecorator => Rule(RULES.permissionId);
export const IsCheckablePermission = (): PropertyDecorator => Rule(RULES.checkablePermission);
export const IsPosition = (): PropertyDecorator => Rule(RULES.position);
export const IsConsistency = (): PropertyDecorator => Rule(RULES.consistency);
export const IsEventType = (): PropertyDecorator => Rule(RULES.eventType);
export const IsRfc3339DateTime = (): PropertyDecorator => Rule(RULES.dateTime);
export const IsSortOrder = (): PropertyDecorator => Rule(RULES.sortOrder);
export const IsLookupResourceType = (): PropertyDecorator => Rule(RULES.lookupResourceType);

/** Combines several decorators into one. */
export function Compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target: object, propertyKey: string | symbol): void => {
    for (const d of decorators) d(target, propertyKey);
  };
}

/** A nested JSON object validated as `cls` (errors are reported as `<field>.<nested field>`). */
export function IsNestedObject(cls: () => new () => object): PropertyDecorator {
  return Compose(Rule(RULES.object), ValidateNested(), Type(cls));
}

// --- arrays ----------------------------------------------------------------------------------------------

export interface ArrayRuleOptions {
  min?: number;
  max: number;
  /** Reject repeated items (compared with ===). */
  unique?: boolean;
}

interface ArrayRule {
  element: RuleSpec;
  options: ArrayRuleOptions;
}

/** Array constraints by constraint name, so per-item errors (`invitees.3`) can be derived from a failure. */
const ARRAY_RULES = new Map<string, ArrayRule>();
/** At most this many per-item errors are listed for one array; the rest are summarised. */
export const MAX_ITEM_ERRORS = 20;

function firstDuplicate(items: readonly unknown[]): unknown {
  const seen = new Set<unknown>();
  for (const item of items) {
    if (seen.has(item)) return item;
    seen.add(item);
  }
  return undefined;
}

function arrayProblem(field: string, value: unknown, rule: ArrayRule): string | undefined {
  const { element, options } = rule;
  const min = options.min ?? 0;
  if (!Array.isArray(value)) {
    return ruleMessage(field, value, { expectation: `an array of ${element.expectation}`, kinds: ['array'] });
  }
  if (value.length < min) return `${field} must contain at least ${min} item${min === 1 ? '' : 's'}`;
  if (value.length > options.max) return `${field} must contain at most ${options.max} items`;
  const bad = value.findIndex((item) => !element.test(item));
  if (bad >= 0) return ruleMessage(`${field}.${bad}`, value[bad], element);
  if (options.unique) {
    const dup = firstDuplicate(value);
    if (dup !== undefined) return `${field} must not contain duplicates (${JSON.stringify(dup)})`;
  }
  return undefined;
}

/**
 * An array of at most `max` items, each satisfying `element`. Invalid items are reported one by one
 * (see {@link arrayItemErrors}); size and duplicate problems on the array itself.
 */
export function IsArrayOf(element: RuleSpec, options: ArrayRuleOptions): PropertyDecorator {
  const name = `${element.name}Array`;
  const rule: ArrayRule = { element, options };
  const known = ARRAY_RULES.get(name);
  if (known && (known.element !== element || JSON.stringify(known.options) !== JSON.stringify(options))) {
    throw new Error(`IsArrayOf: constraint ${name} already registered with other options`);
  }
  ARRAY_RULES.set(name, rule);
  return (target: object, propertyKey: string | symbol): void => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown, args?: ValidationArguments) =>
          arrayProblem(args?.property ?? '', value, rule) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          arrayProblem(args?.property ?? '', args?.value, rule) ?? `${args?.property ?? ''} is invalid`,
      },
    });
  };
}

/**
 * For a failed {@link IsArrayOf} constraint: one error per invalid item (`<field>.<index>`), or undefined when
 * the failure is about the array as a whole (not an array, size, duplicates) or `constraint` is not an array
 * constraint.
 */
export function arrayItemErrors(constraint: string, field: string, value: unknown): FieldError[] | undefined {
  const rule = ARRAY_RULES.get(constraint);
  if (!rule || !Array.isArray(value)) return undefined;
  if (value.length < (rule.options.min ?? 0) || value.length > rule.options.max) return undefined;
  const errors: FieldError[] = [];
  let more = 0;
  value.forEach((item: unknown, index) => {
    if (rule.element.test(item)) return;
    if (errors.length < MAX_ITEM_ERRORS) {
      errors.push({
        field: `${field}.${index}`,
        message: ruleMessage(`${field}.${index}`, item, rule.element),
      });
    } else {
      more++;
    }
  });
  if (errors.length === 0) return undefined;
  if (more > 0)
    errors.push({ field, message: `${field} has ${more} more invalid item${more === 1 ? '' : 's'}` });
  return errors;
}
