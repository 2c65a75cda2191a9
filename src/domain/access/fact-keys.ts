/**
 * Names of the stored facts an access decision can rest on (§3.4, §3.7): the vocabulary shared by the
 * explanation of a decision (explain-facts.ts, which says *which* facts a decision used) and the read
 * side's provenance index (which says *which events* established each fact).
 *
 * A key is `<entity>` or `<entity>/<aspect>`. The entity (`org:<id>`, `team:<id>`, `project:<id>`,
 * `registry:<id>`, `run:<id>`, `report:<id>`) never contains `/` (ids are `[A-Za-z0-9._-]`), so the
 * first `/` separates the two; aspects may contain `:` and `/` (`customRole:x/perm:run:stop`).
 */

export const factEntity = {
  org: (orgId: string): string => `org:${orgId}`,
  team: (teamId: string): string => `team:${teamId}`,
  project: (projectId: string): string => `project:${projectId}`,
  registry: (registryId: string): string => `registry:${registryId}`,
  run: (runId: string): string => `run:${runId}`,
  report: (reportId: string): string => `report:${reportId}`,
};

export const factAspect = {
  // org:<id>/…
  user: (userId: string): string => `user:${userId}`,
  userStatus: (userId: string): string => `user:${userId}/status`,
  policy: (policy: string): string => `policy:${policy}`,
  serviceAccount: (saId: string): string => `sa:${saId}`,
  customRole: (roleId: string): string => `customRole:${roleId}`,
  customRolePermission: (roleId: string, permission: string): string =>
    `customRole:${roleId}/perm:${permission}`,
  // team:<id>/…
  member: (userId: string): string => `member:${userId}`,
  setting: (setting: 'membersCanInvite' | 'futureProjectsPrivate'): string => `setting:${setting}`,
  // project:<id>/…
  visibility: 'visibility',
  owner: 'owner',
  restrictedMember: (principal: string): string => `restricted:${principal}`,
  override: (userId: string): string => `override:${userId}`,
  // registry:<id>/… (also `visibility`, `owner`)
  owningTeam: 'owningTeam',
  grant: (member: string): string => `grant:${member}`,
};

/** `<entity>/<aspect>`, or the entity alone for the entity's own creation. */
export function factKey(entity: string, aspect = ''): string {
  return aspect === '' ? entity : `${entity}/${aspect}`;
}

/** Inverse of {@link factKey}. */
export function splitFactKey(key: string): { entity: string; aspect: string } {
  const i = key.indexOf('/');
  return i < 0 ? { entity: key, aspect: '' } : { entity: key.slice(0, i), aspect: key.slice(i + 1) };
}

/** The keys explain cites, one builder per kind of fact. */
export const factKeys = {
  /** The organization itself and its deployment profile (A21 baseline). */
  org: (orgId: string): string => factEntity.org(orgId),
  /** Membership of the org and the org role (R50, R51). */
  orgUser: (orgId: string, userId: string): string => factKey(factEntity.org(orgId), factAspect.user(userId)),
  /** Present while the user is deactivated (A39). */
  userStatus: (orgId: string, userId: string): string =>
    factKey(factEntity.org(orgId), factAspect.userStatus(userId)),
  /** Present while the org enforces the policy (R85). */
  policy: (orgId: string, policy: string): string =>
    factKey(factEntity.org(orgId), factAspect.policy(policy)),
  serviceAccount: (orgId: string, saId: string): string =>
    factKey(factEntity.org(orgId), factAspect.serviceAccount(saId)),
  customRole: (orgId: string, roleId: string): string =>
    factKey(factEntity.org(orgId), factAspect.customRole(roleId)),
  /** Present while the custom role adds the permission (R9, R68, A32). */
  customRolePermission: (orgId: string, roleId: string, permission: string): string =>
    factKey(factEntity.org(orgId), factAspect.customRolePermission(roleId, permission)),
  team: (teamId: string): string => factEntity.team(teamId),
  /** Team membership and team role. */
  teamMember: (teamId: string, userId: string): string =>
    factKey(factEntity.team(teamId), factAspect.member(userId)),
  teamSetting: (teamId: string, setting: 'membersCanInvite' | 'futureProjectsPrivate'): string =>
    factKey(factEntity.team(teamId), factAspect.setting(setting)),
  /** The project and its team. */
  project: (projectId: string): string => factEntity.project(projectId),
  projectVisibility: (projectId: string): string =>
    factKey(factEntity.project(projectId), factAspect.visibility),
  projectOwner: (projectId: string): string => factKey(factEntity.project(projectId), factAspect.owner),
  restrictedMember: (projectId: string, principal: string): string =>
    factKey(factEntity.project(projectId), factAspect.restrictedMember(principal)),
  /** Present while the user holds a project-level override (A4: only while it differs). */
  projectOverride: (projectId: string, userId: string): string =>
    factKey(factEntity.project(projectId), factAspect.override(userId)),
  /** The registry, its type and creator. */
  registry: (registryId: string): string => factEntity.registry(registryId),
  registryVisibility: (registryId: string): string =>
    factKey(factEntity.registry(registryId), factAspect.visibility),
  registryOwningTeam: (registryId: string): string =>
    factKey(factEntity.registry(registryId), factAspect.owningTeam),
  registryOwner: (registryId: string): string => factKey(factEntity.registry(registryId), factAspect.owner),
  /** A grant to a user, service account or team (R34, R132). */
  registryGrant: (registryId: string, member: string): string =>
    factKey(factEntity.registry(registryId), factAspect.grant(member)),
  /** The run's creator and project (creation, then the latest move). */
  run: (runId: string): string => factEntity.run(runId),
  report: (reportId: string): string => factEntity.report(reportId),
};
