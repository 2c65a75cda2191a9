/**
 * Request bodies of `POST /v1/commands/<Name>` (api.md "Commands"), one class per command.
 *
 * Conventions: a field without `?` is required; an optional field may be omitted but not `null` (the only
 * nullable field is `SetRegistryOwningTeam.teamId`, which must be present). Unknown fields are rejected by
 * {@link validateCommandBody} (./validate.ts).
 */
import {
  IsArrayOf,
  IsCustomRoleBase,
  IsDeploymentType,
  IsDescription,
  IsId,
  IsIdOrNull,
  IsName,
  IsNestedObject,
  IsOrgPolicy,
  IsOrgRole,
  IsPrincipal,
  IsProjectVisibility,
  IsRegistryMember,
  IsRegistryRole,
  IsRegistryVisibility,
  IsServerVersion,
  IsServiceAccountScope,
  IsStrictBoolean,
  IsTeamRole,
  MAX_INVITEES,
  MAX_PERMISSIONS,
  Optional,
  RULES,
  type CustomRoleBase,
  type DeploymentType,
  type FieldError,
  type OrgPolicy,
  type OrgRole,
  type ProjectVisibility,
  type RegistryRole,
  type RegistryVisibility,
  type ServiceAccountScope,
  type TeamRole,
} from './common';

const IsPrincipalList = (): PropertyDecorator =>
  IsArrayOf(RULES.principal, { max: MAX_INVITEES, unique: true });
const IsPermissionList = (): PropertyDecorator =>
  IsArrayOf(RULES.permissionFormat, { max: MAX_PERMISSIONS, unique: true });

// --- organization ----------------------------------------------------------------------------------------

export class DeploymentDto {
  @IsDeploymentType() type!: DeploymentType;
  @Optional() @IsServerVersion() serverVersion?: string;
  @Optional() @IsStrictBoolean() customRoles?: boolean;
}

export class CreateOrganizationDto {
  @IsId() orgId!: string;
  @IsName() name!: string;
  @IsId() founderUserId!: string;
  @Optional() @IsNestedObject(() => DeploymentDto) deployment?: DeploymentDto;
}

export class AddUserToOrganizationDto {
  @IsId() orgId!: string;
  @IsId() userId!: string;
  @Optional() @IsOrgRole() role?: OrgRole;
}

export class ChangeOrganizationRoleDto {
  @IsId() orgId!: string;
  @IsId() userId!: string;
  @IsOrgRole() role!: OrgRole;
}

export class RemoveUserFromOrganizationDto {
  @IsId() orgId!: string;
  @IsId() userId!: string;
}

export class DeactivateUserDto {
  @IsId() orgId!: string;
  @IsId() userId!: string;
}

export class ReactivateUserDto {
  @IsId() orgId!: string;
  @IsId() userId!: string;
}

export class SetOrganizationPolicyDto {
  @IsId() orgId!: string;
  @IsOrgPolicy() policy!: OrgPolicy;
  @IsStrictBoolean() enforced!: boolean;
}

// --- custom roles ----------------------------------------------------------------------------------------

export class CreateCustomRoleDto {
  @IsId() orgId!: string;
  @IsId() roleId!: string;
  @IsName() name!: string;
  @Optional() @IsDescription() description?: string;
  @IsCustomRoleBase() base!: CustomRoleBase;
  @IsPermissionList() permissions!: string[];
}

/** At least one of name, description, addPermissions, removePermissions (see {@link commandBodyErrors}). */
export class UpdateCustomRoleDto {
  @IsId() orgId!: string;
  @IsId() roleId!: string;
  @Optional() @IsName() name?: string;
  @Optional() @IsDescription() description?: string;
  @Optional() @IsPermissionList() addPermissions?: string[];
  @Optional() @IsPermissionList() removePermissions?: string[];
}

export class DeleteCustomRoleDto {
  @IsId() orgId!: string;
  @IsId() roleId!: string;
}

// --- teams -----------------------------------------------------------------------------------------------

export class CreateTeamDto {
  @IsId() orgId!: string;
  @IsId() teamId!: string;
  @IsName() name!: string;
}

export class UpdateTeamSettingsDto {
  @IsId() teamId!: string;
  @Optional() @IsStrictBoolean() futureProjectsPrivate?: boolean;
  @Optional() @IsStrictBoolean() membersCanInvite?: boolean;
}

