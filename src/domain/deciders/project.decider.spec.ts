import { check, projectAccess } from '../access';
import type { AnyDomainEvent } from '../events';
import { given, stateAfter, type GivenEvent } from '../testing/given-when-then';
import { f, fixtureF } from '../testing/fixture-f';

/**
 * Extra people on top of fixture F:
 *  oscar — org admin in no team (A9, C5); tina — admin of team ml by team role only;
 *  mia — member of ml who is not in P_res; sa_org — org SA (default team cv); sa_cv — team SA of cv.
 */
function world(...extra: GivenEvent[]): GivenEvent[] {
  return [
    ...fixtureF(),
    f.user('oscar', 'admin'),
    f.user('tina'),
    f.member('ml', 'tina', 'admin'),
    f.user('mia'),
    f.member('ml', 'mia', 'member'),
    f.sa('sa_org', 'org', 'cv'),
    f.sa('sa_cv', 'team', 'cv'),
    ...extra,
  ];
}

const fold = (events: GivenEvent[], produced: AnyDomainEvent[]) => stateAfter([...events, ...produced]);

describe('CreateProject', () => {
  it('A15 a team member creates a project and becomes its owner; visibility defaults to team', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'user:bob')
      .then([
        {
          type: 'ProjectCreated',
          data: { projectId: 'P1', teamId: 'ml', name: 'p1', visibility: 'team', owner: 'user:bob' },
        },
      ]);
  });

  it('A15 a view-only team member may not create a project (forbidden)', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'user:dave')
      .thenRejects('forbidden');
  });

  it('A15 a custom role with base viewer may create a project only with the added project:create', () => {
    const events = world(
      f.customRole('Creator', 'viewer', ['project:create']),
      f.customRole('Plain', 'viewer'),
    );
    given([...events, f.teamRole('ml', 'dave', 'viewer', 'custom:Creator')])
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'user:dave')
      .then([{ type: 'ProjectCreated', data: { owner: 'user:dave' } }]);
    given([...events, f.teamRole('ml', 'dave', 'viewer', 'custom:Plain')])
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'user:dave')
      .thenRejects('forbidden');
  });

  it('A15 a member of another team may not create a project in this team (forbidden)', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'user:erin')
      .thenRejects('forbidden');
  });

  it('A15 A9 an org admin outside the team may create a project and owns it', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'user:oscar')
      .then([{ type: 'ProjectCreated', data: { owner: 'user:oscar', teamId: 'ml' } }]);
  });

  it('A15 a service account in scope creates projects (team SA in its team, org SA anywhere); a team SA elsewhere may not', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'sa:sa_ml')
      .then([{ type: 'ProjectCreated', data: { owner: 'sa:sa_ml' } }]);
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'sa:sa_org')
      .then([{ type: 'ProjectCreated', data: { owner: 'sa:sa_org' } }]);
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'sa:sa_cv')
      .thenRejects('forbidden');
  });

  it('A15 the system actor cannot create a project: it cannot be the owner (forbidden)', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1' }, 'system')
      .thenRejects('forbidden');
  });

  it('a project in an unknown team is not_found; a taken or retired project id is already_exists', () => {
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'nope', name: 'p1' }, 'user:alice')
      .thenRejects('not_found');
    given(world())
      .when('CreateProject', { projectId: 'P_team', teamId: 'ml', name: 'x' }, 'user:bob')
      .thenRejects('already_exists');
    given(world(f.deleteProject('P_team', 'ml')))
      .when('CreateProject', { projectId: 'P_team', teamId: 'ml', name: 'x' }, 'user:bob')
      .thenRejects('already_exists');
  });

  it('R19 A7 a restricted project gets its owner and each invitee as members, caused by the creation', () => {
    given(world())
      .when(
        'CreateProject',
        {
          projectId: 'P1',
          teamId: 'ml',
          name: 'p1',
          visibility: 'restricted',
          invitees: ['user:carol', 'user:bob', 'sa:sa_ml', 'sa:sa_org', 'user:carol'],
        },
        'user:bob',
      )
      .then([
        { type: 'ProjectCreated', data: { visibility: 'restricted', owner: 'user:bob' } },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { projectId: 'P1', principal: 'user:bob', reason: 'owner' },
          causedBy: 0,
        },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'user:carol', reason: 'invitee' },
          causedBy: 0,
        },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'sa:sa_ml', reason: 'invitee' },
          causedBy: 0,
        },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'sa:sa_org', reason: 'invitee' },
          causedBy: 0,
        },
      ]);
  });

  it('A11 an invitee outside the parent team (user of another team, team SA of another team, org admin) is refused', () => {
    for (const invitee of ['user:erin', 'sa:sa_cv', 'user:oscar']) {
      given(world())
        .when(
          'CreateProject',
          { projectId: 'P1', teamId: 'ml', name: 'p1', visibility: 'restricted', invitees: [invitee] },
          'user:bob',
        )
        .thenRejects('rule', 'A11');
    }
  });

  it('R19 invitees are only accepted for a restricted project', () => {
    given(world())
      .when(
        'CreateProject',
        { projectId: 'P1', teamId: 'ml', name: 'p1', visibility: 'team', invitees: ['user:carol'] },
        'user:bob',
      )
      .thenRejects('rule', 'R19');
  });

  it('R84 A13 while the team keeps future projects private, open and public are refused, team and restricted allowed', () => {
    const events = world(f.futureProjectsPrivate('ml'));
    for (const visibility of ['open', 'public'] as const) {
      given(events)
        .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1', visibility }, 'user:bob')
        .thenRejects('rule', 'R84');
    }
    given(events)
      .when('CreateProject', { projectId: 'P1', teamId: 'ml', name: 'p1', visibility: 'team' }, 'user:bob')
      .then([{ type: 'ProjectCreated', data: { visibility: 'team' } }]);
    given(events)
      .when(
        'CreateProject',
        { projectId: 'P1', teamId: 'ml', name: 'p1', visibility: 'restricted' },
        'user:bob',
      )
      .then([
        { type: 'ProjectCreated', data: { visibility: 'restricted' } },
        { type: 'RestrictedProjectMemberAdded', causedBy: 0 },
      ]);
  });

  it('R85 an enforced org privacy policy refuses public projects in every team, even where the team switch is off', () => {
    given(world(f.policy('futureProjectPrivacy')))
      .when('CreateProject', { projectId: 'P1', teamId: 'cv', name: 'p1', visibility: 'public' }, 'user:erin')
      .thenRejects('rule', 'R84');
    given(world())
      .when('CreateProject', { projectId: 'P1', teamId: 'cv', name: 'p1', visibility: 'public' }, 'user:erin')
      .then([{ type: 'ProjectCreated', data: { visibility: 'public' } }]);
  });
});

