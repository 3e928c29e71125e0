/**
 * A real gateway in its own process: `sessiongate start --config FILE` (the compiled dist/, as users run it),
 * for tests that measure the gateway's own memory (its RSS alone, not the test's) or read its log output.
 * The listeners' and the admin server's URLs come from its log lines (ports 0 in the config).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type LongRunning } from './cli.js';

export interface GatewayProcess {
  proc: LongRunning;
  pid: number;
  /** Listener URLs by listener name. */
  urls: Record<string, string>;
  ports: Record<string, number>;
  /** The admin server's base URL ('' when the admin server is off). */
  adminUrl: string;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  /** The process's resident set size now, in bytes (from /proc). */
  rss(): number;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

interface LogLine {
  msg?: string;
  listener?: string;
  url?: string;
}

/** Starts `sessiongate start` with `config` (an object, written as JSON); resolves once every listener and the admin server listen. */
export async function startGatewayProcess(config: Record<string, unknown>, options: { logLevel?: string; env?: NodeJS.ProcessEnv } = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-proc-'));
  const file = join(dir, 'sessiongate.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  // The log at info or below says where each listener and the admin server listen.
  const level = options.logLevel ?? 'info';
  const proc = startCli(['start', '--config', file, '--log-level', level], { cwd: dir, env: options.env });
  const listeners = (config.listeners as { name: string }[]).map((l) => l.name);
  const adminOn = (config.admin as { enabled?: boolean } | undefined)?.enabled !== false;
  const lines = (): LogLine[] =>
    proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          return {};
        }
      });
  try {
    await proc.waitFor(/listener \S+: http/, 15_000); // the banner: printed once the gateway serves
    const deadline = Date.now() + 5000;
    for (;;) {
      const seen = lines();
      const ok = listeners.every((n) => seen.some((l) => l.msg === 'listener started' && l.listener === n)) && (!adminOn || seen.some((l) => l.msg === 'admin server started'));
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the gateway's log did not name its addresses:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  const seen = lines();
  const urls: Record<string, string> = {};
  const ports: Record<string, number> = {};
  for (const n of listeners) {
    const url = seen.find((l) => l.msg === 'listener started' && l.listener === n)!.url!;
    urls[n] = url;
    ports[n] = Number(new URL(url).port);
  }
  const pid = proc.child.pid!;
  let stopped: Promise<number | null> | null = null;
  return {
    proc,
    pid,
    urls,
    ports,
    adminUrl: adminOn ? seen.find((l) => l.msg === 'admin server started')!.url! : '',
    output: () => proc.output(),
    rss: () => {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m === null) throw new Error('no VmRSS');
      return Number(m[1]) * 1024;
    },
    stop: () => {
      stopped ??= (async () => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.child.exitCode;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        try {
          return await proc.exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopped;
    },
  };
}