export class AddTeamMemberDto {
  @IsId() teamId!: string;
  @IsId() userId!: string;
  @Optional() @IsTeamRole() role?: TeamRole;
}

export class AssignTeamRoleDto {
  @IsId() teamId!: string;
  @IsId() userId!: string;
  @IsTeamRole() role!: TeamRole;
}

export class RemoveTeamMemberDto {
  @IsId() teamId!: string;
  @IsId() userId!: string;
}

// --- service accounts ------------------------------------------------------------------------------------

export class CreateServiceAccountDto {
  @IsId() orgId!: string;
  @IsId() serviceAccountId!: string;
  @IsServiceAccountScope() scope!: ServiceAccountScope;
  /** The parent team (team scope) or the default team (org scope, R117). */
  @IsId() teamId!: string;
}

export class DeleteServiceAccountDto {
  @IsId() serviceAccountId!: string;
}

// --- projects --------------------------------------------------------------------------------------------

export class CreateProjectDto {
  @IsId() projectId!: string;
  @IsId() teamId!: string;
  @IsName() name!: string;
  @Optional() @IsProjectVisibility() visibility?: ProjectVisibility;
  @Optional() @IsPrincipalList() invitees?: string[];
}

export class ChangeProjectVisibilityDto {
  @IsId() projectId!: string;
  @IsProjectVisibility() visibility!: ProjectVisibility;
  @Optional() @IsPrincipalList() invitees?: string[];
}

export class AddToRestrictedProjectDto {
  @IsId() projectId!: string;
  @IsPrincipal() principal!: string;
}

export class RemoveFromRestrictedProjectDto {
  @IsId() projectId!: string;
  @IsPrincipal() principal!: string;
}

export class ChangeProjectRoleDto {
  @IsId() projectId!: string;
  @IsId() userId!: string;
  @IsTeamRole() role!: TeamRole;
}

export class ChangeProjectOwnerDto {
  @IsId() projectId!: string;
  @IsId() userId!: string;
}

export class DeleteProjectDto {
  @IsId() projectId!: string;
}

// --- runs and reports ------------------------------------------------------------------------------------

export class LogRunDto {
  @IsId() runId!: string;
  @IsId() projectId!: string;
  @Optional() @IsId() attributedUserId?: string;
}

export class StopRunDto {
  @IsId() runId!: string;
}

export class DeleteRunDto {
  @IsId() runId!: string;
}

export class MoveRunDto {
  @IsId() runId!: string;
  @IsId() toProjectId!: string;
}

export class CreateReportDto {
  @IsId() reportId!: string;
  @IsId() projectId!: string;
  /** Not in api.md's table; accepted as an additive field. */
  @Optional() @IsName() name?: string;
}

export class DeleteReportDto {
  @IsId() reportId!: string;
}

// --- registries ------------------------------------------------------------------------------------------

export class CreateRegistryDto {
  @IsId() orgId!: string;
  @IsId() registryId!: string;
  @IsName() name!: string;
  @IsRegistryVisibility() visibility!: RegistryVisibility;
  @Optional() @IsId() owningTeamId?: string;
}

export class DeleteRegistryDto {
  @IsId() registryId!: string;
}

export class ChangeRegistryVisibilityDto {
  @IsId() registryId!: string;
  @IsRegistryVisibility() visibility!: RegistryVisibility;
}

export class AddRegistryMemberDto {
  @IsId() registryId!: string;
  @IsRegistryMember() member!: string;
  @Optional() @IsRegistryRole() role?: RegistryRole;
}

export class ChangeRegistryRoleDto {
  @IsId() registryId!: string;
  @IsRegistryMember() member!: string;
  @IsRegistryRole() role!: RegistryRole;
}

export class RemoveRegistryMemberDto {
  @IsId() registryId!: string;
  @IsRegistryMember() member!: string;
}

export class ChangeRegistryOwnerDto {
  @IsId() registryId!: string;
  @IsPrincipal() principal!: string;
}

export class SetRegistryOwningTeamDto {
  @IsId() registryId!: string;
  /** `null` clears the owning team; the field must be present either way. */
  @IsIdOrNull() teamId!: string | null;
}

// --- registry of commands --------------------------------------------------------------------------------

