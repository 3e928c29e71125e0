/**
 * Child processes of a run: started on loopback, ready when they print their port, always stopped. Every
 * child is tracked until it has exited, so an error, a SIGINT or the run's deadline stops them all.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ProcessSpec } from './types.js';

/** The line bench/lib/child.ts prints: `BENCH_READY {"port":12345}`. */
export const DEFAULT_READY = /^BENCH_READY \{"port":(\d+)/m;

const OUTPUT_TAIL = 16 * 1024;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  name: string;
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The last 16 KiB of stdout and stderr. */
  output(): string;
  /** Set once the process has exited. */
  readonly exit: ExitInfo | null;
  /** Resolves when the process has exited. */
  exited: Promise<ExitInfo>;
  /** CPU time used so far (user + system), milliseconds; null where /proc is not available. */
  cpuTimeMs(): number | null;
  /** Resident set size now, MiB; null where /proc is not available. */
  rssMiB(): number | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();

let clockTicks = 0;
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / ticksPerSecond() : null;
  } catch {
    return null;
  }
}

function readRssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Starts a child and resolves once it printed its ready line; rejects (after stopping it) otherwise. */
export function startProcess(spec: ProcessSpec, cwd: string): Promise<RunningProcess> {
  // detached: the child has its own process group, so a Ctrl+C in the terminal reaches only the runner,
  // which then stops its children in order. stdin is a pipe the child watches: when the runner dies, it ends.
  const child = spawn(spec.command, spec.args, {
    cwd,
    env: { ...process.env, ...spec.env, BENCH_RUNNER_PIPE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let out = '';
  let ready = false;
  let exit: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    const done = (info: ExitInfo): void => {
      if (exit !== null) return;
      exit = info;
      live.delete(child);
      resolve(info);
    };
    child.on('exit', (code, signal) => done({ code, signal }));
    // A child that could not be spawned at all has no pid and never exits.
    child.on('error', () => {
      if (child.pid === undefined) done({ code: null, signal: null });
    });
  });
  const onData = (d: Buffer): void => {
    out += d.toString('utf8');
    if (ready && out.length > 2 * OUTPUT_TAIL) out = out.slice(-OUTPUT_TAIL);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => {});

  const stop = async (graceMs = 3000): Promise<void> => {
    if (exit === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (exit === null) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    }
    child.stdin!.destroy();
  };

  const readyRe = spec.ready ?? DEFAULT_READY;
  const timeoutMs = spec.readyTimeoutMs ?? 20_000;
  return new Promise<RunningProcess>((resolve, reject) => {
    const fail = (why: string): void => {
      clearInterval(poll);
      clearTimeout(timer);
      void stop(500).then(() => reject(new Error(`${spec.name}: ${why}\n--- output ---\n${out.slice(-4000)}`)));
    };
    const check = (): void => {
      const m = readyRe.exec(out);
      if (m === null) {
        if (exit !== null) fail(`exited before it was ready (code ${exit.code}, signal ${exit.signal})`);
        return;
      }
      clearInterval(poll);
      clearTimeout(timer);
      ready = true;
      const port = Number(m[1]);
      const pid = child.pid!;
      resolve({
        name: spec.name,
        pid,
        port,
        url: `http://127.0.0.1:${port}`,
        output: () => out.slice(-OUTPUT_TAIL),
        get exit() {
          return exit;
        },
        exited,
        cpuTimeMs: () => readCpuMs(pid),
        rssMiB: () => readRssMiB(pid),
        stop,
      });
    };
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => fail(`cannot start: ${err.message}`));
  });
}

/** Stops every child still running (SIGTERM, then SIGKILL). */
export async function stopAllProcesses(graceMs = 2000): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          }, graceMs).unref();
        }),
    ),
  );
}

/** Last resort, synchronous (process 'exit' handler): SIGKILL whatever is left. */
export function killAllProcessesNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function liveProcessCount(): number {
  return live.size;
}
