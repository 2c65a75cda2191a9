import { defaultUserRegistryRole, mapTeamRoleToRegistryRole, permissionsOfRole, roleGrant } from './access';
import { ev, fixtureF, stateOf } from './access/fixture';
import type { DeploymentProfile, RegistryRole } from './model';
import {
  ADMIN_PERMISSIONS,
  CUSTOM_ROLE_CATALOGUE,
  EXTERNAL_CONTRIBUTOR_PERMISSIONS,
  EXTERNAL_VIEWER_PERMISSIONS,
  MEMBER_BASE_PERMISSIONS,
  MEMBER_OWN_ONLY_PERMISSIONS,
  ORG_PERMISSIONS,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  REGISTRY_ROLE_PERMISSIONS,
  SERVICE_ACCOUNT_EXTERNAL_CONTRIBUTOR_PERMISSIONS,
  SERVICE_ACCOUNT_OWN_ONLY_PERMISSIONS,
  SERVICE_ACCOUNT_PERMISSIONS,
  TEAM_PERMISSIONS,
  VIEWER_BASE_PERMISSIONS,
  maxRegistryRole,
  registryRoleRank,
} from './permissions';

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe('api.md permission ids', () => {
  it('project scope lists exactly the api.md ids', () => {
    expect(sorted(PROJECT_PERMISSIONS)).toEqual(
      sorted([
        'project:read',
        'project:update',
        'project:delete',
        'project:manage-members',
        'project:change-visibility',
        'run:read',
        'run:create',
        'run:update',
        'run:stop',
        'run:delete',
        'sweep:create',
        'sweep:delete',
        'workspace:update',
        'report:read',
        'report:comment',
        'report:create',
        'report:update',
        'report:delete',
        'artifact:read',
        'artifact:download',
        'artifact:create',
        'artifact:update',
        'artifact:delete',
      ]),
    );
  });

  it('team, org and registry scopes list exactly the api.md ids', () => {
    expect(sorted(TEAM_PERMISSIONS)).toEqual(
      sorted([
        'team:read',
        'team:manage-members',
        'team:manage-settings',
        'team:invite',
        'launchqueue:create',
        'launchqueue:update',
      ]),
    );
    expect(sorted(ORG_PERMISSIONS)).toEqual(
      sorted(['org:manage-users', 'org:manage-roles', 'org:create-team', 'org:read-audit']),
    );
    expect(REGISTRY_PERMISSIONS).toHaveLength(17);
    expect(new Set(REGISTRY_PERMISSIONS).size).toBe(17);
    for (const p of REGISTRY_PERMISSIONS) expect(p.startsWith('registry:')).toBe(true);
  });
});

describe('§3.8 built-in bases', () => {
  it('R74 the viewer base is the §3.8 "In Viewer base" column plus artifact:download (A33) and team:read', () => {
    expect(sorted(VIEWER_BASE_PERMISSIONS)).toEqual(
      sorted([
        'project:read',
        'run:read',
        'artifact:read',
        'artifact:download',
        'report:read',
        'report:comment',
        'launchagent:read',
        'team:read',
      ]),
    );
  });

  it('R9 the member base adds exactly the §3.8 "In Member base" column to the viewer base', () => {
    const added = sorted([...MEMBER_BASE_PERMISSIONS].filter((p) => !VIEWER_BASE_PERMISSIONS.has(p)));
    expect(added).toEqual(
      sorted([
        'project:create',
        'run:create',
        'run:update',
        'run:stop',
        'run:delete',
        'workspace:update',
        'sweep:create',
        'sweep:delete',
        'report:create',
        'report:update',
        'report:delete',
        'artifact:create',
        'artifact:update',
        'artifact:delete',
      ]),
    );
    for (const p of VIEWER_BASE_PERMISSIONS) expect(MEMBER_BASE_PERMISSIONS.has(p)).toBe(true);
  });

  it('R5/R92 own-only cells: runs, sweep runs and reports; never artifacts (§3.2 note 1)', () => {
    expect(sorted(MEMBER_OWN_ONLY_PERMISSIONS)).toEqual(
      sorted(['run:update', 'run:stop', 'run:delete', 'sweep:delete', 'report:update', 'report:delete']),
    );
    for (const p of MEMBER_OWN_ONLY_PERMISSIONS) expect(MEMBER_BASE_PERMISSIONS.has(p)).toBe(true);
    expect(MEMBER_OWN_ONLY_PERMISSIONS.has('artifact:delete')).toBe(false);
  });

  it('R74 project:update and project:delete are in no base (added to custom roles in the docs)', () => {
    for (const p of [
      'project:update',
      'project:delete',
      'project:manage-members',
      'project:change-visibility',
      'team:invite',
    ]) {
      expect(MEMBER_BASE_PERMISSIONS.has(p)).toBe(false);
    }
  });

  it('R2/R3/R105 admin holds every project- and team-scope permission', () => {
    for (const p of [...PROJECT_PERMISSIONS, ...TEAM_PERMISSIONS, ...MEMBER_BASE_PERMISSIONS])
      expect(ADMIN_PERMISSIONS.has(p)).toBe(true);
  });
});

