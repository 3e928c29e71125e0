/**
 * Runs one scenario: starts its support processes, then measures its targets one at a time, round after
 * round (declared order in odd rounds, reversed in even ones), each spawned target in a fresh process that
 * is stopped right after its measurement. Summarises the rounds into one row per target.
 */
import { amountOf, checkTarget, runLoad, type LoadOutcome } from './load.js';
import type autocannon from 'autocannon';
import { startProcess, type RunningProcess } from './processes.js';
import type { BenchOptions } from './options.js';
import type {
  Collected,
  Measurement,
  MeasurementContext,
  Scenario,
  ScenarioContext,
  ScenarioResult,
  TargetDef,
  TargetSummary,
} from './types.js';

export interface RunnerEnv {
  options: BenchOptions;
  /** Repository root: the working directory of every child. */
  cwd: string;
  tmpDir: string;
  log(line: string): void;
}

const COOL_DOWN_MS = 500;
const PREPARE_TIMEOUT_MS = 60_000;
const HOOK_TIMEOUT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Expected seconds of a run: per target and round, warm-up + duration + about 2 s to start, check and stop
 * (a scenario with a fixed request count is counted the same: usually shorter).
 */
export function estimateSeconds(scenarios: readonly Scenario[], o: Pick<BenchOptions, 'warmup' | 'duration' | 'rounds'>): number {
  const measurements = scenarios.reduce((n, s) => n + s.targets.length * o.rounds, 0);
  return measurements * (o.warmup + o.duration + 2);
}

export function subjectOf(scenario: Scenario): string {
  const name = scenario.subject ?? scenario.targets.find((t) => t.role === 'subject')?.name;
  if (name === undefined) throw new Error(`scenario ${scenario.id} has no subject target`);
  return name;
}