/** Every v1 command name, in api.md's table order. */
export const COMMAND_NAMES = [
  'CreateOrganization',
  'AddUserToOrganization',
  'ChangeOrganizationRole',
  'RemoveUserFromOrganization',
  'DeactivateUser',
  'ReactivateUser',
  'SetOrganizationPolicy',
  'CreateCustomRole',
  'UpdateCustomRole',
  'DeleteCustomRole',
  'CreateTeam',
  'UpdateTeamSettings',
  'AddTeamMember',
  'AssignTeamRole',
  'RemoveTeamMember',
  'CreateServiceAccount',
  'DeleteServiceAccount',
  'CreateProject',
  'ChangeProjectVisibility',
  'AddToRestrictedProject',
  'RemoveFromRestrictedProject',
  'ChangeProjectRole',
  'ChangeProjectOwner',
  'DeleteProject',
  'LogRun',
  'StopRun',
  'DeleteRun',
  'MoveRun',
  'CreateReport',
  'DeleteReport',
  'CreateRegistry',
  'DeleteRegistry',
  'ChangeRegistryVisibility',
  'AddRegistryMember',
  'ChangeRegistryRole',
  'RemoveRegistryMember',
  'ChangeRegistryOwner',
  'SetRegistryOwningTeam',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

const DTO_CLASSES = {
  CreateOrganization: CreateOrganizationDto,
  AddUserToOrganization: AddUserToOrganizationDto,
  ChangeOrganizationRole: ChangeOrganizationRoleDto,
  RemoveUserFromOrganization: RemoveUserFromOrganizationDto,
  DeactivateUser: DeactivateUserDto,
  ReactivateUser: ReactivateUserDto,
  SetOrganizationPolicy: SetOrganizationPolicyDto,
  CreateCustomRole: CreateCustomRoleDto,
  UpdateCustomRole: UpdateCustomRoleDto,
  DeleteCustomRole: DeleteCustomRoleDto,
  CreateTeam: CreateTeamDto,
  UpdateTeamSettings: UpdateTeamSettingsDto,
  AddTeamMember: AddTeamMemberDto,
  AssignTeamRole: AssignTeamRoleDto,
  RemoveTeamMember: RemoveTeamMemberDto,
  CreateServiceAccount: CreateServiceAccountDto,
  DeleteServiceAccount: DeleteServiceAccountDto,
  CreateProject: CreateProjectDto,
  ChangeProjectVisibility: ChangeProjectVisibilityDto,
  AddToRestrictedProject: AddToRestrictedProjectDto,
  RemoveFromRestrictedProject: RemoveFromRestrictedProjectDto,
  ChangeProjectRole: ChangeProjectRoleDto,
  ChangeProjectOwner: ChangeProjectOwnerDto,
  DeleteProject: DeleteProjectDto,
  LogRun: LogRunDto,
  StopRun: StopRunDto,
  DeleteRun: DeleteRunDto,
  MoveRun: MoveRunDto,
  CreateReport: CreateReportDto,
  DeleteReport: DeleteReportDto,
  CreateRegistry: CreateRegistryDto,
  DeleteRegistry: DeleteRegistryDto,
  ChangeRegistryVisibility: ChangeRegistryVisibilityDto,
  AddRegistryMember: AddRegistryMemberDto,
  ChangeRegistryRole: ChangeRegistryRoleDto,
  RemoveRegistryMember: RemoveRegistryMemberDto,
  ChangeRegistryOwner: ChangeRegistryOwnerDto,
  SetRegistryOwningTeam: SetRegistryOwningTeamDto,
} as const satisfies Record<CommandName, new () => object>;

/** The DTO class of each command. */
export const COMMAND_DTOS: Record<CommandName, new () => object> = DTO_CLASSES;

/** The validated body of command `N` (a plain object with the DTO's fields). */
export type CommandBody<N extends CommandName> = InstanceType<(typeof DTO_CLASSES)[N]>;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DTO_CLASSES, name);
}

const UPDATE_CUSTOM_ROLE_CHANGES = ['name', 'description', 'addPermissions', 'removePermissions'] as const;

/**
 * Rules spanning several fields, applied after the per-field validation: `UpdateCustomRole` must change
 * something (error on field `body`).
 */
export function commandBodyErrors(name: CommandName, body: Readonly<Record<string, unknown>>): FieldError[] {
  if (name === 'UpdateCustomRole' && UPDATE_CUSTOM_ROLE_CHANGES.every((f) => body[f] === undefined)) {
    return [
      {
        field: 'body',
        message: `UpdateCustomRole needs at least one of: ${UPDATE_CUSTOM_ROLE_CHANGES.join(', ')}`,
      },
    ];
  }
  return [];
}
