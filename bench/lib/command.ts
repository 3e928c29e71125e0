/**
 * What the bench's commands (`npm run bench`, `npm run soak`) share: sessiongate built into dist/, expected
 * failures reported without a stack trace, and one way out — on the end of `main`, an error, SIGINT/SIGTERM
 * or a deadline, every child process is stopped before the process exits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { killAllProcessesNow, liveProcessCount, stopAllProcesses } from './processes.js';

/** An expected failure (the build, a missing dist/ or redis-server): reported without a stack trace. */
export class CommandError extends Error {}

/** A mistake on the command line: reported without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** Runs `npm run build` when asked, then checks that dist/ holds the gateway. */
export function requireDist(root: string, build: boolean, log: (line: string) => void): void {
  if (build) {
    log('building sessiongate (npm run build) ...');
    const npmCli = process.env.npm_execpath;
    const [cmd, args] = npmCli && npmCli.endsWith('.js') ? [process.execPath, [npmCli, 'run', 'build']] : ['npm', ['run', 'build']];
    const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 180_000 });
    if (r.status !== 0) throw new CommandError(`npm run build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
  if (!existsSync(join(root, 'dist', 'gateway.js'))) throw new CommandError('dist/gateway.js is missing: run `npm run build` (or drop --no-build)');
}

let commandName = 'bench';
let cleaningUp = false;

/** Stops every child process (once), says why on stderr, and exits with `code`. */
export async function abort(why: string, code: number): Promise<never> {
  if (!cleaningUp) {
    cleaningUp = true;
    const live = liveProcessCount();
    process.stderr.write(`\n${commandName}: ${why}${live > 0 ? `; stopping ${live} child process${live === 1 ? '' : 'es'}` : ''}\n`);
    await stopAllProcesses(1500);
  }
  process.exit(code);
}

/** Runs a command's `main` (its exit code) with the signal handlers and error reporting installed. */
export function runCommand(name: string, main: () => Promise<number>): void {
  commandName = name;
  process.on('SIGINT', () => void abort('interrupted (SIGINT)', 130));
  process.on('SIGTERM', () => void abort('terminated (SIGTERM)', 143));
  process.on('exit', killAllProcessesNow);
  main().then(
    (code) => {
      process.exitCode = code;
      // autocannon and undici may hold sockets briefly; the results are out, so do not wait for them.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err: unknown) =>
      err instanceof UsageError
        ? void abort(`${err.message} (see --help)`, 2)
        : err instanceof CommandError
          ? void abort(err.message, 1)
          : void abort(`failed: ${(err as Error).stack ?? String(err)}`, 1),
  );
}