describe('ChangeProjectVisibility', () => {
  it('R106 R18 the owner, even a plain member, changes the visibility: one event', () => {
    given(world())
      .when('ChangeProjectVisibility', { projectId: 'P_team', visibility: 'public' }, 'user:bob')
      .then([
        { type: 'ProjectVisibilityChanged', data: { projectId: 'P_team', from: 'team', to: 'public' } },
      ]);
  });

  it('R106 a view-only owner may change the visibility (T19); a member who is not the owner may not', () => {
    given(world(f.owner('P_team', 'user:bob', 'user:dave')))
      .when('ChangeProjectVisibility', { projectId: 'P_team', visibility: 'restricted' }, 'user:dave')
      .then([
        { type: 'ProjectVisibilityChanged', data: { to: 'restricted' } },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'user:dave', reason: 'owner' },
          causedBy: 0,
        },
      ]);
    given(world())
      .when('ChangeProjectVisibility', { projectId: 'P_team', visibility: 'public' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('R106 C1 team admins (by team role) and org admins outside the team change the visibility', () => {
    for (const actor of ['user:tina', 'user:oscar']) {
      given(world())
        .when('ChangeProjectVisibility', { projectId: 'P_team', visibility: 'open' }, actor)
        .then([{ type: 'ProjectVisibilityChanged', data: { from: 'team', to: 'open' } }]);
    }
  });

  it('R84 A13 no change to open or public while future projects are private, not even public → open', () => {
    const events = world(...f.project('P_pub', 'ml', 'public', 'user:bob'), f.futureProjectsPrivate('ml'));
    given(events)
      .when('ChangeProjectVisibility', { projectId: 'P_team', visibility: 'public' }, 'user:bob')
      .thenRejects('rule', 'R84');
    given(events)
      .when('ChangeProjectVisibility', { projectId: 'P_pub', visibility: 'open' }, 'user:bob')
      .thenRejects('rule', 'R84');
    given(world(f.policy('futureProjectPrivacy')))
      .when('ChangeProjectVisibility', { projectId: 'P_cv', visibility: 'open' }, 'user:erin')
      .thenRejects('rule', 'R84');
  });

  it('A13 an existing public project may still move to team while future projects are private', () => {
    given(world(...f.project('P_pub', 'ml', 'public', 'user:bob'), f.futureProjectsPrivate('ml')))
      .when('ChangeProjectVisibility', { projectId: 'P_pub', visibility: 'team' }, 'user:bob')
      .then([{ type: 'ProjectVisibilityChanged', data: { from: 'public', to: 'team' } }]);
  });

  it('R23 A8 restricted → team is always allowed and dissolves the member list, keeping overrides', () => {
    const events = world(
      f.override('P_res', 'carol', 'member', 'admin'),
      f.futureProjectsPrivate('ml'),
      f.policy('futureProjectPrivacy'),
    );
    const produced = given(events)
      .when('ChangeProjectVisibility', { projectId: 'P_res', visibility: 'team' }, 'user:bob')
      .then([
        { type: 'ProjectVisibilityChanged', data: { from: 'restricted', to: 'team' } },
        { type: 'RestrictedMembershipDissolved', data: { projectId: 'P_res' }, causedBy: 0 },
      ]);
    const after = fold(events, produced);
    expect(after.projects.get('P_res')?.restrictedMembers.size).toBe(0);
    expect(after.projects.get('P_res')?.overrides.get('carol')).toBe('admin');
  });

  it('R107 restricted → team gives every team member access; team → restricted takes it from the non-invited', () => {
    const events = world();
    const opened = fold(
      events,
      given(events)
        .when('ChangeProjectVisibility', { projectId: 'P_res', visibility: 'team' }, 'user:bob')
        .events(),
    );
    expect(check(opened, 'user:mia', 'run:read', 'project:P_res').allowed).toBe(true);
    const closed = fold(
      events,
      given(events)
        .when(
          'ChangeProjectVisibility',
          { projectId: 'P_team', visibility: 'restricted', invitees: ['user:carol'] },
          'user:bob',
        )
        .events(),
    );
    expect(check(closed, 'user:mia', 'run:read', 'project:P_team').allowed).toBe(false);
    expect(check(closed, 'user:carol', 'run:read', 'project:P_team').allowed).toBe(true);
    expect(check(closed, 'user:bob', 'run:read', 'project:P_team').allowed).toBe(true);
  });

  it('A7 team → restricted adds the owner and invitees and clears the overrides of the non-invited', () => {
    const events = world(
      f.override('P_team', 'carol', 'member', 'viewer'),
      f.override('P_team', 'mia', 'member', 'admin'),
    );
    given(events)
      .when(
        'ChangeProjectVisibility',
        { projectId: 'P_team', visibility: 'restricted', invitees: ['user:carol', 'sa:sa_ml'] },
        'user:tina',
      )
      .then([
        { type: 'ProjectVisibilityChanged', data: { from: 'team', to: 'restricted' } },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'user:bob', reason: 'owner' },
          causedBy: 0,
        },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'user:carol', reason: 'invitee' },
          causedBy: 0,
        },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { principal: 'sa:sa_ml', reason: 'invitee' },
          causedBy: 0,
        },
        {
          type: 'ProjectRoleOverrideCleared',
          data: { userId: 'mia', previous: 'admin', reason: 'notInvited' },
          causedBy: 0,
        },
      ]);
  });

  it('A11 an ineligible invitee on conversion to restricted is refused', () => {
    given(world())
      .when(
        'ChangeProjectVisibility',
        { projectId: 'P_team', visibility: 'restricted', invitees: ['user:erin'] },
        'user:bob',
      )
      .thenRejects('rule', 'A11');
  });

  it('A7 invitees are refused when the project does not become restricted', () => {
    given(world())
      .when(
        'ChangeProjectVisibility',
        { projectId: 'P_team', visibility: 'public', invitees: ['user:carol'] },
        'user:bob',
      )
      .thenRejects('rule', 'A7');
  });

  it('the same visibility again is an idempotent no-op', () => {
    given(world())
      .when('ChangeProjectVisibility', { projectId: 'P_team', visibility: 'team' }, 'user:bob')
      .then([]);
  });

  it('an unknown project is not_found', () => {
    given(world())
      .when('ChangeProjectVisibility', { projectId: 'nope', visibility: 'team' }, 'user:alice')
      .thenRejects('not_found');
  });
});

