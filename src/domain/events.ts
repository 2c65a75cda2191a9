/**
 * The event catalogue: stable string types (never class names) with versioned data (schema version 1).
 * Names follow §4.3 of the spec (C8). Every event lives in the stream of its organization.
 */
import type {
  CustomRoleBase,
  DeploymentProfile,
  OrgPolicy,
  OrgRole,
  Principal,
  ProjectVisibility,
  RegistryMember,
  RegistryRole,
  RegistryVisibility,
  TeamRole,
} from './model';

export interface EventDataByType {
  OrganizationCreated: { orgId: string; name: string; founderUserId: string; profile: DeploymentProfile };
  UserJoinedOrganization: { orgId: string; userId: string; role: OrgRole };
  CoreRegistryProvisioned: { orgId: string; registryId: string; name: string };
  OrgRoleChanged: { orgId: string; userId: string; from: OrgRole; to: OrgRole };
  UserRemovedFromOrganization: { orgId: string; userId: string };
  UserDeactivated: { orgId: string; userId: string };
  UserReactivated: { orgId: string; userId: string };
  OrgPrivacyPolicyEnforced: { orgId: string; policy: OrgPolicy };
  OrgPrivacyPolicyReleased: { orgId: string; policy: OrgPolicy };

  CustomRoleCreated: {
    orgId: string;
    roleId: string;
    name: string;
    description: string;
    base: CustomRoleBase;
    permissions: string[];
  };
  CustomRoleDetailsChanged: { orgId: string; roleId: string; name?: string; description?: string };
  CustomRolePermissionsAdded: { orgId: string; roleId: string; permissions: string[] };
  CustomRolePermissionsRemoved: { orgId: string; roleId: string; permissions: string[] };
  CustomRoleDeleted: { orgId: string; roleId: string; base: CustomRoleBase };

  TeamCreated: { orgId: string; teamId: string; name: string };
  TeamPrivacySettingsChanged: { teamId: string; futureProjectsPrivate?: boolean; membersCanInvite?: boolean };
  TeamMemberAdded: { teamId: string; userId: string; role: TeamRole };
  TeamRoleChanged: {
    teamId: string;
    userId: string;
    from: TeamRole;
    to: TeamRole;
    reason: 'assigned' | 'customRoleDeleted' | 'orgViewer';
  };
  TeamMemberRemoved: { teamId: string; userId: string; reason: 'removed' | 'leftOrganization' };
  /** A44: informational, the team has no admin any more. */
  TeamHasNoAdminWarning: { teamId: string };

  ServiceAccountCreated: { orgId: string; serviceAccountId: string; scope: 'org' | 'team'; teamId: string };
  ServiceAccountDeleted: { orgId: string; serviceAccountId: string };

  ProjectCreated: {
    projectId: string;
    teamId: string;
    name: string;
    visibility: ProjectVisibility;
    /** Owner principal (`user:<id>` or `sa:<id>`). */
    owner: Principal;
  };
  ProjectVisibilityChanged: { projectId: string; from: ProjectVisibility; to: ProjectVisibility };
  RestrictedProjectMemberAdded: {
    projectId: string;
    principal: Principal;
    reason: 'owner' | 'invitee' | 'added' | 'selfJoin';
  };
  RestrictedProjectMemberRemoved: {
    projectId: string;
    principal: Principal;
    reason: 'removed' | 'leftTeam' | 'leftOrganization' | 'serviceAccountDeleted';
  };
  /** A8: Restricted → Team discards the restricted-member list. */
  RestrictedMembershipDissolved: { projectId: string };
  /**
   * A project-level role changed. `isOverride` tells whether the new role is stored as an override
   * (it differs from the team role) or is the informational tracking of a team-role change (C7).
   */
  ProjectRoleChanged: {
    projectId: string;
    userId: string;
    from: TeamRole;
    to: TeamRole;
    isOverride: boolean;
    reason: 'assigned' | 'trackingTeamRole' | 'customRoleDeleted';
  };
  ProjectRoleOverrideCleared: {
    projectId: string;
    userId: string;
    previous: TeamRole;
    reason:
      'converged' | 'assigned' | 'removed' | 'notInvited' | 'orgViewer' | 'customRoleDeleted' | 'leftTeam';
  };
  ProjectOwnerChanged: { projectId: string; from: Principal; to: Principal };
  /** R140: informational, the owner left the parent team. The condition itself is derived. */
  ProjectOwnerOrphaned: { projectId: string; owner: Principal; teamId: string };
  ProjectDeleted: { projectId: string; teamId: string };

