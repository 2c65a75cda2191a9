/**
 * Effective registry role (§3.7, normative): the highest of the contributions below, each reported so
 * that the answer explains itself (R42). Only the member's own teams are visited (the user's team index),
 * never all grants of the registry.
 */
import type { RegistryAccess, RegistryContribution } from '../access';
import type { OrgState, RegistryMember, RegistryRole, RegistryState } from '../model';
import { maxRegistryRole, registryRoleRank } from '../permissions';
import { parseRef } from './project-access';
import { defaultUserRegistryRole, mapTeamRoleToRegistryRole } from './roles';

function summarize(
  registry: RegistryState,
  member: RegistryMember,
  contributions: RegistryContribution[],
  active: boolean,
): RegistryAccess {
  let role: RegistryRole | null = null;
  if (active) for (const c of contributions) role = role === null ? c.role : maxRegistryRole(role, c.role);
  const assignedRole = registry.grants.get(member);
  const out: RegistryAccess = {
    role,
    contributions: active ? contributions : [],
    owner: registry.owner === member,
  };
  if (assignedRole !== undefined) out.assignedRole = assignedRole;
  return out;
}

export function registryAccess(state: OrgState, member: RegistryMember, registryId: string): RegistryAccess {
  const registry = state.registries.get(registryId);
  if (!registry) return { role: null, contributions: [], owner: false };
  const ref = parseRef(member);
  const direct = registry.grants.get(member);
  const c: RegistryContribution[] = [];

  if (ref?.kind === 'team') {
    // Members listing: a team row's role is its own grant (R34, R132); teams have no other contribution.
    if (direct !== undefined) c.push({ role: direct, source: 'direct' });
    return summarize(registry, member, c, state.teams.has(ref.id));
  }

  if (ref?.kind === 'user') {
    const user = state.users.get(ref.id);
    // §3.7 first line, A39: inactive or not in the org → no role (a stored grant stays, inert).
    if (!user || user.status !== 'active') return summarize(registry, member, c, false);
    if (user.orgRole === 'admin') c.push({ role: 'admin', source: 'orgAdmin' }); // R43/R44, A20
    if (direct !== undefined) c.push({ role: direct, source: 'direct' });
    for (const teamId of user.teams) {
      const teamGrant = registry.grants.get(`team:${teamId}`);
      if (teamGrant !== undefined) c.push({ role: teamGrant, source: `teamGrant:${teamId}` }); // R132
    }
    if (registry.owningTeamId !== null) {
      const teamRole = state.teams.get(registry.owningTeamId)?.members.get(ref.id);
      if (teamRole !== undefined)
        c.push({ role: mapTeamRoleToRegistryRole(state, teamRole), source: 'owningTeam' }); // A19
    }
    if (registry.visibility === 'organization')
      c.push({ role: defaultUserRegistryRole(state), source: 'orgVisibility' }); // A21
    return summarize(registry, member, c, true);
  }

  if (ref?.kind === 'sa') {
    const sa = state.serviceAccounts.get(ref.id);
    if (!sa) return summarize(registry, member, c, false);
    if (direct !== undefined) c.push({ role: direct, source: 'direct' });
    // C11/A22: a team SA also gets its team's grant. An org SA's `teamId` is only its default logging
    // destination (R117), not a membership, so no team grant reaches it that way.
    if (sa.scope === 'team') {
      const teamGrant = registry.grants.get(`team:${sa.teamId}`);
      if (teamGrant !== undefined) c.push({ role: teamGrant, source: `teamGrant:${sa.teamId}` });
    }
    // A22: org-scoped SAs are Members of every Organization-visibility registry; team SAs get no
    // baseline (and never an owning-team contribution: they hold no team role, C11/A35).
    if (sa.scope === 'org' && registry.visibility === 'organization')
      c.push({ role: 'member', source: 'orgVisibility' });
    // R40/A22: with any access at all, an SA is never below Member.
    if (c.length > 0 && c.every((x) => registryRoleRank(x.role) < registryRoleRank('member'))) {
      c.push({ role: 'member', source: 'saFloor' });
    }
    return summarize(registry, member, c, true);
  }

  return { role: null, contributions: [], owner: false };
}
