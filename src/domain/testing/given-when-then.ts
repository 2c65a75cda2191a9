/**
 * Given/when/then helpers for decider tests (DESIGN.md habits):
 *   given(events).when(command).then(events)   — exact event types + data (subset match per event)
 *   given(events).when(command).thenRejects(kind, rule?)
 */
import type { AnyCommand, CommandBodies, CommandName } from '../commands';
import { decide } from '../decide';
import { DomainError, type DomainErrorKind } from '../errors';
import type { AnyDomainEvent, DomainEvent, EventDataByType, EventType } from '../events';
import { foldEvents } from '../evolve';
import type { OrgState } from '../model';

export type GivenEvent = { [T in EventType]: { type: T; data: EventDataByType[T] } }[EventType];

export function given(events: readonly GivenEvent[], orgId = 'O') {
  const state = foldEvents(orgId, events);
  return {
    state,
    when<N extends CommandName>(name: N, body: CommandBodies[N], actor: string) {
      const command = { name, body, actor } as AnyCommand;
      const run = (): AnyDomainEvent[] => decide(state, command);
      return {
        /** The produced events, for custom assertions. */
        events: run,
        /** The state a replay reaches: the given facts followed by the produced events, folded anew. */
        replayed(): OrgState {
          return foldEvents(orgId, [...events, ...run()]);
        },
        /**
         * `causedBy: n` asserts the cascade index; `causedBy: null` asserts a direct effect (no
         * causedBy); leaving it out asserts nothing about it.
         */
        then(
          expected: ReadonlyArray<{
            type: EventType;
            data?: Record<string, unknown>;
            causedBy?: number | null;
          }>,
        ) {
          const produced = run();
          expect(produced.map((e) => e.type)).toEqual(expected.map((e) => e.type));
          expected.forEach((e, i) => {
            const got = produced[i] as DomainEvent;
            if (e.data) expect(got.data).toMatchObject(e.data);
            if (e.causedBy === null) expect(got.causedBy).toBeUndefined();
            else if (e.causedBy !== undefined) expect(got.causedBy).toBe(e.causedBy);
          });
          return produced;
        },
        thenRejects(kind: DomainErrorKind, rule?: string) {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(DomainError);
          const de = error as DomainError;
          expect(de.kind).toBe(kind);
          if (rule !== undefined) expect(de.rule).toBe(rule);
          return de;
        },
      };
    },
  };
}

/** Applies a decision's events to a copy-free state (tests that chain commands). */
export function stateAfter(events: readonly GivenEvent[], orgId = 'O'): OrgState {
  return foldEvents(orgId, events);
}
