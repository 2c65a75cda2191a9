import {
  CommandHandler,
  type ICommandHandler,
  type IQueryHandler,
  QueryHandler,
  Query,
  Command,
} from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { COMMAND_SERVICE, READ_SIDE } from '../http/tokens';
import type { CommandRequest, CommandResult, CommandService } from './command.service';
import type { Queries } from './query.service';
import type { ReadSide } from './read-side';

/** Every domain command travels the CommandBus as one envelope; the decider table does the dispatch. */
export class ExecuteCommand extends Command<CommandResult> {
  constructor(readonly request: CommandRequest) {
    super();
  }
}

@CommandHandler(ExecuteCommand)
export class ExecuteCommandHandler implements ICommandHandler<ExecuteCommand, CommandResult> {
  constructor(@Inject(COMMAND_SERVICE) private readonly commands: CommandService) {}

  execute(command: ExecuteCommand): Promise<CommandResult> {
    return this.commands.execute(command.request);
  }
}

export type Consistency =
  { kind: 'latest' } | { kind: 'atLeast'; position: string } | { kind: 'at'; position: string };

/**
 * What a read is about, when it reads one org (or a few): `at:` then rebuilds only those orgs as of the
 * position instead of the whole read model (read-side.ts). A read that looks at anything else — orgs
 * it does not name, the id index beyond them — must not give a scope.
 */
export interface QueryScope {
  /** `<kind>:<id>` resources the read is about (kinds org, team, project, run, report, registry). */
  resources?: readonly string[];
  /** Org ids the read is about. */
  orgs?: readonly string[];
  /** The read cites the provenance index (explain). */
  provenance?: boolean;
}

/** A read answered by the read side at the requested consistency; the answer gets its position added. */
export class ReadQuery<T extends object> extends Query<T & { position: string }> {
  constructor(
    readonly consistency: Consistency,
    readonly read: (q: Queries) => T,
    readonly scope?: QueryScope,
  ) {
    super();
  }
}

@QueryHandler(ReadQuery)
export class ReadQueryHandler implements IQueryHandler<ReadQuery<object>> {
  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {}

  async execute(query: ReadQuery<object>): Promise<object & { position: string }> {
    const q = await this.readSide.queriesAt(query.consistency, query.scope);
    return { ...query.read(q), position: q.position };
  }
}
