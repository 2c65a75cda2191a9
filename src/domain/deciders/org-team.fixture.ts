/**
 * Test support for the organization and team decider specs: a fresh copy of facts shaped like
 * scenario fixture F (spec/scenarios/fixtures/F.json) on every call, plus builders for extra facts.
 * Facts only: the deciders under test never run while the fixture is built.
 */
import type { EventDataByType, EventType } from '../events';
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
import type { GivenEvent } from '../testing/given-when-then';

export const ORG = 'O';

const fact = <T extends EventType>(type: T, data: EventDataByType[T]): GivenEvent =>
  ({ type, data }) as GivenEvent;

export const f = {
  org: (profile: Partial<DeploymentProfile> = {}, founder = 'alice'): GivenEvent[] => [
    fact('OrganizationCreated', {
      orgId: ORG,
      name: 'Org O',
      founderUserId: founder,
      profile: { ...DEFAULT_PROFILE, ...profile },
    }),
    fact('UserJoinedOrganization', { orgId: ORG, userId: founder, role: 'admin' }),
    fact('CoreRegistryProvisioned', { orgId: ORG, registryId: `${ORG}.models`, name: 'Models' }),
    fact('CoreRegistryProvisioned', { orgId: ORG, registryId: `${ORG}.datasets`, name: 'Datasets' }),
  ],
  user: (userId: string, role: OrgRole = 'member'): GivenEvent =>
    fact('UserJoinedOrganization', { orgId: ORG, userId, role }),
  orgRole: (userId: string, from: OrgRole, to: OrgRole): GivenEvent =>
    fact('OrgRoleChanged', { orgId: ORG, userId, from, to }),
  deactivate: (userId: string): GivenEvent => fact('UserDeactivated', { orgId: ORG, userId }),
  policy: (policy: OrgPolicy): GivenEvent => fact('OrgPrivacyPolicyEnforced', { orgId: ORG, policy }),
  customRole: (roleId: string, base: CustomRoleBase, permissions: string[] = []): GivenEvent =>
    fact('CustomRoleCreated', { orgId: ORG, roleId, name: roleId, description: '', base, permissions }),
  deleteCustomRole: (roleId: string, base: CustomRoleBase): GivenEvent =>
    fact('CustomRoleDeleted', { orgId: ORG, roleId, base }),
  team: (teamId: string): GivenEvent => fact('TeamCreated', { orgId: ORG, teamId, name: teamId }),
  member: (teamId: string, userId: string, role: TeamRole = 'member'): GivenEvent =>
    fact('TeamMemberAdded', { teamId, userId, role }),
  teamRole: (teamId: string, userId: string, from: TeamRole, to: TeamRole): GivenEvent =>
    fact('TeamRoleChanged', { teamId, userId, from, to, reason: 'assigned' }),
  teamSettings: (
    teamId: string,
    s: { futureProjectsPrivate?: boolean; membersCanInvite?: boolean },
  ): GivenEvent => fact('TeamPrivacySettingsChanged', { teamId, ...s }),
  sa: (serviceAccountId: string, scope: 'org' | 'team', teamId: string): GivenEvent =>
    fact('ServiceAccountCreated', { orgId: ORG, serviceAccountId, scope, teamId }),
  project: (projectId: string, teamId: string, visibility: ProjectVisibility, owner: string): GivenEvent =>
    fact('ProjectCreated', { projectId, teamId, name: projectId, visibility, owner: `user:${owner}` }),
  visibility: (projectId: string, from: ProjectVisibility, to: ProjectVisibility): GivenEvent =>
    fact('ProjectVisibilityChanged', { projectId, from, to }),
  join: (projectId: string, principal: Principal): GivenEvent =>
    fact('RestrictedProjectMemberAdded', { projectId, principal, reason: 'added' }),
  override: (projectId: string, userId: string, from: TeamRole, to: TeamRole): GivenEvent =>
    fact('ProjectRoleChanged', { projectId, userId, from, to, isOverride: true, reason: 'assigned' }),
  run: (runId: string, projectId: string, creator: Principal): GivenEvent =>
    fact('RunCreated', { runId, projectId, creator, loggedBy: creator }),
  registry: (
    registryId: string,
    visibility: RegistryVisibility,
    owningTeamId: string | null = null,
  ): GivenEvent =>
    fact('RegistryCreated', {
      orgId: ORG,
      registryId,
      name: registryId,
      visibility,
      owningTeamId,
      createdBy: 'user:bob',
    }),
  grant: (registryId: string, member: RegistryMember, role: RegistryRole): GivenEvent =>
    fact('RegistryMemberAdded', { registryId, member, role, defaulted: false }),
  registryOwner: (registryId: string, to: Principal): GivenEvent =>
    fact('RegistryOwnerChanged', { registryId, from: null, to }),
};

/**
 * Fixture F as facts: org O (alice founder/admin; bob, carol, dave, erin, frank members; vic org
 * viewer); team ml (alice admin by A49, bob and carol members, dave viewer); team cv (alice and erin
 * admins); team SA sa_ml of ml and org SA sa_org (default team ml); projects P_team (ml, team, owner
 * bob), P_res (ml, restricted, owner bob, carol invited), P_open (ml, open, owner bob), P_cv (cv, team,
 * owner erin); registry R_ml (restricted, owned by team ml, bob direct admin) and R_org (organization).
 */
export function fixtureF(profile: Partial<DeploymentProfile> = {}): GivenEvent[] {
  return [
    ...f.org(profile),
    f.user('bob'),
    f.user('carol'),
    f.user('dave'),
    f.user('erin'),
    f.user('frank'),
    f.user('vic', 'viewer'),
    f.team('ml'),
    f.member('ml', 'alice', 'admin'),
    f.member('ml', 'bob'),
    f.member('ml', 'carol'),
    f.member('ml', 'dave', 'viewer'),
    f.team('cv'),
    f.member('cv', 'alice', 'admin'),
    f.member('cv', 'erin', 'admin'),
    f.sa('sa_ml', 'team', 'ml'),
    f.sa('sa_org', 'org', 'ml'),
    f.project('P_team', 'ml', 'team', 'bob'),
    f.project('P_res', 'ml', 'restricted', 'bob'),
    f.join('P_res', 'user:bob'),
    f.join('P_res', 'user:carol'),
    f.project('P_open', 'ml', 'open', 'bob'),
    f.project('P_cv', 'cv', 'team', 'erin'),
    f.registry('R_ml', 'restricted', 'ml'),
    f.grant('R_ml', 'user:bob', 'admin'),
    f.registry('R_org', 'organization'),
  ];
}
