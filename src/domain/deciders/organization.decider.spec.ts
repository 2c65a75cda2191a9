import { check } from '../access';
import { given } from '../testing/given-when-then';
import { f, fixtureF } from './org-team.fixture';

const ADMIN = 'user:alice';

describe('CreateOrganization', () => {
  it('R50 R122 the founder becomes org admin and the two core registries are provisioned as cascades', () => {
    given([], 'N')
      .when('CreateOrganization', { orgId: 'N', name: 'New', founderUserId: 'zoe' }, 'system')
      .then([
        {
          type: 'OrganizationCreated',
          data: { orgId: 'N', name: 'New', founderUserId: 'zoe' },
          causedBy: null,
        },
        {
          type: 'UserJoinedOrganization',
          data: { orgId: 'N', userId: 'zoe', role: 'admin' },
          causedBy: null,
        },
        { type: 'CoreRegistryProvisioned', data: { registryId: 'N.models' }, causedBy: 0 },
        { type: 'CoreRegistryProvisioned', data: { registryId: 'N.datasets' }, causedBy: 0 },
      ]);
  });

  it('C4 without a deployment the profile takes the documented defaults', () => {
    const w = given([], 'N').when(
      'CreateOrganization',
      { orgId: 'N', name: 'New', founderUserId: 'zoe' },
      'system',
    );
    expect(w.events()[0]?.data).toEqual({
      orgId: 'N',
      name: 'New',
      founderUserId: 'zoe',
      profile: {
        type: 'dedicated',
        serverVersion: '0.75.0',
        customRoles: true,
        orgViewerMode: 'legacy',
        clampOverridesOnViewOnly: false,
        allowRestrictedToOrganization: true,
        viewOnlyCanDownloadArtifacts: true,
      },
    });
  });

  it('C4 an explicit deployment is kept and the remaining flags default', () => {
    const w = given([], 'N').when(
      'CreateOrganization',
      {
        orgId: 'N',
        name: 'New',
        founderUserId: 'zoe',
        deployment: { type: 'multi-tenant', serverVersion: '0.74.2', customRoles: false },
      },
      'system',
    );
    expect(w.replayed().profile).toMatchObject({
      type: 'multi-tenant',
      serverVersion: '0.74.2',
      customRoles: false,
      orgViewerMode: 'legacy',
    });
  });

  it('R50 only the system actor creates organizations (403 for a user)', () => {
    given([], 'N')
      .when('CreateOrganization', { orgId: 'N', name: 'New', founderUserId: 'zoe' }, 'user:zoe')
      .thenRejects('forbidden');
  });

  it('R50 an organization cannot be created twice (409)', () => {
    given(f.org())
      .when('CreateOrganization', { orgId: 'O', name: 'Again', founderUserId: 'zoe' }, 'system')
      .thenRejects('already_exists');
  });
});

describe('AddUserToOrganization', () => {
  it('R51 an org admin adds a user, as member by default', () => {
    given(fixtureF())
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina' }, ADMIN)
      .then([{ type: 'UserJoinedOrganization', data: { userId: 'nina', role: 'member' } }]);
  });

  it('R51 the requested org role is kept (legacy org viewer, A3)', () => {
    given(fixtureF())
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina', role: 'viewer' }, ADMIN)
      .then([{ type: 'UserJoinedOrganization', data: { userId: 'nina', role: 'viewer' } }]);
  });

  it('A3 in scimMapping mode a requested org viewer is stored as member', () => {
    given(fixtureF({ orgViewerMode: 'scimMapping' }))
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina', role: 'viewer' }, ADMIN)
      .then([{ type: 'UserJoinedOrganization', data: { userId: 'nina', role: 'member' } }]);
  });

  it('R51 a user already in the org is a conflict (409)', () => {
    given(fixtureF())
      .when('AddUserToOrganization', { orgId: 'O', userId: 'bob' }, ADMIN)
      .thenRejects('already_exists');
  });

  it('R51 a plain org member cannot add users (403)', () => {
    given(fixtureF())
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina' }, 'user:bob')
      .thenRejects('forbidden', 'R51');
  });

  it('R51 a service account cannot add users (403)', () => {
    given(fixtureF())
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina' }, 'sa:sa_org')
      .thenRejects('forbidden');
  });

  it('A39 a deactivated org admin can do nothing (403)', () => {
    given([...fixtureF(), f.user('ada', 'admin'), f.deactivate('ada')])
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina' }, 'user:ada')
      .thenRejects('forbidden');
  });

  it('R51 a user of another organization has no authority here (403)', () => {
    given(fixtureF())
      .when('AddUserToOrganization', { orgId: 'O', userId: 'nina' }, 'user:stranger')
      .thenRejects('forbidden');
  });

  it('R51 commands against an organization that does not exist are 404', () => {
    given([], 'X')
      .when('AddUserToOrganization', { orgId: 'X', userId: 'nina' }, 'system')
      .thenRejects('not_found');
  });
});

