/**
 * Scenario fixtures F and RF (spec/scenarios/fixtures) as the events the deciders record, plus small
 * builders for the extra facts a decider test needs. Every call returns fresh arrays (no shared
 * mutable fixtures); `given(...)` folds them into a new state each time.
 *
 * F: org O (alice founder/org admin; bob, carol, dave, erin, frank members; vic org viewer);
 *    team ml (alice admin by A49, bob member, carol member, dave viewer); team cv (alice admin, erin admin);
 *    team SA sa_ml; P_team (ml, team, owner bob); P_res (ml, restricted, owner bob, invitee carol);
 *    P_cv (team), P_cv_open (open), P_cv_pub (public) in cv, owned by erin.
 * RF: F plus R_ml (restricted, created by bob, owning team ml) and R_org (organization, created by bob).
 */
import type { GivenEvent } from './given-when-then';
import {
  DEFAULT_PROFILE,
  type CustomRoleBase,
  type DeploymentProfile,
  type OrgPolicy,
  type OrgRole,
  type Principal,
  type ProjectVisibility,
  type RegistryMember,
  type RegistryRole,
  type RegistryVisibility,
  type TeamRole,
} from '../model';

const ORG = 'O';

export const f = {
  org(profile: Partial<DeploymentProfile> = {}): GivenEvent[] {
    return [
      {
        type: 'OrganizationCreated',
        data: {
          orgId: ORG,
          name: 'Org O',
          founderUserId: 'alice',
          profile: { ...DEFAULT_PROFILE, ...profile },
        },
      },
      { type: 'UserJoinedOrganization', data: { orgId: ORG, userId: 'alice', role: 'admin' } },
      { type: 'CoreRegistryProvisioned', data: { orgId: ORG, registryId: `${ORG}.models`, name: 'Models' } },
      {
        type: 'CoreRegistryProvisioned',
        data: { orgId: ORG, registryId: `${ORG}.datasets`, name: 'Datasets' },
      },
    ];
  },
  user: (userId: string, role: OrgRole = 'member'): GivenEvent => ({
    type: 'UserJoinedOrganization',
    data: { orgId: ORG, userId, role },
  }),
  orgRole: (userId: string, from: OrgRole, to: OrgRole): GivenEvent => ({
    type: 'OrgRoleChanged',
    data: { orgId: ORG, userId, from, to },
  }),
  deactivate: (userId: string): GivenEvent => ({ type: 'UserDeactivated', data: { orgId: ORG, userId } }),
  policy: (policy: OrgPolicy): GivenEvent => ({
    type: 'OrgPrivacyPolicyEnforced',
    data: { orgId: ORG, policy },
  }),
  customRole: (roleId: string, base: CustomRoleBase, permissions: string[] = []): GivenEvent => ({
    type: 'CustomRoleCreated',
    data: { orgId: ORG, roleId, name: roleId, description: '', base, permissions },
  }),
  /** A49: the org admin who creates a team becomes its admin. */
  team: (teamId: string, creator: string | null = 'alice'): GivenEvent[] => [
    { type: 'TeamCreated', data: { orgId: ORG, teamId, name: teamId } },
    ...(creator === null ? [] : [f.member(teamId, creator, 'admin')]),
  ],
  member: (teamId: string, userId: string, role: TeamRole = 'member'): GivenEvent => ({
    type: 'TeamMemberAdded',
    data: { teamId, userId, role },
  }),
  teamRole: (teamId: string, userId: string, from: TeamRole, to: TeamRole): GivenEvent => ({
    type: 'TeamRoleChanged',
    data: { teamId, userId, from, to, reason: 'assigned' },
  }),
  leaveTeam: (teamId: string, userId: string): GivenEvent => ({
    type: 'TeamMemberRemoved',
    data: { teamId, userId, reason: 'removed' },
  }),
  futureProjectsPrivate: (teamId: string): GivenEvent => ({
    type: 'TeamPrivacySettingsChanged',
    data: { teamId, futureProjectsPrivate: true },
  }),
  sa: (serviceAccountId: string, scope: 'org' | 'team', teamId: string): GivenEvent => ({
    type: 'ServiceAccountCreated',
    data: { orgId: ORG, serviceAccountId, scope, teamId },
  }),
  /** A7/R19: a restricted project starts with its owner (and the invitees) as members. */
  project: (
    projectId: string,
    teamId: string,
    visibility: ProjectVisibility,
    owner: Principal,
    invitees: Principal[] = [],
  ): GivenEvent[] => [
    { type: 'ProjectCreated', data: { projectId, teamId, name: projectId, visibility, owner } },
    ...(visibility === 'restricted'
      ? [f.join(projectId, owner, 'owner'), ...invitees.map((p) => f.join(projectId, p, 'invitee'))]
      : []),
  ],
  visibility: (projectId: string, from: ProjectVisibility, to: ProjectVisibility): GivenEvent => ({
    type: 'ProjectVisibilityChanged',
    data: { projectId, from, to },
  }),
  join: (
    projectId: string,
    principal: Principal,
    reason: 'owner' | 'invitee' | 'added' | 'selfJoin' = 'added',
  ): GivenEvent => ({
    type: 'RestrictedProjectMemberAdded',
    data: { projectId, principal, reason },
  }),
  override: (projectId: string, userId: string, from: TeamRole, to: TeamRole): GivenEvent => ({
    type: 'ProjectRoleChanged',
    data: { projectId, userId, from, to, isOverride: true, reason: 'assigned' },
  }),
  owner: (projectId: string, from: Principal, to: Principal): GivenEvent => ({
    type: 'ProjectOwnerChanged',
    data: { projectId, from, to },
  }),
  deleteProject: (projectId: string, teamId: string): GivenEvent => ({
    type: 'ProjectDeleted',
    data: { projectId, teamId },
  }),
  run: (runId: string, projectId: string, creator: Principal, loggedBy: Principal = creator): GivenEvent => ({
    type: 'RunCreated',
    data: { runId, projectId, creator, loggedBy },
  }),
  stopRun: (runId: string, projectId: string): GivenEvent => ({
    type: 'RunStopped',
    data: { runId, projectId },
  }),
  deleteRun: (runId: string, projectId: string): GivenEvent => ({
    type: 'RunDeleted',
    data: { runId, projectId },
  }),
  moveRun: (runId: string, from: string, to: string): GivenEvent => ({
    type: 'RunMoved',
    data: { runId, from, to },
  }),
  report: (reportId: string, projectId: string, creator: Principal): GivenEvent => ({
    type: 'ReportCreated',
    data: { reportId, projectId, creator },
  }),
  /** R125/A27: the creator becomes registry admin and owner. */
  registry: (
    registryId: string,
    visibility: RegistryVisibility,
    creator: Principal,
    owningTeamId: string | null = null,
  ): GivenEvent[] => [
    {
      type: 'RegistryCreated',
      data: { orgId: ORG, registryId, name: registryId, visibility, owningTeamId: null, createdBy: creator },
    },
    f.grant(registryId, creator, 'admin'),
    { type: 'RegistryOwnerChanged', data: { registryId, from: null, to: creator } },
    ...(owningTeamId === null ? [] : [f.owningTeam(registryId, null, owningTeamId)]),
  ],
  grant: (registryId: string, member: RegistryMember, role: RegistryRole): GivenEvent => ({
    type: 'RegistryMemberAdded',
    data: { registryId, member, role, defaulted: false },
  }),
  registryOwner: (registryId: string, from: Principal | null, to: Principal): GivenEvent => ({
    type: 'RegistryOwnerChanged',
    data: { registryId, from, to },
  }),
  owningTeam: (registryId: string, from: string | null, to: string | null): GivenEvent => ({
    type: 'RegistryOwningTeamChanged',
    data: { registryId, from, to },
  }),
};

