import { check } from '../access';
import { given } from '../testing/given-when-then';
import { f, fixtureF } from './org-team.fixture';

const ADMIN = 'user:alice';

describe('CreateTeam', () => {
  it('R53 A49 an org admin creates a team and becomes its admin', () => {
    const w = given(fixtureF()).when('CreateTeam', { orgId: 'O', teamId: 'nlp', name: 'NLP' }, ADMIN);
    w.then([
      { type: 'TeamCreated', data: { teamId: 'nlp', name: 'NLP' }, causedBy: null },
      { type: 'TeamMemberAdded', data: { teamId: 'nlp', userId: 'alice', role: 'admin' }, causedBy: 0 },
    ]);
    expect(w.replayed().users.get('alice')?.teams.has('nlp')).toBe(true);
  });

  it('A49 the system actor creates a team without joining it', () => {
    given(fixtureF())
      .when('CreateTeam', { orgId: 'O', teamId: 'nlp', name: 'NLP' }, 'system')
      .then([{ type: 'TeamCreated' }]);
  });

  it('R53 an org member cannot create a team (403)', () => {
    given(fixtureF())
      .when('CreateTeam', { orgId: 'O', teamId: 'nlp', name: 'NLP' }, 'user:bob')
      .thenRejects('forbidden', 'R53');
  });

  it('R53 a service account cannot create a team (403)', () => {
    given(fixtureF())
      .when('CreateTeam', { orgId: 'O', teamId: 'nlp', name: 'NLP' }, 'sa:sa_org')
      .thenRejects('forbidden');
  });

  it('R53 a team id already taken is a conflict (409)', () => {
    given(fixtureF())
      .when('CreateTeam', { orgId: 'O', teamId: 'ml', name: 'ML again' }, ADMIN)
      .thenRejects('already_exists');
  });
});

describe('UpdateTeamSettings', () => {
  it('R78 R82 a team admin changes a setting; only changed values are recorded', () => {
    given(fixtureF())
      .when(
        'UpdateTeamSettings',
        { teamId: 'cv', futureProjectsPrivate: true, membersCanInvite: false },
        'user:erin',
      )
      .then([{ type: 'TeamPrivacySettingsChanged', data: { teamId: 'cv', futureProjectsPrivate: true } }])
      .forEach((e) => expect(e.data).not.toHaveProperty('membersCanInvite'));
  });

  it('R78 unchanged values are an idempotent no-op', () => {
    given([...fixtureF(), f.teamSettings('ml', { membersCanInvite: true })])
      .when('UpdateTeamSettings', { teamId: 'ml', membersCanInvite: true }, ADMIN)
      .then([]);
  });

  it('R77 A9 an org admin who is not in the team may change its settings', () => {
    given([...fixtureF(), f.user('ada', 'admin')])
      .when('UpdateTeamSettings', { teamId: 'ml', membersCanInvite: true }, 'user:ada')
      .then([{ type: 'TeamPrivacySettingsChanged', data: { membersCanInvite: true } }]);
  });

  it('R78 a team member cannot change team settings (403)', () => {
    given(fixtureF())
      .when('UpdateTeamSettings', { teamId: 'ml', membersCanInvite: true }, 'user:bob')
      .thenRejects('forbidden', 'R78');
  });

  it('R78 an admin of another team cannot change this team’s settings (403)', () => {
    given(fixtureF())
      .when('UpdateTeamSettings', { teamId: 'ml', membersCanInvite: true }, 'user:erin')
      .thenRejects('forbidden');
  });

  it('R85 C6 while future-project privacy is enforced any value for the setting is refused, the enforced one too', () => {
    const events = [...fixtureF(), f.policy('futureProjectPrivacy')];
    given(events)
      .when('UpdateTeamSettings', { teamId: 'ml', futureProjectsPrivate: false }, ADMIN)
      .thenRejects('rule', 'R85');
    given(events)
      .when('UpdateTeamSettings', { teamId: 'ml', futureProjectsPrivate: true }, ADMIN)
      .thenRejects('rule', 'R85');
  });

  it('R85 C6 invitation control locks membersCanInvite but leaves the other setting free', () => {
    const events = [...fixtureF(), f.policy('invitationControl')];
    given(events)
      .when('UpdateTeamSettings', { teamId: 'ml', membersCanInvite: true }, ADMIN)
      .thenRejects('rule', 'R85');
    given(events)
      .when('UpdateTeamSettings', { teamId: 'ml', futureProjectsPrivate: true }, ADMIN)
      .then([{ type: 'TeamPrivacySettingsChanged', data: { futureProjectsPrivate: true } }]);
  });

  it('R78 an unknown team is 404', () => {
    given(fixtureF())
      .when('UpdateTeamSettings', { teamId: 'ghost', membersCanInvite: true }, ADMIN)
      .thenRejects('not_found');
  });
});

