/**
 * Probes of the exchange log's cost that a drifting machine cannot bias (issue 5). The scenario
 * exchange-log-bodies loads "log on" and "log off" one after the other, each for the run's duration; on a
 * machine whose speed drifts from one round to the next by more than the 10% the goal allows (measured: the
 * same gateway's CPU time per request 54 to 78 µs from one round to the next), its ratio is partly the drift's.
 * - toggled (judges the goal): one gateway, its log switched on and off at run time (PATCH /v1/exchange-log)
 *   between 2-second slices that alternate A B B A ..., so drift slower than a few seconds falls on both
 *   states alike, and both are the same process;
 * - side by side and alternating (figures only): the scenario's two gateways started together behind one
 *   backend, loaded at the same time with half the connections each, or one at a time in alternating slices.
 *   Two processes of the same build, with the same config, measured 0.98× to 1.19× against each other in
 *   alternating slices on the 2-core VM (each process keeps its speed for its whole life: where the scheduler
 *   and the memory put it, what the JIT made of it), so between two processes a 10% goal is partly luck.
 * Figures: the req/s ratio, the p99 difference, and the gateway's CPU time per request (all its threads,
 * from /proc), whose inverse a CPU-bound gateway's req/s follows.
 */
import { request } from 'undici';
import { checkTarget, runLoad, type LoadOutcome } from '../lib/load.js';
import type { Probe, ProbeContext, ProbeFigure, ProbeOutcome } from '../lib/probe-types.js';
import { atLeast, atMost, info } from '../lib/probes.js';
import { startProcess, type RunningProcess } from '../lib/processes.js';
import { median } from '../lib/runner.js';
import type { ScenarioContext, TargetDef } from '../lib/types.js';
import { exchangeLogBodies } from '../scenarios/exchange-log.js';
import { backend } from '../targets/backend.js';
import { adminUrlOf } from '../targets/sessiongate.js';

interface Side {
  name: string;
  target: TargetDef;
  proc: RunningProcess;
  requests: number;
  cpuMs: number;
  /** One entry per round (side by side) or per slice (alternating). */
  parts: { rps: number; p99: number }[];
}

const load = exchangeLogBodies.load;
/** Seconds of one slice of the alternating and toggled probes. */
const SLICE_S = 2;

/** Slices per side of the alternating and toggled probes: the run's rounds × duration seconds each. */
const slicesOf = (o: { rounds: number; duration: number }): number => Math.max(1, Math.ceil((o.rounds * o.duration) / SLICE_S));

/** What the alternating and toggled probes take: a warm-up and every slice per side, a moment between slices. */
const slicedSeconds = (o: { rounds: number; duration: number; warmup: number }, startS: number): number =>
  2 * (o.warmup + o.rounds * o.duration) + 2 * slicesOf(o) * 0.3 + startS;

/**
 * Starts the backend and the scenario's gateways among `targets`, checks them as the scenario does, runs
 * `measure` with one side per gateway, stops everything; the sides, with what `measure` added up, and what it
 * returned.
 */
async function withGateways<T>(ctx: ProbeContext, targets: readonly TargetDef[], measure: (sides: Side[]) => Promise<T>): Promise<{ sides: Side[]; result: T }> {
  const support = await startProcess(backend({ options: ctx.options, support: {}, tmpDir: ctx.tmpDir }), ctx.cwd);
  const sctx: ScenarioContext = { options: ctx.options, support: { backend: support }, tmpDir: ctx.tmpDir };
  const sides: Side[] = [];
  let result: T;
  try {
    for (const target of targets) {
      const launch = target.launch(sctx);
      if (!('spawn' in launch)) throw new Error(`${target.name} is not a process of its own`);
      sides.push({ name: target.name, target, proc: await startProcess(launch.spawn, ctx.cwd), requests: 0, cpuMs: 0, parts: [] });
    }
    // The scenario's own checks: the echo comes back whole; log on keeps both bodies, log off keeps nothing.
    for (const s of sides) {
      const problem = await checkTarget(s.proc.url, load);
      if (problem !== null) throw new Error(`${s.target.name}: ${problem}`);
      await load.prepare?.(s.proc.url, { ...sctx, target: s.target, process: s.proc });
    }
    result = await measure(sides);
  } finally {
    await Promise.all(sides.map((s) => s.proc.stop()));
    await support.stop();
  }
  return { sides, result };
}

/** Both gateways of the scenario (see withGateways), as log on and log off. */
async function withPair(ctx: ProbeContext, measure: (sides: Side[]) => Promise<void>): Promise<{ on: Side; off: Side }> {
  const { sides } = await withGateways(ctx, exchangeLogBodies.targets, measure);
  const on = sides.find((s) => s.target.name === exchangeLogBodies.subject)!;
  return { on, off: sides.find((s) => s !== on)! };
}

