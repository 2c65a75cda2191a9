/**
 * Effective project access (§3.4, normative) with table §3.3 and the service-account rules
 * (A35, A36, R21, R117–R119). Map lookups only: the principal's user record, the team's member map,
 * the project's override map and restricted-member set.
 */
import type { ProjectAccess } from '../access';
import type { OrgState, Principal, ProjectState, TeamRole, UserState } from '../model';

/** `user:<id>` / `sa:<id>` / `team:<id>` without throwing (checks answer "no" to garbage, never crash). */
export function parseRef(ref: string): { kind: string; id: string } | null {
  const i = ref.indexOf(':');
  if (i <= 0 || i === ref.length - 1) return null;
  return { kind: ref.slice(0, i), id: ref.slice(i + 1) };
}

function noAccess(
  derivation: string[],
  rules: string[],
  source: ProjectAccess['source'] = 'none',
): ProjectAccess {
  return { access: 'none', override: false, source, derivation, rules };
}

function orgRoleStep(user: UserState): string {
  return user.orgRole === 'admin' ? 'orgAdmin' : user.orgRole === 'member' ? 'orgMember' : 'orgViewer';
}

/** Shared empty derivation for callers that asked for none (the check path: no allocation per step). */
const NO_DERIVATION = Object.freeze([]) as unknown as string[];

/**
 * `withDerivation=false` is for `check`, which needs the decision but not the human-readable steps:
 * building them is most of the allocation on the hot path.
 */
export function projectAccess(
  state: OrgState,
  principal: Principal,
  projectId: string,
  withDerivation = true,
): ProjectAccess {
  const project = state.projects.get(projectId);
  if (!project) return noAccess([`project:${projectId} not found`], []);
  return projectAccessOf(state, principal, project, withDerivation);
}

/** {@link projectAccess} for a project already looked up (the check path holds it: no second lookup). */
export function projectAccessOf(
  state: OrgState,
  principal: Principal,
  project: ProjectState,
  withDerivation = true,
): ProjectAccess {
  const ref = parseRef(principal);
  if (ref?.kind === 'user') return userAccess(state, ref.id, project, withDerivation);
  if (ref?.kind === 'sa') return serviceAccountAccess(state, ref.id, project, withDerivation);
  return noAccess([`not a principal: ${principal}`], []);
}

function userAccess(state: OrgState, userId: string, project: ProjectState, derive: boolean): ProjectAccess {
  const user = state.users.get(userId);
  if (!user) {
    // §3.4's first line answers NONE for a user outside the org, but table §3.3 has an explicit row
    // "User outside the org / anonymous": Open → view and submit (R14: "anyone who knows about the
    // project"), Public → view only (R15), Team/Restricted → nothing (R16, R17). The table is the more
    // specific statement for Open/Public, so it wins there; for Team/Restricted both agree.
    const steps = derive ? ['notOrgMember', `visibility=${project.visibility}`] : NO_DERIVATION;
    if (project.visibility === 'open') {
      return {
        access: 'external-contributor',
        override: false,
        source: 'external',
        derivation: steps,
        rules: ['R14'],
      };
    }
    if (project.visibility === 'public') {
      return {
        access: 'external-viewer',
        override: false,
        source: 'external',
        derivation: steps,
        rules: ['R15'],
      };
    }
    return noAccess(steps, [project.visibility === 'team' ? 'R16' : 'R17']);
  }
  if (user.status !== 'active') {
    // A39: memberships are kept but inert; every check fails while deactivated.
    return noAccess(derive ? [orgRoleStep(user), 'deactivated'] : NO_DERIVATION, ['A39']);
  }

  // `steps?.push(…)` skips evaluating the step text when no derivation was asked for.
  const steps: string[] | null = derive ? [orgRoleStep(user)] : null;
  const team = state.teams.get(project.teamId);
  const memberRole = team?.members.get(userId);
  const isOrgAdmin = user.orgRole === 'admin';
  let teamRole: TeamRole | undefined = memberRole;
  let source: 'teamRole' | 'orgAdmin' = 'teamRole';
  const rules: string[] = [];
  if (memberRole !== undefined) {
    steps?.push(`teamRole=${memberRole}(team:${project.teamId})`);
  } else if (isOrgAdmin) {
    // A9: an org admin outside the team acts as a virtual team admin.
    teamRole = 'admin';
    source = 'orgAdmin';
    rules.push('A9');
    steps?.push(`virtualTeamRole=admin(team:${project.teamId})`);
  } else {
    steps?.push(`notInTeam(team:${project.teamId})`);
  }
  steps?.push(`visibility=${project.visibility}`);
  const derivation = steps ?? NO_DERIVATION;

  switch (project.visibility) {
    case 'open':
    case 'public': {
      if (teamRole !== undefined) {
        const stored = project.overrides.get(userId);
        // A6: an override kept from a Team/Restricted past is inactive while the scope is Open/Public.
        if (stored !== undefined) steps?.push(`projectOverride=${stored}(inactive, A6)`);
        return {
          access: 'role',
          role: teamRole,
          teamRole,
          override: false,
          source,
          derivation,
          rules: [...rules, ...(stored ? ['A6'] : [])],
        };
      }
      // §3.3 "Org user not in the team": Open → view and submit (R14), Public → view only (R15).
      if (project.visibility === 'open') {
        return {
          access: 'external-contributor',
          override: false,
          source: 'external',
          derivation,
          rules: ['R14'],
        };
      }
      return {
        access: 'external-viewer',
        override: false,
        source: 'external',
        derivation,
        rules: ['R15'],
      };
    }
    case 'team': {
      if (teamRole === undefined) return noAccess(derivation, ['R16']);
      return withOverride(project, userId, teamRole, source, steps, derivation, rules);
    }
    case 'restricted': {
      if (teamRole === undefined) return noAccess(derivation, ['R17']);
      if (!project.restrictedMembers.has(`user:${userId}`)) {
        steps?.push('notRestrictedMember');
        // A10/C1: team admins — and org admins, whatever their own team role (A9) — keep management
        // rights and may self-join, but see no content until they join.
        if (teamRole === 'admin' || isOrgAdmin) {
          return {
            access: 'manage-only',
            teamRole,
            override: false,
            source,
            derivation,
            rules: [...rules, 'A10'],
          };
        }
        return {
          access: 'none',
          teamRole,
          override: false,
          source: 'none',
          derivation,
          rules: ['R17', 'R108'],
        };
      }
      steps?.push('restrictedMember');
      return withOverride(project, userId, teamRole, source, steps, derivation, rules);
    }
  }
}

