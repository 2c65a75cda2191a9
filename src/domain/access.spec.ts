import { check, projectAccess, registryAccess, type CheckResult } from './access';
import { ev, fixtureF, fixtureRF, stateOf, type Fact } from './access/fixture';
import type { OrgState, Principal, ProjectVisibility, RegistryRole } from './model';

/**
 * The world of the matrix tests: fixture F (spec/scenarios/fixtures/F.json) plus one principal for every
 * row of §3.3 and every column of §3.2, projects of team ml in every scope, and runs/reports owned by
 * each §3.2 column principal (so "own" and "any" can be told apart).
 */
function world(...extra: (Fact | readonly Fact[])[]): OrgState {
  return stateOf(
    fixtureF(),
    ev.user('mia'),
    ev.user('tom'),
    ev.user('olga', 'admin'),
    ev.user('vera'),
    ev.user('mona'),
    ev.customRole('V0', 'viewer', []),
    ev.customRole('M0', 'member', []),
    ev.member('ml', 'mia', 'member'),
    ev.member('ml', 'tom', 'admin'),
    ev.member('ml', 'vera', 'custom:V0'),
    ev.member('ml', 'mona', 'custom:M0'),
    ev.sa('sa_cv', 'team', 'cv'),
    ev.sa('sa_org', 'org', 'cv'),
    ev.project('P_open', 'ml', 'open', 'bob'),
    ev.project('P_pub', 'ml', 'public', 'bob'),
    ...COLUMN_KEYS.map((c) => ev.run(`r_own_${c}`, 'P_team', PRINCIPAL_OF[c])),
    ...COLUMN_KEYS.map((c) => ev.report(`rep_own_${c}`, 'P_team', PRINCIPAL_OF[c])),
    ev.run('r_other', 'P_team', 'user:bob'),
    ev.report('rep_other', 'P_team', 'user:bob'),
    ...extra,
  );
}

const COLUMN_KEYS = ['viewer', 'member', 'admin', 'customViewer', 'customMember', 'sa'] as const;
type Column = (typeof COLUMN_KEYS)[number];
const PRINCIPAL_OF: Record<Column, Principal> = {
  viewer: 'user:dave',
  member: 'user:carol',
  admin: 'user:tom',
  customViewer: 'user:vera',
  customMember: 'user:mona',
  sa: 'sa:sa_ml',
};

const allowed = (s: OrgState, principal: Principal, permission: string, resource: string): boolean =>
  check(s, principal, permission, resource).allowed;

// =============================================================================================
// §3.2 team roles × actions (and the same matrix for project-level roles, A41)
// =============================================================================================

type Cell = 'any' | 'own' | false;
/** Columns: ViewOnly, Member, Admin, Custom(base Viewer), Custom(base Member), SA in scope (A35). */
const PROJECT_MATRIX: ReadonlyArray<
  [permission: string, rules: string, cells: [Cell, Cell, Cell, Cell, Cell, Cell]]
> = [
  ['project:read', 'R6 R93', ['any', 'any', 'any', 'any', 'any', 'any']],
  ['project:update', 'R6 R74', [false, false, 'any', false, false, false]],
  ['project:delete', 'A16 R112', [false, false, 'any', false, false, false]],
  ['project:manage-members', 'A11 A12', [false, false, 'any', false, false, false]],
  ['project:change-visibility', 'R106', [false, false, 'any', false, false, false]],
  ['run:read', 'R93', ['any', 'any', 'any', 'any', 'any', 'any']],
  ['run:create', 'R93 R6', [false, 'any', 'any', false, 'any', 'any']],
  ['run:update', 'R93', [false, 'own', 'any', false, 'own', 'own']],
  ['run:stop', 'R93', [false, 'own', 'any', false, 'own', 'own']],
  ['run:delete', 'R5 R3', [false, 'own', 'any', false, 'own', 'own']],
  ['sweep:create', 'S000', [false, 'any', 'any', false, 'any', 'any']],
  ['sweep:delete', 'R5', [false, 'own', 'any', false, 'own', 'own']],
  ['workspace:update', 'R93', [false, 'any', 'any', false, 'any', false]],
  ['report:read', 'R92', ['any', 'any', 'any', 'any', 'any', 'any']],
  ['report:comment', 'R6', ['any', 'any', 'any', 'any', 'any', false]],
  ['report:create', 'R92', [false, 'any', 'any', false, 'any', false]],
  ['report:update', 'R92', [false, 'own', 'any', false, 'own', false]],
  ['report:delete', 'R92', [false, 'own', 'any', false, 'own', false]],
  ['artifact:read', 'R94', ['any', 'any', 'any', 'any', 'any', 'any']],
  ['artifact:download', 'R94 A33', ['any', 'any', 'any', 'any', 'any', 'any']],
  ['artifact:create', 'R94', [false, 'any', 'any', false, 'any', 'any']],
  ['artifact:update', 'R94', [false, 'any', 'any', false, 'any', 'any']],
  ['artifact:delete', 'R94 (§3.2 note 1)', [false, 'any', 'any', false, 'any', 'any']],
];

const TEAM_MATRIX: ReadonlyArray<
  [permission: string, rules: string, cells: [boolean, boolean, boolean, boolean, boolean, boolean]]
> = [
  ['team:read', 'R52', [true, true, true, true, true, true]],
  ['team:manage-members', 'R2 R78 R91', [false, false, true, false, false, false]],
  ['team:manage-settings', 'R78 R91', [false, false, true, false, false, false]],
  ['team:invite', 'R4 R79', [false, false, true, false, false, false]],
  ['launchqueue:create', 'R105', [false, false, true, false, false, false]],
  ['launchqueue:update', 'R105', [false, false, true, false, false, false]],
  ['project:create', 'A15', [false, true, true, false, true, true]],
  ['launchagent:read', 'R74', [true, true, true, true, true, false]],
];

function itemResource(permission: string, column: Column, own: boolean): string {
  const suffix = own ? `own_${column}` : 'other';
  return permission.startsWith('report:') ? `report:rep_${suffix}` : `run:r_${suffix}`;
}

const QUALIFIABLE = new Set([
  'run:read',
  'run:update',
  'run:stop',
  'run:delete',
  'sweep:delete',
  'report:read',
  'report:comment',
  'report:update',
  'report:delete',
]);

describe('§3.2 team roles × project actions (project:<id>, run:<id>, report:<id>)', () => {
  const s = world();
  describe.each(PROJECT_MATRIX)('%s (%s)', (permission, _rules, cells) => {
    it.each(COLUMN_KEYS.map((c, i) => [c, cells[i] as Cell] as const))('%s → %s', (column, cell) => {
      const principal = PRINCIPAL_OF[column];
      expect(allowed(s, principal, permission, 'project:P_team')).toBe(cell !== false);
      if (QUALIFIABLE.has(permission)) {
        expect(allowed(s, principal, permission, itemResource(permission, column, true))).toBe(
          cell !== false,
        );
        expect(allowed(s, principal, permission, itemResource(permission, column, false))).toBe(
          cell === 'any',
        );
      }
    });
  });
});

describe('§3.2 team roles × team administration (team:<id>)', () => {
  const s = world();
  describe.each(TEAM_MATRIX)('%s (%s)', (permission, _rules, cells) => {
    it.each(COLUMN_KEYS.map((c, i) => [c, cells[i] as boolean] as const))('%s → %s', (column, expected) => {
      expect(allowed(s, PRINCIPAL_OF[column], permission, 'team:ml')).toBe(expected);
    });
  });

  it('R4 a team member outside the team holds nothing on it', () => {
    expect(allowed(world(), 'user:erin', 'team:read', 'team:ml')).toBe(false);
    expect(allowed(world(), 'sa:sa_cv', 'team:read', 'team:ml')).toBe(false);
  });
});

describe('R5/R95 own-only qualifiers', () => {
  it('R5 member deletes only own runs and the denial names R5', () => {
    const s = world();
    expect(check(s, 'user:carol', 'run:delete', 'run:r_own_member')).toMatchObject({
      allowed: true,
      role: 'member',
    });
    expect(check(s, 'user:carol', 'run:delete', 'run:r_other')).toMatchObject({
      allowed: false,
      role: 'member',
      rule: 'R5',
    });
  });

  it('R95 run deletion follows the creator, not the project owner, after a move', () => {
    // bob owns P_team; carol's run moved into P_team stays carol's.
    const s = world(ev.run('r_c', 'P_cv', 'user:carol'), ev.moveRun('r_c', 'P_cv', 'P_team'));
    expect(allowed(s, 'user:bob', 'run:delete', 'run:r_c')).toBe(false);
    expect(allowed(s, 'user:carol', 'run:delete', 'run:r_c')).toBe(true);
    expect(allowed(s, 'user:tom', 'run:delete', 'run:r_c')).toBe(true);
  });

  it('R92 member edits only own reports; admin edits all', () => {
    const s = world();
    expect(check(s, 'user:carol', 'report:update', 'report:rep_other')).toMatchObject({
      allowed: false,
      rule: 'R92',
    });
    expect(allowed(s, 'user:carol', 'report:update', 'report:rep_own_member')).toBe(true);
    expect(allowed(s, 'user:alice', 'report:update', 'report:rep_other')).toBe(true);
  });

  it('api.md: on project:<id> an own-only permission is held (qualifier applies on run:/report:)', () => {
    const r = check(world(), 'user:carol', 'run:delete', 'project:P_team');
    expect(r.allowed).toBe(true);
    expect(r.reason).toContain('own');
  });
});