describe('AddToRestrictedProject', () => {
  it('A11 the owner adds a team member; the member starts from the inherited team role', () => {
    const events = world();
    const produced = given(events)
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:mia' }, 'user:bob')
      .then([
        {
          type: 'RestrictedProjectMemberAdded',
          data: { projectId: 'P_res', principal: 'user:mia', reason: 'added' },
        },
      ]);
    expect(projectAccess(fold(events, produced), 'user:mia', 'P_res')).toMatchObject({
      access: 'role',
      role: 'member',
      override: false,
    });
  });

  it('A11 a project-role admin adds members; a plain restricted member may not (forbidden)', () => {
    given(world(f.override('P_res', 'carol', 'member', 'admin')))
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:mia' }, 'user:carol')
      .then([{ type: 'RestrictedProjectMemberAdded', data: { principal: 'user:mia' } }]);
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:mia' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('A11 a team member may not add themselves (forbidden)', () => {
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:mia' }, 'user:mia')
      .thenRejects('forbidden');
  });

  it('A11 a principal outside the parent team is refused', () => {
    for (const principal of ['user:erin', 'sa:sa_cv', 'user:oscar']) {
      given(world())
        .when('AddToRestrictedProject', { projectId: 'P_res', principal }, 'user:bob')
        .thenRejects('rule', 'A11');
    }
  });

  it('R21 R117 a team SA of the parent team and an org SA can be added explicitly', () => {
    for (const principal of ['sa:sa_ml', 'sa:sa_org']) {
      const events = world();
      const produced = given(events)
        .when('AddToRestrictedProject', { projectId: 'P_res', principal }, 'user:bob')
        .then([{ type: 'RestrictedProjectMemberAdded', data: { principal, reason: 'added' } }]);
      expect(check(stateAfter(events), principal, 'run:create', 'project:P_res').allowed).toBe(false);
      expect(check(fold(events, produced), principal, 'run:create', 'project:P_res').allowed).toBe(true);
    }
  });

  it('A10 a team admin joins a restricted project themselves and then sees its content', () => {
    const events = world();
    expect(check(stateAfter(events), 'user:tina', 'run:read', 'project:P_res').allowed).toBe(false);
    const produced = given(events)
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:tina' }, 'user:tina')
      .then([{ type: 'RestrictedProjectMemberAdded', data: { principal: 'user:tina', reason: 'selfJoin' } }]);
    expect(check(fold(events, produced), 'user:tina', 'run:read', 'project:P_res').allowed).toBe(true);
  });

  it('C5 an org admin outside the team may join, without becoming a team member', () => {
    const events = world();
    const produced = given(events)
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:oscar' }, 'user:oscar')
      .then([
        { type: 'RestrictedProjectMemberAdded', data: { principal: 'user:oscar', reason: 'selfJoin' } },
      ]);
    const after = fold(events, produced);
    expect(after.teams.get('ml')?.members.has('oscar')).toBe(false);
    expect(after.projects.get('P_res')?.restrictedMembers.has('user:oscar')).toBe(true);
  });

  it('C5 A11 an org admin outside the team cannot add another outsider', () => {
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:frank' }, 'user:oscar')
      .thenRejects('rule', 'A11');
  });

  it('A11 a project that is not restricted has no member list', () => {
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_team', principal: 'user:mia' }, 'user:bob')
      .thenRejects('rule', 'A11');
  });

  it('R32 re-adding a removed member does not restore the old override', () => {
    const events = world(f.override('P_res', 'carol', 'member', 'admin'));
    const removed = given(events)
      .when('RemoveFromRestrictedProject', { projectId: 'P_res', principal: 'user:carol' }, 'user:bob')
      .events();
    const afterRemoval = [...events, ...removed];
    const readded = given(afterRemoval)
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:carol' }, 'user:bob')
      .then([{ type: 'RestrictedProjectMemberAdded', data: { principal: 'user:carol' } }]);
    expect(projectAccess(fold(afterRemoval, readded), 'user:carol', 'P_res')).toMatchObject({
      access: 'role',
      role: 'member',
      override: false,
    });
  });

  it('adding a principal that is already a member is an idempotent no-op', () => {
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:carol' }, 'user:bob')
      .then([]);
  });

  it('an unknown principal is not_found; a malformed one is a validation error', () => {
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'user:ghost' }, 'user:bob')
      .thenRejects('not_found');
    given(world())
      .when('AddToRestrictedProject', { projectId: 'P_res', principal: 'team:ml' }, 'user:bob')
      .thenRejects('validation');
  });
});