describe('ChangeOrganizationRole', () => {
  it('R51 an org admin promotes a member to admin', () => {
    given(fixtureF())
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'bob', role: 'admin' }, ADMIN)
      .then([
        { type: 'OrgRoleChanged', data: { userId: 'bob', from: 'member', to: 'admin' }, causedBy: null },
      ]);
  });

  it('R51 assigning the role the user already has is an idempotent no-op', () => {
    given(fixtureF())
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'bob', role: 'member' }, ADMIN)
      .then([]);
  });

  it('R51 a member cannot change org roles, not even their own (403)', () => {
    given(fixtureF())
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'bob', role: 'admin' }, 'user:bob')
      .thenRejects('forbidden', 'R51');
  });

  it('R51 a team admin who is not org admin cannot change org roles (403)', () => {
    given(fixtureF())
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'bob', role: 'viewer' }, 'user:erin')
      .thenRejects('forbidden');
  });

  it('R54 A34 the last active org admin cannot demote themselves (422)', () => {
    given(fixtureF())
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'alice', role: 'member' }, ADMIN)
      .thenRejects('rule', 'A34');
  });

  it('A34 a deactivated second admin does not count as the remaining admin', () => {
    given([...fixtureF(), f.user('ada', 'admin'), f.deactivate('ada')])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'alice', role: 'member' }, ADMIN)
      .thenRejects('rule', 'A34');
  });

  it('A34 with another active admin the demotion is allowed', () => {
    given([...fixtureF(), f.orgRole('bob', 'member', 'admin')])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'alice', role: 'member' }, ADMIN)
      .then([{ type: 'OrgRoleChanged', data: { userId: 'alice', from: 'admin', to: 'member' } }]);
  });

  it('R62 a service-account id does not resolve as a user (404)', () => {
    given(fixtureF())
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'sa_ml', role: 'admin' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R60 A3 becoming org viewer: team roles to viewer with tracking, overrides cleared, registry viewer where lower', () => {
    // T38: carol has an admin override on P_res and a member grant on the restricted R_ml.
    const w = given([
      ...fixtureF(),
      f.override('P_res', 'carol', 'member', 'admin'),
      f.grant('R_ml', 'user:carol', 'member'),
    ]).when('ChangeOrganizationRole', { orgId: 'O', userId: 'carol', role: 'viewer' }, ADMIN);
    w.then([
      { type: 'OrgRoleChanged', data: { userId: 'carol', from: 'member', to: 'viewer' }, causedBy: null },
      {
        type: 'TeamRoleChanged',
        data: { teamId: 'ml', userId: 'carol', from: 'member', to: 'viewer', reason: 'orgViewer' },
        causedBy: 0,
      },
      {
        type: 'ProjectRoleChanged',
        data: {
          projectId: 'P_team',
          userId: 'carol',
          from: 'member',
          to: 'viewer',
          isOverride: false,
          reason: 'trackingTeamRole',
        },
        causedBy: 1,
      },
      {
        type: 'ProjectRoleOverrideCleared',
        data: { projectId: 'P_res', userId: 'carol', previous: 'admin', reason: 'orgViewer' },
        causedBy: 1,
      },
      {
        type: 'RegistryMemberAdded',
        data: { registryId: 'O.models', member: 'user:carol', role: 'viewer' },
        causedBy: 0,
      },
      {
        type: 'RegistryMemberAdded',
        data: { registryId: 'O.datasets', member: 'user:carol', role: 'viewer' },
        causedBy: 0,
      },
      {
        type: 'RegistryMemberAdded',
        data: { registryId: 'R_org', member: 'user:carol', role: 'viewer' },
        causedBy: 0,
      },
    ]);
    const after = w.replayed();
    expect(after.teams.get('ml')?.members.get('carol')).toBe('viewer');
    expect(after.projects.get('P_res')?.overrides.has('carol')).toBe(false);
    expect(after.registries.get('R_ml')?.grants.get('user:carol')).toBe('member');
    expect(after.users.get('carol')?.orgRole).toBe('viewer');
  });

  it('A3 custom team roles become viewer too, and a lower direct grant is raised to viewer', () => {
    given([
      ...fixtureF(),
      f.customRole('Stopper', 'member', ['run:stop']),
      f.teamRole('ml', 'bob', 'member', 'custom:Stopper'),
      f.grant('R_org', 'user:bob', 'restricted-viewer'),
      f.grant('O.models', 'user:bob', 'member'),
    ])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'bob', role: 'viewer' }, ADMIN)
      .then([
        { type: 'OrgRoleChanged', causedBy: null },
        {
          type: 'TeamRoleChanged',
          data: { from: 'custom:Stopper', to: 'viewer', reason: 'orgViewer' },
          causedBy: 0,
        },
        {
          type: 'ProjectRoleChanged',
          data: { projectId: 'P_team', from: 'custom:Stopper', to: 'viewer' },
          causedBy: 1,
        },
        {
          type: 'ProjectRoleChanged',
          data: { projectId: 'P_res', from: 'custom:Stopper', to: 'viewer' },
          causedBy: 1,
        },
        { type: 'RegistryMemberAdded', data: { registryId: 'O.datasets', role: 'viewer' }, causedBy: 0 },
        {
          type: 'RegistryRoleChanged',
          data: { registryId: 'R_org', from: 'restricted-viewer', to: 'viewer', reason: 'orgViewer' },
          causedBy: 0,
        },
      ]);
  });

  it('A3 A5 a frozen override of a team viewer is cleared, caused by the org role change itself', () => {
    // dave's team role is already viewer: no TeamRoleChanged, the override was frozen (A5).
    given([
      ...fixtureF(),
      f.teamRole('ml', 'dave', 'viewer', 'member'),
      f.override('P_team', 'dave', 'member', 'admin'),
      f.teamRole('ml', 'dave', 'member', 'viewer'),
    ])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'dave', role: 'viewer' }, ADMIN)
      .then([
        { type: 'OrgRoleChanged', causedBy: null },
        {
          type: 'ProjectRoleOverrideCleared',
          data: { projectId: 'P_team', userId: 'dave', previous: 'admin', reason: 'orgViewer' },
          causedBy: 0,
        },
        { type: 'RegistryMemberAdded', data: { registryId: 'O.models' } },
        { type: 'RegistryMemberAdded', data: { registryId: 'O.datasets' } },
        { type: 'RegistryMemberAdded', data: { registryId: 'R_org' } },
      ]);
  });

  it('A3 a registry where a team grant already gives viewer needs no grant', () => {
    const events = given([...fixtureF(), f.grant('R_org', 'team:ml', 'viewer')])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'frank', role: 'viewer' }, ADMIN)
      .events();
    // frank is in no team: only the org-visible registries without another viewer source get a grant.
    expect(events.map((e) => e.type)).toEqual([
      'OrgRoleChanged',
      'RegistryMemberAdded',
      'RegistryMemberAdded',
      'RegistryMemberAdded',
    ]);
    const withTeamGrant = given([...fixtureF(), f.grant('R_org', 'team:ml', 'viewer')])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'carol', role: 'viewer' }, ADMIN)
      .events()
      .filter((e) => e.type === 'RegistryMemberAdded')
      .map((e) => (e.type === 'RegistryMemberAdded' ? e.data.registryId : ''));
    expect(withTeamGrant).toEqual(['O.models', 'O.datasets']);
  });

  it('A3 an org admin demoted to viewer loses the admin contribution, so grants are added', () => {
    const events = given([...fixtureF(), f.orgRole('bob', 'member', 'admin')])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'alice', role: 'viewer' }, ADMIN)
      .events();
    expect(events.filter((e) => e.type === 'RegistryMemberAdded')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'TeamRoleChanged')).toHaveLength(2);
  });

  it('R8 after the viewer cascade the user can only be viewer in a team', () => {
    const w = given(fixtureF()).when(
      'ChangeOrganizationRole',
      { orgId: 'O', userId: 'carol', role: 'viewer' },
      ADMIN,
    );
    const after = w.replayed();
    expect(after.users.get('carol')?.orgRole).toBe('viewer');
    expect(
      [...after.teams.values()].every((t) => [undefined, 'viewer'].includes(t.members.get('carol'))),
    ).toBe(true);
  });

  it('A3 in scimMapping mode the stored role stays member but the viewer cascade still runs', () => {
    given(fixtureF({ orgViewerMode: 'scimMapping' }))
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'carol', role: 'viewer' }, ADMIN)
      .then([
        { type: 'TeamRoleChanged', data: { to: 'viewer', reason: 'orgViewer' }, causedBy: null },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_team' }, causedBy: 0 },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_res' }, causedBy: 0 },
        { type: 'RegistryMemberAdded', causedBy: null },
        { type: 'RegistryMemberAdded', causedBy: null },
        { type: 'RegistryMemberAdded', causedBy: null },
      ]);
  });

  it('A3 repeating the viewer request changes nothing', () => {
    const w = given(fixtureF()).when(
      'ChangeOrganizationRole',
      { orgId: 'O', userId: 'carol', role: 'viewer' },
      ADMIN,
    );
    const first = w.events();
    given([...fixtureF(), ...first])
      .when('ChangeOrganizationRole', { orgId: 'O', userId: 'carol', role: 'viewer' }, ADMIN)
      .then([]);
  });
});

