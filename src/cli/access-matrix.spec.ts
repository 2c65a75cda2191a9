import { f, fixtureF, fixtureRF } from '../domain/testing/fixture-f';
import { accessEntry, accessMatrix, diffAccess, OWN_SUFFIX } from './access-matrix';
import { customRoleTransform } from './commands/what-if';
import { readModelOf } from './testing/read-models';

describe('access matrix', () => {
  it('R5/R3: own-only project grants carry the (own) suffix; an admin holds them on any run', () => {
    const state = readModelOf(fixtureF()).org('O');
    if (!state) throw new Error('no org');
    const bob = accessEntry(state, 'user:bob', 'project:P_team');
    expect(bob).toMatchObject({ access: 'role', role: 'member' });
    expect(bob.permissions).toContain(`run:delete${OWN_SUFFIX}`);
    expect(bob.permissions).not.toContain('run:delete');
    const alice = accessEntry(state, 'user:alice', 'project:P_team');
    expect(alice.permissions).toContain('run:delete');
    expect(alice.permissions).not.toContain(`run:delete${OWN_SUFFIX}`);
  });

  it('A10: a team admin outside a restricted project is manage-only: management, no content', () => {
    const state = readModelOf(fixtureF()).org('O');
    if (!state) throw new Error('no org');
    const entry = accessEntry(state, 'user:alice', 'project:P_res');
    expect(entry.access).toBe('manage-only');
    expect(entry.permissions).toContain('project:delete');
    expect(entry.permissions).not.toContain('project:read');
  });

  it('leaves out pairs without access and evaluates a filtered outsider (R14: open project)', () => {
    const rm = readModelOf(fixtureF());
    const rows = accessMatrix(rm, { principal: 'user:zed' });
    expect(rows.map((r) => `${r.resource} ${r.entry.access}`)).toEqual([
      'project:P_cv_open external-contributor',
      'project:P_cv_pub external-viewer',
    ]);
  });

  it('A9: an org admin reaches every team as admin; team rows show team roles', () => {
    const rows = accessMatrix(readModelOf(fixtureF()), { resource: 'team' });
    const of = (p: string, r: string) => rows.find((x) => x.principal === p && x.resource === r)?.entry;
    expect(of('user:dave', 'team:ml')).toMatchObject({ access: 'role', role: 'viewer' });
    expect(of('user:dave', 'team:cv')).toBeUndefined();
    expect(of('sa:sa_ml', 'team:ml')).toMatchObject({ access: 'service-account', role: 'member' });
  });
});

describe('diffAccess', () => {
  it('A4: carol member → admin of ml gains project:delete on P_team, and nothing else moves for others', () => {
    const before = readModelOf(fixtureRF());
    const after = readModelOf([...fixtureRF(), f.teamRole('ml', 'carol', 'member', 'admin')]);
    const changes = diffAccess(before, after);
    expect(new Set(changes.map((c) => c.principal))).toEqual(new Set(['user:carol']));
    const pTeam = changes.find((c) => c.resource === 'project:P_team');
    expect(pTeam).toMatchObject({ before: { role: 'member' }, after: { role: 'admin' } });
    expect(pTeam?.gained).toEqual(expect.arrayContaining(['project:delete', 'run:delete']));
    expect(pTeam?.lost).toContain(`run:delete${OWN_SUFFIX}`);
    expect(changes.map((c) => c.resource).sort()).toEqual([
      'project:P_res',
      'project:P_team',
      'registry:R_ml',
      'team:ml',
    ]);
  });

  it('a user removed from the org between the positions shows as a loss on every resource', () => {
    const before = readModelOf(fixtureF());
    const after = readModelOf([
      ...fixtureF(),
      { type: 'TeamMemberRemoved', data: { teamId: 'ml', userId: 'bob', reason: 'leftOrganization' } },
      { type: 'UserRemovedFromOrganization', data: { orgId: 'O', userId: 'bob' } },
    ]);
    const changes = diffAccess(before, after, { principal: 'user:bob' });
    const org = changes.find((c) => c.resource === 'org:O');
    expect(org).toMatchObject({ before: { access: 'active', role: 'member' }, after: { access: 'none' } });
    // R14/R15 still apply to the ex-member as an outsider of the open/public projects.
    expect(changes.find((c) => c.resource === 'project:P_cv_open')).toBeUndefined();
    expect(changes.find((c) => c.resource === 'project:P_team')?.after.access).toBe('none');
  });

  it('is empty for identical histories', () => {
    expect(diffAccess(readModelOf(fixtureRF()), readModelOf(fixtureRF()))).toEqual([]);
  });
});

describe('what-if custom role transform', () => {
  const history = [
    ...fixtureF(),
    f.customRole('runner', 'member', ['project:update']),
    f.member('cv', 'frank', 'custom:runner'),
    f.run('r-erin', 'P_cv', 'user:erin'),
  ];

  it('A46: adding run:delete turns the holder’s own-only run:delete into run:delete on any run', () => {
    const actual = readModelOf(history);
    const modified = readModelOf(history, customRoleTransform('O', 'runner', ['run:delete'], []));
    const changes = diffAccess(actual, modified);
    // Every project of cv, frank's team; nobody else holds the role.
    expect(changes.map((c) => c.resource)).toEqual(['project:P_cv', 'project:P_cv_open', 'project:P_cv_pub']);
    for (const c of changes) {
      expect(c).toMatchObject({
        principal: 'user:frank',
        gained: ['run:delete'],
        lost: [`run:delete${OWN_SUFFIX}`],
      });
    }
  });

  it('keeps a removed permission out of later additions and an added one in spite of later removals', () => {
    const t = customRoleTransform('O', 'runner', ['run:stop'], ['project:update']);
    const rm = readModelOf(
      [
        ...history,
        {
          type: 'CustomRolePermissionsAdded',
          data: { orgId: 'O', roleId: 'runner', permissions: ['project:update'] },
        },
        {
          type: 'CustomRolePermissionsRemoved',
          data: { orgId: 'O', roleId: 'runner', permissions: ['run:stop'] },
        },
      ],
      t,
    );
    expect([...(rm.org('O')?.customRoles.get('runner')?.added ?? [])]).toEqual(['run:stop']);
  });
});