// =============================================================================================
// R9 / A46 / A32 custom roles
// =============================================================================================

describe('custom roles (R9, R11, A46, A32)', () => {
  it('A46 base-viewer custom role with added run:stop stops any run but deletes none (T8)', () => {
    const s = world(
      ev.customRole('Stopper', 'viewer', ['run:stop']),
      ev.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
    );
    expect(projectAccess(s, 'user:carol', 'P_team')).toMatchObject({
      access: 'role',
      role: 'custom:Stopper',
      teamRole: 'custom:Stopper',
      override: false,
    });
    expect(allowed(s, 'user:carol', 'run:stop', 'run:r_other')).toBe(true);
    expect(allowed(s, 'user:carol', 'run:delete', 'run:r_other')).toBe(false);
    expect(allowed(s, 'user:carol', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:carol', 'report:comment', 'project:P_team')).toBe(true);
  });

  it('A46 base-member custom role with added run:delete deletes any run; base run:update stays own-only', () => {
    const s = world(
      ev.customRole('Del', 'member', ['run:delete']),
      ev.teamRole('ml', 'mona', 'custom:M0', 'custom:Del'),
    );
    expect(allowed(s, 'user:mona', 'run:delete', 'run:r_other')).toBe(true);
    expect(allowed(s, 'user:mona', 'run:update', 'run:r_other')).toBe(false);
    expect(allowed(s, 'user:mona', 'run:update', 'run:r_own_customMember')).toBe(true);
  });

  it('R9/R74 added project:update and project:delete (T9: ownership alone is not enough, R112)', () => {
    const s = world(
      ev.customRole('Janitor', 'member', ['project:delete', 'project:update']),
      ev.teamRole('ml', 'carol', 'member', 'custom:Janitor'),
    );
    expect(allowed(s, 'user:carol', 'project:delete', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:carol', 'project:update', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:carol', 'project:manage-members', 'project:P_team')).toBe(false);
    // bob owns P_team but is a plain member.
    expect(check(s, 'user:bob', 'project:delete', 'project:P_team')).toMatchObject({
      allowed: false,
      rule: 'A16',
    });
  });

  it('R11 a Launch Manager (viewer base + launchqueue:*) manages queues and stays a viewer elsewhere (T7)', () => {
    const s = world(
      ev.customRole('LaunchMgr', 'viewer', ['launchqueue:create', 'launchqueue:update']),
      ev.teamRole('ml', 'bob', 'member', 'custom:LaunchMgr'),
    );
    expect(allowed(s, 'user:bob', 'launchqueue:create', 'team:ml')).toBe(true);
    expect(allowed(s, 'user:bob', 'launchqueue:update', 'team:ml')).toBe(true);
    expect(allowed(s, 'user:bob', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:bob', 'run:read', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:vic', 'launchqueue:create', 'team:ml')).toBe(false);
  });

  it('A32 removing an added permission takes effect immediately for every holder', () => {
    const s = world(
      ev.customRole('Stopper', 'viewer', ['run:stop']),
      ev.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
    );
    expect(allowed(s, 'user:carol', 'run:stop', 'run:r_other')).toBe(true);
    const after = world(
      ev.customRole('Stopper', 'viewer', ['run:stop']),
      ev.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
      ev.removePerms('Stopper', ['run:stop']),
    );
    expect(allowed(after, 'user:carol', 'run:stop', 'run:r_other')).toBe(false);
    const added = world(ev.addPerms('V0', ['workspace:update']));
    expect(allowed(added, 'user:vera', 'workspace:update', 'project:P_team')).toBe(true);
  });

  it('§3.8 an added id outside the catalogue grants nothing (management cannot come through a custom role)', () => {
    const s = world(ev.addPerms('M0', ['team:manage-members', 'project:manage-members']));
    expect(allowed(s, 'user:mona', 'team:manage-members', 'team:ml')).toBe(false);
    expect(allowed(s, 'user:mona', 'project:manage-members', 'project:P_team')).toBe(false);
  });

  it('R69 a role id whose custom role no longer exists grants nothing (fail closed)', () => {
    const s = world(event_customRoleDeleted('V0'));
    expect(allowed(s, 'user:vera', 'run:read', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:vera', 'team:read', 'team:ml')).toBe(false);
  });

  it('A41 a custom project-level role applies inside that project only', () => {
    const s = world(
      ev.customRole('Stopper', 'viewer', ['run:stop']),
      ev.override('P_team', 'dave', 'viewer', 'custom:Stopper'),
    );
    expect(allowed(s, 'user:dave', 'run:stop', 'run:r_other')).toBe(true);
    expect(allowed(s, 'user:dave', 'launchqueue:create', 'team:ml')).toBe(false);
  });
});

function event_customRoleDeleted(roleId: string): Fact {
  return { type: 'CustomRoleDeleted', data: { orgId: 'O', roleId, base: 'viewer' } };
}

// =============================================================================================
// team:invite (R4, R79, R83, R85, A43)
// =============================================================================================

describe('team:invite (R4, R79, R83, R85)', () => {
  it('R83 with "members can invite" on, Member-like roles invite; view-only ones do not', () => {
    const s = world(ev.teamSettings('ml', { membersCanInvite: true }));
    expect(check(s, 'user:carol', 'team:invite', 'team:ml')).toMatchObject({ allowed: true, rule: 'R83' });
    expect(allowed(s, 'user:mona', 'team:invite', 'team:ml')).toBe(true);
    expect(allowed(s, 'user:dave', 'team:invite', 'team:ml')).toBe(false);
    expect(allowed(s, 'user:vera', 'team:invite', 'team:ml')).toBe(false);
  });

  it('R4/R79 with the toggle off only admins (team or org, A9) invite', () => {
    const s = world();
    expect(check(s, 'user:carol', 'team:invite', 'team:ml')).toMatchObject({ allowed: false, rule: 'R79' });
    expect(allowed(s, 'user:tom', 'team:invite', 'team:ml')).toBe(true);
    expect(allowed(s, 'user:olga', 'team:invite', 'team:ml')).toBe(true);
  });

  it('§3.8 a custom role that adds team:invite invites without the toggle', () => {
    const s = world(ev.addPerms('V0', ['team:invite']));
    expect(allowed(s, 'user:vera', 'team:invite', 'team:ml')).toBe(true);
  });

  it('R85 enforced invitation control stops every non-admin, whatever the toggle or custom role', () => {
    const s = world(
      ev.teamSettings('ml', { membersCanInvite: true }),
      ev.addPerms('V0', ['team:invite']),
      ev.policy('invitationControl'),
    );
    expect(check(s, 'user:carol', 'team:invite', 'team:ml')).toMatchObject({ allowed: false, rule: 'R85' });
    expect(allowed(s, 'user:vera', 'team:invite', 'team:ml')).toBe(false);
    expect(allowed(s, 'user:tom', 'team:invite', 'team:ml')).toBe(true);
  });
});

// =============================================================================================
// §3.3 visibility × principal (every cell) and §3.4
// =============================================================================================

type Expect33 = { access: string; role?: string };
const R = (role: string): Expect33 => ({ access: 'role', role });
const NONE: Expect33 = { access: 'none' };
const EXT_C: Expect33 = { access: 'external-contributor' };
const EXT_V: Expect33 = { access: 'external-viewer' };
const MANAGE: Expect33 = { access: 'manage-only' };
const SCOPES: ProjectVisibility[] = ['open', 'public', 'team', 'restricted'];
const PROJECT_OF: Record<ProjectVisibility, string> = {
  open: 'P_open',
  public: 'P_pub',
  team: 'P_team',
  restricted: 'P_res',
};

const TABLE_33: ReadonlyArray<
  [row: string, principal: Principal, cells: [Expect33, Expect33, Expect33, Expect33]]
> = [
  [
    'team member, not a restricted member (R16, R17)',
    'user:mia',
    [R('member'), R('member'), R('member'), NONE],
  ],
  ['team admin, not a restricted member (A10)', 'user:tom', [R('admin'), R('admin'), R('admin'), MANAGE]],
  [
    'team member who is a restricted member (R17)',
    'user:carol',
    [R('member'), R('member'), R('member'), R('member')],
  ],
  ['org user not in the team (R14, R15, R16)', 'user:erin', [EXT_C, EXT_V, NONE, NONE]],
  ['user outside the org (R14, R15)', 'user:zed', [EXT_C, EXT_V, NONE, NONE]],
  ['org admin not in the team (A9, A10)', 'user:olga', [R('admin'), R('admin'), R('admin'), MANAGE]],
  ['team SA of the parent team (R118, R21)', 'sa:sa_ml', [R('member'), R('member'), R('member'), NONE]],
  ['team SA of another team (R119, A36)', 'sa:sa_cv', [EXT_C, EXT_V, NONE, NONE]],
  ['org-scoped SA (R117)', 'sa:sa_org', [R('member'), R('member'), R('member'), NONE]],
];

/** One permission per access kind that must hold, one that must not. */
function probe(s: OrgState, principal: Principal, projectId: string, e: Expect33): void {
  const res = `project:${projectId}`;
  switch (e.access) {
    case 'role':
      expect(allowed(s, principal, 'run:read', res)).toBe(true);
      expect(allowed(s, principal, 'run:create', res)).toBe(true);
      expect(allowed(s, principal, 'project:update', res)).toBe(e.role === 'admin');
      break;
    case 'external-contributor':
      expect(allowed(s, principal, 'run:read', res)).toBe(true);
      expect(allowed(s, principal, 'run:create', res)).toBe(true);
      expect(allowed(s, principal, 'run:delete', res)).toBe(false);
      expect(allowed(s, principal, 'workspace:update', res)).toBe(false);
      break;
    case 'external-viewer':
      expect(allowed(s, principal, 'run:read', res)).toBe(true);
      expect(allowed(s, principal, 'report:read', res)).toBe(true);
      expect(allowed(s, principal, 'run:create', res)).toBe(false);
      expect(allowed(s, principal, 'report:create', res)).toBe(false);
      break;
    case 'manage-only':
      expect(allowed(s, principal, 'run:read', res)).toBe(false);
      expect(allowed(s, principal, 'project:read', res)).toBe(false);
      expect(allowed(s, principal, 'project:manage-members', res)).toBe(true);
      expect(allowed(s, principal, 'project:change-visibility', res)).toBe(true);
      break;
    default:
      expect(allowed(s, principal, 'project:read', res)).toBe(false);
      expect(allowed(s, principal, 'run:read', res)).toBe(false);
  }
}

describe('§3.3 visibility scope × principal', () => {
  const s = world();
  describe.each(TABLE_33)('%s', (_row, principal, cells) => {
    it.each(SCOPES.map((v, i) => [v, cells[i] as Expect33] as const))('%s → %o', (visibility, e) => {
      const a = projectAccess(s, principal, PROJECT_OF[visibility]);
      expect(a.access).toBe(e.access);
      expect(a.role).toBe(e.role);
      probe(s, principal, PROJECT_OF[visibility], e);
    });
  });

  it('§3.3 team scope: a project override replaces the team role (R25, R110)', () => {
    const t = world(ev.override('P_team', 'mia', 'member', 'admin'));
    expect(projectAccess(t, 'user:mia', 'P_team')).toMatchObject({
      access: 'role',
      role: 'admin',
      teamRole: 'member',
      override: true,
      source: 'projectOverride',
    });
    expect(projectAccess(t, 'user:mia', 'P_team').derivation).toEqual([
      'orgMember',
      'teamRole=member(team:ml)',
      'visibility=team',
      'projectOverride=admin(*)',
    ]);
  });

  it('§3.3 outsider choice: §3.4 line 1 vs the table row — the table wins for Open/Public (R14, R15)', () => {
    expect(projectAccess(s, 'user:zed', 'P_open')).toMatchObject({
      access: 'external-contributor',
      rules: ['R14'],
      source: 'external',
    });
    expect(projectAccess(s, 'user:zed', 'P_team')).toMatchObject({ access: 'none', rules: ['R16'] });
    expect(projectAccess(s, 'user:zed', 'P_res')).toMatchObject({ access: 'none', rules: ['R17'] });
  });

  it('R14 external contributors create reports; external service accounts do not (§3.2 SA column)', () => {
    expect(allowed(s, 'user:erin', 'report:create', 'project:P_open')).toBe(true);
    expect(allowed(s, 'sa:sa_cv', 'report:create', 'project:P_open')).toBe(false);
    expect(allowed(s, 'sa:sa_cv', 'run:create', 'project:P_open')).toBe(true);
  });

  it('R15 external viewers read runs and reports inside the project', () => {
    const t = world(ev.run('r_pub', 'P_pub', 'user:bob'), ev.report('rep_pub', 'P_pub', 'user:bob'));
    expect(allowed(t, 'user:erin', 'run:read', 'run:r_pub')).toBe(true);
    expect(allowed(t, 'user:erin', 'report:read', 'report:rep_pub')).toBe(true);
    expect(allowed(t, 'user:erin', 'report:comment', 'report:rep_pub')).toBe(false);
    expect(allowed(t, 'user:erin', 'run:stop', 'run:r_pub')).toBe(false);
  });

  it('R14 an external contributor reads its own run but gets no own-run management (not granted by R14)', () => {
    const t = world(ev.run('r_e', 'P_open', 'user:erin'));
    expect(allowed(t, 'user:erin', 'run:read', 'run:r_e')).toBe(true);
    expect(allowed(t, 'user:erin', 'run:delete', 'run:r_e')).toBe(false);
  });
});

describe('§3.4 derivation details', () => {
  it('R28 derivation lists org role, team role and scope, with source teamRole', () => {
    const a = projectAccess(world(), 'user:carol', 'P_team');
    expect(a).toMatchObject({
      access: 'role',
      role: 'member',
      teamRole: 'member',
      override: false,
      source: 'teamRole',
    });
    expect(a.derivation).toEqual(['orgMember', 'teamRole=member(team:ml)', 'visibility=team']);
  });

  it('A9 an org admin outside the team is a virtual team admin with source orgAdmin', () => {
    const s = world();
    const a = projectAccess(s, 'user:olga', 'P_team');
    expect(a).toMatchObject({
      access: 'role',
      role: 'admin',
      teamRole: 'admin',
      override: false,
      source: 'orgAdmin',
    });
    expect(a.rules).toContain('A9');
    expect(a.derivation).toContain('virtualTeamRole=admin(team:ml)');
    expect(allowed(s, 'user:olga', 'run:delete', 'run:r_other')).toBe(true);
    expect(allowed(s, 'user:olga', 'team:manage-members', 'team:ml')).toBe(true);
  });

  it('A9 an org admin who is a team member with a lower role manages the team but content follows §3.4', () => {
    const s = world(ev.user('oscar', 'admin'), ev.member('ml', 'oscar', 'viewer'));
    expect(projectAccess(s, 'user:oscar', 'P_team')).toMatchObject({
      access: 'role',
      role: 'viewer',
      teamRole: 'viewer',
    });
    expect(allowed(s, 'user:oscar', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:oscar', 'project:delete', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:oscar', 'team:manage-settings', 'team:ml')).toBe(true);
    // A10: not a restricted member, but an org admin: manage-only rather than none.
    expect(projectAccess(s, 'user:oscar', 'P_res').access).toBe('manage-only');
  });

  it('A10/C5 an admin who self-joins a restricted project gets content with the admin role', () => {
    const before = world();
    expect(projectAccess(before, 'user:olga', 'P_res')).toMatchObject({
      access: 'manage-only',
      teamRole: 'admin',
      rules: ['A9', 'A10'],
    });
    const after = world(
      ev.join('P_res', 'user:olga'),
      ev.join('P_res', 'user:tom'),
      ev.run('r_res', 'P_res', 'user:carol'),
    );
    expect(projectAccess(after, 'user:olga', 'P_res')).toMatchObject({
      access: 'role',
      role: 'admin',
      source: 'orgAdmin',
    });
    expect(projectAccess(after, 'user:tom', 'P_res')).toMatchObject({
      access: 'role',
      role: 'admin',
      source: 'teamRole',
    });
    expect(allowed(after, 'user:olga', 'run:delete', 'run:r_res')).toBe(true);
  });

  it('A10 a plain restricted non-member sees nothing, not even project:read', () => {
    const s = world();
    expect(projectAccess(s, 'user:mia', 'P_res')).toMatchObject({ access: 'none', teamRole: 'member' });
    expect(check(s, 'user:mia', 'project:read', 'project:P_res')).toMatchObject({ allowed: false });
  });

  it('A6 overrides are kept but inactive on Open/Public and come back on Team', () => {
    const base = [ev.override('P_team', 'carol', 'member', 'viewer')];
    const pub = world(...base, ev.visibility('P_team', 'team', 'public'));
    const a = projectAccess(pub, 'user:carol', 'P_team');
    expect(a).toMatchObject({
      access: 'role',
      role: 'member',
      teamRole: 'member',
      override: false,
      source: 'teamRole',
    });
    expect(a.rules).toContain('A6');
    expect(allowed(pub, 'user:carol', 'run:create', 'project:P_team')).toBe(true);
    expect(pub.projects.get('P_team')?.overrides.get('carol')).toBe('viewer');
    const back = world(
      ...base,
      ev.visibility('P_team', 'team', 'public'),
      ev.visibility('P_team', 'public', 'team'),
    );
    expect(projectAccess(back, 'user:carol', 'P_team')).toMatchObject({ role: 'viewer', override: true });
    expect(allowed(back, 'user:carol', 'run:create', 'project:P_team')).toBe(false);
  });

  it('A39 a deactivated user has no access anywhere; reactivation restores it unchanged', () => {
    const off = world(ev.deactivate('carol'));
    expect(projectAccess(off, 'user:carol', 'P_team')).toMatchObject({ access: 'none', rules: ['A39'] });
    expect(projectAccess(off, 'user:carol', 'P_open').access).toBe('none');
    expect(check(off, 'user:carol', 'run:read', 'project:P_team')).toMatchObject({
      allowed: false,
      rule: 'A39',
    });
    expect(allowed(off, 'user:carol', 'team:read', 'team:ml')).toBe(false);
    const offAdmin = world(ev.deactivate('olga'));
    expect(allowed(offAdmin, 'user:olga', 'org:manage-users', 'org:O')).toBe(false);
    expect(allowed(offAdmin, 'user:olga', 'project:delete', 'project:P_team')).toBe(false);
    const on = world(ev.deactivate('carol'), ev.reactivate('carol'));
    expect(projectAccess(on, 'user:carol', 'P_res')).toMatchObject({ access: 'role', role: 'member' });
  });

  it('A33 view-only downloads artifacts by default; the legacy flag removes it from viewer bases only', () => {
    expect(allowed(world(), 'user:dave', 'artifact:download', 'project:P_team')).toBe(true);
    const legacy = stateOf(
      fixtureF({ viewOnlyCanDownloadArtifacts: false }),
      ev.user('vera'),
      ev.customRole('V0', 'viewer', []),
      ev.customRole('VD', 'viewer', ['artifact:download']),
      ev.member('ml', 'vera', 'custom:V0'),
      ev.user('vida'),
      ev.member('ml', 'vida', 'custom:VD'),
    );
    expect(allowed(legacy, 'user:dave', 'artifact:download', 'project:P_team')).toBe(false);
    expect(allowed(legacy, 'user:dave', 'artifact:read', 'project:P_team')).toBe(true);
    expect(allowed(legacy, 'user:vera', 'artifact:download', 'project:P_team')).toBe(false);
    expect(allowed(legacy, 'user:vida', 'artifact:download', 'project:P_team')).toBe(true);
    expect(allowed(legacy, 'user:carol', 'artifact:download', 'project:P_team')).toBe(true);
  });

  it('R8 an org viewer in a team has the view-only role (T7)', () => {
    const s = world(ev.member('ml', 'vic', 'viewer'));
    expect(projectAccess(s, 'user:vic', 'P_team')).toMatchObject({
      access: 'role',
      role: 'viewer',
      teamRole: 'viewer',
    });
    expect(allowed(s, 'user:vic', 'run:create', 'project:P_team')).toBe(false);
  });
});

// =============================================================================================
// Service accounts (A35, A36, R21, R117–R120)
// =============================================================================================

describe('service accounts (A35, A36, R21, R117–R120)', () => {
  it('R21 a team SA enters a restricted project only once added (T12)', () => {
    const s = world();
    expect(projectAccess(s, 'sa:sa_ml', 'P_res')).toMatchObject({ access: 'none', rules: ['R21', 'R118'] });
    expect(check(s, 'sa:sa_ml', 'run:create', 'project:P_res')).toMatchObject({
      allowed: false,
      rule: 'R21',
    });
    const added = world(ev.join('P_res', 'sa:sa_ml'), ev.run('r_sa3', 'P_res', 'sa:sa_ml'));
    expect(projectAccess(added, 'sa:sa_ml', 'P_res')).toMatchObject({
      access: 'role',
      role: 'member',
      source: 'serviceAccount',
      override: false,
    });
    expect(projectAccess(added, 'sa:sa_ml', 'P_res').teamRole).toBeUndefined();
    expect(allowed(added, 'sa:sa_ml', 'run:create', 'project:P_res')).toBe(true);
    expect(allowed(added, 'sa:sa_ml', 'run:delete', 'run:r_sa3')).toBe(true);
  });

  it('R117 an org SA reads and writes every non-restricted project of every team, restricted only once added', () => {
    const s = world();
    expect(projectAccess(s, 'sa:sa_org', 'P_team')).toMatchObject({
      access: 'role',
      role: 'member',
      rules: ['A35', 'R117'],
    });
    expect(projectAccess(s, 'sa:sa_org', 'P_cv')).toMatchObject({ access: 'role', role: 'member' });
    expect(projectAccess(s, 'sa:sa_org', 'P_res')).toMatchObject({ access: 'none', rules: ['R21', 'R117'] });
    expect(projectAccess(world(ev.join('P_res', 'sa:sa_org')), 'sa:sa_org', 'P_res').access).toBe('role');
  });

  it('R119/A36 a team SA in another team: open log+read, public read, team nothing (T14)', () => {
    const s = world();
    expect(allowed(s, 'sa:sa_ml', 'run:create', 'project:P_cv_open')).toBe(true);
    expect(allowed(s, 'sa:sa_ml', 'run:read', 'project:P_cv_pub')).toBe(true);
    expect(allowed(s, 'sa:sa_ml', 'run:create', 'project:P_cv_pub')).toBe(false);
    expect(check(s, 'sa:sa_ml', 'run:read', 'project:P_cv')).toMatchObject({ allowed: false, rule: 'R119' });
  });

  it('A35 an SA deletes only the runs attributed to it and never manages a project', () => {
    const s = world(ev.run('r_sa', 'P_team', 'sa:sa_ml'));
    expect(allowed(s, 'sa:sa_ml', 'run:delete', 'run:r_sa')).toBe(true);
    expect(check(s, 'sa:sa_ml', 'run:delete', 'run:r_other')).toMatchObject({ allowed: false, rule: 'R5' });
    expect(check(s, 'sa:sa_ml', 'project:delete', 'project:P_team')).toMatchObject({
      allowed: false,
      rule: 'A35',
    });
    expect(allowed(s, 'sa:sa_ml', 'project:change-visibility', 'project:P_team')).toBe(false);
    expect(allowed(s, 'sa:sa_ml', 'team:manage-members', 'team:ml')).toBe(false);
  });

  it('R120 a run attributed to a user belongs to that user, not to the logging SA (T42)', () => {
    const s = world(
      ev.run('r_a2', 'P_team', 'user:bob', 'sa:sa_ml'),
      ev.run('r_a1', 'P_team', 'sa:sa_ml', 'sa:sa_ml'),
    );
    expect(allowed(s, 'user:bob', 'run:delete', 'run:r_a2')).toBe(true);
    expect(allowed(s, 'sa:sa_ml', 'run:delete', 'run:r_a2')).toBe(false);
    expect(allowed(s, 'user:carol', 'run:delete', 'run:r_a2')).toBe(false);
    expect(allowed(s, 'sa:sa_ml', 'run:delete', 'run:r_a1')).toBe(true);
    expect(allowed(s, 'user:bob', 'run:delete', 'run:r_a1')).toBe(false);
  });

  it('A35 an SA holds team:read and project:create in its scope only', () => {
    const s = world();
    expect(allowed(s, 'sa:sa_ml', 'project:create', 'team:ml')).toBe(true);
    expect(allowed(s, 'sa:sa_ml', 'project:create', 'team:cv')).toBe(false);
    expect(allowed(s, 'sa:sa_org', 'project:create', 'team:ml')).toBe(true);
  });
});

// =============================================================================================
// C1 management vs content
// =============================================================================================

describe('C1 project management vs content', () => {
  it('C1/R106 the owner changes visibility and restricted members but cannot delete (R112)', () => {
    const s = world();
    expect(check(s, 'user:bob', 'project:change-visibility', 'project:P_res')).toMatchObject({
      allowed: true,
      rule: 'R106',
    });
    expect(check(s, 'user:bob', 'project:manage-members', 'project:P_res')).toMatchObject({
      allowed: true,
      rule: 'A11',
    });
    expect(allowed(s, 'user:bob', 'project:delete', 'project:P_res')).toBe(false);
    expect(allowed(s, 'user:carol', 'project:change-visibility', 'project:P_res')).toBe(false);
  });

  it('C1 a team admin manages by team role even with a lower project override, but content follows the override', () => {
    const s = world(ev.override('P_team', 'tom', 'admin', 'viewer'));
    expect(allowed(s, 'user:tom', 'project:delete', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:tom', 'project:manage-members', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:tom', 'project:update', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:tom', 'run:delete', 'run:r_other')).toBe(false);
  });

  it('C1/A10 a team admin who has not joined a restricted project manages it but sees no content', () => {
    const s = world(ev.run('r_res', 'P_res', 'user:carol'));
    expect(allowed(s, 'user:tom', 'project:delete', 'project:P_res')).toBe(true);
    expect(allowed(s, 'user:tom', 'project:change-visibility', 'project:P_res')).toBe(true);
    expect(check(s, 'user:tom', 'run:read', 'run:r_res')).toMatchObject({
      allowed: false,
      rule: 'A10',
      role: 'manage-only',
    });
    expect(allowed(s, 'user:tom', 'project:update', 'project:P_res')).toBe(false);
  });

  it('C1 a project-level admin override manages the project (T3)', () => {
    const s = world(ev.override('P_res', 'carol', 'member', 'admin'));
    expect(check(s, 'user:carol', 'project:delete', 'project:P_res')).toMatchObject({
      allowed: true,
      role: 'admin',
    });
    expect(allowed(s, 'user:carol', 'project:manage-members', 'project:P_res')).toBe(true);
    const removed = world(
      ev.override('P_res', 'carol', 'member', 'admin'),
      ev.unjoin('P_res', 'user:carol'),
      ev.clearOverride('P_res', 'carol', 'admin'),
    );
    expect(projectAccess(removed, 'user:carol', 'P_res').access).toBe('none');
    expect(allowed(removed, 'user:carol', 'run:read', 'project:P_res')).toBe(false);
    const readded = world(
      ev.override('P_res', 'carol', 'member', 'admin'),
      ev.unjoin('P_res', 'user:carol'),
      ev.clearOverride('P_res', 'carol', 'admin'),
      ev.join('P_res', 'user:carol'),
    );
    expect(projectAccess(readded, 'user:carol', 'P_res')).toMatchObject({
      access: 'role',
      role: 'member',
      teamRole: 'member',
      override: false,
    });
    expect(allowed(readded, 'user:carol', 'project:delete', 'project:P_res')).toBe(false);
    expect(allowed(readded, 'user:carol', 'run:create', 'project:P_res')).toBe(true);
  });

  it('R24/R140 an owner who left the parent team loses owner powers; a new owner gains them (T19)', () => {
    const s = world(ev.leaveTeam('ml', 'bob'), ev.unjoin('P_res', 'user:bob'));
    expect(projectAccess(s, 'user:bob', 'P_res').access).toBe('none');
    expect(allowed(s, 'user:bob', 'project:change-visibility', 'project:P_team')).toBe(false);
    const next = world(ev.leaveTeam('ml', 'bob'), ev.owner('P_team', 'bob', 'dave'));
    expect(allowed(next, 'user:dave', 'project:change-visibility', 'project:P_team')).toBe(true);
    expect(allowed(next, 'user:dave', 'project:delete', 'project:P_team')).toBe(false);
  });

  it('A9 org admins manage every project, restricted ones included', () => {
    const s = world();
    expect(check(s, 'user:olga', 'project:delete', 'project:P_res')).toMatchObject({
      allowed: true,
      rule: 'A9',
    });
    expect(allowed(s, 'user:olga', 'project:manage-members', 'project:P_cv')).toBe(true);
  });

  it('T1 an org role member promoted to team admin deletes the team project and sees the restricted one as admin', () => {
    const s = world(ev.teamRole('ml', 'carol', 'member', 'admin'));
    expect(projectAccess(s, 'user:carol', 'P_team')).toMatchObject({
      access: 'role',
      role: 'admin',
      teamRole: 'admin',
      override: false,
    });
    expect(projectAccess(s, 'user:carol', 'P_res')).toMatchObject({
      access: 'role',
      role: 'admin',
      override: false,
    });
    expect(allowed(s, 'user:carol', 'project:delete', 'project:P_team')).toBe(true);
  });

  it('T2 a diverged project role survives a team role change', () => {
    const s = world(
      ev.override('P_team', 'carol', 'member', 'viewer'),
      ev.teamRole('ml', 'carol', 'member', 'admin'),
    );
    expect(projectAccess(s, 'user:carol', 'P_team')).toMatchObject({
      access: 'role',
      role: 'viewer',
      teamRole: 'admin',
      override: true,
    });
    expect(projectAccess(s, 'user:carol', 'P_res')).toMatchObject({
      access: 'role',
      role: 'admin',
      teamRole: 'admin',
      override: false,
    });
    expect(allowed(s, 'user:carol', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:carol', 'project:delete', 'project:P_res')).toBe(true);
  });
});

// =============================================================================================
// org:<id>
// =============================================================================================

describe('org scope (§3.1, R51, R53, R70)', () => {
  it.each(['org:manage-users', 'org:manage-roles', 'org:create-team', 'org:read-audit'])(
    '%s: org admin only',
    (permission) => {
      const s = world();
      expect(check(s, 'user:alice', permission, 'org:O')).toMatchObject({ allowed: true, role: 'admin' });
      expect(check(s, 'user:bob', permission, 'org:O')).toMatchObject({ allowed: false, role: 'member' });
      expect(allowed(s, 'user:vic', permission, 'org:O')).toBe(false);
      expect(allowed(s, 'sa:sa_org', permission, 'org:O')).toBe(false);
      expect(allowed(s, 'user:zed', permission, 'org:O')).toBe(false);
    },
  );

  it('R51 demoting an admin removes the org permissions (T39)', () => {
    const s = world(ev.orgRole('bob', 'member', 'admin'), ev.orgRole('alice', 'admin', 'member'));
    expect(allowed(s, 'user:alice', 'org:manage-users', 'org:O')).toBe(false);
    expect(allowed(s, 'user:bob', 'org:manage-users', 'org:O')).toBe(true);
  });
});

// =============================================================================================
// Not found, garbage
// =============================================================================================

describe('unknown resources and principals', () => {
  const s = world();
  it.each([
    'project:nope',
    'run:nope',
    'report:nope',
    'team:nope',
    'registry:nope',
    'org:other',
    'widget:1',
    'garbage',
  ])('%s → not found', (resource) => {
    expect(check(s, 'user:alice', 'project:read', resource)).toEqual<CheckResult>({
      allowed: false,
      reason: 'not found',
    });
  });

  it('a deleted run is not found even for an admin', () => {
    const t = world({ type: 'RunDeleted', data: { runId: 'r_other', projectId: 'P_team' } });
    expect(check(t, 'user:alice', 'run:read', 'run:r_other').reason).toBe('not found');
  });

  it('unknown principals and wrong-scope permissions are denied', () => {
    expect(allowed(s, 'system', 'run:read', 'project:P_team')).toBe(false);
    expect(allowed(s, 'sa:ghost', 'run:read', 'project:P_team')).toBe(false);
    expect(allowed(s, 'team:ml', 'run:read', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:alice', 'team:read', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:alice', 'run:read', 'team:ml')).toBe(false);
    expect(allowed(s, 'user:alice', 'registry:read', 'org:O')).toBe(false);
    expect(allowed(s, 'user:alice', 'run:read', 'registry:O.models')).toBe(false);
    expect(projectAccess(s, 'user:alice', 'nope').access).toBe('none');
  });
});

// =============================================================================================
// §3.5 registry roles × permissions, §3.7 contributions
// =============================================================================================

/** RF plus a restricted custom registry R_x created by bob, with one user per registry role. */
function registryWorld(...extra: (Fact | readonly Fact[])[]): OrgState {
  return stateOf(
    fixtureRF(),
    ev.user('gina'),
    ev.user('hank'),
    ev.user('ivan'),
    ...ev.registry('R_x', 'restricted', 'user:bob'),
    ev.grant('R_x', 'user:frank', 'restricted-viewer'),
    ev.grant('R_x', 'user:gina', 'viewer'),
    ev.grant('R_x', 'user:hank', 'member'),
    ev.grant('R_x', 'user:ivan', 'admin'),
    ...extra,
  );
}

const REGISTRY_ROLE_USERS: ReadonlyArray<[RegistryRole, Principal]> = [
  ['restricted-viewer', 'user:frank'],
  ['viewer', 'user:gina'],
  ['member', 'user:hank'],
  ['admin', 'user:ivan'],
];

/** Columns RV, Viewer, Member, Admin (non-creator). */
const TABLE_35: ReadonlyArray<
  [permission: string, rows: string, cells: [boolean, boolean, boolean, boolean]]
> = [
  ['registry:read', 'P1 P2 P6 P7', [true, true, true, true]],
  ['registry:artifact.use', 'P3', [false, true, true, true]],
  ['registry:artifact.download', 'P4 P5', [false, true, true, true]],
  ['registry:automation.create', 'P8 P9', [false, false, true, true]],
  ['registry:collection.create', 'P10', [false, false, true, true]],
  ['registry:collection.update', 'P12 P14', [false, false, true, true]],
  ['registry:artifact.update', 'P13 P15', [false, false, true, true]],
  ['registry:alias.protected', 'P16 P17 R129', [false, false, false, true]],
  ['registry:artifact.link', 'P18', [false, false, true, true]],
  ['registry:types.update', 'P19', [false, false, true, true]],
  ['registry:rename', 'P20', [false, false, true, true]],
  ['registry:collection.delete', 'P21', [false, false, true, true]],
  ['registry:automation.delete', 'P22', [false, false, true, true]],
  ['registry:artifact.unlink', 'P23', [false, false, true, true]],
  ['registry:visibility.update', 'P25 A25', [false, false, false, true]],
  ['registry:members.manage', 'P26 P27 P28', [false, false, false, true]],
  ['registry:delete', 'P29 A26 (admin who is not the creator)', [false, false, false, false]],
];

describe('§3.5 registry roles × permissions', () => {
  const s = registryWorld();
  describe.each(TABLE_35)('%s (%s)', (permission, _rows, cells) => {
    it.each(REGISTRY_ROLE_USERS.map(([role, p], i) => [role, p, cells[i] as boolean] as const))(
      '%s → %s',
      (role, principal, expected) => {
        const r = check(s, principal, permission, 'registry:R_x');
        expect(r.allowed).toBe(expected);
        expect(r.role).toBe(role);
      },
    );
  });

  it('P29/A26 the creating registry admin and org admins delete a custom registry; nobody deletes a core one', () => {
    expect(check(s, 'user:bob', 'registry:delete', 'registry:R_x')).toMatchObject({
      allowed: true,
      rule: 'A26',
    });
    expect(allowed(s, 'user:alice', 'registry:delete', 'registry:R_x')).toBe(true);
    expect(check(s, 'user:alice', 'registry:delete', 'registry:O.models')).toMatchObject({
      allowed: false,
      rule: 'A26',
    });
    // A creator who is no longer an effective admin cannot delete.
    const demoted = registryWorld(ev.regrant('R_x', 'user:bob', 'admin', 'member'));
    expect(allowed(demoted, 'user:bob', 'registry:delete', 'registry:R_x')).toBe(false);
  });

  it('R122/A25 core registry visibility is fixed even for org admins; org admins change custom ones', () => {
    expect(check(s, 'user:alice', 'registry:visibility.update', 'registry:O.models')).toMatchObject({
      allowed: false,
      rule: 'R122',
    });
    expect(allowed(s, 'user:alice', 'registry:visibility.update', 'registry:R_org')).toBe(true);
  });

  it('R49 access is decided per registry (T26)', () => {
    const t = registryWorld(
      ...ev.registry('R_B', 'restricted', 'user:bob'),
      ev.grant('R_B', 'user:frank', 'viewer'),
    );
    expect(allowed(t, 'user:frank', 'registry:artifact.download', 'registry:R_x')).toBe(false);
    expect(allowed(t, 'user:frank', 'registry:artifact.download', 'registry:R_B')).toBe(true);
    expect(allowed(t, 'user:frank', 'registry:artifact.use', 'registry:R_B')).toBe(true);
  });

  it('R124 no role → every registry permission denied', () => {
    expect(check(s, 'user:erin', 'registry:read', 'registry:R_x')).toMatchObject({
      allowed: false,
      rule: 'R124',
    });
  });
});

describe('§3.7 effective registry role and contributions', () => {
  it('A20 org admin contributes admin; R43 direct grant reported as assignedRole (T23)', () => {
    const s = registryWorld(ev.grant('R_ml', 'user:alice', 'viewer'));
    const a = registryAccess(s, 'user:alice', 'R_ml');
    expect(a).toMatchObject({ role: 'admin', assignedRole: 'viewer', owner: false });
    expect(a.contributions).toEqual([
      { role: 'admin', source: 'orgAdmin' },
      { role: 'viewer', source: 'direct' },
      { role: 'admin', source: 'owningTeam' },
    ]);
    expect(allowed(s, 'user:alice', 'registry:members.manage', 'registry:R_ml')).toBe(true);
  });

  it('R44 a team admin of the owning team with registry viewer is an effective admin (T23)', () => {
    const s = registryWorld(
      ev.teamRole('ml', 'carol', 'member', 'admin'),
      ev.grant('R_ml', 'user:carol', 'viewer'),
    );
    expect(registryAccess(s, 'user:carol', 'R_ml')).toMatchObject({ role: 'admin', assignedRole: 'viewer' });
    expect(allowed(s, 'user:carol', 'registry:members.manage', 'registry:R_ml')).toBe(true);
  });

  it('R45/R46/A19 owning-team mapping: member→member, viewer→viewer, custom→its base', () => {
    const s = registryWorld(
      ev.customRole('CV', 'viewer', ['run:stop']),
      ev.customRole('CM', 'member', []),
      ev.member('ml', 'gina', 'custom:CV'),
      ev.member('ml', 'hank', 'custom:CM'),
    );
    expect(registryAccess(s, 'user:carol', 'R_ml')).toMatchObject({
      role: 'member',
      contributions: [{ role: 'member', source: 'owningTeam' }],
    });
    expect(registryAccess(s, 'user:dave', 'R_ml')).toMatchObject({
      role: 'viewer',
      contributions: [{ role: 'viewer', source: 'owningTeam' }],
    });
    expect(registryAccess(s, 'user:gina', 'R_ml').role).toBe('viewer');
    expect(registryAccess(s, 'user:hank', 'R_ml').role).toBe('member');
    // R46: team viewer with registry member → member.
    const t = registryWorld(ev.grant('R_ml', 'user:dave', 'member'));
    expect(registryAccess(t, 'user:dave', 'R_ml')).toMatchObject({ role: 'member', assignedRole: 'member' });
  });

  it('R132 team grants: the higher of the individual and the team roles', () => {
    const s = registryWorld(
      ev.grant('R_x', 'team:cv', 'member'),
      ev.member('cv', 'gina', 'member'), // gina: individual viewer + team member → member
      ev.grant('R_x', 'team:ml', 'viewer'),
      ev.user('jo'),
      ev.member('ml', 'jo', 'member'), // jo: team viewer only → viewer
    );
    expect(registryAccess(s, 'user:gina', 'R_x')).toMatchObject({
      role: 'member',
      assignedRole: 'viewer',
      contributions: [
        { role: 'viewer', source: 'direct' },
        { role: 'member', source: 'teamGrant:cv' },
      ],
    });
    expect(registryAccess(s, 'user:jo', 'R_x')).toMatchObject({
      role: 'viewer',
      contributions: [{ role: 'viewer', source: 'teamGrant:ml' }],
    });
    expect(registryAccess(s, 'user:jo', 'R_x').assignedRole).toBeUndefined();
    const admin = registryWorld(ev.grant('R_x', 'team:cv', 'admin'), ev.member('cv', 'gina', 'viewer'));
    expect(registryAccess(admin, 'user:gina', 'R_x').role).toBe('admin');
  });

  it('A28/R81 leaving a team drops the access that came through it; a direct grant stays', () => {
    const s = registryWorld(ev.grant('R_ml', 'user:carol', 'viewer'), ev.leaveTeam('ml', 'carol'));
    expect(registryAccess(s, 'user:carol', 'R_ml')).toMatchObject({
      role: 'viewer',
      contributions: [{ role: 'viewer', source: 'direct' }],
    });
    const t = registryWorld(ev.leaveTeam('ml', 'carol'));
    expect(registryAccess(t, 'user:carol', 'R_ml').role).toBeNull();
  });

  it('A29 removing a team grant keeps the other contributions', () => {
    const s = registryWorld(ev.grant('R_x', 'team:ml', 'member'), ev.ungrant('R_x', 'team:ml'));
    expect(registryAccess(s, 'user:carol', 'R_x').role).toBeNull();
    expect(registryAccess(s, 'user:hank', 'R_x').role).toBe('member');
  });

  it.each([
    [{ type: 'multi-tenant' as const, serverVersion: '0.60.0' }, 'restricted-viewer'],
    [{ type: 'dedicated' as const, serverVersion: '0.75.0' }, 'restricted-viewer'],
    [{ type: 'self-managed' as const, serverVersion: '0.80.1' }, 'restricted-viewer'],
    [{ type: 'dedicated' as const, serverVersion: '0.74.9' }, 'viewer'],
    [{ type: 'self-managed' as const, serverVersion: '0.70.0' }, 'viewer'],
  ])('A21/R135 organization baseline by deployment %o → %s', (profile, expected) => {
    const s = stateOf(fixtureRF(profile));
    expect(registryAccess(s, 'user:frank', 'R_org')).toMatchObject({
      role: expected,
      contributions: [{ role: expected, source: 'orgVisibility' }],
    });
    expect(registryAccess(s, 'user:frank', 'O.models').role).toBe(expected);
  });

  it('R124 a restricted registry has no baseline; visibility changes move it (T30, T31)', () => {
    const s = registryWorld();
    expect(registryAccess(s, 'user:frank', 'R_org').role).toBe('restricted-viewer');
    expect(registryAccess(s, 'user:erin', 'R_ml')).toEqual({ role: null, contributions: [], owner: false });
    const closed = registryWorld(
      ev.registryVisibility('R_org', 'organization', 'restricted'),
      ev.registryVisibility('R_ml', 'restricted', 'organization'),
    );
    expect(registryAccess(closed, 'user:frank', 'R_org').role).toBeNull();
    expect(registryAccess(closed, 'user:frank', 'R_ml').role).toBe('restricted-viewer');
  });

  it('T30 carol loses R_ml with the team but keeps the organization baseline on R_org', () => {
    const s = registryWorld(ev.leaveTeam('ml', 'carol'));
    expect(check(s, 'user:carol', 'registry:read', 'registry:R_ml').allowed).toBe(false);
    expect(check(s, 'user:carol', 'registry:read', 'registry:R_org')).toMatchObject({
      allowed: true,
      role: 'restricted-viewer',
    });
    expect(allowed(s, 'user:carol', 'registry:artifact.download', 'registry:R_org')).toBe(false);
    expect(allowed(s, 'user:carol', 'registry:artifact.use', 'registry:R_org')).toBe(false);
  });

  it('R37/A48 the owner designation grants nothing (T28)', () => {
    const s = registryWorld(
      ev.grant('R_ml', 'user:frank', 'restricted-viewer'),
      ev.registryOwner('R_ml', 'user:bob', 'user:frank'),
    );
    expect(registryAccess(s, 'user:frank', 'R_ml')).toMatchObject({ role: 'restricted-viewer', owner: true });
    expect(registryAccess(s, 'user:bob', 'R_ml')).toMatchObject({ role: 'admin', owner: false });
    expect(allowed(s, 'user:frank', 'registry:members.manage', 'registry:R_ml')).toBe(false);
    expect(allowed(s, 'user:frank', 'registry:artifact.download', 'registry:R_ml')).toBe(false);
  });

  it('A39/§3.7 inactive or non-org users have no role; the stored grant and owner flag stay visible', () => {
    const s = registryWorld(ev.deactivate('hank'), ev.registryOwner('R_x', 'user:bob', 'user:hank'));
    expect(registryAccess(s, 'user:hank', 'R_x')).toEqual({
      role: null,
      assignedRole: 'member',
      contributions: [],
      owner: true,
    });
    expect(allowed(s, 'user:hank', 'registry:read', 'registry:R_x')).toBe(false);
    expect(registryAccess(s, 'user:zed', 'R_org').role).toBeNull();
  });

  it('T38 org viewer cascade: owning-team viewer, direct member and the R60 viewer grant', () => {
    const s = registryWorld(
      ev.grant('R_ml', 'user:carol', 'member'),
      ev.orgRole('carol', 'member', 'viewer'),
      {
        type: 'TeamRoleChanged',
        data: { teamId: 'ml', userId: 'carol', from: 'member', to: 'viewer', reason: 'orgViewer' },
      },
      ev.grant('R_org', 'user:carol', 'viewer'),
    );
    expect(registryAccess(s, 'user:carol', 'R_ml')).toMatchObject({ role: 'member', assignedRole: 'member' });
    expect(registryAccess(s, 'user:carol', 'R_org')).toMatchObject({ role: 'viewer' });
    expect(projectAccess(s, 'user:carol', 'P_team')).toMatchObject({
      access: 'role',
      role: 'viewer',
      teamRole: 'viewer',
      override: false,
    });
    expect(allowed(s, 'user:carol', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:carol', 'run:read', 'project:P_res')).toBe(true);
  });

  it('team:<id> as the member answers with the team grant (members listing)', () => {
    const s = registryWorld(ev.grant('R_x', 'team:cv', 'member'));
    expect(registryAccess(s, 'team:cv', 'R_x')).toMatchObject({
      role: 'member',
      assignedRole: 'member',
      contributions: [{ role: 'member', source: 'direct' }],
    });
    expect(registryAccess(s, 'team:ml', 'R_x').role).toBeNull();
  });
});

describe('service accounts and registries (R40, A22, A23, C11)', () => {
  it('A22 an org SA is a member of every organization registry, restricted ones need a grant', () => {
    const s = registryWorld(ev.sa('sa_org', 'org', 'ml'));
    expect(registryAccess(s, 'sa:sa_org', 'R_org')).toMatchObject({
      role: 'member',
      contributions: [{ role: 'member', source: 'orgVisibility' }],
    });
    expect(registryAccess(s, 'sa:sa_org', 'R_x').role).toBeNull();
    // The default team (ml) is not a membership: its grant does not reach the org SA.
    const t = registryWorld(ev.sa('sa_org', 'org', 'ml'), ev.grant('R_x', 'team:ml', 'member'));
    expect(registryAccess(t, 'sa:sa_org', 'R_x').role).toBeNull();
  });

  it('C11 a team SA gets nothing from organization visibility nor from the owning team', () => {
    const s = registryWorld();
    expect(registryAccess(s, 'sa:sa_ml', 'R_org').role).toBeNull();
    expect(registryAccess(s, 'sa:sa_ml', 'R_ml').role).toBeNull();
  });

  it('C11/R40 a team SA gets its team grant, floored at member (saFloor)', () => {
    const s = registryWorld(ev.grant('R_x', 'team:ml', 'viewer'));
    expect(registryAccess(s, 'sa:sa_ml', 'R_x')).toMatchObject({
      role: 'member',
      contributions: [
        { role: 'viewer', source: 'teamGrant:ml' },
        { role: 'member', source: 'saFloor' },
      ],
    });
    expect(allowed(s, 'sa:sa_ml', 'registry:artifact.link', 'registry:R_x')).toBe(true);
  });

  it('R40/A23 a direct SA grant: member by default, admin when granted (T25)', () => {
    const s = registryWorld(ev.grant('R_org', 'sa:sa_ml', 'member'));
    expect(registryAccess(s, 'sa:sa_ml', 'R_org')).toMatchObject({ role: 'member', assignedRole: 'member' });
    expect(allowed(s, 'sa:sa_ml', 'registry:alias.protected', 'registry:R_org')).toBe(false);
    const admin = registryWorld(
      ev.grant('R_org', 'sa:sa_ml', 'member'),
      ev.regrant('R_org', 'sa:sa_ml', 'member', 'admin'),
    );
    expect(registryAccess(admin, 'sa:sa_ml', 'R_org')).toMatchObject({
      role: 'admin',
      assignedRole: 'admin',
    });
    expect(allowed(admin, 'sa:sa_ml', 'registry:alias.protected', 'registry:R_org')).toBe(true);
  });

  it('R40 even a stored viewer grant on an SA is floored at member', () => {
    const s = registryWorld(ev.grant('R_x', 'sa:sa_ml', 'restricted-viewer'));
    expect(registryAccess(s, 'sa:sa_ml', 'R_x')).toMatchObject({
      role: 'member',
      assignedRole: 'restricted-viewer',
    });
  });
});

// =============================================================================================
// Performance contract: a check does map lookups only
// =============================================================================================

/** A Map/Set whose every iteration throws: proves that a code path never scans it. */
class NoScanMap<K, V> extends Map<K, V> {
  override forEach(): void {
    throw new Error('scanned');
  }
  override entries(): MapIterator<[K, V]> {
    throw new Error('scanned');
  }
  override keys(): MapIterator<K> {
    throw new Error('scanned');
  }
  override values(): MapIterator<V> {
    throw new Error('scanned');
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    throw new Error('scanned');
  }
}

describe('performance: lookups only', () => {
  it('check and the access functions never iterate members, projects, runs, grants or restricted members', () => {
    const s = registryWorld(ev.grant('R_x', 'team:ml', 'member'), ev.run('r_c', 'P_res', 'user:carol'));
    const guard = <K, V>(m: Map<K, V>): NoScanMap<K, V> => {
      const g = new NoScanMap<K, V>();
      for (const [k, v] of m) Map.prototype.set.call(g, k, v);
      return g;
    };
    s.users = guard(s.users);
    s.projects = guard(s.projects);
    s.runs = guard(s.runs);
    s.reports = guard(s.reports);
    s.registries = guard(s.registries);
    s.teams = guard(s.teams);
    for (const id of ['ml', 'cv']) {
      const t = s.teams.get(id);
      if (t) t.members = guard(t.members);
    }
    for (const id of ['R_x', 'R_ml', 'R_org']) {
      const r = s.registries.get(id);
      if (r) r.grants = guard(r.grants);
    }
    for (const id of ['P_team', 'P_res']) {
      const p = s.projects.get(id);
      if (p) p.overrides = guard(p.overrides);
    }
    expect(allowed(s, 'user:carol', 'run:delete', 'run:r_c')).toBe(true);
    expect(allowed(s, 'user:bob', 'project:delete', 'project:P_res')).toBe(false);
    expect(allowed(s, 'user:carol', 'registry:artifact.link', 'registry:R_x')).toBe(true);
    expect(allowed(s, 'user:alice', 'team:manage-members', 'team:ml')).toBe(true);
    expect(registryAccess(s, 'user:dave', 'R_ml').role).toBe('viewer');
    expect(projectAccess(s, 'sa:sa_ml', 'P_res').access).toBe('none');
  });
});

// =============================================================================================
// Scenario reproductions (spec/scenarios, as the facts the deciders record)
// =============================================================================================

describe('scenario answers at the fact level', () => {
  it('T15 outsiders against open, public and team projects', () => {
    const s = stateOf(
      fixtureF(),
      ...ev.project('P_pub', 'ml', 'public', 'bob'),
      ...ev.project('P_open', 'ml', 'open', 'bob'),
      ev.run('r_e2', 'P_open', 'user:erin'),
    );
    expect(projectAccess(s, 'user:erin', 'P_team').access).toBe('none');
    expect(allowed(s, 'user:erin', 'run:read', 'project:P_team')).toBe(false);
    expect(projectAccess(s, 'user:erin', 'P_pub').access).toBe('external-viewer');
    expect(allowed(s, 'user:erin', 'run:read', 'project:P_pub')).toBe(true);
    expect(allowed(s, 'user:erin', 'run:create', 'project:P_pub')).toBe(false);
    expect(allowed(s, 'user:erin', 'report:create', 'project:P_pub')).toBe(false);
    expect(projectAccess(s, 'user:erin', 'P_open').access).toBe('external-contributor');
    expect(allowed(s, 'user:erin', 'run:read', 'run:r_e2')).toBe(true);
    expect(allowed(s, 'user:erin', 'report:create', 'project:P_open')).toBe(true);
  });

  it('T16 a public project kept under "future projects private" still serves external viewers (A13)', () => {
    const s = stateOf(
      fixtureF(),
      ...ev.project('P_pub_old', 'ml', 'public', 'bob'),
      ev.teamSettings('ml', { futureProjectsPrivate: true }),
    );
    expect(projectAccess(s, 'user:erin', 'P_pub_old').access).toBe('external-viewer');
  });

  it('T20 a run moved into a restricted project follows the restricted membership; deletion follows the creator', () => {
    const s = stateOf(fixtureF(), ev.run('r3', 'P_team', 'user:bob'), ev.moveRun('r3', 'P_team', 'P_res'));
    expect(allowed(s, 'user:carol', 'run:read', 'run:r3')).toBe(true);
    expect(allowed(s, 'user:dave', 'run:read', 'run:r3')).toBe(false);
    expect(allowed(s, 'user:bob', 'run:delete', 'run:r3')).toBe(true);
    expect(allowed(s, 'user:carol', 'run:delete', 'run:r3')).toBe(false);
  });

  it('T36 what a view-only team member can and cannot do', () => {
    const s = stateOf(fixtureF(), ev.report('Rep_b', 'P_team', 'user:bob'));
    expect(allowed(s, 'user:dave', 'run:read', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:dave', 'report:read', 'report:Rep_b')).toBe(true);
    expect(allowed(s, 'user:dave', 'report:comment', 'report:Rep_b')).toBe(true);
    expect(check(s, 'user:dave', 'report:update', 'report:Rep_b')).toMatchObject({
      allowed: false,
      role: 'viewer',
      rule: 'R6',
    });
    expect(allowed(s, 'user:dave', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:dave', 'workspace:update', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:dave', 'artifact:read', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:dave', 'artifact:download', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:dave', 'artifact:create', 'project:P_team')).toBe(false);
  });

  it('T37 report ownership: members edit only their own reports, admins all', () => {
    const s = stateOf(
      fixtureF(),
      ev.report('Rep1', 'P_team', 'user:bob'),
      ev.report('Rep2', 'P_team', 'user:carol'),
    );
    expect(allowed(s, 'user:carol', 'report:update', 'report:Rep1')).toBe(false);
    expect(allowed(s, 'user:bob', 'report:update', 'report:Rep1')).toBe(true);
    expect(allowed(s, 'user:alice', 'report:update', 'report:Rep1')).toBe(true);
    expect(allowed(s, 'user:carol', 'report:comment', 'report:Rep1')).toBe(true);
    expect(allowed(s, 'user:carol', 'report:delete', 'report:Rep1')).toBe(false);
    expect(allowed(s, 'user:carol', 'report:update', 'report:Rep2')).toBe(true);
    expect(allowed(s, 'user:alice', 'report:delete', 'report:Rep1')).toBe(true);
  });

  it('R106 the owner is recognised whether recorded as a user id (model.ts) or as `user:<id>`', () => {
    const s = stateOf(fixtureF(), {
      type: 'ProjectCreated',
      data: { projectId: 'P_x', teamId: 'ml', name: 'x', visibility: 'team', owner: 'user:dave' },
    });
    expect(allowed(s, 'user:dave', 'project:change-visibility', 'project:P_x')).toBe(true);
    expect(allowed(s, 'user:carol', 'project:change-visibility', 'project:P_x')).toBe(false);
  });
});

// =============================================================================================
// Rules named by no other test (docs/rules.md)
// =============================================================================================

describe('R13 the four visibility scopes', () => {
  it('R13 from most public to most private: an org user outside the team contributes, views, then sees nothing', () => {
    const s = stateOf(
      fixtureF(),
      ...ev.project('P_open', 'ml', 'open', 'bob'),
      ...ev.project('P_pub', 'ml', 'public', 'bob'),
    );
    // erin is in the org but not in team ml; dave is in ml (view-only) but not invited to P_res.
    const order = ['P_open', 'P_pub', 'P_team', 'P_res'];
    expect(order.map((p) => projectAccess(s, 'user:erin', p).access)).toEqual([
      'external-contributor',
      'external-viewer',
      'none',
      'none',
    ]);
    expect(order.map((p) => allowed(s, 'user:erin', 'run:read', `project:${p}`))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(order.map((p) => projectAccess(s, 'user:dave', p).access)).toEqual([
      'role',
      'role',
      'role',
      'none',
    ]);
  });
});

describe('registry roles: assigned next to effective, decided per registry', () => {
  it('R42 the answer gives the assigned role next to the inherited effective role and where each part comes from', () => {
    // carol is a member of team ml, which owns R_ml; her own grant there is viewer (R45).
    const s = stateOf(fixtureRF(), ev.grant('R_ml', 'user:carol', 'viewer'));
    const a = registryAccess(s, 'user:carol', 'R_ml');
    expect(a).toMatchObject({ role: 'member', assignedRole: 'viewer', owner: false });
    expect(a.contributions).toEqual(
      expect.arrayContaining([
        { role: 'viewer', source: 'direct' },
        { role: 'member', source: 'owningTeam' },
      ]),
    );
    // Without a grant there is no assigned role, only the inherited one.
    const dave = registryAccess(s, 'user:dave', 'R_ml');
    expect(dave.role).toBe('viewer');
    expect(dave.assignedRole).toBeUndefined();
  });

  it('R48 one user holds different roles in different registries, and each registry decides for itself', () => {
    const s = registryWorld(ev.grant('R_org', 'user:frank', 'admin'));
    expect(registryAccess(s, 'user:frank', 'R_x').role).toBe('restricted-viewer');
    expect(registryAccess(s, 'user:frank', 'R_org').role).toBe('admin');
    expect(allowed(s, 'user:frank', 'registry:artifact.download', 'registry:R_x')).toBe(false);
    expect(allowed(s, 'user:frank', 'registry:artifact.download', 'registry:R_org')).toBe(true);
    expect(allowed(s, 'user:frank', 'registry:members.manage', 'registry:R_org')).toBe(true);
  });
});

describe('org and team administration', () => {
  it('R52 org members and legacy org viewers neither invite nor manage users; viewers are read-only in their teams', () => {
    const s = stateOf(fixtureF(), ev.member('ml', 'vic', 'viewer'));
    for (const permission of ['org:manage-users', 'org:manage-roles', 'org:create-team']) {
      expect([permission, allowed(s, 'user:alice', permission, 'org:O')]).toEqual([permission, true]);
      expect([permission, allowed(s, 'user:bob', permission, 'org:O')]).toEqual([permission, false]);
      expect([permission, allowed(s, 'user:vic', permission, 'org:O')]).toEqual([permission, false]);
    }
    expect(allowed(s, 'user:vic', 'project:read', 'project:P_team')).toBe(true);
    expect(allowed(s, 'user:vic', 'run:create', 'project:P_team')).toBe(false);
    expect(allowed(s, 'user:vic', 'report:create', 'project:P_team')).toBe(false);
  });

  it('R76 a team admin who is only an org member governs that team, not the org nor other teams', () => {
    const s = stateOf(fixtureF());
    expect(allowed(s, 'user:erin', 'team:manage-members', 'team:cv')).toBe(true);
    expect(allowed(s, 'user:erin', 'team:manage-settings', 'team:cv')).toBe(true);
    expect(allowed(s, 'user:erin', 'team:manage-members', 'team:ml')).toBe(false);
    expect(allowed(s, 'user:erin', 'org:manage-users', 'org:O')).toBe(false);
    expect(allowed(s, 'user:erin', 'org:create-team', 'org:O')).toBe(false);
  });

  it('R91 only team admins add or remove members and manage settings; members and viewers do not', () => {
    const s = stateOf(fixtureF());
    for (const permission of ['team:manage-members', 'team:manage-settings']) {
      expect(check(s, 'user:alice', permission, 'team:ml')).toMatchObject({ allowed: true, role: 'admin' });
      expect(check(s, 'user:bob', permission, 'team:ml')).toMatchObject({ allowed: false, role: 'member' });
      expect(check(s, 'user:dave', permission, 'team:ml')).toMatchObject({ allowed: false, role: 'viewer' });
    }
  });
});

describe('R86 org admins review every team', () => {
  it('R86 an org admin outside a team can read it even while org policy locks its settings; a non-member cannot', () => {
    const s = stateOf(fixtureF(), ev.user('ada', 'admin'), ev.policy('futureProjectPrivacy'));
    expect(s.teams.get('cv')?.members.has('ada')).toBe(false);
    expect(allowed(s, 'user:ada', 'team:read', 'team:cv')).toBe(true);
    expect(allowed(s, 'user:ada', 'team:manage-settings', 'team:cv')).toBe(true);
    expect(allowed(s, 'user:bob', 'team:read', 'team:cv')).toBe(false);
  });
});

describe('R108 restricted projects and team members', () => {
  it('R108 A10 team members get no implicit access to a restricted project; a team admin joins explicitly', () => {
    const s = stateOf(fixtureF(), ev.user('tom'), ev.member('ml', 'tom', 'admin'));
    // dave (view-only) and the admin tom are in team ml but not restricted members of P_res.
    expect(projectAccess(s, 'user:dave', 'P_res').access).toBe('none');
    expect(projectAccess(s, 'user:tom', 'P_res').access).toBe('manage-only');
    expect(allowed(s, 'user:tom', 'run:read', 'project:P_res')).toBe(false);
    const joined = stateOf(
      fixtureF(),
      ev.user('tom'),
      ev.member('ml', 'tom', 'admin'),
      ev.join('P_res', 'user:tom'),
    );
    expect(projectAccess(joined, 'user:tom', 'P_res')).toMatchObject({ access: 'role', role: 'admin' });
    expect(allowed(joined, 'user:tom', 'run:read', 'project:P_res')).toBe(true);
  });
});
