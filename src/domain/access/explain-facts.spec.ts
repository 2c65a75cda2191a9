import { check } from '../access';
import type { OrgState } from '../model';
import {
  ORG_PERMISSIONS,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  TEAM_CHECKABLE_PERMISSIONS,
} from '../permissions';
import { explainDecision, type ExplainPlan } from './explain-facts';
import { factKeys, splitFactKey } from './fact-keys';
import { ev, fixtureRF, stateOf } from './fixture';

/** Fixture RF plus the cases explain must cover: custom roles, runs, SAs, a deactivated user, policies. */
function world(): OrgState {
  return stateOf(
    fixtureRF(),
    ev.customRole('stopper', 'viewer', ['run:stop']),
    ev.user('gina'),
    ev.member('ml', 'gina', 'custom:stopper'),
    ev.user('olga', 'admin'),
    ev.user('hank'),
    ev.deactivate('hank'),
    ev.member('ml', 'hank', 'admin'),
    ev.sa('sa_org', 'org', 'cv'),
    ev.run('r_carol', 'P_team', 'user:carol'),
    ev.report('rep_bob', 'P_team', 'user:bob'),
    ev.grant('R_org', 'team:cv', 'member'),
    ev.override('P_team', 'bob', 'member', 'admin'),
    ev.policy('invitationControl'),
  );
}

const facts = (plan: ExplainPlan): string[] => plan.facts.map((f) => f.fact);
const citing = (plan: ExplainPlan, key: string): string[] =>
  plan.facts.filter((f) => f.cite.some((c) => c.key === key)).map((f) => f.fact);

