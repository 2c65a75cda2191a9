import { f, fixtureF } from '../domain/testing/fixture-f';
import { diffReadModels } from './state-diff';
import { readModelOf } from './testing/read-models';

describe('diffReadModels', () => {
  it('finds nothing between two rebuilds of the same history, whatever the Map insertion order', () => {
    const a = readModelOf(fixtureF());
    const b = readModelOf(fixtureF());
    const team = b.org('O')?.teams.get('ml');
    if (!team) throw new Error('no team');
    const entries = [...team.members].reverse();
    team.members.clear();
    for (const [k, v] of entries) team.members.set(k, v);
    expect(diffReadModels(a, b)).toEqual({ total: 0, differences: [] });
  });

  it('names the path of a changed role and of a Set element', () => {
    const a = readModelOf(fixtureF());
    const b = readModelOf(fixtureF());
    b.org('O')?.teams.get('ml')?.members.set('carol', 'admin');
    b.org('O')?.projects.get('P_res')?.restrictedMembers.add('user:dave');
    const d = diffReadModels(a, b);
    expect(d.total).toBe(2);
    expect(d.differences).toEqual(
      expect.arrayContaining([
        { path: 'orgs.O.teams.ml.members.carol', expected: '"member"', actual: '"admin"' },
        {
          path: 'orgs.O.projects.P_res.restrictedMembers ∋ "user:dave"',
          expected: 'absent',
          actual: 'present',
        },
      ]),
    );
  });

  it('counts every difference but lists at most max', () => {
    const a = readModelOf(fixtureF());
    const b = readModelOf([...fixtureF(), f.user('u1'), f.user('u2'), f.user('u3')]);
    const d = diffReadModels(a, b, 2);
    expect(d.differences).toHaveLength(2);
    expect(d.total).toBeGreaterThan(3);
  });
});
