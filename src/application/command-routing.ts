import type { CommandName } from '../domain/commands';

/** Which id in a command's body names the organization it acts in (through the global id index). */
export const ROUTE: Record<
  CommandName,
  { kind: 'org' | 'team' | 'project' | 'run' | 'report' | 'registry' | 'sa'; field: string }
> = {
  CreateOrganization: { kind: 'org', field: 'orgId' },
  AddUserToOrganization: { kind: 'org', field: 'orgId' },
  ChangeOrganizationRole: { kind: 'org', field: 'orgId' },
  RemoveUserFromOrganization: { kind: 'org', field: 'orgId' },
  DeactivateUser: { kind: 'org', field: 'orgId' },
  ReactivateUser: { kind: 'org', field: 'orgId' },
  SetOrganizationPolicy: { kind: 'org', field: 'orgId' },
  CreateCustomRole: { kind: 'org', field: 'orgId' },
  UpdateCustomRole: { kind: 'org', field: 'orgId' },
  DeleteCustomRole: { kind: 'org', field: 'orgId' },
  CreateTeam: { kind: 'org', field: 'orgId' },
  UpdateTeamSettings: { kind: 'team', field: 'teamId' },
  AddTeamMember: { kind: 'team', field: 'teamId' },
  AssignTeamRole: { kind: 'team', field: 'teamId' },
  RemoveTeamMember: { kind: 'team', field: 'teamId' },
  CreateServiceAccount: { kind: 'org', field: 'orgId' },
  DeleteServiceAccount: { kind: 'sa', field: 'serviceAccountId' },
  CreateProject: { kind: 'team', field: 'teamId' },
  ChangeProjectVisibility: { kind: 'project', field: 'projectId' },
  AddToRestrictedProject: { kind: 'project', field: 'projectId' },
  RemoveFromRestrictedProject: { kind: 'project', field: 'projectId' },
  ChangeProjectRole: { kind: 'project', field: 'projectId' },
  ChangeProjectOwner: { kind: 'project', field: 'projectId' },
  DeleteProject: { kind: 'project', field: 'projectId' },
  LogRun: { kind: 'project', field: 'projectId' },
  StopRun: { kind: 'run', field: 'runId' },
  DeleteRun: { kind: 'run', field: 'runId' },
  MoveRun: { kind: 'run', field: 'runId' },
  CreateReport: { kind: 'project', field: 'projectId' },
  DeleteReport: { kind: 'report', field: 'reportId' },
  CreateRegistry: { kind: 'org', field: 'orgId' },
  DeleteRegistry: { kind: 'registry', field: 'registryId' },
  ChangeRegistryVisibility: { kind: 'registry', field: 'registryId' },
  AddRegistryMember: { kind: 'registry', field: 'registryId' },
  ChangeRegistryRole: { kind: 'registry', field: 'registryId' },
  RemoveRegistryMember: { kind: 'registry', field: 'registryId' },
  ChangeRegistryOwner: { kind: 'registry', field: 'registryId' },
  SetRegistryOwningTeam: { kind: 'registry', field: 'registryId' },
};

/** Commands that create a globally unique id: refused with 409 when any org already used it. */
export const CREATES: Partial<Record<CommandName, { kind: string; field: string }>> = {
  CreateTeam: { kind: 'team', field: 'teamId' },
  CreateProject: { kind: 'project', field: 'projectId' },
  LogRun: { kind: 'run', field: 'runId' },
  CreateReport: { kind: 'report', field: 'reportId' },
  CreateRegistry: { kind: 'registry', field: 'registryId' },
  CreateServiceAccount: { kind: 'sa', field: 'serviceAccountId' },
};