export async function runScenario(scenario: Scenario, env: RunnerEnv): Promise<ScenarioResult> {
  const { options } = env;
  const support: Record<string, RunningProcess> = {};
  const ctx: ScenarioContext = { options, support, tmpDir: env.tmpDir };
  const notes: string[] = [];
  const measurements = new Map<string, Measurement[]>(scenario.targets.map((t) => [t.name, []]));
  try {
    for (const [name, spec] of Object.entries(scenario.support)) {
      try {
        support[name] = await startProcess(spec(ctx), env.cwd);
      } catch (err) {
        // A missing support program (redis-server) fails this scenario's targets, not the whole run.
        const why = `support process ${name} did not start: ${(err as Error).message}`;
        env.log(`  [${scenario.id}] ${why.split('\n')[0]}`);
        for (const t of scenario.targets) measurements.get(t.name)!.push(emptyMeasurement(t.name, 1, why));
        return summarise(scenario, measurements, options, notes);
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? scenario.targets : [...scenario.targets].reverse();
      for (const target of order) {
        const m = await measureTarget(scenario, target, round, ctx, env);
        measurements.get(target.name)!.push(m);
        env.log(`  [${scenario.id}] round ${round}/${options.rounds} ${target.name}: ${describe(m)}`);
        await sleep(COOL_DOWN_MS);
      }
    }
  } finally {
    for (const p of Object.values(support)) {
      if (p.exit !== null) notes.push(`support process ${p.name} exited during the scenario (${JSON.stringify(p.exit)}):\n${p.output().slice(-2000)}`);
      await p.stop();
    }
  }
  return summarise(scenario, measurements, options, notes);
}

function describe(m: Measurement): string {
  if (m.failure !== undefined) return `FAILED: ${m.failure.split('\n')[0]}`;
  const shares = Object.entries(m.cpuByProcess).map(([name, v]) => `${name} ${v === null ? '?' : Math.round(v)}%`);
  const cpu = shares.length > 0 ? `; CPU: ${shares.join(', ')}` : '';
  const collected = Object.entries(m.collected ?? {}).map(
    ([k, v]) => `${k} ${typeof v === 'string' ? v : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2)}`,
  );
  return `${Math.round(m.rps).toLocaleString('en-US')} req/s, p50 ${m.latency.p50.toFixed(2)} ms, p99 ${m.latency.p99.toFixed(2)} ms, ` +
    `${m.errors} errors, ${m.non2xx} non-2xx${collected.length > 0 ? `, ${collected.join(', ')}` : ''}${cpu}`;
}

function emptyMeasurement(target: string, round: number, failure: string, outputTail = ''): Measurement {
  return {
    target,
    round,
    startedAt: new Date().toISOString(),
    rps: 0,
    rpsOverall: 0,
    requests: 0,
    durationS: 0,
    perSecond: [],
    latency: { mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: {},
    cpuPercent: null,
    cpuByProcess: {},
    rssMiB: null,
    outputTail,
    warmup: { requests: 0, errors: 0, non2xx: 0 },
    failure,
  };
}

/** Lines a target printed besides its ready line (and other `BENCH_` lines for the harness): warnings, errors, stack traces. */
function interestingOutput(proc: RunningProcess): string {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^BENCH_[A-Z]+ /.test(l))
    .slice(-40)
    .join('\n');
}

async function measureTarget(scenario: Scenario, target: TargetDef, round: number, ctx: ScenarioContext, env: RunnerEnv): Promise<Measurement> {
  const { options } = env;
  const load = scenario.load;
  const connections = load.connections ?? options.connections;
  const launch = target.launch(ctx);
  let proc: RunningProcess;
  try {
    proc = 'spawn' in launch ? await startProcess(launch.spawn, env.cwd) : launch.reuse;
  } catch (err) {
    return emptyMeasurement(target.name, round, `did not start: ${(err as Error).message}`);
  }
  const spawned = 'spawn' in launch;
  const mctx: MeasurementContext = { ...ctx, target, process: proc };
  try {
    const problem = await checkTarget(proc.url, load);
    if (problem !== null) return emptyMeasurement(target.name, round, `check request: ${problem}`, interestingOutput(proc));
    let extra: Partial<autocannon.Options>;
    try {
      extra = (load.prepare ? await withTimeout(load.prepare(proc.url, mctx), PREPARE_TIMEOUT_MS, 'prepare') : undefined) ?? {};
    } catch (err) {
      return emptyMeasurement(target.name, round, `prepare: ${(err as Error).message}`, interestingOutput(proc));
    }
    const amount = amountOf(load, extra);
    // A fixed request count may take long on a slow target: bounded by 10× the duration, at least 2 minutes.
    const maxS = Math.max(120, options.duration * 10);

    let warmup: LoadOutcome | null = null;
    if (options.warmup > 0) {
      // Always the run's warm-up duration, even before a fixed request count: a few hundred requests would
      // leave the target's code cold (V8 optimises after thousands of calls).
      warmup = await guarded(proc, runLoad(proc.url, load, { connections, durationS: options.warmup, extra }));
      if (warmup === null) return emptyMeasurement(target.name, round, `exited during the warm-up (${JSON.stringify(proc.exit)})`, interestingOutput(proc));
    }
    if (load.beforeMeasurement) {
      try {
        await withTimeout(load.beforeMeasurement(proc.url, mctx), HOOK_TIMEOUT_MS, 'beforeMeasurement');
      } catch (err) {
        return emptyMeasurement(target.name, round, `beforeMeasurement: ${(err as Error).message}`, interestingOutput(proc));
      }
    }

    const processes: RunningProcess[] = [proc, ...Object.values(ctx.support).filter((p) => p !== proc)];
    const cpuBefore = processes.map((p) => p.cpuTimeMs());
    const ownBefore = process.cpuUsage();
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const outcome = await guarded(proc, runLoad(proc.url, load, { connections, durationS: options.duration, amount, extra, maxS }));
    const elapsed = performance.now() - t0;
    const cpuAfter = processes.map((p) => p.cpuTimeMs());
    const own = process.cpuUsage(ownBefore);
    if (outcome === null) return emptyMeasurement(target.name, round, `exited during the measurement (${JSON.stringify(proc.exit)})`, interestingOutput(proc));
    if (amount !== null && outcome.result.requests.total < amount) {
      return emptyMeasurement(
        target.name,
        round,
        `${outcome.result.requests.total} of ${amount} requests answered (${outcome.result.errors} errors, ${outcome.result.timeouts} timeouts) in ${Math.round(elapsed / 1000)} s`,
        interestingOutput(proc),
      );
    }
    // With a fixed request count autocannon's duration and per-second average are rounded to whole seconds
    // (it notices the end at its next one-second tick): the time to the last response is used instead.
    const r = outcome.result;
    const durationS = amount !== null ? outcome.activeS : r.duration;
    let collected: Collected | undefined;
    if (load.collect) {
      try {
        collected = await withTimeout(load.collect(proc.url, mctx, { requests: r.requests.total, durationS }), HOOK_TIMEOUT_MS, 'collect');
      } catch (err) {
        return emptyMeasurement(target.name, round, `collect: ${(err as Error).message}`, interestingOutput(proc));
      }
    }

    // With a fixed request count, autocannon ends up to a second after the last response: that idle tail is
    // left out of the CPU percentages (the CPU time itself is the whole run's).
    const busyMs = amount !== null && outcome.activeS > 0 ? Math.min(elapsed, outcome.activeS * 1000) : elapsed;
    const cpuByProcess: Record<string, number | null> = {};
    processes.forEach((p, i) => {
      const a = cpuBefore[i];
      const b = cpuAfter[i];
      cpuByProcess[p.name] = a == null || b == null ? null : ((b - a) / busyMs) * 100;
    });
    cpuByProcess['load generator'] = ((own.user + own.system) / 1000 / busyMs) * 100;
    const statusCodes: Record<string, number> = {};
    for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count ?? 0;
    const perDuration = durationS > 0 ? r.requests.total / durationS : 0;
    return {
      target: target.name,
      round,
      startedAt,
      rps: amount !== null ? perDuration : r.requests.average,
      rpsOverall: perDuration,
      requests: r.requests.total,
      durationS,
      perSecond: outcome.perSecond,
      latency: outcome.latency,
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      statusCodes,
      cpuPercent: cpuByProcess[proc.name] ?? null,
      cpuByProcess,
      rssMiB: proc.rssMiB(),
      outputTail: spawned ? interestingOutput(proc) : '',
      warmup: { requests: warmup?.result.requests.total ?? 0, errors: warmup?.result.errors ?? 0, non2xx: warmup?.result.non2xx ?? 0 },
      ...(amount !== null ? { amount } : {}),
      ...(collected !== undefined ? { collected } : {}),
    };
  } catch (err) {
    return emptyMeasurement(target.name, round, `load failed: ${(err as Error).stack ?? String(err)}`, interestingOutput(proc));
  } finally {
    if (spawned) await proc.stop();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The load's outcome, or null when the target process exited while it ran (the load is stopped then). */
async function guarded(proc: RunningProcess, run: { done: Promise<LoadOutcome>; stop(): void }): Promise<LoadOutcome | null> {
  let died = false;
  void proc.exited.then(() => {
    died = true;
    run.stop();
  });
  const outcome = await run.done;
  return died ? null : outcome;
}

/** The median, or null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarise(scenario: Scenario, measurements: Map<string, Measurement[]>, options: BenchOptions, notes: string[]): ScenarioResult {
  const subject = subjectOf(scenario);
  const picked = new Map<string, Measurement>();
  for (const [name, ms] of measurements) {
    const ok = ms.filter((m) => m.failure === undefined);
    const best = ok.length > 0 ? ok.reduce((a, b) => (b.rps > a.rps ? b : a)) : ms[0]!;
    picked.set(name, best);
  }
  const ok = (m: Measurement | undefined): m is Measurement => m !== undefined && m.failure === undefined && m.rps > 0;
  const subjectM = picked.get(subject);
  const baseline = scenario.targets.find((t) => t.role === 'baseline');
  const baselineM = baseline ? picked.get(baseline.name) : undefined;
  const subjectRounds = measurements.get(subject) ?? [];
  const rows: TargetSummary[] = scenario.targets.map((t) => {
    const m = picked.get(t.name)!;
    const pairedRatios = measurements.get(t.name)!.map((own) => {
      const sub = subjectRounds.find((x) => x.round === own.round);
      return ok(sub) && ok(own) ? sub.rps / own.rps : null;
    });
    return {
      target: t.name,
      role: t.role,
      description: t.description,
      picked: m,
      rounds: measurements.get(t.name)!,
      subjectRatio: ok(subjectM) && ok(m) ? subjectM.rps / m.rps : null,
      pairedRatios,
      pairedMedian: median(pairedRatios.filter((r): r is number => r !== null)),
      ofBaseline: ok(baselineM) && ok(m) ? m.rps / baselineM.rps : null,
    };
  });
  const goal = scenario.goal ? scenario.goal.evaluate(rows) : null;
  return {
    id: scenario.id,
    group: scenario.group,
    title: scenario.title,
    description: scenario.description,
    load: scenario.load.description,
    connections: scenario.load.connections ?? options.connections,
    amount: scenario.load.amount ?? rows.flatMap((r) => r.rounds).find((m) => m.amount !== undefined)?.amount ?? null,
    subject,
    rows,
    goal,
    notes,
  };
}
