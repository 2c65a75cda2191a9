/**
 * The audit index against a naive filter over every entry: posting-list seeks, leapfrog intersections
 * in both orders, cursors, time bounds (also with clock skew), `until`, cascade links, and the
 * backfill merge after a start from a snapshot.
 */
import type { StoredEvent } from '../event-store/port';
import {
  AuditIndex,
  PostingList,
  resourcesOf,
  subjectsOf,
  type AuditEntry,
  type AuditFilter,
} from './audit-index';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const compare = (a: string, b: string): number => {
  if (!/^[1-9][0-9]*$/.test(a) || !/^[1-9][0-9]*$/.test(b)) throw new RangeError('bad position');
  return Number(a) - Number(b);
};

const TYPES = [
  'TeamRoleChanged',
  'ProjectRoleChanged',
  'TeamMemberAdded',
  'RunCreated',
  'RegistryMemberAdded',
];
const BASE = Date.parse('2024-03-01T00:00:00.000Z');

/** A history of `n` events over 3 orgs, 6 actors, 8 users, 5 projects; `skew` sends some clocks back. */
function history(n: number, seed: number, skew = false): StoredEvent[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const events: StoredEvent[] = [];
  let t = BASE;
  for (let i = 1; i <= n; i++) {
    t += Math.floor(rnd() * 3000);
    const occurredAt = new Date(skew && rnd() < 0.1 ? t - Math.floor(rnd() * 60_000) : t).toISOString();
    const type = pick(TYPES);
    const data: Record<string, unknown> = {
      userId: `u${Math.floor(rnd() * 8)}`,
      projectId: `p${Math.floor(rnd() * 5)}`,
    };
    if (type === 'RegistryMemberAdded') data.member = `team:t${Math.floor(rnd() * 3)}`;
    const prev = events[events.length - 1];
    // Every third event is a cascade of the one before it (same command).
    const cascade = prev !== undefined && i % 3 === 0;
    events.push({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      stream: `org-o${Math.floor(rnd() * 3)}`,
      revision: i,
      position: String(i),
      type,
      data,
      metadata: {
        actor: pick(['user:u0', 'user:u1', 'user:u2', 'sa:s1', 'system', 'user:u7']),
        correlationId: cascade ? prev.metadata.correlationId : `c${i}`,
        causationId: cascade ? prev.eventId : `c${i}`,
        commandName: 'Cmd',
        occurredAt,
        schemaVersion: 1,
      },
    });
  }
  return events;
}

/** What the index must answer, computed by brute force. */
function naive(events: StoredEvent[], f: AuditFilter): string[] {
  const from = f.from === undefined ? undefined : Date.parse(f.from);
  const to = f.to === undefined ? undefined : Date.parse(f.to);
  const matching = events.filter((e) => {
    const t = Date.parse(e.metadata.occurredAt);
    if (f.orgId !== undefined && e.stream !== `org-${f.orgId}`) return false;
    if (f.type !== undefined && e.type !== f.type) return false;
    if (f.actor !== undefined && e.metadata.actor !== f.actor) return false;
    if (f.subject !== undefined && !subjectsOf(e.type, e.data).includes(f.subject)) return false;
    if (f.resource !== undefined && !resourcesOf(e.type, e.data).includes(f.resource)) return false;
    if (from !== undefined && t < from) return false;
    if (to !== undefined && t > to) return false;
    if (f.until !== undefined && Number(e.position) > Number(f.until)) return false;
    return true;
  });
  const positions = matching.map((e) => e.position);
  return f.order === 'asc' ? positions : positions.reverse();
}

/** Every page of a filter, following `next`; fails on a repeated position. */
function walk(index: AuditIndex, f: Omit<AuditFilter, 'after'>): string[] {
  const seen: string[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = index.query({ ...f, ...(after !== undefined ? { after } : {}) });
    seen.push(...page.entries.map((e) => e.position));
    if (!page.next) break;
    expect(page.entries).toHaveLength(f.limit);
    after = page.next;
  }
  expect(new Set(seen).size).toBe(seen.length);
  return seen;
}

function indexOf(events: StoredEvent[]): AuditIndex {
  const index = new AuditIndex(compare);
  for (const e of events) index.add(e);
  return index;
}

describe('PostingList', () => {
  it('seekGE / seekLE agree with a linear scan, as an array and after becoming an Int32Array', () => {
    const rnd = prng(7);
    for (const size of [0, 1, 5, 31, 32, 33, 200, 1000]) {
      const list = new PostingList();
      const rows: number[] = [];
      let v = 0;
      for (let i = 0; i < size; i++) {
        v += 1 + Math.floor(rnd() * 5);
        rows.push(v);
        list.push(v);
      }
      expect(list.length).toBe(size);
      for (let probe = 0; probe < 200; probe++) {
        const target = Math.floor(rnd() * (v + 10));
        const from = Math.floor(rnd() * (size + 1));
        let ge = from;
        while (ge < size && (rows[ge] as number) < target) ge++;
        expect(list.seekGE(from, target)).toBe(ge);
        const start = Math.min(from, size - 1);
        let le = start;
        while (le >= 0 && (rows[le] as number) > target) le--;
        expect(list.seekLE(start, target)).toBe(le);
      }
    }
  });
});