describe('RemoveFromRestrictedProject', () => {
  it('R32 removing a member with an override also clears the override, caused by the removal', () => {
    given(world(f.override('P_res', 'carol', 'member', 'viewer')))
      .when('RemoveFromRestrictedProject', { projectId: 'P_res', principal: 'user:carol' }, 'user:bob')
      .then([
        {
          type: 'RestrictedProjectMemberRemoved',
          data: { projectId: 'P_res', principal: 'user:carol', reason: 'removed' },
        },
        {
          type: 'ProjectRoleOverrideCleared',
          data: { userId: 'carol', previous: 'viewer', reason: 'removed' },
          causedBy: 0,
        },
      ]);
  });

  it('R107 removing a member without an override revokes their access with one event', () => {
    const events = world();
    const produced = given(events)
      .when('RemoveFromRestrictedProject', { projectId: 'P_res', principal: 'user:carol' }, 'user:tina')
      .then([{ type: 'RestrictedProjectMemberRemoved', data: { principal: 'user:carol' } }]);
    expect(check(fold(events, produced), 'user:carol', 'run:read', 'project:P_res').allowed).toBe(false);
  });

  it('A11 the owner cannot be removed: change the owner first', () => {
    const e = given(world())
      .when('RemoveFromRestrictedProject', { projectId: 'P_res', principal: 'user:bob' }, 'user:alice')
      .thenRejects('rule', 'A11');
    expect(e.message).toMatch(/change the owner first/);
  });

  it('A11 a plain restricted member may not remove others (forbidden)', () => {
    given(world(f.join('P_res', 'user:mia')))
      .when('RemoveFromRestrictedProject', { projectId: 'P_res', principal: 'user:mia' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('removing a principal who is not a member is an idempotent no-op', () => {
    given(world())
      .when('RemoveFromRestrictedProject', { projectId: 'P_res', principal: 'user:mia' }, 'user:bob')
      .then([]);
  });
});

describe('ChangeProjectRole', () => {
  it('R27 a team admin gives a member a project-level role: one event, the override', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'viewer' }, 'user:tina')
      .then([
        {
          type: 'ProjectRoleChanged',
          data: {
            projectId: 'P_team',
            userId: 'carol',
            from: 'member',
            to: 'viewer',
            isOverride: true,
            reason: 'assigned',
          },
        },
      ]);
  });

  it('A12 C1 an org admin outside the team and a team admin whose own project role is lower may change roles', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'admin' }, 'user:oscar')
      .then([{ type: 'ProjectRoleChanged', data: { to: 'admin' } }]);
    given(world(f.override('P_team', 'tina', 'admin', 'viewer')))
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'admin' }, 'user:tina')
      .then([{ type: 'ProjectRoleChanged', data: { to: 'admin' } }]);
  });

  it('A12 a user whose project-level role is admin may change the roles of others', () => {
    given(world(f.override('P_team', 'carol', 'member', 'admin')))
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'mia', role: 'viewer' }, 'user:carol')
      .then([{ type: 'ProjectRoleChanged', data: { userId: 'mia', from: 'member', to: 'viewer' } }]);
  });

  it('A12 plain members, the owner included, may not change project roles (forbidden, T44)', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'viewer' }, 'user:bob')
      .thenRejects('forbidden');
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'mia', role: 'viewer' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('A12 nobody changes their own project role, except an admin demoting themselves', () => {
    given(world(f.override('P_team', 'tina', 'admin', 'viewer')))
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'tina', role: 'admin' }, 'user:tina')
      .thenRejects('rule', 'A12');
    given(world(f.override('P_team', 'carol', 'member', 'admin')))
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'viewer' }, 'user:carol')
      .then([{ type: 'ProjectRoleChanged', data: { userId: 'carol', from: 'admin', to: 'viewer' } }]);
  });

  it('R25 project-level roles do not exist on open or public projects', () => {
    const events = world(f.member('cv', 'frank', 'member'));
    for (const projectId of ['P_cv_open', 'P_cv_pub']) {
      given(events)
        .when('ChangeProjectRole', { projectId, userId: 'frank', role: 'viewer' }, 'user:erin')
        .thenRejects('rule', 'R25');
    }
  });

  it('R29 the project role of a view-only team member cannot be changed', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'dave', role: 'member' }, 'user:alice')
      .thenRejects('rule', 'R29');
  });

  it('R29 A5 an override kept when the team role dropped to view-only is frozen', () => {
    given(
      world(f.override('P_team', 'carol', 'member', 'admin'), f.teamRole('ml', 'carol', 'member', 'viewer')),
    )
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'member' }, 'user:alice')
      .thenRejects('rule', 'R29');
  });

  it('A35 a service account cannot receive a project-level role', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'sa_ml', role: 'admin' }, 'user:alice')
      .thenRejects('rule', 'A35');
  });

  it('R26 the target must be a member of the parent team; an unknown user is not_found', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'erin', role: 'viewer' }, 'user:alice')
      .thenRejects('rule', 'R26');
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'ghost', role: 'viewer' }, 'user:alice')
      .thenRejects('not_found');
  });

  it('R17 on a restricted project the target must be a restricted member', () => {
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_res', userId: 'mia', role: 'admin' }, 'user:alice')
      .thenRejects('rule', 'R17');
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_res', userId: 'carol', role: 'admin' }, 'user:alice')
      .then([{ type: 'ProjectRoleChanged', data: { projectId: 'P_res', to: 'admin' } }]);
  });

  it('R73 R8 A1 a custom project role must exist, be enabled, and go to an org member or admin', () => {
    const events = world(f.customRole('Janitor', 'member', ['project:delete']));
    given(events)
      .when(
        'ChangeProjectRole',
        { projectId: 'P_team', userId: 'carol', role: 'custom:Janitor' },
        'user:alice',
      )
      .then([{ type: 'ProjectRoleChanged', data: { to: 'custom:Janitor', isOverride: true } }]);
    given(events)
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'custom:Nope' }, 'user:alice')
      .thenRejects('not_found');
    // An org viewer whose team role was not (yet) lowered: R8 still refuses the custom role.
    given([...events, f.orgRole('carol', 'member', 'viewer')])
      .when(
        'ChangeProjectRole',
        { projectId: 'P_team', userId: 'carol', role: 'custom:Janitor' },
        'user:alice',
      )
      .thenRejects('rule', 'R8');
    given([...fixtureF({ customRoles: false }), f.customRole('Janitor', 'member')])
      .when(
        'ChangeProjectRole',
        { projectId: 'P_team', userId: 'carol', role: 'custom:Janitor' },
        'user:alice',
      )
      .thenRejects('rule', 'A1');
  });

  it('A4 setting the role back to the team role clears the override; without an override it is a no-op', () => {
    given(world(f.override('P_team', 'carol', 'member', 'viewer')))
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'member' }, 'user:alice')
      .then([
        {
          type: 'ProjectRoleOverrideCleared',
          data: { projectId: 'P_team', userId: 'carol', previous: 'viewer', reason: 'assigned' },
        },
      ]);
    given(world())
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'member' }, 'user:alice')
      .then([]);
  });

  it('R27 a change from one override to another records the current effective role as `from`; the same override again is a no-op', () => {
    const events = world(f.override('P_team', 'carol', 'member', 'viewer'));
    given(events)
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'admin' }, 'user:alice')
      .then([{ type: 'ProjectRoleChanged', data: { from: 'viewer', to: 'admin', isOverride: true } }]);
    given(events)
      .when('ChangeProjectRole', { projectId: 'P_team', userId: 'carol', role: 'viewer' }, 'user:alice')
      .then([]);
  });

  it('an invalid role is a validation error', () => {
    given(world())
      .when(
        'ChangeProjectRole',
        { projectId: 'P_team', userId: 'carol', role: 'boss' as 'admin' },
        'user:alice',
      )
      .thenRejects('validation');
  });
});