describe('RemoveUserFromOrganization', () => {
  it('A38 R32 R140 R81 C9 the user leaves every team, restricted project and registry grant; ownership is kept', () => {
    const w = given([
      ...fixtureF(),
      f.override('P_team', 'bob', 'member', 'viewer'),
      f.registryOwner('R_ml', 'user:bob'),
      f.run('r1', 'P_team', 'user:bob'),
    ]).when('RemoveUserFromOrganization', { orgId: 'O', userId: 'bob' }, ADMIN);
    w.then([
      { type: 'UserRemovedFromOrganization', data: { userId: 'bob' }, causedBy: null },
      {
        type: 'TeamMemberRemoved',
        data: { teamId: 'ml', userId: 'bob', reason: 'leftOrganization' },
        causedBy: 0,
      },
      {
        type: 'ProjectRoleOverrideCleared',
        data: { projectId: 'P_team', userId: 'bob', previous: 'viewer', reason: 'leftTeam' },
        causedBy: 1,
      },
      {
        type: 'ProjectOwnerOrphaned',
        data: { projectId: 'P_team', owner: 'user:bob', teamId: 'ml' },
        causedBy: 1,
      },
      {
        type: 'RestrictedProjectMemberRemoved',
        data: { projectId: 'P_res', principal: 'user:bob', reason: 'leftOrganization' },
        causedBy: 1,
      },
      { type: 'ProjectOwnerOrphaned', data: { projectId: 'P_res' }, causedBy: 1 },
      { type: 'ProjectOwnerOrphaned', data: { projectId: 'P_open' }, causedBy: 1 },
      {
        type: 'RegistryAccessViaTeamLost',
        data: { registryId: 'R_ml', userId: 'bob', teamId: 'ml' },
        causedBy: 1,
      },
      {
        type: 'RegistryMemberRemoved',
        data: { registryId: 'R_ml', member: 'user:bob', reason: 'leftOrganization' },
        causedBy: 0,
      },
    ]);
    const after = w.replayed();
    expect(after.users.has('bob')).toBe(false);
    expect(after.teams.get('ml')?.members.has('bob')).toBe(false);
    expect(after.projects.get('P_res')?.restrictedMembers.has('user:bob')).toBe(false);
    expect(after.registries.get('R_ml')?.grants.has('user:bob')).toBe(false);
    expect(after.registries.get('R_ml')?.owner).toBe('user:bob'); // C9
    expect(after.projects.get('P_team')?.owner).toBe('user:bob'); // R140
    expect(after.runs.has('r1')).toBe(true); // R80
  });

  it('A38 C5 a restricted membership outside the user’s teams (admin self-join) is removed too', () => {
    given([...fixtureF(), f.user('ada', 'admin'), f.join('P_res', 'user:ada')])
      .when('RemoveUserFromOrganization', { orgId: 'O', userId: 'ada' }, ADMIN)
      .then([
        { type: 'UserRemovedFromOrganization', causedBy: null },
        {
          type: 'RestrictedProjectMemberRemoved',
          data: { projectId: 'P_res', principal: 'user:ada', reason: 'leftOrganization' },
          causedBy: 0,
        },
      ]);
  });

  it('A44 removing the only admin of a team emits TeamHasNoAdminWarning', () => {
    given([...fixtureF(), f.team('nlp'), f.member('nlp', 'frank', 'admin')])
      .when('RemoveUserFromOrganization', { orgId: 'O', userId: 'frank' }, ADMIN)
      .then([
        { type: 'UserRemovedFromOrganization' },
        { type: 'TeamMemberRemoved', data: { teamId: 'nlp' }, causedBy: 0 },
        { type: 'TeamHasNoAdminWarning', data: { teamId: 'nlp' }, causedBy: 1 },
      ]);
  });

  it('R54 A34 the last active admin cannot be removed (422)', () => {
    given(fixtureF())
      .when('RemoveUserFromOrganization', { orgId: 'O', userId: 'alice' }, ADMIN)
      .thenRejects('rule', 'A34');
  });

  it('A34 another admin may remove an admin while one remains', () => {
    const events = given([...fixtureF(), f.orgRole('bob', 'member', 'admin')])
      .when('RemoveUserFromOrganization', { orgId: 'O', userId: 'alice' }, 'user:bob')
      .events();
    expect(events[0]?.type).toBe('UserRemovedFromOrganization');
  });

  it('R51 a member cannot remove users (403)', () => {
    given(fixtureF())
      .when('RemoveUserFromOrganization', { orgId: 'O', userId: 'carol' }, 'user:bob')
      .thenRejects('forbidden');
  });

  it('R51 removing someone not in the org is 404', () => {
    given(fixtureF())
      .when('RemoveUserFromOrganization', { orgId: 'O', userId: 'nobody' }, ADMIN)
      .thenRejects('not_found');
  });
});

