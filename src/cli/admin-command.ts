/**
 * What every admin client verb shares: the connection options (`--admin`, `--user`, `--password`, from the
 * environment too), `--json`, `--fields`/`--range`, running the verb with one AdminClient, and printing
 * lists and objects (a table or key/value block for people, the API's JSON for scripts).
 */
import { Option, type Command } from 'commander';
import { AdminClient, DEFAULT_ADMIN_URL } from './admin-client.js';
import { CommandError, print, printError, printJson } from './output.js';
import { coloursOn, outputWidth, type Colour } from './style.js';
import { columnsFor, renderDetails, renderTable, type Column } from './table.js';

export interface AdminOptions {
  admin: string;
  /** The admin user (HTTP Basic). */
  user?: string;
  password?: string;
  json?: boolean;
}

export interface ListOptions extends AdminOptions {
  fields?: string;
  range?: string;
}

/** Adds the connection options and `--json`. */
export function adminOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--admin <url>', 'admin API address').env('SESSIONGATE_ADMIN_URL').default(DEFAULT_ADMIN_URL))
    .addOption(new Option('--user <name>', 'admin user (HTTP Basic), when admin.users is set').env('SESSIONGATE_ADMIN_USER'))
    .addOption(new Option('--password <password>', 'admin password (prefer the environment: a command line is visible to other users)').env('SESSIONGATE_ADMIN_PASSWORD'))
    .option('--json', "print the admin API's JSON (for scripts)");
}

/** `--fields` on every verb that prints a resource; `--range` on lists too. */
export function fieldsOption(cmd: Command): Command {
  return cmd.option('--fields <a,b>', 'only these fields, nested ones as parent/child (the API\'s fields parameter)');
}

export function listOptions(cmd: Command): Command {
  return fieldsOption(cmd).option('--range <start-end>', 'only items START through END, counted from 0, e.g. 0-9 (the API\'s range parameter)');
}

/** Runs a verb with a client for the options' admin API; a `CommandError` becomes its message and exit code. */
export async function withAdmin(opts: AdminOptions, verb: (client: AdminClient) => Promise<void>): Promise<void> {
  await runVerb(async () => {
    const client = new AdminClient({ url: opts.admin, user: opts.user, password: opts.password });
    try {
      await verb(client);
    } finally {
      await client.close();
    }
  });
}

/** Runs a command's body; a `CommandError` is printed (never a stack trace) and sets the exit code. */
export async function runVerb(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    printError(err.message);
    process.exitCode = err.exitCode;
  }
}

/** The query parameters `--fields` and `--range` pass through. */
export function listQuery(opts: { fields?: string | undefined; range?: string | undefined }): Record<string, string | undefined> {
  return { fields: opts.fields, range: opts.range };
}

/** A list: the API's JSON, or a table (and how many there are in all when `--range` showed part). */
export function printList<T>(rows: T[], total: number | null, columns: readonly Column<T>[], opts: ListOptions, noun: string): void {
  if (opts.json) return printJson(rows);
  const all = total ?? rows.length;
  if (rows.length === 0) {
    print(all > 0 ? `no ${noun}s in range ${opts.range ?? ''} (${all} in all)` : `no ${noun}s`);
    return;
  }
  const lines = renderTable(rows, columnsFor(columns, opts.fields), { width: outputWidth(), colours: coloursOn() });
  for (const l of lines) print(l);
  if (all > rows.length) print(`${rows.length} of ${all} ${noun}s (--range shows others)`);
}

/** One object: the API's JSON, or a key/value block. */
export function printObject(value: unknown, opts: AdminOptions, colour?: (key: string, value: unknown) => Colour | null): void {
  if (opts.json) return printJson(value);
  for (const l of renderDetails(value, { colours: coloursOn(), colour })) print(l);
}
