/**
 * The child side of a probe (bench/lib/probes.ts runs it as `node --expose-gc --import tsx FILE`): say it
 * started, measure, print one result line, exit. A failed premise (`premise(false, ...)`) prints its reason
 * and the probe reports a failure instead of a number. The child ends by itself when the runner goes away
 * (stdin closes) or after a maximum lifetime, whatever happens to the runner.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const PROBE_STARTED = 'BENCH_PROBE_STARTED';
export const PROBE_RESULT = 'BENCH_PROBE_RESULT';
export const PROBE_FAILED = 'BENCH_PROBE_FAILED';

/** Default lifetime cap of a probe child: 10 minutes (`BENCH_CHILD_MAX_MS`). */
const MAX_LIFETIME_MS = Number(process.env.BENCH_CHILD_MAX_MS ?? 10 * 60_000);

/** What the probe set out to measure did not happen: reported as the probe's failure. */
export class PremiseError extends Error {}

export function premise(condition: unknown, why: string): asserts condition {
  if (!condition) throw new PremiseError(why);
}

/**
 * Runs a probe's measurement in this process: prints the ready line, then the JSON `main` resolves to (or
 * the failed premise), and exits. `cleanup` runs in every case (servers, clients), bounded to 3 s.
 */
export function probeChild<T>(main: (cleanup: (fn: () => Promise<unknown> | unknown) => void) => Promise<T>): void {
  process.stdout.write(`${PROBE_STARTED}\n`);
  if (process.env.BENCH_RUNNER_PIPE === '1') {
    const gone = (): never => process.exit(3);
    process.stdin.on('end', gone);
    process.stdin.on('error', gone);
    process.stdin.resume();
  }
  setTimeout(() => {
    process.stdout.write(`${PROBE_FAILED} maximum lifetime (${MAX_LIFETIME_MS} ms) reached\n`);
    process.exit(1);
  }, MAX_LIFETIME_MS).unref();
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const cleanUp = async (): Promise<void> => {
    const all = Promise.allSettled(cleanups.reverse().map(async (fn) => fn()));
    await Promise.race([all, sleep(3000)]);
  };
  main((fn) => cleanups.push(fn)).then(
    async (result) => {
      await cleanUp();
      process.stdout.write(`${PROBE_RESULT} ${JSON.stringify(result)}\n`, () => process.exit(0));
    },
    async (err: unknown) => {
      await cleanUp();
      if (err instanceof PremiseError) process.stdout.write(`${PROBE_FAILED} ${err.message.replace(/\n/g, ' ')}\n`, () => process.exit(1));
      else process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`, () => process.exit(1));
    },
  );
}

export interface MemorySample {
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Memory of Buffers and ArrayBuffers outside the V8 heap, bytes. */
  external: number;
  rss: number;
}

/** Memory after full garbage collections (the child runs with --expose-gc). */
export async function memoryAfterGc(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  premise(gc !== undefined, 'the probe child must run with --expose-gc');
  // Several rounds with turns of the event loop in between: weak references and finalizers settle.
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(10);
  }
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
}

/** Blocks the event loop for `ms` (as a busy process would). */
export function blockFor(ms: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) Atomics.wait(cell, 0, 0, left);
}