describe('AddTeamMember', () => {
  it('R2 R79 A40 a team admin adds an org member, as member by default', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, ADMIN)
      .then([
        { type: 'TeamMemberAdded', data: { teamId: 'ml', userId: 'frank', role: 'member' }, causedBy: null },
      ]);
  });

  it('R2 a team admin may add another admin', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'cv', userId: 'frank', role: 'admin' }, 'user:erin')
      .then([{ type: 'TeamMemberAdded', data: { role: 'admin' } }]);
  });

  it('A40 an org viewer defaults to the viewer team role', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'vic' }, ADMIN)
      .then([{ type: 'TeamMemberAdded', data: { userId: 'vic', role: 'viewer' } }]);
  });

  it('R8 A40 an org viewer cannot be added with any other role (422 R8)', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'vic', role: 'member' }, ADMIN)
      .thenRejects('rule', 'R8');
  });

  it('R8 an org viewer cannot be added with a custom role (422 R8)', () => {
    given([...fixtureF(), f.customRole('LaunchMgr', 'viewer', ['launchqueue:create'])])
      .when('AddTeamMember', { teamId: 'ml', userId: 'vic', role: 'custom:LaunchMgr' }, ADMIN)
      .thenRejects('rule', 'R8');
  });

  it('R4 R79 a team member cannot invite by default (403)', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, 'user:bob')
      .thenRejects('forbidden', 'R79');
  });

  it('R83 with "members can invite" a team member invites', () => {
    given([...fixtureF(), f.teamSettings('ml', { membersCanInvite: true })])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank', role: 'viewer' }, 'user:bob')
      .then([{ type: 'TeamMemberAdded', data: { userId: 'frank', role: 'viewer' } }]);
  });

  it('R83 a team viewer still cannot invite when members can (403)', () => {
    given([...fixtureF(), f.teamSettings('ml', { membersCanInvite: true })])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, 'user:dave')
      .thenRejects('forbidden');
  });

  it('A43 an inviting member may not grant admin (403 A43)', () => {
    given([...fixtureF(), f.teamSettings('ml', { membersCanInvite: true })])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank', role: 'admin' }, 'user:bob')
      .thenRejects('forbidden', 'A43');
  });

  it('A43 an inviting member may grant a custom role on a member base', () => {
    given([
      ...fixtureF(),
      f.teamSettings('ml', { membersCanInvite: true }),
      f.customRole('Janitor', 'member', ['project:delete']),
    ])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank', role: 'custom:Janitor' }, 'user:bob')
      .then([{ type: 'TeamMemberAdded', data: { role: 'custom:Janitor' } }]);
  });

  it('R85 enforced invitation control stops inviting members even when the team allows it (403)', () => {
    given([...fixtureF(), f.teamSettings('ml', { membersCanInvite: true }), f.policy('invitationControl')])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, 'user:bob')
      .thenRejects('forbidden', 'R85');
  });

  it('R85 admins still invite under invitation control', () => {
    given([...fixtureF(), f.policy('invitationControl')])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, ADMIN)
      .then([{ type: 'TeamMemberAdded' }]);
  });

  it('R9 A46 a custom role that added team:invite may invite', () => {
    given([
      ...fixtureF(),
      f.customRole('Inviter', 'viewer', ['team:invite']),
      f.teamRole('ml', 'carol', 'member', 'custom:Inviter'),
    ])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, 'user:carol')
      .then([{ type: 'TeamMemberAdded', data: { userId: 'frank', role: 'member' } }]);
  });

  it('A1 custom roles cannot be granted while the feature is off (422 A1)', () => {
    given([...fixtureF({ customRoles: false }), f.customRole('Janitor', 'member')])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank', role: 'custom:Janitor' }, ADMIN)
      .thenRejects('rule', 'A1');
  });

  it('R7 an unknown custom role is 404', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank', role: 'custom:Ghost' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R62 A35 a service account cannot be added as a team member: its id is no user (404)', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'sa_org' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R79 a user outside the organization is 404', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'stranger' }, ADMIN)
      .thenRejects('not_found');
  });

  it('A39 a deactivated org member cannot be added (422)', () => {
    given([...fixtureF(), f.deactivate('frank')])
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, ADMIN)
      .thenRejects('rule', 'A39');
  });

  it('R79 an existing member is a conflict (409)', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'bob' }, ADMIN)
      .thenRejects('already_exists');
  });

  it('R79 a service account cannot invite (403)', () => {
    given(fixtureF())
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank' }, 'sa:sa_ml')
      .thenRejects('forbidden');
  });

  it('A39 a deactivated team admin cannot invite (403)', () => {
    given([...fixtureF(), f.deactivate('erin')])
      .when('AddTeamMember', { teamId: 'cv', userId: 'frank' }, 'user:erin')
      .thenRejects('forbidden');
  });
});

