import { check } from '../access';
import type { AnyDomainEvent } from '../events';
import { given, stateAfter, type GivenEvent } from '../testing/given-when-then';
import { f, fixtureF } from '../testing/fixture-f';

/**
 * Extra people on top of fixture F: tina — admin of ml by team role; mia — ml member outside P_res;
 * sa_org — org SA (default team cv); sa_cv — team SA of cv. Runs: r_bob and r_carol in P_team,
 * r_res (bob) in P_res, r_sa (sa_ml) in P_team.
 */
function world(...extra: GivenEvent[]): GivenEvent[] {
  return [
    ...fixtureF(),
    f.user('tina'),
    f.member('ml', 'tina', 'admin'),
    f.user('mia'),
    f.member('ml', 'mia', 'member'),
    f.sa('sa_org', 'org', 'cv'),
    f.sa('sa_cv', 'team', 'cv'),
    f.run('r_bob', 'P_team', 'user:bob'),
    f.run('r_carol', 'P_team', 'user:carol'),
    f.run('r_res', 'P_res', 'user:bob'),
    f.run('r_sa', 'P_team', 'sa:sa_ml'),
    ...extra,
  ];
}

const fold = (events: GivenEvent[], produced: AnyDomainEvent[]) => stateAfter([...events, ...produced]);

describe('LogRun', () => {
  it('R16 R93 a team member logs a run and is recorded as its creator', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team' }, 'user:carol')
      .then([
        {
          type: 'RunCreated',
          data: { runId: 'r1', projectId: 'P_team', creator: 'user:carol', loggedBy: 'user:carol' },
        },
      ]);
  });

  it('R16 a user outside the parent team may not log to a team project (forbidden)', () => {
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_team' }, 'user:erin').thenRejects('forbidden');
  });

  it('R6 R93 a view-only member may not log runs (forbidden)', () => {
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_team' }, 'user:dave').thenRejects('forbidden');
  });

  it('R17 only invited members log to a restricted project', () => {
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_res' }, 'user:mia').thenRejects('forbidden');
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_res' }, 'user:carol')
      .then([{ type: 'RunCreated', data: { creator: 'user:carol' } }]);
  });

  it('R14 anyone in the org may submit runs to an open project; R15 only the team to a public one', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_cv_open' }, 'user:frank')
      .then([{ type: 'RunCreated', data: { creator: 'user:frank' } }]);
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_cv_pub' }, 'user:frank')
      .thenRejects('forbidden');
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_cv_pub' }, 'user:erin')
      .then([{ type: 'RunCreated' }]);
  });

  it('R21 A35 a team SA logs to its team projects, not to a restricted one until it is added', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team' }, 'sa:sa_ml')
      .then([{ type: 'RunCreated', data: { creator: 'sa:sa_ml', loggedBy: 'sa:sa_ml' } }]);
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_res' }, 'sa:sa_ml').thenRejects('forbidden');
    given(world(f.join('P_res', 'sa:sa_ml')))
      .when('LogRun', { runId: 'r1', projectId: 'P_res' }, 'sa:sa_ml')
      .then([{ type: 'RunCreated' }]);
  });

  it('R117 an org SA logs to every team, but not to restricted projects unless added', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team' }, 'sa:sa_org')
      .then([{ type: 'RunCreated' }]);
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_cv' }, 'sa:sa_org')
      .then([{ type: 'RunCreated' }]);
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_res' }, 'sa:sa_org').thenRejects('forbidden');
  });

  it('R118 R119 A36 a team SA in another team: open yes, public and team no (forbidden)', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_cv_open' }, 'sa:sa_ml')
      .then([{ type: 'RunCreated' }]);
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_cv_pub' }, 'sa:sa_ml')
      .thenRejects('forbidden');
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_cv' }, 'sa:sa_ml').thenRejects('forbidden');
  });

  it('R120 an SA attributes a run to a member of its team; otherwise the attribution is ignored (T42)', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'bob' }, 'sa:sa_ml')
      .then([{ type: 'RunCreated', data: { creator: 'user:bob', loggedBy: 'sa:sa_ml' } }]);
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'erin' }, 'sa:sa_ml')
      .then([{ type: 'RunCreated', data: { creator: 'sa:sa_ml', loggedBy: 'sa:sa_ml' } }]);
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'ghost' }, 'sa:sa_ml')
      .then([{ type: 'RunCreated', data: { creator: 'sa:sa_ml' } }]);
  });

  it('R120 for an org SA the attributed user must be in the team it logs to', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'carol' }, 'sa:sa_org')
      .then([{ type: 'RunCreated', data: { creator: 'user:carol', loggedBy: 'sa:sa_org' } }]);
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'erin' }, 'sa:sa_org')
      .then([{ type: 'RunCreated', data: { creator: 'sa:sa_org' } }]);
  });

  it('R120 R95 a user cannot attribute a run to someone else (attribution is for service accounts)', () => {
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'carol' }, 'user:bob')
      .thenRejects('rule', 'R120');
    given(world())
      .when('LogRun', { runId: 'r1', projectId: 'P_team', attributedUserId: 'bob' }, 'user:bob')
      .then([{ type: 'RunCreated', data: { creator: 'user:bob' } }]);
  });

  it('R95 the system actor cannot log a run: a run needs a creator (forbidden)', () => {
    given(world()).when('LogRun', { runId: 'r1', projectId: 'P_team' }, 'system').thenRejects('forbidden');
  });

  it('a taken or retired run id is already_exists; an unknown project is not_found', () => {
    given(world())
      .when('LogRun', { runId: 'r_bob', projectId: 'P_team' }, 'user:bob')
      .thenRejects('already_exists');
    given(world(f.deleteRun('r_bob', 'P_team')))
      .when('LogRun', { runId: 'r_bob', projectId: 'P_team' }, 'user:bob')
      .thenRejects('already_exists');
    given(world()).when('LogRun', { runId: 'r1', projectId: 'nope' }, 'user:bob').thenRejects('not_found');
  });
});

