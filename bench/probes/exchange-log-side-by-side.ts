/**
 * Probes of the exchange log's cost that a drifting machine cannot bias (issue 5). The scenario
 * exchange-log-bodies loads "log on" and "log off" one after the other, each for the run's duration; on a
 * machine whose speed drifts from one round to the next by more than the 10% the goal allows (measured: the
 * same gateway's CPU time per request 54 to 78 µs from one round to the next), its ratio is partly the drift's.
 * Both probes start the scenario's two gateways together behind one backend and keep them running:
 * - side by side: both loaded at the same time, half the connections each, so every slow or fast phase of
 *   the machine falls on both (they also compete for the cores and the caches);
 * - alternating: one at a time with all the connections, in 2-second slices that alternate A B B A A B ...,
 *   so each is measured alone (as in the scenario) while drift slower than a few seconds falls on both alike.
 * Figures: the req/s ratio, the p99 difference, and each gateway's CPU time per request (all its threads,
 * from /proc), whose inverse a CPU-bound gateway's req/s follows.
 */
import { checkTarget, runLoad, type LoadOutcome } from '../lib/load.js';
import type { Probe, ProbeContext, ProbeFigure, ProbeOutcome } from '../lib/probe-types.js';
import { atLeast, atMost, info } from '../lib/probes.js';
import { startProcess, type RunningProcess } from '../lib/processes.js';
import { median } from '../lib/runner.js';
import type { ScenarioContext, TargetDef } from '../lib/types.js';
import { exchangeLogBodies } from '../scenarios/exchange-log.js';
import { backend } from '../targets/backend.js';

interface Side {
  target: TargetDef;
  proc: RunningProcess;
  requests: number;
  cpuMs: number;
  /** One entry per round (side by side) or per slice (alternating). */
  parts: { rps: number; p99: number }[];
}

const load = exchangeLogBodies.load;
/** Seconds of one slice of the alternating probe. */
const SLICE_S = 2;

/** Starts the backend and both gateways, checks them as the scenario does, runs `measure`, stops everything. */
async function withPair(ctx: ProbeContext, measure: (sides: Side[]) => Promise<void>): Promise<{ on: Side; off: Side }> {
  const support = await startProcess(backend({ options: ctx.options, support: {}, tmpDir: ctx.tmpDir }), ctx.cwd);
  const sctx: ScenarioContext = { options: ctx.options, support: { backend: support }, tmpDir: ctx.tmpDir };
  const sides: Side[] = [];
  try {
    for (const target of exchangeLogBodies.targets) {
      const launch = target.launch(sctx);
      if (!('spawn' in launch)) throw new Error(`${target.name} is not a process of its own`);
      sides.push({ target, proc: await startProcess(launch.spawn, ctx.cwd), requests: 0, cpuMs: 0, parts: [] });
    }
    // The scenario's own checks: the echo comes back whole; log on keeps both bodies, log off keeps nothing.
    for (const s of sides) {
      const problem = await checkTarget(s.proc.url, load);
      if (problem !== null) throw new Error(`${s.target.name}: ${problem}`);
      await load.prepare?.(s.proc.url, { ...sctx, target: s.target, process: s.proc });
    }
    await measure(sides);
  } finally {
    await Promise.all(sides.map((s) => s.proc.stop()));
    await support.stop();
  }
  const on = sides.find((s) => s.target.name === exchangeLogBodies.subject)!;
  return { on, off: sides.find((s) => s !== on)! };
}

/** Loads the sides given at the same time for `durationS` and adds what each served to its totals. */
async function loadAtOnce(sides: readonly Side[], connections: number, durationS: number): Promise<void> {
  const before = sides.map((s) => s.proc.cpuTimeMs());
  const outcomes: LoadOutcome[] = await Promise.all(sides.map((s) => runLoad(s.proc.url, load, { connections, durationS }).done));
  sides.forEach((s, i) => {
    const o = outcomes[i]!;
    const bad = o.result.errors + o.result.non2xx;
    if (bad > 0) throw new Error(`${s.target.name}: ${o.result.errors} errors and ${o.result.non2xx} non-2xx responses under load`);
    s.requests += o.result.requests.total;
    s.cpuMs += (s.proc.cpuTimeMs() ?? NaN) - (before[i] ?? NaN);
    s.parts.push({ rps: o.result.requests.total / durationS, p99: o.latency.p99 });
  });
}

/** The figures both probes report: req/s ratio and p99 difference (the goals), CPU per request. */
function figures(on: Side, off: Side, what: string): ProbeFigure[] {
  const cpuPerRequest = (s: Side): number => (s.cpuMs * 1000) / s.requests;
  const ratios = on.parts.map((r, i) => r.rps / off.parts[i]!.rps);
  const p99Diffs = on.parts.map((r, i) => r.p99 - off.parts[i]!.p99);
  const list = (values: number[], f: (v: number) => string): string =>
    values.length <= 6 ? values.map(f).join(', ') : `${f(Math.min(...values))} to ${f(Math.max(...values))}`;
  return [
    atLeast('req/s, log on ÷ log off', on.requests / off.requests, '×', 0.9, `all requests; ${what} ${list(ratios, (r) => `${r.toFixed(2)}×`)}`),
    atMost('p99, log on − log off', median(p99Diffs) ?? NaN, 'ms', 1, `median; ${what} ${list(p99Diffs, (d) => `${d.toFixed(2)} ms`)}`),
    info('gateway CPU per request, log on', cpuPerRequest(on), 'µs', 'all threads, /proc'),
    info('gateway CPU per request, log off', cpuPerRequest(off), 'µs', 'all threads, /proc'),
    info('CPU-bound req/s, log on ÷ log off', cpuPerRequest(off) / cpuPerRequest(on), '×', 'CPU per request of log off ÷ of log on'),
  ];
}

