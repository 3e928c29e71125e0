/** Writing to the terminal: plain text for people, JSON for scripts, and the exit codes scripts rely on. */

export const EXIT = {
  OK: 0,
  /** Something failed at run time (cannot bind, admin API unreachable, ...). */
  FAILURE: 1,
  /** The config (or the command line) is invalid. */
  INVALID: 2,
  /** The admin API answered that the resource does not exist. */
  NOT_FOUND: 3,
  /** The admin API refused the credentials. */
  AUTH: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each exit code means, for `docs/cli.md` (one entry per code, or this does not compile). */
export const EXIT_MEANING: Record<keyof typeof EXIT, string> = {
  OK: 'success',
  FAILURE: 'failure: the gateway could not start or stopped on an error, the admin API is unreachable or answered an error, a file could not be written',
  INVALID: 'usage error or invalid input: unknown option, missing argument, invalid config file, or the admin API refused a value (400)',
  NOT_FOUND: 'the admin API has no such resource (404): unknown session or exchange id',
  AUTH: 'the admin API refused the credentials (401): see `--user`, `--password`',
};

/** A failure worded for an operator, with the exit code it ends the command with. */
export class CommandError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.FAILURE) {
    super(message);
    this.name = 'CommandError';
    this.exitCode = exitCode;
  }
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printError(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** JSON for scripts: the admin API's document as it came, indented. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
