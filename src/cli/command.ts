import type { EventStore } from '../event-store/port';
import type { OptionSpec } from './args';
import type { CommandContext } from './output';

/** One CLI command: its options, its help text and what it does with an opened store. */
export interface Command {
  /** As typed: `rebuild`, `audit export`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs shown by `--help` between the usage line and the options. */
  description: string;
  options: readonly OptionSpec[];
  /** Returns the exit code. Throws UsageError (2) or CliStoreError (3) for those outcomes. */
  run(ctx: CommandContext, store: EventStore): Promise<number>;
}
