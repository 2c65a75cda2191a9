/**
 * Exit codes of the CLI (README, "Replay CLI"). Scripts branch on them, so they are part of the contract.
 */
export const EXIT = {
  ok: 0,
  /** Drift, a broken hash chain, or differences found when `--fail-on-diff` was given. */
  findings: 1,
  usage: 2,
  store: 3,
  /** A bug in the CLI itself (EX_SOFTWARE of sysexits.h): never a normal outcome. */
  internal: 70,
} as const;

/** Bad command line: unknown flag, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** Printed after the message: the command's usage (parse errors) or a pointer to `--help`. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The store cannot be opened or read (missing file, corrupt file, EventStoreDB down). Exit code 3. */
export class CliStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliStoreError';
  }
}
