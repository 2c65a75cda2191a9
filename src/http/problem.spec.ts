/** Store failures as problem+json (api.md errors): the client learns the store, not a generic 500. */
import { StoreCorruptError, StoreUnavailableError } from '../event-store/port';
import { toProblem } from './problem';

describe('toProblem: event-store failures', () => {
  it('an unavailable store is 503 STORE_UNAVAILABLE with its message', () => {
    const p = toProblem(new StoreUnavailableError('Event store file /d/events.sqlite stayed locked'));
    expect([p.status, p.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    expect(p.detail).toContain('/d/events.sqlite');
  });

  it('a store the background integrity check found damaged is 503 STORE_UNAVAILABLE, not a 500', () => {
    const p = toProblem(new StoreCorruptError('Event store file /d/events.sqlite is damaged'));
    expect([p.status, p.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    expect(p.detail).toContain('is damaged');
  });
});