describe('DeactivateUser / ReactivateUser', () => {
  it('A39 on dedicated deactivation keeps the memberships, inert', () => {
    const w = given(fixtureF()).when('DeactivateUser', { orgId: 'O', userId: 'carol' }, ADMIN);
    w.then([{ type: 'UserDeactivated', data: { userId: 'carol' } }]);
    const after = w.replayed();
    expect(after.users.get('carol')?.status).toBe('deactivated');
    expect(after.teams.get('ml')?.members.get('carol')).toBe('member');
    expect(after.projects.get('P_res')?.restrictedMembers.has('user:carol')).toBe(true);
    expect(check(after, 'user:carol', 'run:read', 'project:P_team').allowed).toBe(false);
  });

  it('A39 deactivating an already deactivated user is a no-op', () => {
    given([...fixtureF(), f.deactivate('carol')])
      .when('DeactivateUser', { orgId: 'O', userId: 'carol' }, ADMIN)
      .then([]);
  });

  it('A34 the last active admin cannot be deactivated (422)', () => {
    given(fixtureF())
      .when('DeactivateUser', { orgId: 'O', userId: 'alice' }, ADMIN)
      .thenRejects('rule', 'A34');
  });

  it('A39 a member cannot deactivate users (403)', () => {
    given(fixtureF())
      .when('DeactivateUser', { orgId: 'O', userId: 'carol' }, 'user:bob')
      .thenRejects('forbidden');
  });

  it('R63 on multi-tenant deactivation removes the user from the org with the A38 cascade', () => {
    given(fixtureF({ type: 'multi-tenant' }))
      .when('DeactivateUser', { orgId: 'O', userId: 'carol' }, ADMIN)
      .then([
        { type: 'UserRemovedFromOrganization', data: { userId: 'carol' }, causedBy: null },
        { type: 'TeamMemberRemoved', data: { teamId: 'ml', reason: 'leftOrganization' }, causedBy: 0 },
        {
          type: 'RestrictedProjectMemberRemoved',
          data: { projectId: 'P_res', principal: 'user:carol' },
          causedBy: 1,
        },
        { type: 'RegistryAccessViaTeamLost', data: { registryId: 'R_ml' }, causedBy: 1 },
      ]);
  });

  it('A39 reactivation restores the user with their memberships unchanged', () => {
    const w = given([...fixtureF(), f.deactivate('carol')]).when(
      'ReactivateUser',
      { orgId: 'O', userId: 'carol' },
      ADMIN,
    );
    w.then([{ type: 'UserReactivated', data: { userId: 'carol' } }]);
    expect(check(w.replayed(), 'user:carol', 'run:read', 'project:P_res').allowed).toBe(true);
  });

  it('A39 reactivating an active user is a no-op', () => {
    given(fixtureF()).when('ReactivateUser', { orgId: 'O', userId: 'carol' }, ADMIN).then([]);
  });

  it('R63 C3 reactivation is not supported on multi-tenant (422 R63)', () => {
    given(fixtureF({ type: 'multi-tenant' }))
      .when('ReactivateUser', { orgId: 'O', userId: 'carol' }, ADMIN)
      .thenRejects('rule', 'R63');
  });

  it('C3 on multi-tenant a user no longer in the org is 404', () => {
    given(fixtureF({ type: 'multi-tenant' }))
      .when('ReactivateUser', { orgId: 'O', userId: 'gone' }, ADMIN)
      .thenRejects('not_found');
  });

  it('A39 a deactivated user cannot reactivate themselves (403)', () => {
    given([...fixtureF(), f.deactivate('carol')])
      .when('ReactivateUser', { orgId: 'O', userId: 'carol' }, 'user:carol')
      .thenRejects('forbidden');
  });
});