describe('AssignTeamRole', () => {
  it('R30 A4 C7 the project roles that follow the team role get an informational tracking event', () => {
    const w = given(fixtureF()).when(
      'AssignTeamRole',
      { teamId: 'ml', userId: 'carol', role: 'admin' },
      ADMIN,
    );
    // P_open gets none: Open/Public projects have no project-level roles (C7, R25).
    w.then([
      {
        type: 'TeamRoleChanged',
        data: { teamId: 'ml', userId: 'carol', from: 'member', to: 'admin', reason: 'assigned' },
        causedBy: null,
      },
      {
        type: 'ProjectRoleChanged',
        data: {
          projectId: 'P_team',
          userId: 'carol',
          from: 'member',
          to: 'admin',
          isOverride: false,
          reason: 'trackingTeamRole',
        },
        causedBy: 0,
      },
      {
        type: 'ProjectRoleChanged',
        data: { projectId: 'P_res', userId: 'carol', isOverride: false },
        causedBy: 0,
      },
    ]);
    const after = w.replayed();
    expect(after.teams.get('ml')?.members.get('carol')).toBe('admin');
    expect(check(after, 'user:carol', 'project:delete', 'project:P_team').allowed).toBe(true);
  });

  it('C7 a team member who is not invited to a restricted project gets no tracking event for it', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'dave', role: 'member' }, ADMIN)
      .then([
        { type: 'TeamRoleChanged' },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_team', userId: 'dave' }, causedBy: 0 },
      ]);
  });

  it('R31 a diverged override stays when the team role changes (T2)', () => {
    const w = given([...fixtureF(), f.override('P_team', 'carol', 'member', 'viewer')]).when(
      'AssignTeamRole',
      { teamId: 'ml', userId: 'carol', role: 'admin' },
      ADMIN,
    );
    w.then([
      { type: 'TeamRoleChanged' },
      { type: 'ProjectRoleChanged', data: { projectId: 'P_res' }, causedBy: 0 },
    ]);
    expect(w.replayed().projects.get('P_team')?.overrides.get('carol')).toBe('viewer');
  });

  it('A4 an override equal to the new team role has converged and is cleared', () => {
    const w = given([...fixtureF(), f.override('P_team', 'carol', 'member', 'admin')]).when(
      'AssignTeamRole',
      { teamId: 'ml', userId: 'carol', role: 'admin' },
      ADMIN,
    );
    w.then([
      { type: 'TeamRoleChanged' },
      {
        type: 'ProjectRoleOverrideCleared',
        data: { projectId: 'P_team', userId: 'carol', previous: 'admin', reason: 'converged' },
        causedBy: 0,
      },
      { type: 'ProjectRoleChanged', data: { projectId: 'P_res' }, causedBy: 0 },
    ]);
    expect(w.replayed().projects.get('P_team')?.overrides.has('carol')).toBe(false);
  });

  it('A6 an inactive override on an open project still follows tracking and converges', () => {
    given([
      ...fixtureF(),
      f.visibility('P_open', 'open', 'team'),
      f.override('P_open', 'carol', 'member', 'admin'),
      f.visibility('P_open', 'team', 'open'),
    ])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'admin' }, ADMIN)
      .then([
        { type: 'TeamRoleChanged' },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_team' } },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_res' } },
        {
          type: 'ProjectRoleOverrideCleared',
          data: { projectId: 'P_open', reason: 'converged' },
          causedBy: 0,
        },
      ]);
  });

  it('A5 R31 lowering the team role to viewer keeps a differing override (then frozen)', () => {
    const w = given([...fixtureF(), f.override('P_res', 'carol', 'member', 'admin')]).when(
      'AssignTeamRole',
      { teamId: 'ml', userId: 'carol', role: 'viewer' },
      ADMIN,
    );
    w.then([
      { type: 'TeamRoleChanged', data: { to: 'viewer' } },
      { type: 'ProjectRoleChanged', data: { projectId: 'P_team', to: 'viewer' } },
    ]);
    expect(w.replayed().projects.get('P_res')?.overrides.get('carol')).toBe('admin');
  });

  it('R77 assigning the role the member already has is an idempotent no-op', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'member' }, ADMIN)
      .then([]);
  });

  it('R8 an org viewer cannot get the member team role (422 R8, T38)', () => {
    given([...fixtureF(), f.member('ml', 'vic', 'viewer')])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'vic', role: 'member' }, ADMIN)
      .thenRejects('rule', 'R8');
  });

  it('R8 an org viewer cannot get a custom team role (422 R8, T7)', () => {
    given([
      ...fixtureF(),
      f.member('ml', 'vic', 'viewer'),
      f.customRole('LaunchMgr', 'viewer', ['launchqueue:create']),
    ])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'vic', role: 'custom:LaunchMgr' }, ADMIN)
      .thenRejects('rule', 'R8');
  });

  it('R8 an org member can be given a custom team role', () => {
    given([...fixtureF(), f.customRole('LaunchMgr', 'viewer', ['launchqueue:create'])])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: 'custom:LaunchMgr' }, ADMIN)
      .then([
        { type: 'TeamRoleChanged', data: { to: 'custom:LaunchMgr' } },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_team', to: 'custom:LaunchMgr' } },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_res', to: 'custom:LaunchMgr' } },
      ]);
  });

  it('A2 an org admin is eligible for a custom team role', () => {
    given([...fixtureF(), f.customRole('LaunchMgr', 'viewer'), f.orgRole('erin', 'member', 'admin')])
      .when('AssignTeamRole', { teamId: 'cv', userId: 'alice', role: 'custom:LaunchMgr' }, 'user:erin')
      .then([
        { type: 'TeamRoleChanged', data: { userId: 'alice', from: 'admin', to: 'custom:LaunchMgr' } },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_cv', userId: 'alice' }, causedBy: 0 },
      ]);
  });

  it('A1 custom roles cannot be assigned while the feature is off (422 A1)', () => {
    given([...fixtureF({ customRoles: false }), f.customRole('LaunchMgr', 'viewer')])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: 'custom:LaunchMgr' }, ADMIN)
      .thenRejects('rule', 'A1');
  });

  it('R72 an unknown custom role is 404', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: 'custom:Ghost' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R77 a user who is not a member of the team is 404', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'frank', role: 'admin' }, ADMIN)
      .thenRejects('not_found');
  });

  it('R62 R121 A35 a service account can never hold a team role (404: not a user)', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'sa_ml', role: 'member' }, ADMIN)
      .thenRejects('not_found');
  });

  it('A44 demoting the last team admin is allowed and flagged', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'alice', role: 'member' }, ADMIN)
      .then([
        { type: 'TeamRoleChanged', data: { userId: 'alice', from: 'admin', to: 'member' } },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_team', userId: 'alice' }, causedBy: 0 },
        { type: 'TeamHasNoAdminWarning', data: { teamId: 'ml' }, causedBy: 0 },
      ]);
  });

  it('A44 no warning while another admin remains', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'cv', userId: 'erin', role: 'member' }, ADMIN)
      .then([
        { type: 'TeamRoleChanged' },
        { type: 'ProjectRoleChanged', data: { projectId: 'P_cv', userId: 'erin' } },
      ]);
  });

  it('A44 a team that already had no admin is not flagged again', () => {
    given([...fixtureF(), f.team('nlp'), f.member('nlp', 'frank')])
      .when('AssignTeamRole', { teamId: 'nlp', userId: 'frank', role: 'viewer' }, ADMIN)
      .then([{ type: 'TeamRoleChanged', data: { teamId: 'nlp', userId: 'frank', to: 'viewer' } }]);
  });

  it('R77 A9 an org admin who is not in the team can change roles', () => {
    given([...fixtureF(), f.user('ada', 'admin')])
      .when('AssignTeamRole', { teamId: 'ml', userId: 'dave', role: 'member' }, 'user:ada')
      .then([{ type: 'TeamRoleChanged' }, { type: 'ProjectRoleChanged' }]);
  });

  it('R78 a team member cannot change team roles (403)', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'admin' }, 'user:bob')
      .thenRejects('forbidden', 'R77');
  });

  it('R78 a team viewer cannot change team roles (403)', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'dave', role: 'admin' }, 'user:dave')
      .thenRejects('forbidden');
  });

  it('A35 a service account cannot change team roles (403)', () => {
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'viewer' }, 'sa:sa_ml')
      .thenRejects('forbidden');
  });

  it('A39 a deactivated team admin cannot change team roles (403)', () => {
    given([...fixtureF(), f.deactivate('erin')])
      .when('AssignTeamRole', { teamId: 'cv', userId: 'alice', role: 'member' }, 'user:erin')
      .thenRejects('forbidden');
  });
});

