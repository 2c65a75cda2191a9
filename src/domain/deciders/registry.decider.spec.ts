import { check, registryAccess } from '../access';
import type { AnyDomainEvent } from '../events';
import type { DeploymentProfile } from '../model';
import { given, stateAfter, type GivenEvent } from '../testing/given-when-then';
import { f, fixtureRF } from '../testing/fixture-f';

/**
 * Fixture RF (R_ml: restricted, created and owned by bob, owning team ml; R_org: organization, by bob)
 * plus: oscar — a second org admin; sa_org — org SA; grant carol member of R_org; frank restricted-viewer of R_ml.
 */
function world(profile: Partial<DeploymentProfile> = {}, ...extra: GivenEvent[]): GivenEvent[] {
  return [
    ...fixtureRF(profile),
    f.user('oscar', 'admin'),
    f.sa('sa_org', 'org', 'cv'),
    f.grant('R_org', 'user:carol', 'member'),
    f.grant('R_ml', 'user:frank', 'restricted-viewer'),
    ...extra,
  ];
}
const w = (...extra: GivenEvent[]) => world({}, ...extra);
const fold = (events: GivenEvent[], produced: AnyDomainEvent[]) => stateAfter([...events, ...produced]);

describe('CreateRegistry', () => {
  it('A27 R125 an org member creates a registry and becomes its admin and owner, caused by the creation', () => {
    const events = w();
    const produced = given(events)
      .when(
        'CreateRegistry',
        { orgId: 'O', registryId: 'R1', name: 'New', visibility: 'restricted' },
        'user:carol',
      )
      .then([
        {
          type: 'RegistryCreated',
          data: {
            orgId: 'O',
            registryId: 'R1',
            name: 'New',
            visibility: 'restricted',
            owningTeamId: null,
            createdBy: 'user:carol',
          },
        },
        {
          type: 'RegistryMemberAdded',
          data: { registryId: 'R1', member: 'user:carol', role: 'admin', defaulted: false },
          causedBy: 0,
        },
        {
          type: 'RegistryOwnerChanged',
          data: { registryId: 'R1', from: null, to: 'user:carol' },
          causedBy: 0,
        },
      ]);
    expect(registryAccess(fold(events, produced), 'user:carol', 'R1')).toMatchObject({
      role: 'admin',
      owner: true,
    });
  });

  it('A27 an org admin creates an organization registry owned by a team', () => {
    given(w())
      .when(
        'CreateRegistry',
        { orgId: 'O', registryId: 'R1', name: 'New', visibility: 'organization', owningTeamId: 'cv' },
        'user:alice',
      )
      .then([
        { type: 'RegistryCreated', data: { visibility: 'organization', owningTeamId: 'cv' } },
        { type: 'RegistryMemberAdded', data: { member: 'user:alice', role: 'admin' }, causedBy: 0 },
        { type: 'RegistryOwnerChanged', data: { to: 'user:alice' }, causedBy: 0 },
      ]);
  });

  it('A27 a legacy org viewer, a service account and the system actor may not create registries (forbidden)', () => {
    for (const actor of ['user:vic', 'sa:sa_org', 'system']) {
      given(w())
        .when(
          'CreateRegistry',
          { orgId: 'O', registryId: 'R1', name: 'New', visibility: 'restricted' },
          actor,
        )
        .thenRejects('forbidden');
    }
  });

  it('an unknown owning team or org is not_found; a taken id or name is already_exists', () => {
    given(w())
      .when(
        'CreateRegistry',
        { orgId: 'O', registryId: 'R1', name: 'New', visibility: 'restricted', owningTeamId: 'nope' },
        'user:bob',
      )
      .thenRejects('not_found');
    given(w())
      .when(
        'CreateRegistry',
        { orgId: 'X', registryId: 'R1', name: 'New', visibility: 'restricted' },
        'user:bob',
      )
      .thenRejects('not_found');
    given(w())
      .when(
        'CreateRegistry',
        { orgId: 'O', registryId: 'R_ml', name: 'New', visibility: 'restricted' },
        'user:bob',
      )
      .thenRejects('already_exists');
    given(w())
      .when(
        'CreateRegistry',
        { orgId: 'O', registryId: 'R1', name: 'models', visibility: 'restricted' },
        'user:bob',
      )
      .thenRejects('already_exists');
  });
});