/** Team/Restricted scope: the project-level role, if one is stored, else the inherited team role (R28, R110). */
function withOverride(
  project: ProjectState,
  userId: string,
  teamRole: TeamRole,
  source: 'teamRole' | 'orgAdmin',
  steps: string[] | null,
  derivation: string[],
  rules: string[],
): ProjectAccess {
  const override = project.overrides.get(userId);
  if (override !== undefined) {
    steps?.push(`projectOverride=${override}(*)`);
    return {
      access: 'role',
      role: override,
      teamRole,
      override: true,
      source: 'projectOverride',
      derivation,
      rules: [...rules, 'R110'],
    };
  }
  return {
    access: 'role',
    role: teamRole,
    teamRole,
    override: false,
    source,
    derivation,
    rules: [...rules, 'R28'],
  };
}

/**
 * §3.3 SA rows and §3.9: inside its scope (team SA: its parent team; org SA: every team, R117) an SA is
 * Member-equivalent (A35) on Open/Public/Team projects and on Restricted ones only once added (R21, R117,
 * R118). A team SA in another team: Open → log and read (R119), Public → read (A36), else nothing (R119).
 */
function serviceAccountAccess(
  state: OrgState,
  saId: string,
  project: ProjectState,
  derive: boolean,
): ProjectAccess {
  const sa = state.serviceAccounts.get(saId);
  if (!sa) return noAccess([`serviceAccount sa:${saId} not found`], []);
  const steps = derive
    ? [`serviceAccount(scope=${sa.scope}, team:${sa.teamId})`, `visibility=${project.visibility}`]
    : null;
  const derivation = steps ?? NO_DERIVATION;
  const inScope = sa.scope === 'org' || sa.teamId === project.teamId;
  const scopeRule = sa.scope === 'org' ? 'R117' : 'R118';
  if (inScope) {
    if (project.visibility === 'restricted') {
      if (!project.restrictedMembers.has(`sa:${saId}`)) {
        steps?.push('notRestrictedMember');
        return noAccess(derivation, ['R21', scopeRule]);
      }
      steps?.push('restrictedMember');
    }
    return {
      access: 'role',
      role: 'member',
      override: false,
      source: 'serviceAccount',
      derivation,
      rules: ['A35', scopeRule],
    };
  }
  steps?.push(`otherTeam(team:${project.teamId})`);
  if (project.visibility === 'open') {
    return {
      access: 'external-contributor',
      override: false,
      source: 'serviceAccount',
      derivation,
      rules: ['R119'],
    };
  }
  if (project.visibility === 'public') {
    return {
      access: 'external-viewer',
      override: false,
      source: 'serviceAccount',
      derivation,
      rules: ['A36'],
    };
  }
  return noAccess(derivation, ['R119']);
}