  RunCreated: { runId: string; projectId: string; creator: Principal; loggedBy: Principal };
  RunStopped: { runId: string; projectId: string };
  RunDeleted: { runId: string; projectId: string };
  RunMoved: { runId: string; from: string; to: string };
  ReportCreated: { reportId: string; projectId: string; creator: Principal; name?: string };
  ReportDeleted: { reportId: string; projectId: string };

  RegistryCreated: {
    orgId: string;
    registryId: string;
    name: string;
    visibility: RegistryVisibility;
    owningTeamId: string | null;
    createdBy: Principal;
  };
  RegistryDeleted: { registryId: string };
  RegistryVisibilityChanged: { registryId: string; from: RegistryVisibility; to: RegistryVisibility };
  RegistryMemberAdded: { registryId: string; member: RegistryMember; role: RegistryRole; defaulted: boolean };
  RegistryRoleChanged: {
    registryId: string;
    member: RegistryMember;
    from: RegistryRole;
    to: RegistryRole;
    reason: 'assigned' | 'orgViewer';
  };
  RegistryMemberRemoved: {
    registryId: string;
    member: RegistryMember;
    reason: 'removed' | 'leftOrganization' | 'serviceAccountDeleted';
  };
  RegistryOwnerChanged: { registryId: string; from: Principal | null; to: Principal };
  RegistryOwningTeamChanged: { registryId: string; from: string | null; to: string | null };
  /** R81/A28: informational, a user lost the registry access that came through a team. */
  RegistryAccessViaTeamLost: { registryId: string; userId: string; teamId: string };
}

export type EventType = keyof EventDataByType;

/** An event as produced by a decider, before the store gives it a position. */
export interface DomainEvent<T extends EventType = EventType> {
  type: T;
  data: EventDataByType[T];
  /**
   * Index, within the same decision's output, of the event that caused this one (cascades).
   * Absent for direct effects of the command. The application turns it into `causationId`.
   */
  causedBy?: number;
}

export type AnyDomainEvent = { [T in EventType]: DomainEvent<T> }[EventType];

export function event<T extends EventType>(
  type: T,
  data: EventDataByType[T],
  causedBy?: number,
): DomainEvent<T> {
  return causedBy === undefined ? { type, data } : { type, data, causedBy };
}

/** Informational events change no fact; evolve ignores them. */
export const INFORMATIONAL_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'TeamHasNoAdminWarning',
  'ProjectOwnerOrphaned',
  'RegistryAccessViaTeamLost',
]);

/** W&B audit action names for the events that have one (§4.4, R137). */
export const WANDB_AUDIT_ACTIONS: Partial<Record<EventType, string>> = {
  OrgRoleChanged: 'organization:update_member',
  TeamCreated: 'team:create',
  TeamMemberAdded: 'team:invite_user',
  TeamMemberRemoved: 'team:uninvite',
  ServiceAccountCreated: 'team:create_service_account',
  UserJoinedOrganization: 'user:create',
  UserDeactivated: 'user:deactivate',
  UserReactivated: 'user:reactivate',
  UserRemovedFromOrganization: 'user:permanently_delete',
  ProjectDeleted: 'project:delete',
  RunDeleted: 'run:delete',
  RunStopped: 'run:stop',
};
