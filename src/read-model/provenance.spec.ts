import { factKeys } from '../domain/access/fact-keys';
import type { EventDataByType, EventType } from '../domain/events';
import { DEFAULT_PROFILE } from '../domain/model';
import type { StoredEvent } from '../event-store/port';
import { ProvenanceIndex, type EventRef } from './provenance';
import { ReadModel } from './read-model';

/** A read model fed by hand-made stored events of org `o` (positions 1, 2, …; or as given). */
function harness() {
  const rm = new ReadModel((a, b) => Number(a) - Number(b));
  let n = 0;
  const refs: EventRef[] = [];
  function emit<T extends EventType>(
    type: T,
    data: EventDataByType[T],
    actor = 'user:alice',
    position = String(n + 1),
  ): EventRef {
    const occurredAt = new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();
    const e: StoredEvent = {
      eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      stream: 'org-o',
      revision: n,
      position,
      type,
      data: data as unknown as Record<string, unknown>,
      metadata: { actor, correlationId: 'c', commandId: `cmd${n}`, occurredAt, schemaVersion: 1 },
    };
    n += 1;
    rm.apply(e);
    const ref = { position, type, actor, occurredAt };
    refs.push(ref);
    return ref;
  }
  emit(
    'OrganizationCreated',
    { orgId: 'o', name: 'O', founderUserId: 'alice', profile: DEFAULT_PROFILE },
    'system',
  );
  emit('UserJoinedOrganization', { orgId: 'o', userId: 'alice', role: 'admin' }, 'system');
  // The read model keeps one index per org; this harness has one org.
  const p = rm.provenanceOf('o');
  if (!p) throw new Error('no provenance index for org o');
  return { rm, emit, p };
}