describe('StopRun', () => {
  it('R93 a member stops their own run', () => {
    given(world())
      .when('StopRun', { runId: 'r_bob' }, 'user:bob')
      .then([{ type: 'RunStopped', data: { runId: 'r_bob', projectId: 'P_team' } }]);
  });

  it("R93 a member may not stop another member's run (forbidden)", () => {
    given(world()).when('StopRun', { runId: 'r_bob' }, 'user:carol').thenRejects('forbidden');
  });

  it('R3 a team admin stops any run', () => {
    given(world())
      .when('StopRun', { runId: 'r_bob' }, 'user:tina')
      .then([{ type: 'RunStopped' }]);
  });

  it('A46 a custom role that adds run:stop to a viewer base stops any run (T08)', () => {
    given(
      world(
        f.customRole('Stopper', 'viewer', ['run:stop']),
        f.teamRole('ml', 'carol', 'member', 'custom:Stopper'),
      ),
    )
      .when('StopRun', { runId: 'r_bob' }, 'user:carol')
      .then([{ type: 'RunStopped' }]);
  });

  it('R6 a view-only member stops nothing (forbidden)', () => {
    given(world(f.run('r_dave', 'P_team', 'user:dave')))
      .when('StopRun', { runId: 'r_dave' }, 'user:dave')
      .thenRejects('forbidden');
  });

  it('stopping a stopped run is an idempotent no-op; an unknown run is not_found', () => {
    given(world(f.stopRun('r_bob', 'P_team')))
      .when('StopRun', { runId: 'r_bob' }, 'user:bob')
      .then([]);
    given(world()).when('StopRun', { runId: 'nope' }, 'user:bob').thenRejects('not_found');
  });
});

