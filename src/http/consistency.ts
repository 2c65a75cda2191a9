import type { Consistency } from '../application/cqrs';
import { ValidationFailedError } from './problem';

const POSITION = /^[0-9]{1,20}(:[0-9]{1,20})?$/;

/** `consistency=atLeast:<position>` | `at:<position>` (api.md "Queries"). */
export function parseConsistency(raw: unknown): Consistency {
  if (raw === undefined || raw === '') return { kind: 'latest' };
  if (typeof raw === 'string') {
    const m = /^(atLeast|at):(.+)$/.exec(raw);
    if (m && POSITION.test(m[2] as string))
      return { kind: m[1] as 'atLeast' | 'at', position: m[2] as string };
  }
  throw new ValidationFailedError([
    {
      field: 'consistency',
      message: 'must be atLeast:<position> or at:<position> (a position returned by a command)',
    },
  ]);
}
