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

/** A read answered by the read side at the requested consistency; the answer gets its position added. */
export class ReadQuery<T extends object> extends Query<T & { position: string }> {
  constructor(
    readonly consistency: Consistency,
    readonly read: (q: Queries) => T,
  ) {
    super();
  }
}

@QueryHandler(ReadQuery)
export class ReadQueryHandler implements IQueryHandler<ReadQuery<object>> {
  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {}

  async execute(query: ReadQuery<object>): Promise<object & { position: string }> {
    const q = await this.readSide.queriesAt(query.consistency);
    return { ...query.read(q), position: q.position };
  }
}
