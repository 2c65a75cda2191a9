import { match } from '../support/match';

describe('scenario matcher (scenarios/README.md)', () => {
  it('matches objects by subset, nested', () => {
    expect(match({ a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'x', d: 2 }, e: 3 })).toEqual([]);
    expect(match({ a: 1 }, { a: 2 })).toHaveLength(1);
    expect(match({ a: 1 }, {})).toEqual(['$.a: missing (expected 1)']);
  });
  it('matches arrays element by element, in order, same length', () => {
    expect(match([{ t: 'A' }, { t: 'B' }], [{ t: 'A', x: 1 }, { t: 'B' }])).toEqual([]);
    expect(match([{ t: 'A' }, { t: 'B' }], [{ t: 'B' }, { t: 'A' }])).toHaveLength(2);
    expect(match([{ t: 'A' }], [{ t: 'A' }, { t: 'A' }])).toHaveLength(1);
  });
  it('null matches a missing key or a null value, nothing else', () => {
    expect(match({ role: null }, {})).toEqual([]);
    expect(match({ role: null }, { role: null })).toEqual([]);
    expect(match({ role: null }, { role: 'viewer' })).toHaveLength(1);
  });
  it('$len matches an array length', () => {
    expect(match({ entries: { $len: 2 } }, { entries: [1, 2] })).toEqual([]);
    expect(match({ entries: { $len: 2 } }, { entries: [1] })).toHaveLength(1);
    expect(match({ entries: { $len: 0 } }, { entries: 'x' })).toHaveLength(1);
  });
  it('compares scalars strictly', () => {
    expect(match(false, false)).toEqual([]);
    expect(match(false, 0)).toHaveLength(1);
    expect(match('1', 1)).toHaveLength(1);
  });
});