describe('RemoveTeamMember', () => {
  it('R32 R107 R140 R81 A28 removal clears restricted membership and overrides, flags owned projects, and reports team-derived registry loss', () => {
    const w = given([
      ...fixtureF(),
      f.override('P_team', 'bob', 'member', 'viewer'),
      f.grant('R_org', 'team:ml', 'member'),
      f.registry('R_direct', 'restricted'),
      f.grant('R_direct', 'user:bob', 'member'),
      f.run('r_b', 'P_res', 'user:bob'),
    ]).when('RemoveTeamMember', { teamId: 'ml', userId: 'bob' }, ADMIN);
    w.then([
      { type: 'TeamMemberRemoved', data: { teamId: 'ml', userId: 'bob', reason: 'removed' }, causedBy: null },
      {
        type: 'ProjectRoleOverrideCleared',
        data: { projectId: 'P_team', userId: 'bob', previous: 'viewer', reason: 'leftTeam' },
        causedBy: 0,
      },
      {
        type: 'ProjectOwnerOrphaned',
        data: { projectId: 'P_team', owner: 'user:bob', teamId: 'ml' },
        causedBy: 0,
      },
      {
        type: 'RestrictedProjectMemberRemoved',
        data: { projectId: 'P_res', principal: 'user:bob', reason: 'leftTeam' },
        causedBy: 0,
      },
      { type: 'ProjectOwnerOrphaned', data: { projectId: 'P_res' }, causedBy: 0 },
      { type: 'ProjectOwnerOrphaned', data: { projectId: 'P_open' }, causedBy: 0 },
      {
        type: 'RegistryAccessViaTeamLost',
        data: { registryId: 'R_ml', userId: 'bob', teamId: 'ml' },
        causedBy: 0,
      },
      {
        type: 'RegistryAccessViaTeamLost',
        data: { registryId: 'R_org', userId: 'bob', teamId: 'ml' },
        causedBy: 0,
      },
    ]);
    const after = w.replayed();
    expect(after.teams.get('ml')?.members.has('bob')).toBe(false);
    expect(after.users.get('bob')?.teams.has('ml')).toBe(false);
    expect(after.projects.get('P_res')?.owner).toBe('user:bob'); // R24: ownership kept until changed
    expect(after.registries.get('R_direct')?.grants.get('user:bob')).toBe('member'); // A28
    expect(after.registries.get('R_ml')?.grants.get('user:bob')).toBe('admin'); // A28: direct grant stays
    expect(after.runs.get('r_b')?.creator).toBe('user:bob'); // R80
  });

  it('R80 runs created by the removed user are untouched', () => {
    const events = given([...fixtureF(), f.run('r_c', 'P_team', 'user:carol')])
      .when('RemoveTeamMember', { teamId: 'ml', userId: 'carol' }, ADMIN)
      .events();
    expect(events.some((e) => e.type.startsWith('Run'))).toBe(false);
  });

  it('R2 a team admin removes another admin; A44 the last admin leaving is flagged', () => {
    given(fixtureF())
      .when('RemoveTeamMember', { teamId: 'cv', userId: 'alice' }, 'user:erin')
      .then([{ type: 'TeamMemberRemoved', data: { userId: 'alice' } }]);
    given([...fixtureF(), f.user('ada', 'admin')])
      .when('RemoveTeamMember', { teamId: 'ml', userId: 'alice' }, 'user:ada')
      .then([
        { type: 'TeamMemberRemoved', data: { userId: 'alice' } },
        { type: 'RegistryAccessViaTeamLost', data: { registryId: 'R_ml' } },
        { type: 'TeamHasNoAdminWarning', data: { teamId: 'ml' }, causedBy: 0 },
      ]);
  });

  it('A44 removing a non-admin from a team without admin is not flagged', () => {
    given([...fixtureF(), f.team('nlp'), f.member('nlp', 'frank')])
      .when('RemoveTeamMember', { teamId: 'nlp', userId: 'frank' }, ADMIN)
      .then([{ type: 'TeamMemberRemoved', data: { teamId: 'nlp', userId: 'frank' } }]);
  });

  it('R78 a team member cannot remove members (403)', () => {
    given(fixtureF())
      .when('RemoveTeamMember', { teamId: 'ml', userId: 'carol' }, 'user:bob')
      .thenRejects('forbidden', 'R78');
  });

  it('R78 a deactivated org admin cannot remove members (403)', () => {
    given([...fixtureF(), f.user('ada', 'admin'), f.deactivate('ada')])
      .when('RemoveTeamMember', { teamId: 'ml', userId: 'carol' }, 'user:ada')
      .thenRejects('forbidden');
  });

  it('R78 removing someone who is not a member is 404', () => {
    given(fixtureF())
      .when('RemoveTeamMember', { teamId: 'ml', userId: 'erin' }, ADMIN)
      .thenRejects('not_found');
  });
});