/** Scenario fixture F (see the file comment). `profile` overrides the deployment (C4 defaults otherwise). */
export function fixtureF(profile: Partial<DeploymentProfile> = {}): GivenEvent[] {
  return [
    ...f.org(profile),
    f.user('bob'),
    f.user('carol'),
    f.user('dave'),
    f.user('erin'),
    f.user('frank'),
    f.user('vic', 'viewer'),
    ...f.team('ml'),
    f.member('ml', 'bob', 'member'),
    f.member('ml', 'carol', 'member'),
    f.member('ml', 'dave', 'viewer'),
    ...f.team('cv'),
    f.member('cv', 'erin', 'admin'),
    f.sa('sa_ml', 'team', 'ml'),
    ...f.project('P_team', 'ml', 'team', 'user:bob'),
    ...f.project('P_res', 'ml', 'restricted', 'user:bob', ['user:carol']),
    ...f.project('P_cv', 'cv', 'team', 'user:erin'),
    ...f.project('P_cv_open', 'cv', 'open', 'user:erin'),
    ...f.project('P_cv_pub', 'cv', 'public', 'user:erin'),
  ];
}

/** Scenario fixture RF: F plus R_ml (restricted, owning team ml) and R_org (organization), both by bob. */
export function fixtureRF(profile: Partial<DeploymentProfile> = {}): GivenEvent[] {
  return [
    ...fixtureF(profile),
    ...f.registry('R_ml', 'restricted', 'user:bob', 'ml'),
    ...f.registry('R_org', 'organization', 'user:bob'),
  ];
}