describe('ChangeProjectOwner', () => {
  it('A45 a team admin hands the project to another active team member', () => {
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'carol' }, 'user:tina')
      .then([
        { type: 'ProjectOwnerChanged', data: { projectId: 'P_team', from: 'user:bob', to: 'user:carol' } },
      ]);
  });

  it('A45 the current owner may hand the project over; an org admin may too', () => {
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'mia' }, 'user:bob')
      .then([{ type: 'ProjectOwnerChanged' }]);
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'mia' }, 'user:oscar')
      .then([{ type: 'ProjectOwnerChanged' }]);
  });

  it('A45 anyone else may not change the owner, not even to themselves (forbidden, T19)', () => {
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'dave' }, 'user:dave')
      .thenRejects('forbidden');
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'mia' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('A45 the new owner must be an active member of the parent team', () => {
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'erin' }, 'user:alice')
      .thenRejects('rule', 'A45');
    given(world(f.deactivate('mia')))
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'mia' }, 'user:alice')
      .thenRejects('rule', 'A45');
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'ghost' }, 'user:alice')
      .thenRejects('not_found');
  });

  it('A45 A7 a new owner of a restricted project who is not yet a member is added as one, caused by the change', () => {
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_res', userId: 'mia' }, 'user:alice')
      .then([
        { type: 'ProjectOwnerChanged', data: { from: 'user:bob', to: 'user:mia' } },
        {
          type: 'RestrictedProjectMemberAdded',
          data: { projectId: 'P_res', principal: 'user:mia', reason: 'owner' },
          causedBy: 0,
        },
      ]);
    given(world())
      .when('ChangeProjectOwner', { projectId: 'P_res', userId: 'carol' }, 'user:alice')
      .then([{ type: 'ProjectOwnerChanged', data: { to: 'user:carol' } }]);
  });

  it('R24 R140 a team admin replaces an owner who left the team, which clears the orphaned condition', () => {
    const events = world(f.leaveTeam('ml', 'bob'));
    const orphaned = stateAfter(events);
    expect(orphaned.teams.get('ml')?.members.has('bob')).toBe(false);
    expect(orphaned.projects.get('P_res')?.owner).toBe('user:bob');
    const produced = given(events)
      .when('ChangeProjectOwner', { projectId: 'P_res', userId: 'carol' }, 'user:tina')
      .then([{ type: 'ProjectOwnerChanged', data: { from: 'user:bob', to: 'user:carol' } }]);
    const after = fold(events, produced);
    const owner = after.projects.get('P_res')?.owner ?? '';
    expect(owner).toBe('user:carol');
    expect(after.teams.get('ml')?.members.has(owner.slice('user:'.length))).toBe(true);
    expect(check(after, 'user:carol', 'project:change-visibility', 'project:P_res').allowed).toBe(true);
  });

  it('R24 R140 an owner who left the parent team can no longer hand the project over (forbidden)', () => {
    given(world(f.leaveTeam('ml', 'bob')))
      .when('ChangeProjectOwner', { projectId: 'P_team', userId: 'carol' }, 'user:bob')
      .thenRejects('forbidden');
  });

  it('A35 a service account that owns a project (created by logging) does not manage it (forbidden)', () => {
    given(world(...f.project('P_sa', 'ml', 'team', 'sa:sa_ml')))
      .when('ChangeProjectOwner', { projectId: 'P_sa', userId: 'carol' }, 'sa:sa_ml')
      .thenRejects('forbidden');
  });

  it('the same owner again is an idempotent no-op', () => {
    given(world()).when('ChangeProjectOwner', { projectId: 'P_team', userId: 'bob' }, 'user:alice').then([]);
  });
});