describe('CreateServiceAccount', () => {
  it('R117 an org admin creates an org-scoped SA with a default team', () => {
    given(fixtureF())
      .when('CreateServiceAccount', { orgId: 'O', serviceAccountId: 'ci', scope: 'org', teamId: 'cv' }, ADMIN)
      .then([
        { type: 'ServiceAccountCreated', data: { serviceAccountId: 'ci', scope: 'org', teamId: 'cv' } },
      ]);
  });

  it('R117 the default team must exist (404)', () => {
    given(fixtureF())
      .when(
        'CreateServiceAccount',
        { orgId: 'O', serviceAccountId: 'ci', scope: 'org', teamId: 'ghost' },
        ADMIN,
      )
      .thenRejects('not_found');
  });

  it('R117 a team admin who is not org admin cannot create an org-scoped SA (403)', () => {
    given(fixtureF())
      .when(
        'CreateServiceAccount',
        { orgId: 'O', serviceAccountId: 'ci', scope: 'org', teamId: 'cv' },
        'user:erin',
      )
      .thenRejects('forbidden', 'R117');
  });

  it('R118 a team admin creates a team-scoped SA for their team', () => {
    const w = given(fixtureF()).when(
      'CreateServiceAccount',
      { orgId: 'O', serviceAccountId: 'cv_bot', scope: 'team', teamId: 'cv' },
      'user:erin',
    );
    w.then([{ type: 'ServiceAccountCreated', data: { scope: 'team', teamId: 'cv' } }]);
    expect(w.replayed().teams.get('cv')?.serviceAccounts.has('cv_bot')).toBe(true);
  });

  it('R118 a team member cannot create a team-scoped SA (403)', () => {
    given(fixtureF())
      .when(
        'CreateServiceAccount',
        { orgId: 'O', serviceAccountId: 'ml_bot', scope: 'team', teamId: 'ml' },
        'user:bob',
      )
      .thenRejects('forbidden', 'R118');
  });

  it('R118 a service account cannot create service accounts (403)', () => {
    given(fixtureF())
      .when(
        'CreateServiceAccount',
        { orgId: 'O', serviceAccountId: 'ml_bot', scope: 'team', teamId: 'ml' },
        'sa:sa_org',
      )
      .thenRejects('forbidden');
  });

  it('R117 an id already taken is a conflict (409)', () => {
    given(fixtureF())
      .when(
        'CreateServiceAccount',
        { orgId: 'O', serviceAccountId: 'sa_ml', scope: 'team', teamId: 'ml' },
        ADMIN,
      )
      .thenRejects('already_exists');
  });
});