describe('DeleteRun', () => {
  it('R5 a member deletes their own run', () => {
    given(world())
      .when('DeleteRun', { runId: 'r_carol' }, 'user:carol')
      .then([{ type: 'RunDeleted', data: { runId: 'r_carol', projectId: 'P_team' } }]);
  });

  it("R5 a member may not delete another member's run (forbidden)", () => {
    given(world()).when('DeleteRun', { runId: 'r_bob' }, 'user:carol').thenRejects('forbidden');
  });

  it('R3 a team admin and an org admin delete runs created by anyone', () => {
    given(world())
      .when('DeleteRun', { runId: 'r_bob' }, 'user:tina')
      .then([{ type: 'RunDeleted' }]);
    given(world())
      .when('DeleteRun', { runId: 'r_sa' }, 'user:alice')
      .then([{ type: 'RunDeleted' }]);
  });

  it('A46 an added run:delete deletes any run; a member-base custom role keeps the own-only qualifier (T09)', () => {
    given(
      world(
        f.customRole('Deleter', 'viewer', ['run:delete']),
        f.teamRole('ml', 'carol', 'member', 'custom:Deleter'),
      ),
    )
      .when('DeleteRun', { runId: 'r_bob' }, 'user:carol')
      .then([{ type: 'RunDeleted' }]);
    given(
      world(
        f.customRole('Janitor', 'member', ['project:delete']),
        f.teamRole('ml', 'carol', 'member', 'custom:Janitor'),
      ),
    )
      .when('DeleteRun', { runId: 'r_bob' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('A35 a service account deletes only the runs it created', () => {
    given(world())
      .when('DeleteRun', { runId: 'r_sa' }, 'sa:sa_ml')
      .then([{ type: 'RunDeleted' }]);
    given(world()).when('DeleteRun', { runId: 'r_bob' }, 'sa:sa_ml').thenRejects('forbidden');
  });

  it('R95 R120 the attributed user, not the logging SA operator, owns the run', () => {
    const events = world(f.run('r_att', 'P_team', 'user:bob', 'sa:sa_ml'));
    given(events)
      .when('DeleteRun', { runId: 'r_att' }, 'user:bob')
      .then([{ type: 'RunDeleted' }]);
    given(events).when('DeleteRun', { runId: 'r_att' }, 'user:carol').thenRejects('forbidden');
  });

  it('an unknown or deleted run is not_found', () => {
    given(world(f.deleteRun('r_bob', 'P_team')))
      .when('DeleteRun', { runId: 'r_bob' }, 'user:alice')
      .thenRejects('not_found');
  });
});

describe('MoveRun', () => {
  it('R22 a run cannot be moved out of a restricted project, even by its creator', () => {
    given(world())
      .when('MoveRun', { runId: 'r_res', toProjectId: 'P_team' }, 'user:bob')
      .thenRejects('rule', 'R22');
  });

  it('R22 a run cannot be moved out of a restricted project, even by an org admin who joined (T20)', () => {
    given(world(f.join('P_res', 'user:alice', 'selfJoin')))
      .when('MoveRun', { runId: 'r_res', toProjectId: 'P_team' }, 'user:alice')
      .thenRejects('rule', 'R22');
  });

  it('R22 whatever the role: a view-only restricted member who can see the run gets the rule too', () => {
    given(world(f.join('P_res', 'user:dave')))
      .when('MoveRun', { runId: 'r_res', toProjectId: 'P_team' }, 'user:dave')
      .thenRejects('rule', 'R22');
  });

  it('R113 C2 someone who cannot see a restricted run gets forbidden, not the rule', () => {
    given(world())
      .when('MoveRun', { runId: 'r_res', toProjectId: 'P_team' }, 'user:mia')
      .thenRejects('forbidden');
  });

  it('R22 A17 a run can be moved into a restricted project, and keeps its creator', () => {
    const events = world();
    const produced = given(events)
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P_res' }, 'user:bob')
      .then([{ type: 'RunMoved', data: { runId: 'r_bob', from: 'P_team', to: 'P_res' } }]);
    const after = fold(events, produced);
    expect(after.runs.get('r_bob')).toMatchObject({ projectId: 'P_res', creator: 'user:bob' });
    expect(check(after, 'user:dave', 'run:read', 'run:r_bob').allowed).toBe(false);
  });

  it("A17 a member moves only their own runs (run:move = run:delete): another member's run is forbidden", () => {
    given(world(...f.project('P2', 'ml', 'team', 'user:carol')))
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P2' }, 'user:carol')
      .thenRejects('forbidden');
    given(world(...f.project('P2', 'ml', 'team', 'user:carol')))
      .when('MoveRun', { runId: 'r_carol', toProjectId: 'P2' }, 'user:carol')
      .then([{ type: 'RunMoved', data: { from: 'P_team', to: 'P2' } }]);
  });

  it('R3 A17 a team admin moves anybody’s run within the team', () => {
    given(world(...f.project('P2', 'ml', 'team', 'user:tina')))
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P2' }, 'user:tina')
      .then([{ type: 'RunMoved' }]);
  });

  it('R113 A17 the actor must be able to log runs at the destination (forbidden otherwise)', () => {
    given(world())
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P_cv' }, 'user:bob')
      .thenRejects('forbidden');
  });

  it('R113 the actor must have access to the run where it is (forbidden otherwise)', () => {
    given(world())
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P_cv' }, 'user:erin')
      .thenRejects('forbidden');
  });

  it('R95 after a move into a project owned by another member, the owner cannot delete the run; its creator can', () => {
    const events = world(...f.project('P_c', 'ml', 'team', 'user:carol'));
    const produced = given(events)
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P_c' }, 'user:bob')
      .then([{ type: 'RunMoved' }]);
    const after = [...events, ...produced];
    given(after).when('DeleteRun', { runId: 'r_bob' }, 'user:carol').thenRejects('forbidden');
    given(after)
      .when('DeleteRun', { runId: 'r_bob' }, 'user:bob')
      .then([{ type: 'RunDeleted', data: { projectId: 'P_c' } }]);
  });

  it('A18 R113 runs move between teams when the actor may act in both', () => {
    given(world(f.member('cv', 'bob', 'member')))
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'P_cv' }, 'user:bob')
      .then([{ type: 'RunMoved', data: { from: 'P_team', to: 'P_cv' } }]);
  });

  it('A18 a team SA moves runs only within its team, even into an open project it may log to (forbidden)', () => {
    given(world())
      .when('MoveRun', { runId: 'r_sa', toProjectId: 'P_cv_open' }, 'sa:sa_ml')
      .thenRejects('forbidden', 'A18');
    given(world(...f.project('P2', 'ml', 'team', 'user:bob')))
      .when('MoveRun', { runId: 'r_sa', toProjectId: 'P2' }, 'sa:sa_ml')
      .then([{ type: 'RunMoved' }]);
  });

  it('A18 an org SA moves its runs across teams', () => {
    given(world(f.run('r_o', 'P_team', 'sa:sa_org')))
      .when('MoveRun', { runId: 'r_o', toProjectId: 'P_cv' }, 'sa:sa_org')
      .then([{ type: 'RunMoved', data: { from: 'P_team', to: 'P_cv' } }]);
  });

  it('moving a run to its own project is a no-op; an unknown destination is not_found', () => {
    given(world()).when('MoveRun', { runId: 'r_bob', toProjectId: 'P_team' }, 'user:bob').then([]);
    given(world())
      .when('MoveRun', { runId: 'r_bob', toProjectId: 'elsewhere' }, 'user:bob')
      .thenRejects('not_found');
  });
});

describe('CreateReport', () => {
  it('R92 a member creates a report and is its creator', () => {
    given(world())
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_team', name: 'weekly' }, 'user:carol')
      .then([
        {
          type: 'ReportCreated',
          data: { reportId: 'Rep1', projectId: 'P_team', creator: 'user:carol', name: 'weekly' },
        },
      ]);
  });

  it('R6 a view-only member may not create reports (forbidden, T36)', () => {
    given(world())
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_team' }, 'user:dave')
      .thenRejects('forbidden');
  });

  it('R14 an org user outside the team submits reports to an open project; R15 not to a public one', () => {
    given(world())
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_cv_open' }, 'user:frank')
      .then([{ type: 'ReportCreated' }]);
    given(world())
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_cv_pub' }, 'user:frank')
      .thenRejects('forbidden');
  });

  it('A35 a service account does not create reports; neither does the system actor (forbidden)', () => {
    given(world())
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_team' }, 'sa:sa_ml')
      .thenRejects('forbidden');
    given(world())
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_team' }, 'system')
      .thenRejects('forbidden');
  });

  it('a taken report id is already_exists', () => {
    given(world(f.report('Rep1', 'P_team', 'user:bob')))
      .when('CreateReport', { reportId: 'Rep1', projectId: 'P_team' }, 'user:carol')
      .thenRejects('already_exists');
  });
});

describe('DeleteReport', () => {
  it('R92 a member deletes their own report', () => {
    given(world(f.report('Rep1', 'P_team', 'user:carol')))
      .when('DeleteReport', { reportId: 'Rep1' }, 'user:carol')
      .then([{ type: 'ReportDeleted', data: { reportId: 'Rep1', projectId: 'P_team' } }]);
  });

  it("R92 a member may not delete another member's report (forbidden, T37)", () => {
    given(world(f.report('Rep1', 'P_team', 'user:bob')))
      .when('DeleteReport', { reportId: 'Rep1' }, 'user:carol')
      .thenRejects('forbidden');
  });

  it('R3 R92 an admin deletes any report', () => {
    given(world(f.report('Rep1', 'P_team', 'user:bob')))
      .when('DeleteReport', { reportId: 'Rep1' }, 'user:alice')
      .then([{ type: 'ReportDeleted' }]);
  });

  it('an unknown report is not_found', () => {
    given(world()).when('DeleteReport', { reportId: 'nope' }, 'user:alice').thenRejects('not_found');
  });
});

describe('R115 moving is not copying', () => {
  it('R115 MoveRun moves the run itself: one RunMoved, the same id and creator, gone from the source project', () => {
    const events = world();
    const w = given(events).when('MoveRun', { runId: 'r_bob', toProjectId: 'P_res' }, 'user:bob');
    w.then([{ type: 'RunMoved', data: { runId: 'r_bob', from: 'P_team', to: 'P_res' } }]);
    const before = stateAfter(events);
    const s = w.replayed();
    expect(s.runs.size).toBe(before.runs.size);
    expect(s.runs.get('r_bob')).toMatchObject({ projectId: 'P_res', creator: 'user:bob' });
    expect(s.projects.get('P_team')?.runs.has('r_bob')).toBe(false);
    expect(s.projects.get('P_res')?.runs.has('r_bob')).toBe(true);
  });
});
