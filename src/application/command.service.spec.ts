import { timeOrderedEventId } from './command.service';

describe('timeOrderedEventId', () => {
  it('is an RFC 4122-shaped UUID of version 7 whose first 48 bits are the time in milliseconds', () => {
    const now = Date.UTC(2026, 10, 23, 19, 0, 0, 123);
    const id = timeOrderedEventId(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('ids of later milliseconds sort after earlier ones; ids of one millisecond differ', () => {
    const now = Date.now();
    const ids = [timeOrderedEventId(now), timeOrderedEventId(now + 1), timeOrderedEventId(now + 1000)];
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedEventId(now)));
    expect(same.size).toBe(1000);
  });
});