describe('§3.8 custom-role catalogue (A30)', () => {
  it('A30 contains every §3.8 id', () => {
    for (const p of [
      'project:read',
      'run:read',
      'artifact:read',
      'report:read',
      'report:comment',
      'launchagent:read',
      'project:create',
      'run:create',
      'run:update',
      'run:stop',
      'run:delete',
      'workspace:update',
      'sweep:create',
      'sweep:delete',
      'report:create',
      'report:update',
      'report:delete',
      'artifact:create',
      'artifact:update',
      'artifact:delete',
      'project:update',
      'project:delete',
      'launchqueue:create',
      'launchqueue:update',
      'team:invite',
    ]) {
      expect(CUSTOM_ROLE_CATALOGUE.has(p)).toBe(true);
    }
  });

  it('§3.2 management ids, org ids and registry ids cannot be added to a custom role', () => {
    for (const p of [
      'project:manage-members',
      'project:change-visibility',
      'team:manage-members',
      'team:manage-settings',
      ...ORG_PERMISSIONS,
      ...REGISTRY_PERMISSIONS,
      'run:move',
    ]) {
      expect(CUSTOM_ROLE_CATALOGUE.has(p)).toBe(false);
    }
  });

  it('both bases are inside the catalogue, so `inherited` flags can be computed from them (R68)', () => {
    for (const p of MEMBER_BASE_PERMISSIONS) expect(CUSTOM_ROLE_CATALOGUE.has(p)).toBe(true);
  });
});

describe('§3.2 SA column and §3.3 outsiders', () => {
  it('A35 service accounts: member-equivalent, reports view only, no workspace edits, no management', () => {
    for (const p of [
      'run:create',
      'run:delete',
      'artifact:create',
      'artifact:delete',
      'sweep:create',
      'project:read',
      'report:read',
    ]) {
      expect(SERVICE_ACCOUNT_PERMISSIONS.has(p)).toBe(true);
    }
    for (const p of [
      'report:comment',
      'report:create',
      'report:update',
      'report:delete',
      'workspace:update',
      'project:update',
      'project:delete',
      'project:manage-members',
      'team:invite',
    ]) {
      expect(SERVICE_ACCOUNT_PERMISSIONS.has(p)).toBe(false);
    }
    expect(sorted(SERVICE_ACCOUNT_OWN_ONLY_PERMISSIONS)).toEqual(
      sorted(['run:update', 'run:stop', 'run:delete', 'sweep:delete']),
    );
  });

  it('R15 external viewers read; R14 external contributors also submit runs and reports; R119 SAs submit runs only', () => {
    expect(sorted(EXTERNAL_VIEWER_PERMISSIONS)).toEqual(
      sorted(['project:read', 'run:read', 'report:read', 'artifact:read']),
    );
    expect(sorted(EXTERNAL_CONTRIBUTOR_PERMISSIONS)).toEqual(
      sorted([...EXTERNAL_VIEWER_PERMISSIONS, 'run:create', 'report:create']),
    );
    expect(sorted(SERVICE_ACCOUNT_EXTERNAL_CONTRIBUTOR_PERMISSIONS)).toEqual(
      sorted([...EXTERNAL_VIEWER_PERMISSIONS, 'run:create']),
    );
  });
});

describe('§3.5 registry roles', () => {
  const ROLES: RegistryRole[] = ['restricted-viewer', 'viewer', 'member', 'admin'];

  it('R134 restricted viewer reads metadata only', () => {
    expect(sorted(REGISTRY_ROLE_PERMISSIONS['restricted-viewer'])).toEqual(['registry:read']);
  });

  it('R41 each role strictly extends the one below, admin holds every registry id', () => {
    for (let i = 1; i < ROLES.length; i++) {
      const lower = REGISTRY_ROLE_PERMISSIONS[ROLES[i - 1] as RegistryRole];
      const higher = REGISTRY_ROLE_PERMISSIONS[ROLES[i] as RegistryRole];
      for (const p of lower) expect(higher.has(p)).toBe(true);
      expect(higher.size).toBeGreaterThan(lower.size);
    }
    expect(sorted(REGISTRY_ROLE_PERMISSIONS.admin)).toEqual(sorted(REGISTRY_PERMISSIONS));
  });

  it('R129 only admin holds the protected-alias, visibility, membership and delete ids', () => {
    const adminOnly = [...REGISTRY_ROLE_PERMISSIONS.admin].filter(
      (p) => !REGISTRY_ROLE_PERMISSIONS.member.has(p),
    );
    expect(sorted(adminOnly)).toEqual(
      sorted([
        'registry:alias.protected',
        'registry:visibility.update',
        'registry:members.manage',
        'registry:delete',
      ]),
    );
  });

  it('R43 ordering RV < viewer < member < admin', () => {
    expect(ROLES.map(registryRoleRank)).toEqual([0, 1, 2, 3]);
    expect(maxRegistryRole('viewer', 'member')).toBe('member');
    expect(maxRegistryRole('admin', 'restricted-viewer')).toBe('admin');
    expect(maxRegistryRole('restricted-viewer', 'viewer')).toBe('viewer');
  });
});