describe('SetOrganizationPolicy', () => {
  it('R85 an org admin enforces a policy', () => {
    given(fixtureF())
      .when('SetOrganizationPolicy', { orgId: 'O', policy: 'invitationControl', enforced: true }, ADMIN)
      .then([{ type: 'OrgPrivacyPolicyEnforced', data: { policy: 'invitationControl' } }]);
  });

  it('R85 enforcing an already enforced policy is a no-op', () => {
    given([...fixtureF(), f.policy('futureProjectPrivacy')])
      .when('SetOrganizationPolicy', { orgId: 'O', policy: 'futureProjectPrivacy', enforced: true }, ADMIN)
      .then([]);
  });

  it('R85 releasing an enforced policy', () => {
    given([...fixtureF(), f.policy('futureProjectPrivacy')])
      .when('SetOrganizationPolicy', { orgId: 'O', policy: 'futureProjectPrivacy', enforced: false }, ADMIN)
      .then([{ type: 'OrgPrivacyPolicyReleased', data: { policy: 'futureProjectPrivacy' } }]);
  });

  it('R85 a team admin who is not org admin cannot enforce org policies (403)', () => {
    given(fixtureF())
      .when('SetOrganizationPolicy', { orgId: 'O', policy: 'invitationControl', enforced: true }, 'user:erin')
      .thenRejects('forbidden', 'R85');
  });
});