describe('ProvenanceIndex', () => {
  it('cites the creation and the latest change of a team membership, then its removal', () => {
    const { emit, p } = harness();
    emit('UserJoinedOrganization', { orgId: 'o', userId: 'carol', role: 'member' });
    emit('TeamCreated', { orgId: 'o', teamId: 'ml', name: 'ML' });
    const added = emit('TeamMemberAdded', { teamId: 'ml', userId: 'carol', role: 'viewer' });
    emit('TeamRoleChanged', {
      teamId: 'ml',
      userId: 'carol',
      from: 'viewer',
      to: 'member',
      reason: 'assigned',
    });
    const latest = emit('TeamRoleChanged', {
      teamId: 'ml',
      userId: 'carol',
      from: 'member',
      to: 'admin',
      reason: 'assigned',
    });
    const key = factKeys.teamMember('ml', 'carol');
    // Only creation + latest change: the middle change is not kept (memory bound).
    expect(p.lookup(key)).toEqual({ established: [added, latest], removed: null });

    const removed = emit(
      'TeamMemberRemoved',
      { teamId: 'ml', userId: 'carol', reason: 'removed' },
      'user:bob',
    );
    expect(p.lookup(key)).toEqual({ established: [], removed });
    expect(removed.actor).toBe('user:bob');

    const again = emit('TeamMemberAdded', { teamId: 'ml', userId: 'carol', role: 'member' });
    expect(p.lookup(key)).toEqual({ established: [again], removed });
  });

  it('records org membership, org role changes, deactivation (A39) and policies (R85)', () => {
    const { emit, p } = harness();
    const joined = emit('UserJoinedOrganization', { orgId: 'o', userId: 'dan', role: 'member' });
    const promoted = emit('OrgRoleChanged', { orgId: 'o', userId: 'dan', from: 'member', to: 'admin' });
    expect(p.lookup(factKeys.orgUser('o', 'dan')).established).toEqual([joined, promoted]);
    const off = emit('UserDeactivated', { orgId: 'o', userId: 'dan' });
    expect(p.lookup(factKeys.userStatus('o', 'dan')).established).toEqual([off]);
    const on = emit('UserReactivated', { orgId: 'o', userId: 'dan' });
    expect(p.lookup(factKeys.userStatus('o', 'dan'))).toEqual({ established: [], removed: on });
    const enforced = emit('OrgPrivacyPolicyEnforced', { orgId: 'o', policy: 'invitationControl' });
    expect(p.lookup(factKeys.policy('o', 'invitationControl')).established).toEqual([enforced]);
    const left = emit('UserRemovedFromOrganization', { orgId: 'o', userId: 'dan' });
    expect(p.lookup(factKeys.orgUser('o', 'dan'))).toEqual({ established: [], removed: left });
  });

  it('keeps custom-role permissions one key each, so explain cites the edit that added one (R68, A32)', () => {
    const { emit, p } = harness();
    const created = emit('CustomRoleCreated', {
      orgId: 'o',
      roleId: 'ops',
      name: 'Ops',
      description: '',
      base: 'viewer',
      permissions: ['run:stop'],
    });
    const added = emit('CustomRolePermissionsAdded', {
      orgId: 'o',
      roleId: 'ops',
      permissions: ['project:update'],
    });
    const removed = emit('CustomRolePermissionsRemoved', {
      orgId: 'o',
      roleId: 'ops',
      permissions: ['run:stop'],
    });
    expect(p.lookup(factKeys.customRole('o', 'ops')).established).toEqual([created]);
    expect(p.lookup(factKeys.customRolePermission('o', 'ops', 'project:update')).established).toEqual([
      added,
    ]);
    expect(p.lookup(factKeys.customRolePermission('o', 'ops', 'run:stop'))).toEqual({
      established: [],
      removed,
    });
  });

  it('tracks project visibility, restricted members, overrides and A8 dissolution', () => {
    const { emit, p } = harness();
    emit('TeamCreated', { orgId: 'o', teamId: 'ml', name: 'ML' });
    emit('UserJoinedOrganization', { orgId: 'o', userId: 'carol', role: 'member' });
    emit('TeamMemberAdded', { teamId: 'ml', userId: 'carol', role: 'member' });
    const created = emit('ProjectCreated', {
      projectId: 'p',
      teamId: 'ml',
      name: 'P',
      visibility: 'team',
      owner: 'user:alice',
    });
    const override = emit('ProjectRoleChanged', {
      projectId: 'p',
      userId: 'carol',
      from: 'member',
      to: 'admin',
      isOverride: true,
      reason: 'assigned',
    });
    const restricted = emit('ProjectVisibilityChanged', { projectId: 'p', from: 'team', to: 'restricted' });
    const owner = emit('RestrictedProjectMemberAdded', {
      projectId: 'p',
      principal: 'user:alice',
      reason: 'owner',
    });
    const carol = emit('RestrictedProjectMemberAdded', {
      projectId: 'p',
      principal: 'user:carol',
      reason: 'invitee',
    });
    expect(p.lookup(factKeys.project('p')).established).toEqual([created]);
    expect(p.lookup(factKeys.projectOwner('p')).established).toEqual([created]);
    expect(p.lookup(factKeys.projectVisibility('p')).established).toEqual([created, restricted]);
    expect(p.lookup(factKeys.restrictedMember('p', 'user:carol')).established).toEqual([carol]);
    expect(p.lookup(factKeys.projectOverride('p', 'carol')).established).toEqual([override]);

    // C7: an informational tracking event (isOverride=false, no stored override) records no removal.
    emit('ProjectRoleChanged', {
      projectId: 'p',
      userId: 'alice',
      from: 'member',
      to: 'admin',
      isOverride: false,
      reason: 'trackingTeamRole',
    });
    expect(p.lookup(factKeys.projectOverride('p', 'alice'))).toEqual({ established: [], removed: null });

    const removed = emit(
      'RestrictedProjectMemberRemoved',
      { projectId: 'p', principal: 'user:carol', reason: 'removed' },
      'user:bob',
    );
    const cleared = emit('ProjectRoleOverrideCleared', {
      projectId: 'p',
      userId: 'carol',
      previous: 'admin',
      reason: 'removed',
    });
    expect(p.lookup(factKeys.restrictedMember('p', 'user:carol'))).toEqual({ established: [], removed });
    expect(p.lookup(factKeys.projectOverride('p', 'carol'))).toEqual({ established: [], removed: cleared });
    // The latest removal among several keys is the later event.
    expect(
      p.latestRemoval([factKeys.restrictedMember('p', 'user:carol'), factKeys.projectOverride('p', 'carol')]),
    ).toEqual(cleared);
    expect(p.latestRemoval([factKeys.restrictedMember('p', 'user:carol')])).toEqual(removed);
    expect(p.latestRemoval([factKeys.teamMember('ml', 'carol')])).toBeNull();

    const dissolved = emit('RestrictedMembershipDissolved', { projectId: 'p' });
    expect(p.lookup(factKeys.restrictedMember('p', 'user:alice'))).toEqual({
      established: [],
      removed: dissolved,
    });
    // Carol was no longer a member: her own removal stays the one on record.
    expect(p.lookup(factKeys.restrictedMember('p', 'user:carol')).removed).toEqual(removed);
    expect(owner.type).toBe('RestrictedProjectMemberAdded');
  });

  it('cites run creation and the latest move; a deleted project takes its keys and runs along', () => {
    const { emit, p } = harness();
    emit('TeamCreated', { orgId: 'o', teamId: 'ml', name: 'ML' });
    for (const id of ['a', 'b']) {
      emit('ProjectCreated', {
        projectId: id,
        teamId: 'ml',
        name: id,
        visibility: 'team',
        owner: 'user:alice',
      });
    }
    const run = emit('RunCreated', {
      runId: 'r',
      projectId: 'a',
      creator: 'user:alice',
      loggedBy: 'user:alice',
    });
    const moved = emit('RunMoved', { runId: 'r', from: 'a', to: 'b' });
    const report = emit('ReportCreated', { reportId: 'rep', projectId: 'b', creator: 'user:alice' });
    expect(p.lookup(factKeys.run('r')).established).toEqual([run, moved]);
    expect(p.lookup(factKeys.report('rep')).established).toEqual([report]);
    emit('ProjectDeleted', { projectId: 'b', teamId: 'ml' });
    expect(p.lookup(factKeys.run('r')).established).toEqual([]);
    expect(p.lookup(factKeys.report('rep')).established).toEqual([]);
    expect(p.lookup(factKeys.projectVisibility('b')).established).toEqual([]);
    expect(p.lookup(factKeys.projectVisibility('a')).established).toHaveLength(1);
  });

  it('tracks registry grants, visibility and owning team (§3.7)', () => {
    const { emit, p } = harness();
    emit('TeamCreated', { orgId: 'o', teamId: 'ml', name: 'ML' });
    const created = emit('RegistryCreated', {
      orgId: 'o',
      registryId: 'r',
      name: 'R',
      visibility: 'restricted',
      owningTeamId: 'ml',
      createdBy: 'user:alice',
    });
    const grant = emit('RegistryMemberAdded', {
      registryId: 'r',
      member: 'team:ml',
      role: 'viewer',
      defaulted: false,
    });
    const raised = emit('RegistryRoleChanged', {
      registryId: 'r',
      member: 'team:ml',
      from: 'viewer',
      to: 'member',
      reason: 'assigned',
    });
    expect(p.lookup(factKeys.registryGrant('r', 'team:ml')).established).toEqual([grant, raised]);
    expect(p.lookup(factKeys.registryOwningTeam('r')).established).toEqual([created]);
    const cleared = emit('RegistryOwningTeamChanged', { registryId: 'r', from: 'ml', to: null });
    expect(p.lookup(factKeys.registryOwningTeam('r'))).toEqual({ established: [], removed: cleared });
    const visible = emit('RegistryVisibilityChanged', {
      registryId: 'r',
      from: 'restricted',
      to: 'organization',
    });
    expect(p.lookup(factKeys.registryVisibility('r')).established).toEqual([created, visible]);
    emit('RegistryDeleted', { registryId: 'r' });
    expect(p.lookup(factKeys.registryGrant('r', 'team:ml'))).toEqual({ established: [], removed: null });
  });

  it('gives back every time string verbatim, including ones no Date would reproduce', () => {
    const { rm, p } = harness();
    const state = rm.orgs.get('o') ?? fail('no org');
    const times = [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2024-05-01T12:00:00Z',
      'not a time',
      '1900-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-13-01T00:00:00.000Z',
      '2024-01-01T24:00:00.000Z',
      '2024-01-01T23:59:60.000Z',
      '0000-01-01T00:00:00.000Z',
      '0099-12-31T23:59:59.999Z',
      '1969-12-31T23:59:59.999Z',
      '2024-1a-01T00:00:00.000Z',
    ];
    times.forEach((occurredAt, i) =>
      p.apply(
        {
          eventId: `00000000-0000-4000-8000-00000000010${i}`,
          stream: 'org-o',
          revision: 10 + i,
          position: String(10 + i),
          type: 'TeamCreated',
          data: { orgId: 'o', teamId: `t${i}`, name: 't' },
          metadata: { actor: 'system', correlationId: 'c', occurredAt, schemaVersion: 1 },
        },
        state,
      ),
    );
    expect(times.map((_, i) => p.lookup(factKeys.team(`t${i}`)).established[0]?.occurredAt)).toEqual(times);
  });

  it('survives malformed data of a recorded event without throwing', () => {
    const { rm, p } = harness();
    const bad: StoredEvent = {
      eventId: '00000000-0000-4000-8000-999999999999',
      stream: 'org-o',
      revision: 99,
      position: '99',
      type: 'CustomRoleCreated',
      data: { roleId: 'x', permissions: 42 },
      metadata: { actor: 'system', correlationId: 'c', occurredAt: 'yesterday', schemaVersion: 1 },
    };
    expect(() => p.apply(bad, rm.orgs.get('o') ?? fail('no org'))).not.toThrow();
  });

  describe('snapshots', () => {
    function populated() {
      const h = harness();
      h.emit('TeamCreated', { orgId: 'o', teamId: 'ml', name: 'ML' });
      h.emit('UserJoinedOrganization', { orgId: 'o', userId: 'carol', role: 'member' });
      h.emit('TeamMemberAdded', { teamId: 'ml', userId: 'carol', role: 'member' });
      // EventStoreDB-style position and a non-canonical time spelling must come back verbatim.
      h.rm.apply({
        eventId: '00000000-0000-4000-8000-000000000777',
        stream: 'org-o',
        revision: 5,
        position: '1234:1200',
        type: 'OrgRoleChanged',
        data: { orgId: 'o', userId: 'carol', from: 'member', to: 'admin' },
        metadata: {
          actor: 'user:bob',
          correlationId: 'c',
          occurredAt: '2024-05-01T12:00:00+02:00',
          schemaVersion: 1,
        },
      });
      h.emit(
        'ProjectCreated',
        { projectId: 'p', teamId: 'ml', name: 'P', visibility: 'team', owner: 'user:carol' },
        'user:carol',
        '2000',
      );
      h.emit('RunCreated', { runId: 'r', projectId: 'p', creator: 'user:carol', loggedBy: 'user:carol' });
      h.emit('RunMoved', { runId: 'r', from: 'p', to: 'p' });
      h.emit('ReportCreated', { reportId: 'rep', projectId: 'p', creator: 'user:carol' });
      h.emit('TeamMemberRemoved', { teamId: 'ml', userId: 'carol', reason: 'removed' });
      return h;
    }
    const keys = [
      factKeys.org('o'),
      factKeys.orgUser('o', 'carol'),
      factKeys.teamMember('ml', 'carol'),
      factKeys.projectVisibility('p'),
      factKeys.run('r'),
      factKeys.report('rep'),
    ];

    it('round-trips through JSON text with every citation intact', () => {
      const { p } = populated();
      const copy = ProvenanceIndex.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
      for (const k of keys) expect(copy.lookup(k)).toEqual(p.lookup(k));
      expect(copy.stats()).toEqual(p.stats());
      const removed = copy.lookup(factKeys.teamMember('ml', 'carol')).removed;
      expect(removed?.type).toBe('TeamMemberRemoved');
      expect(copy.lookup(factKeys.orgUser('o', 'carol')).established[1]).toEqual({
        position: '1234:1200',
        type: 'OrgRoleChanged',
        actor: 'user:bob',
        occurredAt: '2024-05-01T12:00:00+02:00',
      });
    });

    it('a restored org answers through ReadModel.provenance, its keys routed by the id index', () => {
      const { rm: source, p } = populated();
      const rm = new ReadModel((a, b) => Number(a) - Number(b));
      const state = source.org('o');
      if (!state) throw new Error('no org o');
      rm.restoreOrg('o', {
        state,
        provenance: ProvenanceIndex.fromJSON(JSON.parse(JSON.stringify(p.toJSON()))),
      });
      for (const [k, v] of source.index) rm.index.set(k, v);
      for (const k of keys) expect(rm.provenance.lookup(k)).toEqual(p.lookup(k));
      expect(rm.provenance.latestRemoval(keys)).toEqual(p.latestRemoval(keys));
      // A key of an org this model does not hold has no citations.
      expect(rm.provenance.lookup(factKeys.team('elsewhere'))).toEqual({ established: [], removed: null });
    });

    it.each([
      ['null', null],
      ['wrong version', { version: 2, refs: {}, facts: [], runs: [], reports: [] }],
      [
        'a row out of range',
        {
          version: 1,
          refs: { types: [], actors: [], type: [], actor: [], position: [], occurredAt: [] },
          facts: [['team:ml', [['member:carol', 5, -1, -1]]]],
          runs: [],
          reports: [],
        },
      ],
    ])('rejects %s and leaves a restored index untouched', (_label, bad) => {
      const { p } = populated();
      const before = p.lookup(factKeys.teamMember('ml', 'carol'));
      expect(() => ProvenanceIndex.fromJSON(bad)).toThrow(TypeError);
      expect(() => p.restore(bad)).toThrow(TypeError);
      expect(p.lookup(factKeys.teamMember('ml', 'carol'))).toEqual(before);
    });
  });

  it('a read model keeps one index per org and finds the latest removal across them by position', () => {
    const rm = new ReadModel((a, b) => Number(a) - Number(b));
    let position = 0;
    const at = (orgId: string, type: string, data: Record<string, unknown>): void => {
      position += 1;
      rm.apply({
        eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
        stream: `org-${orgId}`,
        revision: rm.org(orgId) ? (rm.org(orgId)?.revision ?? 0) + 1 : 0,
        position: String(position),
        type,
        data,
        metadata: {
          actor: 'system',
          correlationId: 'c',
          occurredAt: '2024-01-01T00:00:00.000Z',
          schemaVersion: 1,
        },
      });
    };
    for (const orgId of ['a', 'b']) {
      at(orgId, 'OrganizationCreated', { orgId, name: orgId, founderUserId: 'f', profile: DEFAULT_PROFILE });
      at(orgId, 'UserJoinedOrganization', { orgId, userId: 'u', role: 'member' });
      at(orgId, 'TeamCreated', { orgId, teamId: `t${orgId}`, name: 't' });
      at(orgId, 'TeamMemberAdded', { teamId: `t${orgId}`, userId: 'u', role: 'member' });
    }
    at('b', 'TeamMemberRemoved', { teamId: 'tb', userId: 'u', reason: 'removed' }); // position 9
    at('a', 'TeamMemberRemoved', { teamId: 'ta', userId: 'u', reason: 'removed' }); // position 10
    const keys = [factKeys.teamMember('ta', 'u'), factKeys.teamMember('tb', 'u')];
    expect(rm.provenance.latestRemoval(keys)?.position).toBe('10');
    expect(rm.provenance.latestRemoval(keys.slice(1))?.position).toBe('9');
    expect(rm.provenance.lookup(factKeys.orgUser('b', 'u')).established.map((r) => r.position)).toEqual([
      '6',
    ]);
    expect(rm.provenanceOf('a')?.lookup(factKeys.teamMember('tb', 'u'))).toEqual({
      established: [],
      removed: null,
    });
    expect(rm.provenance.stats().events).toBe(10);
  });

  it('grows past its initial capacity and keeps every reference exact', () => {
    const { emit, p } = harness();
    emit('TeamCreated', { orgId: 'o', teamId: 'ml', name: 'ML' });
    emit('ProjectCreated', {
      projectId: 'p',
      teamId: 'ml',
      name: 'P',
      visibility: 'team',
      owner: 'user:alice',
    });
    const runs: EventRef[] = [];
    for (let i = 0; i < 3000; i++) {
      runs.push(
        emit(
          'RunCreated',
          { runId: `r${i}`, projectId: 'p', creator: `user:u${i % 7}`, loggedBy: 'user:alice' },
          `user:u${i % 7}`,
        ),
      );
    }
    expect(p.lookup(factKeys.run('r0')).established).toEqual([runs[0]]);
    expect(p.lookup(factKeys.run('r2999')).established).toEqual([runs[2999]]);
    expect(p.stats().runs).toBe(3000);
  });
});