/** `slices` rounds of one slice each of `a` and `b`, alone with all the connections, ordered A B B A A B ...; `before` runs before each slice. */
async function alternate(a: Side, b: Side, slices: number, connections: number, before: (s: Side) => Promise<unknown> = async () => {}): Promise<void> {
  for (let i = 0; i < slices; i++) {
    for (const s of i % 2 === 0 ? [a, b] : [b, a]) {
      await before(s);
      await loadAtOnce([s], connections, SLICE_S);
    }
  }
}

/** Loads the sides given at the same time for `durationS` and adds what each served to its totals. */
async function loadAtOnce(sides: readonly Side[], connections: number, durationS: number): Promise<void> {
  const before = sides.map((s) => s.proc.cpuTimeMs());
  const outcomes: LoadOutcome[] = await Promise.all(sides.map((s) => runLoad(s.proc.url, load, { connections, durationS }).done));
  sides.forEach((s, i) => {
    const o = outcomes[i]!;
    const bad = o.result.errors + o.result.non2xx;
    if (bad > 0) throw new Error(`${s.name}: ${o.result.errors} errors and ${o.result.non2xx} non-2xx responses under load`);
    s.requests += o.result.requests.total;
    s.cpuMs += (s.proc.cpuTimeMs() ?? NaN) - (before[i] ?? NaN);
    s.parts.push({ rps: o.result.requests.total / durationS, p99: o.latency.p99 });
  });
}

/**
 * The figures every probe reports: req/s ratio and p99 difference (the goals where `judged`; figures only
 * otherwise), CPU per request.
 */
function figures(on: Side, off: Side, what: string, judged: boolean): ProbeFigure[] {
  const cpuPerRequest = (s: Side): number => (s.cpuMs * 1000) / s.requests;
  const ratios = on.parts.map((r, i) => r.rps / off.parts[i]!.rps);
  const p99Diffs = on.parts.map((r, i) => r.p99 - off.parts[i]!.p99);
  const list = (values: number[], f: (v: number) => string): string =>
    values.length <= 6 ? values.map(f).join(', ') : `${f(Math.min(...values))} to ${f(Math.max(...values))}`;
  const ratioNote = `all requests; ${what} ${list(ratios, (r) => `${r.toFixed(2)}×`)}`;
  const p99Note = `median; ${what} ${list(p99Diffs, (d) => `${d.toFixed(2)} ms`)}`;
  const unjudged = '; the goal is judged by exchange-log-toggled';
  return [
    judged
      ? atLeast('req/s, log on ÷ log off', on.requests / off.requests, '×', 0.9, ratioNote)
      : info('req/s, log on ÷ log off', on.requests / off.requests, '×', ratioNote + unjudged),
    judged
      ? atMost('p99, log on − log off', median(p99Diffs) ?? NaN, 'ms', 1, p99Note)
      : info('p99, log on − log off', median(p99Diffs) ?? NaN, 'ms', p99Note + unjudged),
    info('gateway CPU per request, log on', cpuPerRequest(on), 'µs', 'all threads, /proc'),
    info('gateway CPU per request, log off', cpuPerRequest(off), 'µs', 'all threads, /proc'),
    info('CPU-bound req/s, log on ÷ log off', cpuPerRequest(off) / cpuPerRequest(on), '×', 'CPU per request of log off ÷ of log on'),
  ];
}

