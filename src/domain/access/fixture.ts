/**
 * Test support for the effective-role specs: events shaped exactly as the deciders emit them, and the
 * scenario fixtures F and RF of spec/scenarios/fixtures as folded facts. Only facts: no decider runs,
 * so the access module is tested on its own.
 */
import { event, type AnyDomainEvent } from '../events';
import { foldEvents } from '../evolve';
import {
  DEFAULT_PROFILE,
  type CustomRoleBase,
  type DeploymentProfile,
  type OrgPolicy,
  type OrgRole,
  type OrgState,
  type Principal,
  type ProjectVisibility,
  type RegistryMember,
  type RegistryRole,
  type RegistryVisibility,
  type TeamRole,
} from '../model';

export type Fact = Pick<AnyDomainEvent, 'type' | 'data'>;
type Facts = Fact | readonly Fact[];

const ORG = 'O';

/** Builders take plain user ids for brevity; project owners are stored as principals (model.ts). */
const asPrincipal = (who: string): Principal => (who.includes(':') ? who : `user:${who}`);

export const ev = {
  org(profile: Partial<DeploymentProfile> = {}, founder = 'alice'): Fact[] {
    return [
      event('OrganizationCreated', {
        orgId: ORG,
        name: 'Org O',
        founderUserId: founder,
        profile: { ...DEFAULT_PROFILE, ...profile },
      }),
      event('UserJoinedOrganization', { orgId: ORG, userId: founder, role: 'admin' }),
      event('CoreRegistryProvisioned', { orgId: ORG, registryId: `${ORG}.models`, name: 'Models' }),
      event('CoreRegistryProvisioned', { orgId: ORG, registryId: `${ORG}.datasets`, name: 'Datasets' }),
    ];
  },
  user: (userId: string, role: OrgRole = 'member'): Fact =>
    event('UserJoinedOrganization', { orgId: ORG, userId, role }),
  orgRole: (userId: string, from: OrgRole, to: OrgRole): Fact =>
    event('OrgRoleChanged', { orgId: ORG, userId, from, to }),
  leaveOrg: (userId: string): Fact => event('UserRemovedFromOrganization', { orgId: ORG, userId }),
  deactivate: (userId: string): Fact => event('UserDeactivated', { orgId: ORG, userId }),
  reactivate: (userId: string): Fact => event('UserReactivated', { orgId: ORG, userId }),
  policy: (policy: OrgPolicy): Fact => event('OrgPrivacyPolicyEnforced', { orgId: ORG, policy }),
  customRole: (roleId: string, base: CustomRoleBase, permissions: string[]): Fact =>
    event('CustomRoleCreated', { orgId: ORG, roleId, name: roleId, description: '', base, permissions }),
  addPerms: (roleId: string, permissions: string[]): Fact =>
    event('CustomRolePermissionsAdded', { orgId: ORG, roleId, permissions }),
  removePerms: (roleId: string, permissions: string[]): Fact =>
    event('CustomRolePermissionsRemoved', { orgId: ORG, roleId, permissions }),
  /** A49: the creating org admin becomes team admin. */
  team: (teamId: string, creator: string | null = 'alice'): Fact[] => [
    event('TeamCreated', { orgId: ORG, teamId, name: teamId }),
    ...(creator ? [event('TeamMemberAdded', { teamId, userId: creator, role: 'admin' })] : []),
  ],
  member: (teamId: string, userId: string, role: TeamRole = 'member'): Fact =>
    event('TeamMemberAdded', { teamId, userId, role }),
  teamRole: (teamId: string, userId: string, from: TeamRole, to: TeamRole): Fact =>
    event('TeamRoleChanged', { teamId, userId, from, to, reason: 'assigned' }),
  leaveTeam: (teamId: string, userId: string): Fact =>
    event('TeamMemberRemoved', { teamId, userId, reason: 'removed' }),
  teamSettings: (teamId: string, s: { futureProjectsPrivate?: boolean; membersCanInvite?: boolean }): Fact =>
    event('TeamPrivacySettingsChanged', { teamId, ...s }),
  sa: (serviceAccountId: string, scope: 'org' | 'team', teamId: string): Fact =>
    event('ServiceAccountCreated', { orgId: ORG, serviceAccountId, scope, teamId }),
  /** A7/R19: a Restricted project starts with its owner and the invitees as restricted members. */
  project: (
    projectId: string,
    teamId: string,
    visibility: ProjectVisibility,
    owner: string,
    invitees: Principal[] = [],
  ): Fact[] => [
    event('ProjectCreated', { projectId, teamId, name: projectId, visibility, owner: asPrincipal(owner) }),
    ...(visibility === 'restricted'
      ? [
          event('RestrictedProjectMemberAdded', { projectId, principal: `user:${owner}`, reason: 'owner' }),
          ...invitees.map((principal) =>
            event('RestrictedProjectMemberAdded', { projectId, principal, reason: 'invitee' }),
          ),
        ]
      : []),
  ],
  visibility: (projectId: string, from: ProjectVisibility, to: ProjectVisibility): Fact =>
    event('ProjectVisibilityChanged', { projectId, from, to }),
  join: (projectId: string, principal: Principal): Fact =>
    event('RestrictedProjectMemberAdded', { projectId, principal, reason: 'added' }),
  unjoin: (projectId: string, principal: Principal): Fact =>
    event('RestrictedProjectMemberRemoved', { projectId, principal, reason: 'removed' }),
  override: (projectId: string, userId: string, from: TeamRole, to: TeamRole): Fact =>
    event('ProjectRoleChanged', { projectId, userId, from, to, isOverride: true, reason: 'assigned' }),
  clearOverride: (projectId: string, userId: string, previous: TeamRole): Fact =>
    event('ProjectRoleOverrideCleared', { projectId, userId, previous, reason: 'assigned' }),
  owner: (projectId: string, from: string, to: string): Fact =>
    event('ProjectOwnerChanged', { projectId, from: asPrincipal(from), to: asPrincipal(to) }),
  run: (runId: string, projectId: string, creator: Principal, loggedBy: Principal = creator): Fact =>
    event('RunCreated', { runId, projectId, creator, loggedBy }),
  moveRun: (runId: string, from: string, to: string): Fact => event('RunMoved', { runId, from, to }),
  report: (reportId: string, projectId: string, creator: Principal): Fact =>
    event('ReportCreated', { reportId, projectId, creator }),
  /** A27/R125: the creator becomes registry admin and owner. */
  registry: (
    registryId: string,
    visibility: RegistryVisibility,
    createdBy: Principal,
    owningTeamId: string | null = null,
  ): Fact[] => [
    event('RegistryCreated', {
      orgId: ORG,
      registryId,
      name: registryId,
      visibility,
      owningTeamId,
      createdBy,
    }),
    event('RegistryMemberAdded', { registryId, member: createdBy, role: 'admin', defaulted: false }),
    event('RegistryOwnerChanged', { registryId, from: null, to: createdBy }),
  ],
  grant: (registryId: string, member: RegistryMember, role: RegistryRole): Fact =>
    event('RegistryMemberAdded', { registryId, member, role, defaulted: false }),
  regrant: (registryId: string, member: RegistryMember, from: RegistryRole, to: RegistryRole): Fact =>
    event('RegistryRoleChanged', { registryId, member, from, to, reason: 'assigned' }),
  ungrant: (registryId: string, member: RegistryMember): Fact =>
    event('RegistryMemberRemoved', { registryId, member, reason: 'removed' }),
  registryOwner: (registryId: string, from: Principal | null, to: Principal): Fact =>
    event('RegistryOwnerChanged', { registryId, from, to }),
  owningTeam: (registryId: string, from: string | null, to: string | null): Fact =>
    event('RegistryOwningTeamChanged', { registryId, from, to }),
  registryVisibility: (registryId: string, from: RegistryVisibility, to: RegistryVisibility): Fact =>
    event('RegistryVisibilityChanged', { registryId, from, to }),
};

// Fixtures F and RF (spec/scenarios/fixtures) are shared with the decider specs: one definition.
export { fixtureF, fixtureRF } from '../testing/fixture-f';

export function stateOf(...facts: Facts[]): OrgState {
  return foldEvents(
    ORG,
    facts.flatMap((f) => (Array.isArray(f) ? f : [f as Fact])),
  );
}