describe('permissionsOfRole and roleGrant (R9, A46)', () => {
  const s = stateOf(
    fixtureF(),
    ev.customRole('Stopper', 'viewer', ['run:stop']),
    ev.customRole('Janitor', 'member', ['project:delete', 'run:delete']),
    ev.customRole('Sneaky', 'member', ['team:manage-members']),
  );

  it('built-in roles return their sets', () => {
    expect(sorted(permissionsOfRole(s, 'viewer'))).toEqual(sorted(VIEWER_BASE_PERMISSIONS));
    expect(sorted(permissionsOfRole(s, 'member'))).toEqual(sorted(MEMBER_BASE_PERMISSIONS));
    expect(sorted(permissionsOfRole(s, 'admin'))).toEqual(sorted(ADMIN_PERMISSIONS));
  });

  it('R9 a custom role is base ∪ added', () => {
    expect(sorted(permissionsOfRole(s, 'custom:Stopper'))).toEqual(
      sorted([...VIEWER_BASE_PERMISSIONS, 'run:stop']),
    );
    expect(sorted(permissionsOfRole(s, 'custom:Janitor'))).toEqual(
      sorted([...MEMBER_BASE_PERMISSIONS, 'project:delete']),
    );
  });

  it('§3.8 non-catalogue additions and unknown roles grant nothing', () => {
    expect(permissionsOfRole(s, 'custom:Sneaky').has('team:manage-members')).toBe(false);
    expect(permissionsOfRole(s, 'custom:Ghost').size).toBe(0);
    expect(roleGrant(s, 'custom:Ghost', 'run:read')).toBeNull();
  });

  it('A46 added permissions apply to any resource; base ones keep their qualifier', () => {
    expect(roleGrant(s, 'member', 'run:delete')).toBe('own');
    expect(roleGrant(s, 'custom:Janitor', 'run:delete')).toBe('any');
    expect(roleGrant(s, 'custom:Janitor', 'run:stop')).toBe('own');
    expect(roleGrant(s, 'custom:Stopper', 'run:stop')).toBe('any');
    expect(roleGrant(s, 'viewer', 'run:stop')).toBeNull();
    expect(roleGrant(s, 'admin', 'run:delete')).toBe('any');
  });

  it('§3.2 note 2 the legacy download flag removes artifact:download from viewer-based roles only', () => {
    const legacy = stateOf(
      fixtureF({ viewOnlyCanDownloadArtifacts: false }),
      ev.customRole('V', 'viewer', []),
    );
    expect(permissionsOfRole(legacy, 'viewer').has('artifact:download')).toBe(false);
    expect(permissionsOfRole(legacy, 'custom:V').has('artifact:download')).toBe(false);
    expect(permissionsOfRole(legacy, 'member').has('artifact:download')).toBe(true);
  });
});

describe('§3.6 defaults and A19 mapping', () => {
  it.each<[Partial<DeploymentProfile>, RegistryRole]>([
    [{ type: 'multi-tenant', serverVersion: '0.50.0' }, 'restricted-viewer'],
    [{ type: 'dedicated', serverVersion: '0.75.0' }, 'restricted-viewer'],
    [{ type: 'dedicated', serverVersion: '0.74.12' }, 'viewer'],
    [{ type: 'self-managed', serverVersion: '0.76.1' }, 'restricted-viewer'],
    [{ type: 'self-managed', serverVersion: '0.74.0' }, 'viewer'],
  ])('R135 default user/team registry role for %o is %s', (profile, expected) => {
    expect(defaultUserRegistryRole(stateOf(fixtureF(profile)))).toBe(expected);
  });

  it('A19 team role → registry role: admin, member, viewer, custom → its base, unknown custom → lowest', () => {
    const s = stateOf(
      fixtureF(),
      ev.customRole('CV', 'viewer', ['run:stop']),
      ev.customRole('CM', 'member', []),
    );
    expect(mapTeamRoleToRegistryRole(s, 'admin')).toBe('admin');
    expect(mapTeamRoleToRegistryRole(s, 'member')).toBe('member');
    expect(mapTeamRoleToRegistryRole(s, 'viewer')).toBe('viewer');
    expect(mapTeamRoleToRegistryRole(s, 'custom:CV')).toBe('viewer');
    expect(mapTeamRoleToRegistryRole(s, 'custom:CM')).toBe('member');
    expect(mapTeamRoleToRegistryRole(s, 'custom:Gone')).toBe('restricted-viewer');
  });
});