describe('DeleteRegistry', () => {
  it('A26 R128 an org admin deletes any custom registry', () => {
    given(w())
      .when('DeleteRegistry', { registryId: 'R_org' }, 'user:oscar')
      .then([{ type: 'RegistryDeleted', data: { registryId: 'R_org' } }]);
  });

  it('A26 R128 an effective registry admin deletes a registry they created', () => {
    given(w())
      .when('DeleteRegistry', { registryId: 'R_org' }, 'user:bob')
      .then([{ type: 'RegistryDeleted' }]);
  });

  it('A26 R128 an effective registry admin who did not create the registry may not delete it (forbidden)', () => {
    given(w(f.grant('R_org', 'user:erin', 'admin')))
      .when('DeleteRegistry', { registryId: 'R_org' }, 'user:erin')
      .thenRejects('forbidden');
  });

  it('A26 a registry member may not delete it (forbidden)', () => {
    given(w()).when('DeleteRegistry', { registryId: 'R_org' }, 'user:carol').thenRejects('forbidden');
  });

  it('A26 R122 a core registry cannot be deleted, not even by an org admin', () => {
    given(w()).when('DeleteRegistry', { registryId: 'O.models' }, 'user:alice').thenRejects('rule', 'A26');
  });
});

describe('ChangeRegistryVisibility', () => {
  it('R122 a core registry keeps organization visibility, even for an org admin (T31)', () => {
    given(w())
      .when('ChangeRegistryVisibility', { registryId: 'O.models', visibility: 'restricted' }, 'user:alice')
      .thenRejects('rule', 'R122');
  });

  it('A25 the registry admin changes a custom registry both ways', () => {
    given(w())
      .when('ChangeRegistryVisibility', { registryId: 'R_org', visibility: 'restricted' }, 'user:bob')
      .then([
        {
          type: 'RegistryVisibilityChanged',
          data: { registryId: 'R_org', from: 'organization', to: 'restricted' },
        },
      ]);
    given(w())
      .when('ChangeRegistryVisibility', { registryId: 'R_ml', visibility: 'organization' }, 'user:bob')
      .then([{ type: 'RegistryVisibilityChanged', data: { from: 'restricted', to: 'organization' } }]);
  });

  it('A25 an org admin changes any custom registry', () => {
    given(w())
      .when('ChangeRegistryVisibility', { registryId: 'R_ml', visibility: 'organization' }, 'user:oscar')
      .then([{ type: 'RegistryVisibilityChanged' }]);
  });

  it('A25 a registry member may not change the visibility (forbidden)', () => {
    given(w())
      .when('ChangeRegistryVisibility', { registryId: 'R_org', visibility: 'restricted' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('A24 restricted → organization is refused where the deployment disallows it; the other way still works', () => {
    const events = world({ allowRestrictedToOrganization: false });
    given(events)
      .when('ChangeRegistryVisibility', { registryId: 'R_ml', visibility: 'organization' }, 'user:bob')
      .thenRejects('rule', 'A24');
    given(events)
      .when('ChangeRegistryVisibility', { registryId: 'R_org', visibility: 'restricted' }, 'user:bob')
      .then([{ type: 'RegistryVisibilityChanged', data: { to: 'restricted' } }]);
  });

  it('the same visibility again is an idempotent no-op', () => {
    given(w())
      .when('ChangeRegistryVisibility', { registryId: 'R_org', visibility: 'organization' }, 'user:bob')
      .then([]);
  });
});

describe('AddRegistryMember', () => {
  it('R33 R34 a registry admin adds a user with a role', () => {
    given(w())
      .when('AddRegistryMember', { registryId: 'R_ml', member: 'user:erin', role: 'member' }, 'user:bob')
      .then([
        {
          type: 'RegistryMemberAdded',
          data: { registryId: 'R_ml', member: 'user:erin', role: 'member', defaulted: false },
        },
      ]);
  });

  it('R37 the owner designation grants nothing: a restricted-viewer owner may not add members (forbidden, T28)', () => {
    given(w(f.registryOwner('R_ml', 'user:bob', 'user:frank')))
      .when('AddRegistryMember', { registryId: 'R_ml', member: 'user:erin' }, 'user:frank')
      .thenRejects('forbidden');
  });

  it('R33 a registry member who is not admin may not add members (forbidden)', () => {
    given(w())
      .when('AddRegistryMember', { registryId: 'R_org', member: 'user:erin' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('R39 R135 a user or team added without a role gets restricted-viewer on Server ≥ 0.75 (defaulted)', () => {
    for (const member of ['user:erin', 'team:cv']) {
      given(w())
        .when('AddRegistryMember', { registryId: 'R_ml', member }, 'user:bob')
        .then([
          { type: 'RegistryMemberAdded', data: { member, role: 'restricted-viewer', defaulted: true } },
        ]);
    }
  });

  it('R135 the default user role is viewer on Server ≤ 0.74 and restricted-viewer on multi-tenant', () => {
    given(world({ serverVersion: '0.74.2' }))
      .when('AddRegistryMember', { registryId: 'R_ml', member: 'user:erin' }, 'user:bob')
      .then([{ type: 'RegistryMemberAdded', data: { role: 'viewer', defaulted: true } }]);
    given(world({ type: 'multi-tenant', serverVersion: '0.70.0' }))
      .when('AddRegistryMember', { registryId: 'R_ml', member: 'user:erin' }, 'user:bob')
      .then([{ type: 'RegistryMemberAdded', data: { role: 'restricted-viewer', defaulted: true } }]);
  });

  it('R39 §3.6 an org admin added without a role gets admin', () => {
    given(w())
      .when('AddRegistryMember', { registryId: 'R_ml', member: 'user:oscar' }, 'user:bob')
      .then([
        { type: 'RegistryMemberAdded', data: { member: 'user:oscar', role: 'admin', defaulted: true } },
      ]);
  });

  it('R40 A23 a service account added without a role gets member', () => {
    given(w())
      .when('AddRegistryMember', { registryId: 'R_org', member: 'sa:sa_ml' }, 'user:bob')
      .then([{ type: 'RegistryMemberAdded', data: { member: 'sa:sa_ml', role: 'member', defaulted: true } }]);
  });

  it('R40 a service account cannot be added as viewer or restricted viewer (T25)', () => {
    for (const role of ['viewer', 'restricted-viewer'] as const) {
      given(w())
        .when('AddRegistryMember', { registryId: 'R_ml', member: 'sa:sa_ml', role }, 'user:bob')
        .thenRejects('rule', 'R40');
    }
  });

  it('a member already in the registry is already_exists; an unknown member is not_found; a malformed one is invalid', () => {
    given(w())
      .when('AddRegistryMember', { registryId: 'R_org', member: 'user:carol' }, 'user:bob')
      .thenRejects('already_exists');
    given(w())
      .when('AddRegistryMember', { registryId: 'R_org', member: 'user:ghost' }, 'user:bob')
      .thenRejects('not_found');
    given(w())
      .when('AddRegistryMember', { registryId: 'R_org', member: 'team:nope' }, 'user:bob')
      .thenRejects('not_found');
    given(w())
      .when('AddRegistryMember', { registryId: 'R_org', member: 'carol' }, 'user:bob')
      .thenRejects('validation');
    given(w())
      .when('AddRegistryMember', { registryId: 'nope', member: 'user:erin' }, 'user:bob')
      .thenRejects('not_found');
  });
});

describe('ChangeRegistryRole', () => {
  it('R38 a registry admin changes a member’s role', () => {
    given(w())
      .when('ChangeRegistryRole', { registryId: 'R_org', member: 'user:carol', role: 'viewer' }, 'user:bob')
      .then([
        {
          type: 'RegistryRoleChanged',
          data: {
            registryId: 'R_org',
            member: 'user:carol',
            from: 'member',
            to: 'viewer',
            reason: 'assigned',
          },
        },
      ]);
  });

  it('R38 a registry member who is not admin may not change roles (forbidden)', () => {
    given(w())
      .when('ChangeRegistryRole', { registryId: 'R_org', member: 'user:bob', role: 'viewer' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('R40 a service account cannot become viewer or restricted viewer (T25)', () => {
    const events = w(f.grant('R_org', 'sa:sa_ml', 'member'));
    for (const role of ['viewer', 'restricted-viewer'] as const) {
      given(events)
        .when('ChangeRegistryRole', { registryId: 'R_org', member: 'sa:sa_ml', role }, 'user:bob')
        .thenRejects('rule', 'R40');
    }
    given(events)
      .when('ChangeRegistryRole', { registryId: 'R_org', member: 'sa:sa_ml', role: 'admin' }, 'user:bob')
      .then([{ type: 'RegistryRoleChanged', data: { from: 'member', to: 'admin' } }]);
  });

  it('a principal that is not a member is not_found; the same role again is a no-op', () => {
    given(w())
      .when('ChangeRegistryRole', { registryId: 'R_org', member: 'user:erin', role: 'viewer' }, 'user:bob')
      .thenRejects('not_found');
    given(w())
      .when('ChangeRegistryRole', { registryId: 'R_org', member: 'user:carol', role: 'member' }, 'user:bob')
      .then([]);
  });
});

describe('RemoveRegistryMember', () => {
  it('R35 a registry admin removes a member', () => {
    given(w())
      .when('RemoveRegistryMember', { registryId: 'R_org', member: 'user:carol' }, 'user:bob')
      .then([
        {
          type: 'RegistryMemberRemoved',
          data: { registryId: 'R_org', member: 'user:carol', reason: 'removed' },
        },
      ]);
  });

  it('R35 a registry member who is not admin may not remove members (forbidden)', () => {
    given(w(f.grant('R_org', 'user:erin', 'viewer')))
      .when('RemoveRegistryMember', { registryId: 'R_org', member: 'user:erin' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('C9 A48 removing the owner keeps the owner designation', () => {
    const events = w(f.registryOwner('R_ml', 'user:bob', 'user:frank'));
    const produced = given(events)
      .when('RemoveRegistryMember', { registryId: 'R_ml', member: 'user:frank' }, 'user:bob')
      .then([{ type: 'RegistryMemberRemoved', data: { member: 'user:frank' } }]);
    expect(fold(events, produced).registries.get('R_ml')?.owner).toBe('user:frank');
  });

  it('a principal that is not a member is not_found', () => {
    given(w())
      .when('RemoveRegistryMember', { registryId: 'R_org', member: 'user:erin' }, 'user:bob')
      .thenRejects('not_found');
  });
});

describe('ChangeRegistryOwner', () => {
  it('R36 a registry admin designates any member as owner, even a restricted viewer', () => {
    const events = w();
    const produced = given(events)
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'user:frank' }, 'user:bob')
      .then([
        { type: 'RegistryOwnerChanged', data: { registryId: 'R_ml', from: 'user:bob', to: 'user:frank' } },
      ]);
    const after = fold(events, produced);
    // R37: the designation changes no role and grants nothing.
    expect(registryAccess(after, 'user:frank', 'R_ml')).toMatchObject({
      role: 'restricted-viewer',
      owner: true,
    });
    expect(check(after, 'user:frank', 'registry:members.manage', 'registry:R_ml').allowed).toBe(false);
  });

  it('A48 the new owner must already have access to the registry (T28)', () => {
    given(w())
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'user:erin' }, 'user:bob')
      .thenRejects('rule', 'A48');
  });

  it('A48 access through the organization baseline is enough; a service account with access is eligible', () => {
    given(w())
      .when('ChangeRegistryOwner', { registryId: 'R_org', principal: 'user:frank' }, 'user:bob')
      .then([{ type: 'RegistryOwnerChanged', data: { to: 'user:frank' } }]);
    given(w(f.grant('R_ml', 'sa:sa_ml', 'member')))
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'sa:sa_ml' }, 'user:bob')
      .then([{ type: 'RegistryOwnerChanged', data: { to: 'sa:sa_ml' } }]);
  });

  it('A48 a team cannot be the owner', () => {
    given(w(f.grant('R_ml', 'team:cv', 'viewer')))
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'team:cv' }, 'user:bob')
      .thenRejects('rule', 'A48');
  });

  it('R36 R37 only a registry admin changes the owner; the owner as such may not (forbidden)', () => {
    given(w(f.registryOwner('R_ml', 'user:bob', 'user:frank')))
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'user:carol' }, 'user:frank')
      .thenRejects('forbidden');
  });

  it('the current owner again is an idempotent no-op; an unknown principal is not_found', () => {
    given(w())
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'user:bob' }, 'user:bob')
      .then([]);
    given(w())
      .when('ChangeRegistryOwner', { registryId: 'R_ml', principal: 'user:ghost' }, 'user:bob')
      .thenRejects('not_found');
  });
});

describe('SetRegistryOwningTeam', () => {
  it('A19 an org admin sets and clears the owning team', () => {
    given(w())
      .when('SetRegistryOwningTeam', { registryId: 'R_org', teamId: 'cv' }, 'user:alice')
      .then([{ type: 'RegistryOwningTeamChanged', data: { registryId: 'R_org', from: null, to: 'cv' } }]);
    given(w())
      .when('SetRegistryOwningTeam', { registryId: 'R_ml', teamId: null }, 'user:oscar')
      .then([{ type: 'RegistryOwningTeamChanged', data: { from: 'ml', to: null } }]);
  });

  it('A19 a registry admin who is not an org admin may not set the owning team (forbidden)', () => {
    given(w())
      .when('SetRegistryOwningTeam', { registryId: 'R_org', teamId: 'ml' }, 'user:bob')
      .thenRejects('forbidden', 'A19');
  });

  it('R122 A19 core registries have no owning team', () => {
    given(w())
      .when('SetRegistryOwningTeam', { registryId: 'O.datasets', teamId: 'ml' }, 'user:alice')
      .thenRejects('rule', 'R122');
  });

  it('an unknown team is not_found; the same team again is a no-op', () => {
    given(w())
      .when('SetRegistryOwningTeam', { registryId: 'R_org', teamId: 'nope' }, 'user:alice')
      .thenRejects('not_found');
    given(w()).when('SetRegistryOwningTeam', { registryId: 'R_ml', teamId: 'ml' }, 'user:alice').then([]);
  });
});

describe('R126 who sets a custom registry’s visibility', () => {
  it('R126 the visibility is chosen at creation and changed later by a registry admin or an admin of the owning team', () => {
    given(w())
      .when(
        'CreateRegistry',
        { orgId: 'O', registryId: 'R1', name: 'R1', visibility: 'restricted' },
        'user:carol',
      )
      .then([
        { type: 'RegistryCreated', data: { registryId: 'R1', visibility: 'restricted' } },
        { type: 'RegistryMemberAdded' },
        { type: 'RegistryOwnerChanged' },
      ]);
    // tina administers team ml, which owns R_ml: effective registry admin (A19, A25) without a grant.
    const events = w(f.user('tina'), f.member('ml', 'tina', 'admin'));
    given(events)
      .when('ChangeRegistryVisibility', { registryId: 'R_ml', visibility: 'organization' }, 'user:tina')
      .then([{ type: 'RegistryVisibilityChanged', data: { from: 'restricted', to: 'organization' } }]);
    // An admin of a team that does not own the registry is no registry admin.
    given(events)
      .when('ChangeRegistryVisibility', { registryId: 'R_ml', visibility: 'organization' }, 'user:erin')
      .thenRejects('forbidden');
  });
});

describe('R127 restricted → organization by deployment', () => {
  it('R127 A24 C4 by default every deployment and server version lets a custom registry go back to organization', () => {
    for (const profile of [
      { type: 'dedicated', serverVersion: '0.74.2' },
      { type: 'dedicated', serverVersion: '0.75.0' },
      { type: 'self-managed', serverVersion: '0.80.1' },
      { type: 'multi-tenant' },
    ] as const) {
      given(world(profile))
        .when('ChangeRegistryVisibility', { registryId: 'R_ml', visibility: 'organization' }, 'user:bob')
        .then([{ type: 'RegistryVisibilityChanged', data: { from: 'restricted', to: 'organization' } }]);
    }
  });
});
