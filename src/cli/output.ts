/** Writing to the terminal: plain text for people, JSON for scripts, and the exit codes scripts rely on. */

export const EXIT = {
  OK: 0,
  /** Something failed at run time (cannot bind, admin API unreachable, ...). */
  FAILURE: 1,
  /** The config (or the command line) is invalid. */
  INVALID: 2,
  /** The admin API answered that the resource does not exist. */
  NOT_FOUND: 3,
} as const;

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printError(line: string): void {
  process.stderr.write(`${line}\n`);
}