describe('CreateCustomRole', () => {
  it('R7 R9 an org admin creates a custom role on a base with added permissions', () => {
    given(fixtureF())
      .when(
        'CreateCustomRole',
        {
          orgId: 'O',
          roleId: 'LaunchMgr',
          name: 'Launch Manager',
          base: 'viewer',
          permissions: ['launchqueue:create', 'launchqueue:update'],
        },
        ADMIN,
      )
      .then([
        {
          type: 'CustomRoleCreated',
          data: {
            roleId: 'LaunchMgr',
            name: 'Launch Manager',
            description: '',
            base: 'viewer',
            permissions: ['launchqueue:create', 'launchqueue:update'],
          },
        },
      ]);
  });

  it('R9 A15 project:create can be added to a viewer base', () => {
    given(fixtureF())
      .when(
        'CreateCustomRole',
        {
          orgId: 'O',
          roleId: 'Maker',
          name: 'Maker',
          base: 'viewer',
          permissions: ['project:create', 'project:create'],
        },
        ADMIN,
      )
      .then([{ type: 'CustomRoleCreated', data: { permissions: ['project:create'] } }]);
  });

  it('R9 a permission already inherited from the base is refused (422 R9)', () => {
    const err = given(fixtureF())
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'member', permissions: ['run:create'] },
        ADMIN,
      )
      .thenRejects('rule', 'R9');
    expect(err.message).toContain('already inherited from base member');
  });

  it('R9 a viewer-base permission is inherited by a viewer base too', () => {
    given(fixtureF())
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'viewer', permissions: ['run:read'] },
        ADMIN,
      )
      .thenRejects('rule', 'R9');
  });

  it('R68 a permission outside the §3.8 catalogue is a validation error (400)', () => {
    given(fixtureF())
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'viewer', permissions: ['registry:delete'] },
        ADMIN,
      )
      .thenRejects('validation');
  });

  it('A1 with custom roles disabled creation is refused (422 A1)', () => {
    given(fixtureF({ customRoles: false }))
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'viewer', permissions: [] },
        ADMIN,
      )
      .thenRejects('rule', 'A1');
  });

  it('R7 an existing or deleted role id is a conflict (409)', () => {
    given([...fixtureF(), f.customRole('X', 'viewer')])
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'viewer', permissions: [] },
        ADMIN,
      )
      .thenRejects('already_exists');
    given([...fixtureF(), f.customRole('X', 'viewer'), f.deleteCustomRole('X', 'viewer')])
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'viewer', permissions: [] },
        ADMIN,
      )
      .thenRejects('already_exists');
  });

  it('R7 a team admin who is not org admin cannot compose custom roles (403)', () => {
    given(fixtureF())
      .when(
        'CreateCustomRole',
        { orgId: 'O', roleId: 'X', name: 'X', base: 'viewer', permissions: [] },
        'user:erin',
      )
      .thenRejects('forbidden', 'R7');
  });
});