describe('explainDecision', () => {
  it('never disagrees with check: same decision for every principal × resource × permission', () => {
    const s = world();
    const principals = [
      ...[...s.users.keys(), 'stranger'].map((u) => `user:${u}`),
      ...[...s.serviceAccounts.keys(), 'ghost'].map((x) => `sa:${x}`),
    ];
    const scoped: [string[], readonly string[]][] = [
      [[...s.projects.keys()].map((p) => `project:${p}`), PROJECT_PERMISSIONS],
      [['run:r_carol', 'report:rep_bob'], PROJECT_PERMISSIONS],
      [[...s.registries.keys()].map((r) => `registry:${r}`), REGISTRY_PERMISSIONS],
      [[...s.teams.keys()].map((t) => `team:${t}`), [...TEAM_CHECKABLE_PERMISSIONS]],
      [['org:O'], ORG_PERMISSIONS],
    ];
    let denials = 0;
    for (const [resources, permissions] of scoped)
      for (const resource of resources)
        for (const permission of permissions)
          for (const principal of principals) {
            const plan = explainDecision(s, principal, permission, resource);
            expect(plan.result).toEqual(check(s, principal, permission, resource));
            // A denial always says what is missing; an allow never does.
            expect(plan.missing === undefined).toBe(plan.result.allowed);
            expect(plan.facts.length).toBeGreaterThan(0);
            for (const f of plan.facts)
              for (const c of f.cite)
                expect(splitFactKey(c.key).entity).toMatch(/^(org|team|project|registry|run|report):/);
            if (!plan.result.allowed) denials += 1;
          }
    expect(denials).toBeGreaterThan(1000);
  });

  it('R21: a team SA outside a restricted project needs to be added, citing its (absent) membership', () => {
    const plan = explainDecision(world(), 'sa:sa_ml', 'run:create', 'project:P_res');
    expect(plan.result.allowed).toBe(false);
    expect(plan.missing).toEqual({
      need: 'sa:sa_ml would need to be added to restricted project:P_res (R21)',
      removalKeys: [factKeys.restrictedMember('P_res', 'sa:sa_ml')],
    });
    expect(plan.facts.find((f) => f.fact.includes('is not a restricted member'))?.cite).toEqual([
      { key: factKeys.restrictedMember('P_res', 'sa:sa_ml'), absent: true },
    ]);
  });

  it('R17: a team member who is not a restricted member is told so, citing the restricted-member key', () => {
    const plan = explainDecision(world(), 'user:bob', 'project:read', 'project:P_res');
    // bob owns P_res (a restricted member by A7), so ask about dave instead.
    expect(plan.result.allowed).toBe(true);
    const dave = explainDecision(world(), 'user:dave', 'project:read', 'project:P_res');
    expect(dave.missing?.need).toBe('user:dave would need to be a restricted member of project:P_res (R17)');
    expect(dave.missing?.removalKeys).toEqual([factKeys.restrictedMember('P_res', 'user:dave')]);
  });

  it('A10: an org admin outside the team may manage a restricted project but must join to see content', () => {
    const plan = explainDecision(world(), 'user:olga', 'run:read', 'project:P_res');
    expect(plan.result.allowed).toBe(false);
    expect(plan.missing?.need).toContain('would need to join restricted project:P_res');
    expect(facts(plan)).toContain(
      'user:olga is not a member of team:ml but, as an org admin, acts as its admin (A9)',
    );
    const manage = explainDecision(world(), 'user:olga', 'project:manage-members', 'project:P_res');
    expect(manage.result.allowed).toBe(true);
    expect(facts(manage)).toContain('org admins manage every project (C1, A9)');
  });

  it('A46: a permission added to a custom role cites that addition', () => {
    const plan = explainDecision(world(), 'user:gina', 'run:stop', 'run:r_carol');
    expect(plan.result.allowed).toBe(true);
    expect(citing(plan, factKeys.customRolePermission('O', 'stopper', 'run:stop'))).toEqual([
      'custom role stopper adds run:stop, on any resource in scope (A46)',
    ]);
    expect(citing(plan, factKeys.customRole('O', 'stopper'))).toEqual([
      'custom role stopper is based on viewer (R9)',
    ]);
    expect(citing(plan, factKeys.run('r_carol'))).toEqual(['run:r_carol is in project:P_team']);
  });

  it('R5: a member may not delete a run someone else created, and is told who created it', () => {
    const plan = explainDecision(world(), 'user:bob', 'report:delete', 'report:rep_bob');
    expect(plan.result.allowed).toBe(true); // bob's override on P_team is admin
    const carol = explainDecision(world(), 'user:carol', 'report:delete', 'report:rep_bob');
    expect(carol.result.allowed).toBe(false);
    expect(citing(carol, factKeys.report('rep_bob'))).toContain(
      'report:rep_bob was created by user:bob, not user:carol',
    );
    expect(carol.missing?.need).toContain('would need to be the creator of report:rep_bob');
  });

  it('R110: an active override is cited; A39: a deactivated user needs reactivation', () => {
    const bob = explainDecision(world(), 'user:bob', 'project:update', 'project:P_team');
    expect(citing(bob, factKeys.projectOverride('P_team', 'bob'))).toEqual([
      'user:bob has the project-level role admin on project:P_team (override, R110)',
    ]);
    const hank = explainDecision(world(), 'user:hank', 'project:read', 'project:P_team');
    expect(hank.result.allowed).toBe(false);
    expect(citing(hank, factKeys.userStatus('O', 'hank'))).toHaveLength(1);
    expect(hank.missing?.need).toBe('user:hank would need to be reactivated (A39)');
  });

  it('R132/A19: registry contributions cite the team grant, the membership and the owning team', () => {
    const erin = explainDecision(world(), 'user:erin', 'registry:artifact.link', 'registry:R_org');
    expect(erin.result).toMatchObject({ allowed: true, role: 'member' });
    expect(citing(erin, factKeys.registryGrant('R_org', 'team:cv'))).toEqual([
      'team:cv is granted registry role member on registry:R_org, and user:erin belongs to it (R132, C11)',
    ]);
    const carol = explainDecision(world(), 'user:carol', 'registry:read', 'registry:R_ml');
    expect(carol.result.allowed).toBe(true);
    expect(citing(carol, factKeys.registryOwningTeam('R_ml'))).toHaveLength(1);
    const frank = explainDecision(world(), 'user:frank', 'registry:read', 'registry:R_ml');
    expect(frank.missing?.need).toBe(
      'user:frank would need a grant on registry:R_ml, directly or through a team, or a member of its owning team team:ml (R124)',
    );
  });

  it('R124: a user outside the org needs to join it before any registry grant matters', () => {
    const plan = explainDecision(world(), 'user:stranger', 'registry:read', 'registry:O.models');
    expect(plan.result.allowed).toBe(false);
    expect(plan.missing).toEqual({
      need: 'user:stranger would need to be a member of org:O (R124)',
      removalKeys: [factKeys.orgUser('O', 'stranger')],
    });
  });

  it('R85: enforced invitation control is cited for a member who may not invite', () => {
    const plan = explainDecision(world(), 'user:bob', 'team:invite', 'team:ml');
    expect(plan.result.allowed).toBe(false);
    expect(citing(plan, factKeys.policy('O', 'invitationControl'))).toHaveLength(1);
    expect(plan.missing?.need).toContain('invitation control (R85)');
  });
});
