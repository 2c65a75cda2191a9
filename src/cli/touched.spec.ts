import type { GivenEvent } from '../domain/testing/given-when-then';
import { f, fixtureRF } from '../domain/testing/fixture-f';
import { diffAccess } from './access-matrix';
import { readModelOf, storedEvents } from './testing/read-models';
import { TouchedEntities } from './touched';

/** After RF: one event of every kind that changes a principal's or a resource's facts. */
const tail: GivenEvent[] = [
  f.teamRole('ml', 'carol', 'member', 'admin'),
  f.orgRole('dave', 'member', 'admin'),
  f.deactivate('erin'),
  f.visibility('P_team', 'team', 'restricted'),
  f.join('P_team', 'user:carol'),
  f.override('P_res', 'carol', 'admin', 'viewer'),
  f.grant('R_ml', 'team:cv', 'member'),
  f.owningTeam('R_org', null, 'cv'),
  f.sa('sa_org', 'org', 'ml'),
  f.member('cv', 'frank', 'viewer'),
  f.leaveTeam('ml', 'bob'),
  f.owner('P_cv', 'user:erin', 'user:frank'),
  { type: 'RegistryVisibilityChanged', data: { registryId: 'R_ml', from: 'restricted', to: 'organization' } },
  f.deleteProject('P_cv_pub', 'cv'),
  { type: 'UserReactivated', data: { orgId: 'O', userId: 'erin' } },
  { type: 'TeamPrivacySettingsChanged', data: { teamId: 'ml', membersCanInvite: true } },
  {
    type: 'RegistryRoleChanged',
    data: { registryId: 'R_ml', member: 'team:cv', from: 'member', to: 'viewer', reason: 'assigned' },
  },
  {
    type: 'RestrictedProjectMemberRemoved',
    data: { projectId: 'P_res', principal: 'user:carol', reason: 'removed' },
  },
  f.run('r1', 'P_cv', 'user:erin'),
  { type: 'ServiceAccountDeleted', data: { orgId: 'O', serviceAccountId: 'sa_ml' } },
  f.customRole('runner', 'member', ['run:delete']),
  f.member('ml', 'vic', 'custom:runner'),
  f.policy('invitationControl'),
  { type: 'TeamMemberRemoved', data: { teamId: 'cv', userId: 'frank', reason: 'leftOrganization' } },
  { type: 'UserRemovedFromOrganization', data: { orgId: 'O', userId: 'frank' } },
];

describe('TouchedEntities: comparing only the touched pairs finds every change', () => {
  const all = [...fixtureRF(), ...tail];
  const base = all.length - tail.length;
  const models = Array.from({ length: tail.length + 1 }, (_, k) => readModelOf(all.slice(0, base + k)));
  const stored = storedEvents(all);

  it.each(Array.from({ length: tail.length }, (_, i) => i))(
    'from RF + %i events, to every later position',
    (i) => {
      let changes = 0;
      for (let j = i + 1; j <= tail.length; j++) {
        const touched = new TouchedEntities();
        for (const e of stored.slice(base + i, base + j)) touched.add(e);
        const before = models[i];
        const after = models[j];
        if (!before || !after) throw new Error('missing model');
        const full = diffAccess(before, after);
        const pruned = diffAccess(before, after, {}, { scope: (orgId) => touched.scopeOf(orgId) });
        expect(pruned).toEqual(full);
        changes += full.length;
      }
      // Not vacuous: every starting point is followed by changes.
      expect(changes).toBeGreaterThan(0);
    },
  );

  it('custom-role and policy events make the whole org a candidate; other orgs are skipped', () => {
    const touched = new TouchedEntities();
    const role = storedEvents([f.customRole('x', 'viewer')])[0];
    const other = { ...storedEvents([f.user('zed')], 'P')[0], stream: 'org-P' } as typeof role;
    if (!role || !other) throw new Error('no event');
    touched.add(other);
    expect(touched.scopeOf('O')).toBe('none');
    touched.add(role);
    expect(touched.scopeOf('O')).toBeNull();
    const p = touched.scopeOf('P');
    expect(typeof p === 'function' && p('user:zed', 'project:any')).toBe(true);
    expect(typeof p === 'function' && p('user:amy', 'project:any')).toBe(false);
  });
});
