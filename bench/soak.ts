/**
 * `npm run soak`: sessiongate (from dist/) under open-loop load at half its measured maximum for a bounded
 * time (default 5 minutes), a fault every minute in turn (backend restart, client aborts, slowloris, Redis
 * restart with --redis), the gateway's memory, file descriptors and event-loop delay sampled every 2 s.
 * Fails (exit 1) when the live heap drifts more than 10% after warm-up, file descriptors leak, a fault's
 * check fails, or the load sees an error no fault explains. How it works: bench/README.md. Writes its section of docs/benchmarks.md and
 * bench/results/soak.json. Everything stops by itself: all children are stopped at the end, on an error, on
 * SIGINT/SIGTERM and at a hard deadline.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { collectFacts } from './lib/machine.js';
import { abort, CommandError, requireDist, runCommand } from './lib/command.js';
import { freePort } from './lib/free-port.js';
import { startProcess, stopAllProcesses, type RunningProcess } from './lib/processes.js';
import type { ProcessSpec } from './lib/types.js';
import { analyse, timeline, type Sample } from './soak/analyse.js';
import { faultRotation, type FaultContext, type FaultRecord } from './soak/faults.js';
import { COOKIE, createSessions, measureMax, OpenLoop } from './soak/load.js';
import { parseOptions, USAGE, type SoakOptions } from './soak/options.js';
import { consoleSummary, markdownSection, writeSoakSection, type SoakResult } from './soak/report.js';
import { countFds, GatewaySampler, readRssMiB } from './soak/sampler.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS_FILE = join(ROOT, 'docs', 'benchmarks.md');
const RESULTS_FILE = join(ROOT, 'bench', 'results', 'soak.json');

const SESSIONS = 300;
const ABORT_SESSIONS = 100;
const CONNECTIONS = 100;
const SAMPLE_EVERY_S = 2;
/** A full GC is forced in the gateway (and its live heap read) every this many samples. */
const GC_EVERY_SAMPLES = 3;
const HEADERS_TIMEOUT_S = 10;
const DOWN_INTERVAL_S = 5;
/** Long enough for idle keep-alive connections to close: the listener's keep_alive (5 s) and undici's upstream 4 s. */
const IDLE_WAIT_MS = 7000;
/** Setup (processes, sessions, the maximum) and the end (in-flight requests, idle check) take at most this long. */
const SETUP_MARGIN_S = 150;

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function soakChild(name: string, file: string, env: Record<string, string>, nodeArgs: string[] = []): ProcessSpec {
  const script = fileURLToPath(new URL(`./soak/${file}`, import.meta.url));
  return { name, command: process.execPath, args: [...nodeArgs, '--import', 'tsx', script], env };
}

/** pino's JSON lines in the gateway's output, by level name, and the distinct messages of warnings and worse. */
function gatewayLog(output: string): SoakResult['gatewayLog'] {
  const names: Record<number, string> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  const levels: Record<string, number> = {};
  const messages = new Set<string>();
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    let level = 'other';
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      level = names[entry.level ?? 0] ?? String(entry.level);
      if ((entry.level ?? 0) >= 40 && messages.size < 8) messages.add(`${level}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`);
    } catch {
      if (messages.size < 8) messages.add(`output: ${line.slice(0, 160)}`);
    }
    levels[level] = (levels[level] ?? 0) + 1;
  }
  return { levels, messages: [...messages] };
}

