import { check, projectAccess, registryAccess, permissionsOfRole, type CheckResult } from '../domain/access';
import { notFound } from '../domain/errors';
import { MEMBER_BASE_PERMISSIONS, VIEWER_BASE_PERMISSIONS } from '../domain/permissions';
import type { OrgState } from '../domain/model';
import type { ReadModel } from '../read-model/read-model';

export interface CheckInput {
  principal: string;
  permission: string;
  resource: string;
}

/**
 * Read-side answers, computed from one read model (live, or rebuilt as of a position for `at:`).
 * Every answer goes through the same effective-role module as the command side.
 */
export class Queries {
  constructor(private readonly rm: ReadModel) {}

  get position(): string {
    return this.rm.position ?? '0';
  }

  /** The read model these answers come from (explain, history and lookups read it directly). */
  get readModel(): ReadModel {
    return this.rm;
  }

  private orgFor(kind: string, id: string): OrgState | undefined {
    const orgId = this.rm.orgOf(kind, id);
    return orgId === undefined ? undefined : this.rm.org(orgId);
  }

  private requireOrgFor(kind: string, id: string): OrgState {
    const org = this.orgFor(kind, id);
    const live =
      org &&
      ((kind === 'project' && org.projects.has(id)) ||
        (kind === 'registry' && org.registries.has(id)) ||
        (kind === 'team' && org.teams.has(id)) ||
        kind === 'org');
    if (!org || !live) throw notFound(`${kind} ${id} does not exist`);
    return org;
  }

  /** A check on a resource that does not exist (or no longer exists) is a denial, not an error. */
  check(input: CheckInput): CheckResult {
    // Projects, runs, reports and registries: the effective-access read model (effective-access.ts).
    const fast = this.rm.effectiveAccess.check(input.principal, input.permission, input.resource);
    if (fast !== undefined) return fast;
    const orgId = this.rm.orgOfRef(input.resource);
    const org = orgId === undefined ? undefined : this.rm.org(orgId);
    if (!org) return { allowed: false, reason: `${input.resource} does not exist` };
    return check(org, input.principal, input.permission, input.resource);
  }

  projectAccess(projectId: string, principal: string) {
    const org = this.requireOrgFor('project', projectId);
    return projectAccess(org, principal, projectId);
  }

  projectMembers(projectId: string) {
    const org = this.requireOrgFor('project', projectId);
    const p = org.projects.get(projectId);
    if (!p) throw notFound(`project ${projectId} does not exist`);
    const team = org.teams.get(p.teamId);
    const principals = new Set<string>();
    for (const userId of team?.members.keys() ?? []) principals.add(`user:${userId}`);
    for (const sa of team?.serviceAccounts ?? []) principals.add(`sa:${sa}`);
    for (const m of p.restrictedMembers) principals.add(m);
    const members = [...principals].sort().map((principal) => {
      const isUser = principal.startsWith('user:');
      const userId = principal.slice(principal.indexOf(':') + 1);
      const teamRole = isUser ? (team?.members.get(userId) ?? null) : null;
      const access = projectAccess(org, principal, projectId);
      const override = isUser ? p.overrides.get(userId) : undefined;
      return {
        principal,
        teamRole,
        projectRole: access.access === 'role' ? (access.role ?? null) : null,
        access: access.access,
        override: access.override,
        storedOverride: override ?? null,
        restrictedMember: p.restrictedMembers.has(principal),
        owner: p.owner === principal,
      };
    });
    return { projectId, visibility: p.visibility, owner: p.owner, members };
  }

  registryAccess(registryId: string, principal: string) {
    const org = this.requireOrgFor('registry', registryId);
    return registryAccess(org, principal, registryId);
  }

  registryMembers(registryId: string) {
    const org = this.requireOrgFor('registry', registryId);
    const r = org.registries.get(registryId);
    if (!r) throw notFound(`registry ${registryId} does not exist`);
    const members = [...r.grants.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([member, assignedRole]) => ({
        member,
        assignedRole,
        effectiveRole: registryAccess(org, member, registryId).role,
        owner: r.owner === member,
      }));
    return { registryId, visibility: r.visibility, owner: r.owner, owningTeamId: r.owningTeamId, members };
  }

  teamMembers(teamId: string) {
    const org = this.requireOrgFor('team', teamId);
    const t = org.teams.get(teamId);
    if (!t) throw notFound(`team ${teamId} does not exist`);
    const members = [...t.members.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([userId, role]) => ({ userId, role, status: org.users.get(userId)?.status ?? 'unknown' }));
    const serviceAccounts = [...org.serviceAccounts.values()]
      .filter((sa) => sa.teamId === teamId)
      .map((sa) => ({ serviceAccountId: sa.serviceAccountId, scope: sa.scope }))
      .sort((a, b) => a.serviceAccountId.localeCompare(b.serviceAccountId));
    return { teamId, members, serviceAccounts };
  }

  customRole(orgId: string, roleId: string) {
    const org = this.rm.org(orgId);
    if (!org || org.revision < 0) throw notFound(`organization ${orgId} does not exist`);
    const role = org.customRoles.get(roleId);
    if (!role) throw notFound(`custom role ${roleId} does not exist in ${orgId}`);
    const base = role.base === 'member' ? MEMBER_BASE_PERMISSIONS : VIEWER_BASE_PERMISSIONS;
    const all = permissionsOfRole(org, `custom:${roleId}`);
    const permissions = [...all]
      .sort()
      .map((name) => ({ name, inherited: base.has(name) && !role.added.has(name) }));
    return { roleId, name: role.name, description: role.description, base: role.base, permissions };
  }

  orphanedProjects(orgId: string) {
    const org = this.rm.org(orgId);
    if (!org || org.revision < 0) throw notFound(`organization ${orgId} does not exist`);
    const projects = [];
    for (const p of org.projects.values()) {
      const owner = p.owner;
      const inTeam = owner.startsWith('user:')
        ? (org.teams.get(p.teamId)?.members.has(owner.slice(5)) ?? false)
        : org.serviceAccounts.has(owner.slice(3));
      if (!inTeam)
        projects.push({ projectId: p.projectId, teamId: p.teamId, owner, visibility: p.visibility });
    }
    projects.sort((a, b) => a.projectId.localeCompare(b.projectId));
    return { orgId, projects };
  }
}