describe('DeleteProject', () => {
  it('A16 a team admin deletes a project', () => {
    given(world())
      .when('DeleteProject', { projectId: 'P_team' }, 'user:tina')
      .then([{ type: 'ProjectDeleted', data: { projectId: 'P_team', teamId: 'ml' } }]);
  });

  it('A16 A9 an org admin, a project-role admin and a custom role with project:delete delete projects', () => {
    given(world())
      .when('DeleteProject', { projectId: 'P_team' }, 'user:oscar')
      .then([{ type: 'ProjectDeleted' }]);
    given(world(f.override('P_team', 'carol', 'member', 'admin')))
      .when('DeleteProject', { projectId: 'P_team' }, 'user:carol')
      .then([{ type: 'ProjectDeleted' }]);
    given(
      world(
        f.customRole('Janitor', 'member', ['project:delete']),
        f.teamRole('ml', 'carol', 'member', 'custom:Janitor'),
      ),
    )
      .when('DeleteProject', { projectId: 'P_team' }, 'user:carol')
      .then([{ type: 'ProjectDeleted' }]);
  });

  it('R112 A16 ownership alone is not enough to delete a project (forbidden, T09)', () => {
    given(world()).when('DeleteProject', { projectId: 'P_team' }, 'user:bob').thenRejects('forbidden');
  });

  it('an unknown or deleted project is not_found', () => {
    given(world(f.deleteProject('P_team', 'ml')))
      .when('DeleteProject', { projectId: 'P_team' }, 'user:alice')
      .thenRejects('not_found');
  });
});