function details(sides: Side[], how: string, connections: number): string[] {
  return sides.map(
    (s) =>
      `${s.target.name}: ${s.requests.toLocaleString('en-US')} requests in ${how} with ${connections} connections, ` +
      `${Math.round(s.cpuMs).toLocaleString('en-US')} ms of CPU; ` +
      (s.parts.length <= 6
        ? `per round ${s.parts.map((r) => `${Math.round(r.rps).toLocaleString('en-US')} req/s p99 ${r.p99.toFixed(2)} ms`).join(' / ')}`
        : `slices ${Math.round(Math.min(...s.parts.map((p) => p.rps))).toLocaleString('en-US')} to ${Math.round(Math.max(...s.parts.map((p) => p.rps))).toLocaleString('en-US')} req/s`),
  );
}

export const exchangeLogSideBySide: Probe = {
  id: 'exchange-log-side-by-side',
  group: 'exchange-log',
  title: 'Exchange log on vs off, side by side',
  description:
    'The two gateways of exchange-log-bodies (log on, bodies kept, and log off), started together behind one ' +
    'backend and loaded at the same time with the same request, half the run\'s connections each, for the ' +
    'run\'s warm-up and duration, once per round. Both share every phase of the machine, so their ratio is ' +
    'not the drift between two moments. Goals as the issue states them: req/s of log on ≥ 0.90× log off ' +
    '(all rounds\' requests), p99 of log on ≤ log off + 1 ms (median of the rounds). CPU time of each gateway ' +
    'per request (all threads, /proc) for information.',
  seconds: (o) => o.rounds * (o.warmup + o.duration + 1) + 6,
  async run(ctx: ProbeContext): Promise<ProbeOutcome> {
    const { rounds, warmup, duration } = ctx.options;
    const connections = Math.max(1, Math.round(ctx.options.connections / 2));
    const { on, off } = await withPair(ctx, async (sides) => {
      for (let i = 1; i <= rounds; i++) {
        if (warmup > 0) await Promise.all(sides.map((s) => runLoad(s.proc.url, load, { connections, durationS: warmup }).done));
        await loadAtOnce(sides, connections, duration);
        ctx.log(`round ${i}/${rounds}: ${sides.map((s) => `${s.target.name} ${Math.round(s.parts.at(-1)!.rps).toLocaleString('en-US')} req/s, p99 ${s.parts.at(-1)!.p99.toFixed(2)} ms`).join('; ')}`);
      }
    });
    return { figures: figures(on, off, 'round by round'), details: details([on, off], `${rounds} × ${duration} s`, connections) };
  },
};

export const exchangeLogAlternating: Probe = {
  id: 'exchange-log-alternating',
  group: 'exchange-log',
  title: 'Exchange log on vs off, alternating',
  description:
    'The two gateways of exchange-log-bodies (log on, bodies kept, and log off), started together behind one ' +
    `backend and kept running; each warmed up for the run's warm-up, then loaded alone with all the run's ` +
    `connections in ${SLICE_S}-second slices that alternate (A B B A A B ...) until each has had the run's ` +
    'rounds × duration seconds. Each is measured alone, as in the scenario, while a drift of the machine slower ' +
    'than a few seconds falls on both alike. Goals as the issue states them: req/s of log on ≥ 0.90× log off ' +
    '(all slices\' requests), p99 of log on ≤ log off + 1 ms (median over the pairs of slices). CPU time of each ' +
    'gateway per request for information.',
  seconds: (o) => 2 * (o.warmup + o.rounds * o.duration) + 2 * Math.ceil((o.rounds * o.duration) / SLICE_S) * 0.3 + 6,
  async run(ctx: ProbeContext): Promise<ProbeOutcome> {
    const { rounds, warmup, duration, connections } = ctx.options;
    const slices = Math.max(1, Math.ceil((rounds * duration) / SLICE_S));
    const { on, off } = await withPair(ctx, async (sides) => {
      if (warmup > 0) for (const s of sides) await runLoad(s.proc.url, load, { connections, durationS: warmup }).done;
      for (let i = 0; i < slices; i++) {
        for (const s of i % 2 === 0 ? sides : [...sides].reverse()) await loadAtOnce([s], connections, SLICE_S);
      }
      ctx.log(sides.map((s) => `${s.target.name} ${Math.round(s.requests / (slices * SLICE_S)).toLocaleString('en-US')} req/s`).join('; '));
    });
    return { figures: figures(on, off, 'slice by slice'), details: details([on, off], `${slices} slices of ${SLICE_S} s`, connections) };
  },
};