describe('DeleteServiceAccount', () => {
  it('R21 R118 deleting an SA removes its restricted-project memberships and registry grants as cascades', () => {
    const w = given([...fixtureF(), f.join('P_res', 'sa:sa_ml'), f.grant('R_ml', 'sa:sa_ml', 'member')]).when(
      'DeleteServiceAccount',
      { serviceAccountId: 'sa_ml' },
      ADMIN,
    );
    w.then([
      { type: 'ServiceAccountDeleted', data: { serviceAccountId: 'sa_ml' }, causedBy: null },
      {
        type: 'RestrictedProjectMemberRemoved',
        data: { projectId: 'P_res', principal: 'sa:sa_ml', reason: 'serviceAccountDeleted' },
        causedBy: 0,
      },
      {
        type: 'RegistryMemberRemoved',
        data: { registryId: 'R_ml', member: 'sa:sa_ml', reason: 'serviceAccountDeleted' },
        causedBy: 0,
      },
    ]);
    const after = w.replayed();
    expect(after.serviceAccounts.has('sa_ml')).toBe(false);
    expect(after.teams.get('ml')?.serviceAccounts.has('sa_ml')).toBe(false);
  });

  it('R118 a team admin deletes their team’s SA', () => {
    given([...fixtureF(), f.sa('cv_bot', 'team', 'cv')])
      .when('DeleteServiceAccount', { serviceAccountId: 'cv_bot' }, 'user:erin')
      .then([{ type: 'ServiceAccountDeleted' }]);
  });

  it('R118 an admin of another team cannot delete it (403)', () => {
    given(fixtureF())
      .when('DeleteServiceAccount', { serviceAccountId: 'sa_ml' }, 'user:erin')
      .thenRejects('forbidden', 'R118');
  });

  it('R117 a team admin cannot delete an org-scoped SA (403)', () => {
    given([...fixtureF(), f.member('ml', 'erin', 'admin')])
      .when('DeleteServiceAccount', { serviceAccountId: 'sa_org' }, 'user:erin')
      .thenRejects('forbidden', 'R117');
  });

  it('R121 a service account cannot delete itself (403)', () => {
    given(fixtureF())
      .when('DeleteServiceAccount', { serviceAccountId: 'sa_ml' }, 'sa:sa_ml')
      .thenRejects('forbidden');
  });

  it('R118 an unknown SA is 404', () => {
    given(fixtureF())
      .when('DeleteServiceAccount', { serviceAccountId: 'ghost' }, ADMIN)
      .thenRejects('not_found');
  });
});