describe('R20 members of a project switched to restricted', () => {
  it('R20 after Team → Restricted without invitees, users are added afterwards with AddToRestrictedProject', () => {
    const events = world();
    const switched = given(events).when(
      'ChangeProjectVisibility',
      { projectId: 'P_team', visibility: 'restricted' },
      'user:alice',
    );
    const afterSwitch = [...events, ...(switched.events() as GivenEvent[])];
    const s1 = stateAfter(afterSwitch);
    expect([...(s1.projects.get('P_team')?.restrictedMembers ?? [])]).toEqual(['user:bob']);
    expect(projectAccess(s1, 'user:carol', 'P_team').access).toBe('none');

    const added = given(afterSwitch).when(
      'AddToRestrictedProject',
      { projectId: 'P_team', principal: 'user:carol' },
      'user:alice',
    );
    added.then([
      { type: 'RestrictedProjectMemberAdded', data: { projectId: 'P_team', principal: 'user:carol' } },
    ]);
    expect(projectAccess(added.replayed(), 'user:carol', 'P_team')).toMatchObject({
      access: 'role',
      role: 'member',
    });
  });
});

describe('R109 restricted members change later', () => {
  it('R109 the owner removes a restricted member and adds them back later; access follows', () => {
    const events = world();
    const removed = given(events).when(
      'RemoveFromRestrictedProject',
      { projectId: 'P_res', principal: 'user:carol' },
      'user:bob',
    );
    removed.then([{ type: 'RestrictedProjectMemberRemoved', data: { principal: 'user:carol' } }]);
    const afterRemoval = [...events, ...(removed.events() as GivenEvent[])];
    expect(check(stateAfter(afterRemoval), 'user:carol', 'run:read', 'project:P_res').allowed).toBe(false);

    const readded = given(afterRemoval).when(
      'AddToRestrictedProject',
      { projectId: 'P_res', principal: 'user:carol' },
      'user:bob',
    );
    readded.then([{ type: 'RestrictedProjectMemberAdded', data: { principal: 'user:carol' } }]);
    expect(check(readded.replayed(), 'user:carol', 'run:read', 'project:P_res').allowed).toBe(true);
  });
});

describe('R111 project-level roles in every deployment', () => {
  it('R111 C4 project-level roles are on in every deployment type (no preview flag to turn them off in v1)', () => {
    for (const type of ['multi-tenant', 'dedicated', 'self-managed'] as const) {
      const events = [...fixtureF({ type })];
      const w = given(events).when(
        'ChangeProjectRole',
        { projectId: 'P_team', userId: 'carol', role: 'admin' },
        'user:alice',
      );
      w.then([{ type: 'ProjectRoleChanged', data: { userId: 'carol', to: 'admin', isOverride: true } }]);
      expect(projectAccess(w.replayed(), 'user:carol', 'P_team')).toMatchObject({
        role: 'admin',
        override: true,
      });
    }
  });
});