async function soak(options: SoakOptions, tmpDir: string): Promise<SoakResult> {
  const tl = timeline(options.durationS, options.faultEveryS, SAMPLE_EVERY_S, GC_EVERY_SAMPLES);
  const childMaxMs = String((options.durationS + SETUP_MARGIN_S + 60) * 1000);

  // Redis of its own, on a free port.
  let redis: RunningProcess | null = null;
  let redisPort = 0;
  const redisDir = join(tmpDir, 'redis');
  const startRedis = async (): Promise<RunningProcess> =>
    startProcess(soakChild('redis', 'redis-child.ts', { SOAK_REDIS_PORT: String(redisPort), SOAK_REDIS_DIR: redisDir, BENCH_CHILD_MAX_MS: childMaxMs }), ROOT);
  if (options.redis) {
    const v = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (v.status !== 0) throw new CommandError('--redis needs redis-server on the PATH');
    mkdirSync(redisDir, { recursive: true });
    redisPort = freePort();
    redis = await startRedis();
    log(`redis-server on 127.0.0.1:${redisPort} (${v.stdout.trim().split(' ').slice(0, 3).join(' ')})`);
  }

  // The backend, restarted on the same port by the backend-restart fault.
  let backend = await startProcess(soakChild('backend', 'backend.ts', { SOAK_BACKEND_PORT: '0', BENCH_CHILD_MAX_MS: childMaxMs }), ROOT);
  const backendPort = backend.port;

  const config: Record<string, unknown> = {
    admin: { enabled: true, listen: '127.0.0.1:0' },
    logging: { level: 'warn' },
    listeners: [{ name: 'main', listen: '127.0.0.1:0', timeouts: { headers: `${HEADERS_TIMEOUT_S}s` } }],
    servers: [{ name: 'backend', url: backend.url, down_interval: `${DOWN_INTERVAL_S}s` }],
    services: [{ name: 'soak', listener: 'main', servers: ['backend'], session: { mode: 'cookie', cookie: COOKIE } }],
    exchange_log: { enabled: true },
    store: options.redis ? { type: 'redis', url: `redis://127.0.0.1:${redisPort}`, key_prefix: 'soak:' } : { type: 'memory' },
  };
  const gateway = await startProcess(
    soakChild('sessiongate', 'gateway.ts', { BENCH_SESSIONGATE_CONFIG: JSON.stringify(config), BENCH_CHILD_MAX_MS: childMaxMs }, ['--expose-gc']),
    ROOT,
  );
  const adminUrl = (JSON.parse(/^SOAK_ADMIN (\{.*\})$/m.exec(gateway.output())?.[1] ?? '{}') as { url?: string }).url;
  if (adminUrl === undefined) throw new CommandError('the gateway did not print its admin URL');
  const adminPort = Number(new URL(adminUrl).port);
  const info = await request(`${adminUrl}/v1/gateway`).then((r) => r.body.json() as Promise<{ pid?: number }>);
  if (info.pid !== gateway.pid) throw new CommandError(`the admin API on ${adminUrl} belongs to pid ${info.pid}, not to the gateway (${gateway.pid})`);
  log(`gateway (pid ${gateway.pid}) on ${gateway.url}, admin ${adminUrl}; backend on ${backend.url}`);

  const sampler = new GatewaySampler(
    adminUrl,
    gateway.pid,
    { listener: gateway.port, admin: adminPort, backend: backendPort, redis: options.redis ? redisPort : null },
    () => gateway.output(),
  );
  const jar = await createSessions(gateway.url, SESSIONS);
  const abortJar = await createSessions(gateway.url, ABORT_SESSIONS);
  log(`${SESSIONS} load sessions and ${ABORT_SESSIONS} abort sessions created`);

  log('measuring the maximum (closed loop, 50 connections, 2 s warm-up + 10 s) ...');
  const max = await measureMax(gateway.url, jar);
  log(`maximum: ${Math.round(max.rps)} req/s (p99 ${max.latencyP99Ms.toFixed(1)} ms, ${max.errors} errors, ${max.non2xx} non-2xx)`);
  const rate = Math.max(50, Math.round(max.rps / 2));
  // Idle: the client (keep_alive 5 s) and upstream (4 s) connections of the measurement close.
  await sleep(IDLE_WAIT_MS);
  const startupSample = await sampler.sample(true);

  // The soak.
  const epoch = performance.now();
  const now = (): number => (performance.now() - epoch) / 1000;
  const load = new OpenLoop(gateway.url, jar, rate, epoch, CONNECTIONS);
  const rotation = faultRotation(options.redis);
  const ctx: FaultContext = {
    now,
    gatewayUrl: gateway.url,
    gatewayPort: gateway.port,
    backendUrl: () => backend.url,
    headersTimeoutS: HEADERS_TIMEOUT_S,
    downIntervalS: DOWN_INTERVAL_S,
    abortJar,
    async restartBackend(pauseMs) {
      process.kill(backend.pid, 'SIGKILL');
      await backend.exited;
      await sleep(pauseMs);
      backend = await startProcess(soakChild('backend', 'backend.ts', { SOAK_BACKEND_PORT: String(backendPort), BENCH_CHILD_MAX_MS: childMaxMs }), ROOT);
    },
    metrics: () => sampler.metrics(),
    log: (line) => log(`[${now().toFixed(0).padStart(4)} s] ${line}`),
  };
  if (redis !== null) {
    ctx.restartRedis = async (pauseMs) => {
      const pid = Number(/SOAK_REDIS_PID (\d+)/.exec(redis!.output())?.[1]);
      if (!Number.isInteger(pid) || pid <= 0) throw new Error('the pid of redis-server is unknown');
      process.kill(pid, 'SIGKILL');
      await redis!.exited;
      await sleep(pauseMs);
      redis = await startRedis();
    };
  }

  log(`open-loop load: ${rate} req/s for ${options.durationS} s over ${SESSIONS} sessions; faults at ${tl.faultAtS.map((t) => `${t} s`).join(', ')}`);
  const samples: Sample[] = [];
  const faults: FaultRecord[] = [];
  const running: Promise<void>[] = [];
  let crashed: string | null = null;
  load.start();
  let cpu = process.cpuUsage();
  let cpuAt = performance.now();
  let nextFault = 0;
  let lastLine = -Infinity;
  while (now() < options.durationS) {
    const wakeAt = Math.min(options.durationS, (Math.floor(now() / SAMPLE_EVERY_S) + 1) * SAMPLE_EVERY_S);
    await sleep(Math.max(0, (wakeAt - now()) * 1000));
    if (gateway.exit !== null) {
      crashed = `exited with code ${gateway.exit.code}, signal ${gateway.exit.signal}\n${gateway.output().slice(-3000)}`;
      log(`the gateway exited: ${crashed}`);
      break;
    }
    const forcedGc = samples.length % GC_EVERY_SAMPLES === GC_EVERY_SAMPLES - 1;
    const g = await sampler.sample(forcedGc);
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - cpuAt;
    cpu = process.cpuUsage();
    cpuAt = performance.now();
    const s: Sample = { t: now(), gateway: g, load: load.takeInterval(), generatorCpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100, inFlight: load.inFlight, forcedGc };
    samples.push(s);
    if (s.t - lastLine >= 10 || s.load.errors > 0) {
      lastLine = s.t;
      log(
        `[${s.t.toFixed(0).padStart(4)} s] ${String(s.load.done).padStart(6)} done, ${String(s.load.errors).padStart(4)} errors, p99 ${s.load.p99Ms.toFixed(1)} ms; ` +
          `heap ${g.heapUsedMiB?.toFixed(1)}${g.liveHeapMiB !== null ? ` (live ${g.liveHeapMiB.toFixed(1)})` : ''} MiB, rss ${g.rssMiB?.toFixed(1)} MiB, fds ${g.fds}, loop p99 ${g.eventLoopP99Ms?.toFixed(1)} ms, ` +
          `sessions ${g.sessions}, conns ${g.clientConnections}; generator ${s.generatorCpuPercent.toFixed(0)}% cpu`,
      );
    }
    const at = tl.faultAtS[nextFault];
    if (at !== undefined && now() >= at) {
      const fault = rotation[nextFault % rotation.length]!;
      nextFault++;
      ctx.log(`fault: ${fault.name}`);
      running.push(
        fault.run(ctx).then(
          (record) => {
            faults.push(record);
            ctx.log(`${fault.name} done: ${[...record.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'} ${c.text}`), ...record.notes].join('; ')}`);
          },
          (err: unknown) => {
            const startS = at;
            faults.push({ name: fault.name, startS, activeEndS: now(), windowEndS: now(), explains: fault.explains, notes: [], checks: [{ ok: false, text: `the fault itself failed: ${(err as Error).message}` }] });
            ctx.log(`${fault.name} FAILED: ${(err as Error).message}`);
          },
        ),
      );
    }
  }
  const loadS = now();
  log(`stopping the load (${load.inFlight} requests in flight) ...`);
  await load.stop();
  await Promise.all(running);
  faults.sort((a, b) => a.startS - b.startS);

  // Idle: the load's connections closed; what is left?
  await load.close();
  await sleep(IDLE_WAIT_MS);
  const idleSample = gateway.exit === null ? await sampler.sample(true) : null;
  await sampler.close();
  const gatewayOutput = gateway.output();

  const hist = load.overall;
  const ms = (us: number): number => us / 1000;
  const latency =
    hist.count === 0
      ? { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }
      : { p50: ms(hist.percentile(50)), p90: ms(hist.percentile(90)), p99: ms(hist.percentile(99)), p999: ms(hist.percentile(99.9)), max: ms(hist.max) };
  const cpuSamples = samples.filter((s) => s.t >= tl.warmupS).map((s) => s.generatorCpuPercent);
  const idleFds = idleSample?.fds ?? countFds(gateway.pid);
  const analysis = analyse({
    samples,
    timeline: tl,
    errors: load.errors,
    faults,
    max,
    crashed,
    cutShort: loadS < options.durationS - 1,
    idleFds: { before: startupSample.fdKinds, after: idleSample?.fdKinds ?? null },
  });
  return {
    facts: collectFacts(ROOT, options.command),
    options,
    timeline: tl,
    config,
    sessions: SESSIONS,
    connections: CONNECTIONS,
    max,
    rate,
    load: {
      ...load.totals,
      achievedRate: load.totals.sent / loadS,
      latency,
      replacedCookies: jar.replaced,
      generatorCpuPercent: cpuSamples.length === 0 ? null : cpuSamples.reduce((a, b) => a + b, 0) / cpuSamples.length,
    },
    faults,
    rotation,
    samples,
    errorEvents: load.errors.slice(0, 2000),
    idle: {
      fds: idleFds,
      fdKinds: idleSample?.fdKinds ?? null,
      liveHeapMiB: idleSample?.liveHeapMiB ?? null,
      clientConnections: idleSample?.clientConnections ?? null,
      sessions: idleSample?.sessions ?? null,
      heapUsedMiB: idleSample?.heapUsedMiB ?? null,
      rssMiB: idleSample?.rssMiB ?? readRssMiB(gateway.pid),
    },
    startup: { fds: startupSample.fds, fdKinds: startupSample.fdKinds, rssMiB: startupSample.rssMiB, heapUsedMiB: startupSample.heapUsedMiB, liveHeapMiB: startupSample.liveHeapMiB },
    gatewayLog: gatewayLog(gatewayOutput.replace(/^(BENCH|SOAK)_[A-Z]+ .*$/gm, '')),
    crashed,
    analysis,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    log(USAGE);
    return 0;
  }
  requireDist(ROOT, options.build, log);

  // Hard deadline (after the build): the load's duration plus setup and end.
  const deadlineS = options.durationS + SETUP_MARGIN_S;
  setTimeout(() => void abort(`deadline of ${Math.ceil(deadlineS / 60)} minutes reached`, 2), deadlineS * 1000).unref();

  log(`sessiongate soak: ${options.durationS} s, a fault every ${options.faultEveryS} s${options.redis ? ', Redis store' : ''}`);
  const tmpDir = mkdtempSync(join(tmpdir(), 'sessiongate-soak-'));
  let result: SoakResult;
  try {
    result = await soak(options, tmpDir);
  } finally {
    await stopAllProcesses();
    rmSync(tmpDir, { recursive: true, force: true });
  }

  log(consoleSummary(result));
  // The raw samples always (bench/results/ is not committed): a failed run is examined from them.
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${RESULTS_FILE.slice(ROOT.length)}`);
  if (options.write) {
    const how = writeSoakSection(DOCS_FILE, markdownSection(result));
    log(`wrote the soak section of ${DOCS_FILE.slice(ROOT.length)} (${how})`);
  }
  return result.analysis.verdict.ok ? 0 : 1;
}

runCommand('soak', main);
