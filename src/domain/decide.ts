import type { AnyCommand, Command, CommandName } from './commands';
import { orgDeciders } from './deciders/organization.decider';
import { teamDeciders } from './deciders/team.decider';
import { projectDeciders } from './deciders/project.decider';
import { runDeciders } from './deciders/run.decider';
import { registryDeciders } from './deciders/registry.decider';
import type { AnyDomainEvent } from './events';
import type { OrgState } from './model';

/** A decider: pure, reads the state, returns the events (cascades included) or throws a DomainError. */
export type Decider<N extends CommandName> = (state: OrgState, command: Command<N>) => AnyDomainEvent[];
export type DeciderTable<N extends CommandName = CommandName> = { [K in N]: Decider<K> };

const table = {
  ...orgDeciders,
  ...teamDeciders,
  ...projectDeciders,
  ...runDeciders,
  ...registryDeciders,
} satisfies DeciderTable;

/**
 * Decides one command against the state of its organization. For CreateOrganization the state is an
 * empty state (revision -1) for the requested org id.
 */
export function decide(state: OrgState, command: AnyCommand): AnyDomainEvent[] {
  const decider = table[command.name] as Decider<CommandName>;
  return decider(state, command as Command<CommandName>);
}