describe('R1 built-in and custom team roles', () => {
  it('R1 a team member can hold each built-in role — admin, member, viewer — and a custom role besides', () => {
    const events = [...fixtureF(), f.customRole('Ops', 'viewer', ['run:stop'])];
    for (const [from, to] of [
      ['member', 'admin'],
      ['member', 'viewer'],
      ['member', 'custom:Ops'],
    ] as const) {
      // Then the tracking cascade of bob's projects (A4, C7), which this test does not look at.
      const [first] = given(events)
        .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: to }, ADMIN)
        .events();
      expect(first).toMatchObject({ type: 'TeamRoleChanged', data: { userId: 'bob', from, to } });
    }
    // A custom role exists only once an org admin has created it (R1: "in addition" to the built-ins).
    given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'bob', role: 'custom:Ops' }, ADMIN)
      .thenRejects('not_found');
  });
});

describe('R12 the view-only team role in every deployment', () => {
  it('R12 C4 the view-only role is on in every deployment type (no viewOnlyRole licence gate in v1)', () => {
    for (const type of ['multi-tenant', 'dedicated', 'self-managed'] as const) {
      const w = given(fixtureF({ type })).when(
        'AddTeamMember',
        { teamId: 'ml', userId: 'frank', role: 'viewer' },
        ADMIN,
      );
      w.then([{ type: 'TeamMemberAdded', data: { teamId: 'ml', userId: 'frank', role: 'viewer' } }]);
      const s = w.replayed();
      expect(check(s, 'user:frank', 'project:read', 'project:P_team').allowed).toBe(true);
      expect(check(s, 'user:frank', 'run:create', 'project:P_team')).toMatchObject({
        allowed: false,
        role: 'viewer',
      });
    }
  });
});