function details(sides: Side[], how: string, connections: number): string[] {
  return sides.map(
    (s) =>
      `${s.name}: ${s.requests.toLocaleString('en-US')} requests in ${how} with ${connections} connections, ` +
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
    'not the drift between two moments; they are two processes, though, and two processes of one build measured ' +
    '0.98× to 1.19× against each other on this VM, so the goal is judged by exchange-log-toggled. Figures: ' +
    'req/s of log on ÷ log off (all rounds\' requests), p99 difference (median of the rounds), CPU time of ' +
    'each gateway per request (all threads, /proc).',
  seconds: (o) => o.rounds * (o.warmup + o.duration + 1) + 6,
  async run(ctx: ProbeContext): Promise<ProbeOutcome> {
    const { rounds, warmup, duration } = ctx.options;
    const connections = Math.max(1, Math.round(ctx.options.connections / 2));
    const { on, off } = await withPair(ctx, async (sides) => {
      for (let i = 1; i <= rounds; i++) {
        if (warmup > 0) await Promise.all(sides.map((s) => runLoad(s.proc.url, load, { connections, durationS: warmup }).done));
        await loadAtOnce(sides, connections, duration);
        ctx.log(`round ${i}/${rounds}: ${sides.map((s) => `${s.name} ${Math.round(s.parts.at(-1)!.rps).toLocaleString('en-US')} req/s, p99 ${s.parts.at(-1)!.p99.toFixed(2)} ms`).join('; ')}`);
      }
    });
    return { figures: figures(on, off, 'round by round', false), details: details([on, off], `${rounds} × ${duration} s`, connections) };
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
    'than a few seconds falls on both alike; being two processes, their ratio is partly where each process ' +
    'landed (see exchange-log-side-by-side), so the goal is judged by exchange-log-toggled. Figures: req/s of ' +
    'log on ÷ log off (all slices\' requests), p99 difference (median over the pairs of slices), CPU time of ' +
    'each gateway per request.',
  seconds: (o) => slicedSeconds(o, 6),
  async run(ctx: ProbeContext): Promise<ProbeOutcome> {
    const { warmup, connections } = ctx.options;
    const slices = slicesOf(ctx.options);
    const { on, off } = await withPair(ctx, async (sides) => {
      if (warmup > 0) for (const s of sides) await runLoad(s.proc.url, load, { connections, durationS: warmup }).done;
      await alternate(sides[0]!, sides[1]!, slices, connections);
      ctx.log(sides.map((s) => `${s.name} ${Math.round(s.requests / (slices * SLICE_S)).toLocaleString('en-US')} req/s`).join('; '));
    });
    return { figures: figures(on, off, 'slice by slice', false), details: details([on, off], `${slices} slices of ${SLICE_S} s`, connections) };
  },
};

/** Switches the log of the gateway behind `adminUrl` on or off (the run-time switch the product offers). */
async function setLog(adminUrl: string, enabled: boolean): Promise<{ entries: number }> {
  const res = await request(`${adminUrl}/v1/exchange-log`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enabled }),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`PATCH /v1/exchange-log {enabled: ${enabled}}: status ${res.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as { entries: number };
}

async function clearLog(adminUrl: string): Promise<void> {
  const res = await request(`${adminUrl}/v1/exchanges`, { method: 'DELETE', headersTimeout: 5000, bodyTimeout: 5000 });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`DELETE /v1/exchanges: status ${res.statusCode}`);
}

export const exchangeLogToggled: Probe = {
  id: 'exchange-log-toggled',
  group: 'exchange-log',
  title: 'Exchange log on vs off, one gateway toggled',
  description:
    'The "log on" gateway of exchange-log-bodies (bodies kept, 8 KiB cap, 1,000 rows) alone behind the backend; ' +
    'its log is switched on and off at run time (PATCH /v1/exchange-log) between ' +
    `${SLICE_S}-second slices that alternate (A B B A ...), all the run's connections, until each state has had ` +
    "the run's rounds × duration seconds, after the run's warm-up in each state. Both states are the same " +
    'process, so neither where the process landed nor what its JIT made of it can favour one (two processes of ' +
    'one build measured 0.98× to 1.19× against each other), and a drift of the machine slower than a few seconds ' +
    'falls on both alike. The log stays allocated while off, as after a run-time switch. Goals as the issue ' +
    'states them: req/s of log on ≥ 0.90× log off (all slices\' requests), p99 of log on ≤ log off + 1 ms ' +
    '(median over the pairs of slices). CPU time per request in each state for information.',
  seconds: (o) => slicedSeconds(o, 4),
  async run(ctx: ProbeContext): Promise<ProbeOutcome> {
    const { warmup, connections } = ctx.options;
    const slices = slicesOf(ctx.options);
    const target = exchangeLogBodies.targets.find((t) => t.name === exchangeLogBodies.subject)!;
    const { result } = await withGateways(ctx, [target], async ([gateway]) => {
      const { proc } = gateway!;
      const adminUrl = adminUrlOf(proc);
      const on: Side = { ...gateway!, name: 'log on', parts: [] };
      const off: Side = { ...gateway!, name: 'log off', parts: [] };
      // Off must record nothing: the table, emptied, stays empty through the warm-up with the log off.
      await setLog(adminUrl, false);
      await clearLog(adminUrl);
      if (warmup > 0) await runLoad(proc.url, load, { connections, durationS: warmup }).done;
      const { entries } = await setLog(adminUrl, true);
      if (entries !== 0) throw new Error(`the log recorded ${entries} exchanges while switched off`);
      if (warmup > 0) await runLoad(proc.url, load, { connections, durationS: warmup }).done;
      await alternate(on, off, slices, connections, (s) => setLog(adminUrl, s === on));
      ctx.log(`log on ${Math.round(on.requests / (slices * SLICE_S)).toLocaleString('en-US')} req/s; log off ${Math.round(off.requests / (slices * SLICE_S)).toLocaleString('en-US')} req/s`);
      return { on, off };
    });
    const { on, off } = result;
    return { figures: figures(on, off, 'slice by slice', true), details: details([on, off], `${slices} slices of ${SLICE_S} s, one process`, connections) };
  },
};