describe('AuditIndex.query', () => {
  const events = history(1500, 42);
  const index = indexOf(events);
  const filters: Omit<AuditFilter, 'limit' | 'order'>[] = [
    {},
    { orgId: 'o1' },
    { type: 'TeamRoleChanged' },
    { actor: 'user:u1' },
    { subject: 'user:u3' },
    { subject: 'team:t2' },
    { resource: 'project:p2' },
    { orgId: 'o2', type: 'ProjectRoleChanged' },
    { orgId: 'o0', actor: 'system', subject: 'user:u5' },
    { orgId: 'o1', type: 'RegistryMemberAdded', actor: 'sa:s1', subject: 'team:t0', resource: 'project:p4' },
    { from: new Date(BASE + 600_000).toISOString(), to: new Date(BASE + 1_200_000).toISOString() },
    { type: 'RunCreated', from: new Date(BASE + 1_000_000).toISOString() },
    { actor: 'user:u0', to: new Date(BASE + 900_000).toISOString() },
    { orgId: 'o1', until: '700' },
  ];

  it.each(filters.map((f) => [JSON.stringify(f), f] as const))(
    'filter %s: the first page and the walk over all pages equal the naive answer, in both orders',
    (_label, f) => {
      for (const order of ['asc', 'desc'] as const) {
        const expected = naive(events, { ...f, limit: 0, order });
        const first = index.query({ ...f, limit: 25, order });
        expect(first.entries.map((e) => e.position)).toEqual(expected.slice(0, 25));
        expect(first.next !== undefined).toBe(expected.length > 25);
        for (const limit of [1, 7, 100]) expect(walk(index, { ...f, limit, order })).toEqual(expected);
      }
    },
  );

  it('answers nothing for a value no event has, and for a filter whose lists do not meet', () => {
    expect(index.query({ actor: 'user:nobody', limit: 10, order: 'desc' }).entries).toEqual([]);
    expect(index.query({ type: 'RunCreated', subject: 'team:t1', limit: 10, order: 'asc' }).entries).toEqual(
      [],
    );
  });

  it('a cursor is exclusive in the direction of traversal', () => {
    const asc = index.query({ orgId: 'o2', after: '500', limit: 3, order: 'asc' }).entries;
    const desc = index.query({ orgId: 'o2', after: '500', limit: 3, order: 'desc' }).entries;
    expect(asc.every((e) => Number(e.position) > 500)).toBe(true);
    expect(desc.every((e) => Number(e.position) < 500)).toBe(true);
    expect(asc.map((e) => e.position)).toEqual(
      naive(events, { orgId: 'o2', limit: 0, order: 'asc' })
        .filter((p) => Number(p) > 500)
        .slice(0, 3),
    );
  });

  it('time bounds are exact when clocks went backwards (skewed writers)', () => {
    const skewed = history(1200, 9, true);
    const idx = indexOf(skewed);
    for (const [from, to] of [
      [300_000, 700_000],
      [0, 100_000],
      [1_000_000, 2_000_000],
    ] as const) {
      const f = { from: new Date(BASE + from).toISOString(), to: new Date(BASE + to).toISOString() };
      for (const order of ['asc', 'desc'] as const) {
        expect(walk(idx, { ...f, type: 'TeamMemberAdded', limit: 9, order })).toEqual(
          naive(skewed, { ...f, type: 'TeamMemberAdded', limit: 0, order }),
        );
        expect(walk(idx, { ...f, limit: 50, order })).toEqual(naive(skewed, { ...f, limit: 0, order }));
      }
    }
  });
});

describe('AuditIndex entries', () => {
  it('carry the envelope, the W&B action and, for a cascade, the position and type of its cause', () => {
    const events = history(30, 3);
    const index = indexOf(events);
    const all = index.query({ limit: 100, order: 'asc' }).entries;
    const third = all[2] as AuditEntry;
    const second = events[1] as StoredEvent;
    expect(third.causationId).toBe(second.eventId);
    expect(third.causedBy).toEqual({ position: second.position, type: second.type, eventId: second.eventId });
    expect(third.data).toBe((events[2] as StoredEvent).data);
    // A direct effect names its command, which is no event: no causedBy.
    expect((all[0] as AuditEntry).causationId).toBe('c1');
    expect((all[0] as AuditEntry).causedBy).toBeUndefined();
    const member = all.find((e) => e.type === 'TeamMemberAdded');
    expect(member?.wandbAction).toBe('team:invite_user');
    expect(index.byEventId(second.eventId)?.position).toBe(second.position);
    expect(index.byEventId('nope')).toBeUndefined();
  });

  it('hasPosition / isPosition tell an event position from a gap and a malformed one', () => {
    const index = indexOf(history(10, 1));
    expect(index.hasPosition('10')).toBe(true);
    expect(index.hasPosition('11')).toBe(false);
    expect(index.isPosition('3')).toBe(true);
    expect(index.isPosition('1:2')).toBe(false);
  });
});

describe('backfill after a start from a snapshot', () => {
  it('prepend(older) gives the same answers as an index fed from the first event, and completes it', () => {
    const events = history(900, 5);
    const whole = indexOf(events);
    const live = new AuditIndex(compare);
    live.expectBackfill('600');
    for (const e of events.slice(600)) live.add(e);
    expect(live.complete).toBe(false);
    expect(() => live.assertComplete()).toThrow(/being rebuilt/);
    live.prepend(indexOf(events.slice(0, 600)));
    expect(live.complete).toBe(true);
    expect(live.size).toBe(900);
    for (const f of [{}, { orgId: 'o1' }, { subject: 'user:u2', type: 'TeamRoleChanged' }]) {
      for (const order of ['asc', 'desc'] as const) {
        expect(walk(live, { ...f, limit: 40, order })).toEqual(walk(whole, { ...f, limit: 40, order }));
      }
    }
    // The cause of the first live cascade sits in the backfilled part.
    expect(live.byEventId((events[601] as StoredEvent).eventId)?.position).toBe('602');
  });

  it('refuses an overlapping backfill', () => {
    const events = history(20, 2);
    const live = indexOf(events.slice(10));
    expect(() => live.prepend(indexOf(events.slice(0, 11)))).toThrow(/overlaps/);
  });
});