describe('R71 custom roles are defined once per org and assigned per team', () => {
  it('R71 a custom role created at org level is assigned in any team of the org, as built-in roles are (R72)', () => {
    const events = [...fixtureF(), f.customRole('Ops', 'viewer', ['run:stop'])];
    given(events)
      .when('AddTeamMember', { teamId: 'ml', userId: 'frank', role: 'custom:Ops' }, ADMIN)
      .then([{ type: 'TeamMemberAdded', data: { teamId: 'ml', role: 'custom:Ops' } }]);
    // The same org-level definition serves another team, assigned by that team's own admin.
    const w = given(events).when(
      'AddTeamMember',
      { teamId: 'cv', userId: 'frank', role: 'custom:Ops' },
      'user:erin',
    );
    w.then([{ type: 'TeamMemberAdded', data: { teamId: 'cv', role: 'custom:Ops' } }]);
    // Its permissions are the base plus the added ones (R9) in that team's projects.
    const s = w.replayed();
    expect(check(s, 'user:frank', 'run:stop', 'project:P_cv').allowed).toBe(true);
    expect(check(s, 'user:frank', 'run:create', 'project:P_cv').allowed).toBe(false);
  });
});

describe('R116 service accounts in every deployment', () => {
  it('R116 C4 service accounts of both scopes can be created in every deployment type', () => {
    for (const type of ['multi-tenant', 'dedicated', 'self-managed'] as const) {
      given(fixtureF({ type }))
        .when(
          'CreateServiceAccount',
          { orgId: 'O', serviceAccountId: 'bot', scope: 'org', teamId: 'ml' },
          ADMIN,
        )
        .then([
          { type: 'ServiceAccountCreated', data: { serviceAccountId: 'bot', scope: 'org', teamId: 'ml' } },
        ]);
      given(fixtureF({ type }))
        .when(
          'CreateServiceAccount',
          { orgId: 'O', serviceAccountId: 'bot', scope: 'team', teamId: 'cv' },
          'user:erin',
        )
        .then([{ type: 'ServiceAccountCreated', data: { scope: 'team', teamId: 'cv' } }]);
    }
  });
});

describe('R139 service accounts are kept apart from users', () => {
  it('R139 a new service account joins no user list: not an org user, not a team member, listed with the team SAs', () => {
    const w = given(fixtureF()).when(
      'CreateServiceAccount',
      { orgId: 'O', serviceAccountId: 'bot', scope: 'team', teamId: 'ml' },
      ADMIN,
    );
    w.then([{ type: 'ServiceAccountCreated' }]);
    const before = given(fixtureF()).state;
    const s = w.replayed();
    expect(s.users.size).toBe(before.users.size);
    expect(s.users.has('bot')).toBe(false);
    expect(s.teams.get('ml')?.members.has('bot')).toBe(false);
    expect(s.teams.get('ml')?.members.size).toBe(before.teams.get('ml')?.members.size);
    expect(s.teams.get('ml')?.serviceAccounts.has('bot')).toBe(true);
    // Being no user, it cannot be given a team role either (R62).
    given([...fixtureF(), f.sa('bot', 'team', 'ml')])
      .when('AddTeamMember', { teamId: 'ml', userId: 'bot' }, ADMIN)
      .thenRejects('not_found');
  });
});

describe('C8 stored event names', () => {
  it('C8 a team-role change and a removal are stored under the §4.3 names, cascades included', () => {
    // carol: member of ml, invited to the restricted P_res; P_team is team-scope (C7 tracking).
    const changed = given(fixtureF())
      .when('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'admin' }, ADMIN)
      .events()
      .map((e) => e.type);
    expect(changed[0]).toBe('TeamRoleChanged');
    expect(changed.slice(1)).toEqual(changed.slice(1).map(() => 'ProjectRoleChanged'));
    expect(changed.length).toBeGreaterThan(1);
    const removed = given(fixtureF())
      .when('RemoveTeamMember', { teamId: 'ml', userId: 'carol' }, ADMIN)
      .events()
      .map((e) => e.type);
    expect(removed).toContain('TeamMemberRemoved');
    expect(removed).toContain('RestrictedProjectMemberRemoved');
  });
});