describe('UpdateCustomRole', () => {
  const withRole = () => [
    ...fixtureF(),
    f.customRole('Stopper', 'viewer', ['run:stop']),
    f.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
  ];

  it('R68 A32 details, added and removed permissions each get their event', () => {
    given(withRole())
      .when(
        'UpdateCustomRole',
        {
          orgId: 'O',
          roleId: 'Stopper',
          name: 'Run stopper',
          addPermissions: ['run:delete'],
          removePermissions: ['run:stop'],
        },
        ADMIN,
      )
      .then([
        { type: 'CustomRoleDetailsChanged', data: { roleId: 'Stopper', name: 'Run stopper' } },
        { type: 'CustomRolePermissionsAdded', data: { permissions: ['run:delete'] } },
        { type: 'CustomRolePermissionsRemoved', data: { permissions: ['run:stop'] } },
      ]);
  });

  it('A32 edits take effect immediately for every holder (roles are referenced by id)', () => {
    const w = given(withRole()).when(
      'UpdateCustomRole',
      { orgId: 'O', roleId: 'Stopper', addPermissions: ['run:create'] },
      ADMIN,
    );
    expect(check(w.replayed(), 'user:carol', 'run:create', 'project:P_team').allowed).toBe(true);
    const removed = given(withRole()).when(
      'UpdateCustomRole',
      { orgId: 'O', roleId: 'Stopper', removePermissions: ['run:stop'] },
      ADMIN,
    );
    expect(check(removed.replayed(), 'user:carol', 'run:stop', 'project:P_team').allowed).toBe(false);
  });

  it('A32 removing an inherited permission is refused (422 A32)', () => {
    given(withRole())
      .when('UpdateCustomRole', { orgId: 'O', roleId: 'Stopper', removePermissions: ['run:read'] }, ADMIN)
      .thenRejects('rule', 'A32');
  });

  it('A32 removing a permission the role does not hold, or re-adding one it holds, is a no-op', () => {
    given(withRole())
      .when(
        'UpdateCustomRole',
        {
          orgId: 'O',
          roleId: 'Stopper',
          name: 'Stopper',
          addPermissions: ['run:stop'],
          removePermissions: ['run:delete'],
        },
        ADMIN,
      )
      .then([]);
  });

  it('R9 adding a permission the base already grants is refused (422 R9)', () => {
    given(withRole())
      .when('UpdateCustomRole', { orgId: 'O', roleId: 'Stopper', addPermissions: ['report:comment'] }, ADMIN)
      .thenRejects('rule', 'R9');
  });

  it('R68 an unknown permission is a validation error (400)', () => {
    given(withRole())
      .when('UpdateCustomRole', { orgId: 'O', roleId: 'Stopper', addPermissions: ['nope:nope'] }, ADMIN)
      .thenRejects('validation');
  });

  it('A32 an unknown role is 404', () => {
    given(withRole())
      .when('UpdateCustomRole', { orgId: 'O', roleId: 'Ghost', name: 'G' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R7 a role holder cannot edit the role (403)', () => {
    given(withRole())
      .when(
        'UpdateCustomRole',
        { orgId: 'O', roleId: 'Stopper', addPermissions: ['run:delete'] },
        'user:carol',
      )
      .thenRejects('forbidden');
  });
});

describe('DeleteCustomRole', () => {
  it('R69 A31 holders fall back to the base with tracking; overrides of the role are replaced by the base', () => {
    const w = given([
      ...fixtureF(),
      f.customRole('Stopper', 'viewer', ['run:stop']),
      f.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
      f.override('P_team', 'bob', 'member', 'custom:Stopper'),
    ]).when('DeleteCustomRole', { orgId: 'O', roleId: 'Stopper' }, ADMIN);
    w.then([
      { type: 'CustomRoleDeleted', data: { roleId: 'Stopper', base: 'viewer' }, causedBy: null },
      {
        type: 'TeamRoleChanged',
        data: {
          teamId: 'ml',
          userId: 'carol',
          from: 'custom:Stopper',
          to: 'viewer',
          reason: 'customRoleDeleted',
        },
        causedBy: 0,
      },
      {
        type: 'ProjectRoleChanged',
        data: {
          projectId: 'P_team',
          userId: 'carol',
          to: 'viewer',
          isOverride: false,
          reason: 'trackingTeamRole',
        },
        causedBy: 1,
      },
      {
        type: 'ProjectRoleChanged',
        data: { projectId: 'P_res', userId: 'carol', to: 'viewer', isOverride: false },
        causedBy: 1,
      },
      {
        type: 'ProjectRoleChanged',
        data: {
          projectId: 'P_team',
          userId: 'bob',
          from: 'custom:Stopper',
          to: 'viewer',
          isOverride: true,
          reason: 'customRoleDeleted',
        },
        causedBy: 0,
      },
    ]);
    const after = w.replayed();
    expect(after.customRoles.has('Stopper')).toBe(false);
    expect(after.teams.get('ml')?.members.get('carol')).toBe('viewer');
    expect(after.projects.get('P_team')?.overrides.get('bob')).toBe('viewer');
  });

  it('A31 A4 an override whose base equals the team role is cleared', () => {
    given([
      ...fixtureF(),
      f.customRole('Janitor', 'member', ['project:delete']),
      f.override('P_team', 'bob', 'member', 'custom:Janitor'),
    ])
      .when('DeleteCustomRole', { orgId: 'O', roleId: 'Janitor' }, ADMIN)
      .then([
        { type: 'CustomRoleDeleted', causedBy: null },
        {
          type: 'ProjectRoleOverrideCleared',
          data: {
            projectId: 'P_team',
            userId: 'bob',
            previous: 'custom:Janitor',
            reason: 'customRoleDeleted',
          },
          causedBy: 0,
        },
      ]);
  });

  it('A31 A4 a holder’s override equal to the base converges and is cleared', () => {
    given([
      ...fixtureF(),
      f.customRole('Stopper', 'viewer', ['run:stop']),
      f.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
      f.override('P_team', 'carol', 'custom:Stopper', 'viewer'),
    ])
      .when('DeleteCustomRole', { orgId: 'O', roleId: 'Stopper' }, ADMIN)
      .then([
        { type: 'CustomRoleDeleted' },
        { type: 'TeamRoleChanged', causedBy: 0 },
        {
          type: 'ProjectRoleOverrideCleared',
          data: { projectId: 'P_team', userId: 'carol', previous: 'viewer', reason: 'converged' },
          causedBy: 1,
        },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_res', userId: 'carol' }, causedBy: 1 },
      ]);
  });

  it('R69 an unknown role is 404', () => {
    given(fixtureF())
      .when('DeleteCustomRole', { orgId: 'O', roleId: 'Ghost' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R7 a member cannot delete custom roles (403)', () => {
    given([...fixtureF(), f.customRole('Stopper', 'viewer')])
      .when('DeleteCustomRole', { orgId: 'O', roleId: 'Stopper' }, 'user:bob')
      .thenRejects('forbidden');
  });
});

describe('R10 custom roles in every deployment', () => {
  it('R10 custom roles can be created in every deployment type when the feature is on (C4 default)', () => {
    for (const type of ['multi-tenant', 'dedicated', 'self-managed'] as const) {
      given(fixtureF({ type }))
        .when(
          'CreateCustomRole',
          { orgId: 'O', roleId: 'Ops', name: 'Ops', base: 'viewer', permissions: ['run:stop'] },
          ADMIN,
        )
        .then([
          { type: 'CustomRoleCreated', data: { roleId: 'Ops', base: 'viewer', permissions: ['run:stop'] } },
        ]);
    }
  });
});

describe('R75 the custom-roles licence', () => {
  it('R75 A1 without the licence a dedicated or self-managed org neither creates nor assigns custom roles', () => {
    for (const type of ['dedicated', 'self-managed'] as const) {
      given(fixtureF({ type, customRoles: false }))
        .when(
          'CreateCustomRole',
          { orgId: 'O', roleId: 'Ops', name: 'Ops', base: 'member', permissions: [] },
          ADMIN,
        )
        .thenRejects('rule', 'A1');
      // A role defined while the licence was on can no longer be handed out.
      given([...fixtureF({ type, customRoles: false }), f.customRole('Ops', 'member')])
        .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: 'custom:Ops' }, ADMIN)
        .thenRejects('rule', 'A1');
    }
    // With the licence the same assignment goes through.
    const [first] = given([...fixtureF({ type: 'self-managed' }), f.customRole('Ops', 'member')])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: 'custom:Ops' }, ADMIN)
      .events();
    expect(first).toMatchObject({ type: 'TeamRoleChanged', data: { to: 'custom:Ops' } });
  });
});

describe('C10 which rule a refusal cites', () => {
  it('C10 a non-admin’s SetOrganizationPolicy cites the command’s key rule R85, not the check’s own R51', () => {
    expect(check(given(fixtureF()).state, 'user:bob', 'org:manage-users', 'org:O').rule).toBe('R51');
    given(fixtureF())
      .when('SetOrganizationPolicy', { orgId: 'O', policy: 'invitationControl', enforced: true }, 'user:bob')
      .thenRejects('forbidden', 'R85');
  });

  it('C10 a non-admin’s DeactivateUser cites A39 (api.md key rule) and CreateTeam cites R53', () => {
    given(fixtureF())
      .when('DeactivateUser', { orgId: 'O', userId: 'carol' }, 'user:bob')
      .thenRejects('forbidden', 'A39');
    expect(check(given(fixtureF()).state, 'user:bob', 'org:create-team', 'org:O').allowed).toBe(false);
    given(fixtureF())
      .when('CreateTeam', { orgId: 'O', teamId: 'nlp', name: 'NLP' }, 'user:bob')
      .thenRejects('forbidden', 'R53');
  });
});
