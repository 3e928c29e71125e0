/**
 * The child side of bench/lib/processes.ts, for the servers under bench/servers/: say "ready" with the
 * port, and stop by themselves when the runner says so (SIGTERM), when the runner is gone (stdin closes),
 * or after a maximum lifetime, whatever happens to the runner. A server can also be started by hand (the
 * runner's environment variables set), e.g. `BENCH_UPSTREAM=http://127.0.0.1:8081 node --import tsx
 * bench/servers/http-proxy.ts`.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Prints the ready line the runner waits for. */
export function announceReady(port: number): void {
  process.stdout.write(`BENCH_READY ${JSON.stringify({ port })}\n`);
}

/** Default lifetime cap of a bench child: 30 minutes (`BENCH_CHILD_MAX_MS`). */
const MAX_LIFETIME_MS = Number(process.env.BENCH_CHILD_MAX_MS ?? 30 * 60_000);

/**
 * Runs `stop` once on SIGTERM, SIGINT, stdin end or the lifetime cap, then exits; exits anyway if `stop`
 * takes more than 2 s.
 */
export function stopWhenTold(stop: () => Promise<void> | void): void {
  let stopping = false;
  const exit = (why: string): void => {
    if (stopping) return;
    stopping = true;
    if (why !== 'SIGTERM') process.stderr.write(`bench child ${process.pid}: stopping (${why})\n`);
    setTimeout(() => process.exit(0), 2000).unref();
    Promise.resolve()
      .then(stop)
      .catch((err: unknown) => process.stderr.write(`bench child ${process.pid}: stop failed: ${String(err)}\n`))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  // Started by the runner (bench/lib/processes.ts): stdin is its pipe, closed when the runner is gone.
  // Started by hand: stdin may be anything, so it is not watched.
  if (process.env.BENCH_RUNNER_PIPE === '1') {
    process.stdin.on('end', () => exit('runner gone'));
    process.stdin.on('error', () => exit('runner gone'));
    process.stdin.resume();
  }
  setTimeout(() => exit('maximum lifetime reached'), MAX_LIFETIME_MS).unref();
}

/**
 * Serves a node:http server of a bench child on 127.0.0.1 (`port` 0: a free one), keep-alive 30 s,
 * announces it, and closes it (every connection too) when told to stop.
 */
export function serveHttp(server: Server, port = 0): void {
  server.keepAliveTimeout = 30_000;
  server.listen(port, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
  stopWhenTold(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}

/** Reads a required environment variable. */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
}
