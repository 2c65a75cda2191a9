import type {
  CustomRoleBase,
  DeploymentType,
  OrgPolicy,
  OrgRole,
  Principal,
  ProjectVisibility,
  RegistryMember,
  RegistryRole,
  RegistryVisibility,
  TeamRole,
} from './model';

/** Command bodies exactly as api.md names them (validated at the HTTP edge before they get here). */
export interface CommandBodies {
  CreateOrganization: {
    orgId: string;
    name: string;
    founderUserId: string;
    deployment?: { type: DeploymentType; serverVersion?: string; customRoles?: boolean };
  };
  AddUserToOrganization: { orgId: string; userId: string; role?: OrgRole };
  ChangeOrganizationRole: { orgId: string; userId: string; role: OrgRole };
  RemoveUserFromOrganization: { orgId: string; userId: string };
  DeactivateUser: { orgId: string; userId: string };
  ReactivateUser: { orgId: string; userId: string };
  SetOrganizationPolicy: { orgId: string; policy: OrgPolicy; enforced: boolean };
  CreateCustomRole: {
    orgId: string;
    roleId: string;
    name: string;
    description?: string;
    base: CustomRoleBase;
    permissions: string[];
  };
  UpdateCustomRole: {
    orgId: string;
    roleId: string;
    name?: string;
    description?: string;
    addPermissions?: string[];
    removePermissions?: string[];
  };
  DeleteCustomRole: { orgId: string; roleId: string };
  CreateTeam: { orgId: string; teamId: string; name: string };
  UpdateTeamSettings: { teamId: string; futureProjectsPrivate?: boolean; membersCanInvite?: boolean };
  AddTeamMember: { teamId: string; userId: string; role?: TeamRole };
  AssignTeamRole: { teamId: string; userId: string; role: TeamRole };
  RemoveTeamMember: { teamId: string; userId: string };
  CreateServiceAccount: { orgId: string; serviceAccountId: string; scope: 'org' | 'team'; teamId: string };
  DeleteServiceAccount: { serviceAccountId: string };
  CreateProject: {
    projectId: string;
    teamId: string;
    name: string;
    visibility?: ProjectVisibility;
    invitees?: Principal[];
  };
  ChangeProjectVisibility: { projectId: string; visibility: ProjectVisibility; invitees?: Principal[] };
  AddToRestrictedProject: { projectId: string; principal: Principal };
  RemoveFromRestrictedProject: { projectId: string; principal: Principal };
  ChangeProjectRole: { projectId: string; userId: string; role: TeamRole };
  ChangeProjectOwner: { projectId: string; userId: string };
  DeleteProject: { projectId: string };
  LogRun: { runId: string; projectId: string; attributedUserId?: string };
  StopRun: { runId: string };
  DeleteRun: { runId: string };
  MoveRun: { runId: string; toProjectId: string };
  CreateReport: { reportId: string; projectId: string; name?: string };
  DeleteReport: { reportId: string };
  CreateRegistry: {
    orgId: string;
    registryId: string;
    name: string;
    visibility: RegistryVisibility;
    owningTeamId?: string;
  };
  DeleteRegistry: { registryId: string };
  ChangeRegistryVisibility: { registryId: string; visibility: RegistryVisibility };
  AddRegistryMember: { registryId: string; member: RegistryMember; role?: RegistryRole };
  ChangeRegistryRole: { registryId: string; member: RegistryMember; role: RegistryRole };
  RemoveRegistryMember: { registryId: string; member: RegistryMember };
  ChangeRegistryOwner: { registryId: string; principal: Principal };
  SetRegistryOwningTeam: { registryId: string; teamId: string | null };
}

export type CommandName = keyof CommandBodies;

export interface Command<N extends CommandName = CommandName> {
  name: N;
  body: CommandBodies[N];
  /** `user:<id>`, `sa:<id>` or `system` (the X-Actor header, already authenticated). */
  actor: string;
}

export type AnyCommand = { [N in CommandName]: Command<N> }[CommandName];
