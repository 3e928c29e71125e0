/**
 * Probe of the exchange log's cost, measured side by side (issue 5). The scenario exchange-log-bodies loads
 * "log on" and "log off" one after the other; on a machine whose speed drifts from one round to the next by
 * more than the 10% the goal allows, its ratio is partly the drift's. Here the scenario's two gateways run at
 * once behind one backend, each loaded with half the connections for the same seconds, so every slow or fast
 * phase of the machine falls on both. Figures: the req/s ratio and the p99 difference of the two, round by
 * round, and each gateway's CPU time per request (all its threads, from /proc), whose inverse a CPU-bound
 * gateway's req/s follows.
 */
import { checkTarget, runLoad, type LoadOutcome } from '../lib/load.js';
import type { Probe, ProbeContext, ProbeFigure } from '../lib/probe-types.js';
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
  rounds: { rps: number; p99: number }[];
}

const load = exchangeLogBodies.load;

/** One round: both gateways warmed up, then measured, at the same time. */
async function round(sides: readonly Side[], ctx: ProbeContext, connections: number): Promise<void> {
  const { warmup, duration } = ctx.options;
  if (warmup > 0) await Promise.all(sides.map((s) => runLoad(s.proc.url, load, { connections, durationS: warmup }).done));
  const before = sides.map((s) => s.proc.cpuTimeMs());
  const outcomes: LoadOutcome[] = await Promise.all(sides.map((s) => runLoad(s.proc.url, load, { connections, durationS: duration }).done));
  sides.forEach((s, i) => {
    const o = outcomes[i]!;
    const bad = o.result.errors + o.result.non2xx;
    if (bad > 0) throw new Error(`${s.target.name}: ${o.result.errors} errors and ${o.result.non2xx} non-2xx responses under load`);
    const cpu = (s.proc.cpuTimeMs() ?? NaN) - (before[i] ?? NaN);
    s.requests += o.result.requests.total;
    s.cpuMs += cpu;
    s.rounds.push({ rps: o.result.requests.total / duration, p99: o.latency.p99 });
  });
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
  async run(ctx: ProbeContext) {
    const connections = Math.max(1, Math.round(ctx.options.connections / 2));
    const support = await startProcess(backend({ options: ctx.options, support: {}, tmpDir: ctx.tmpDir }), ctx.cwd);
    const sctx: ScenarioContext = { options: ctx.options, support: { backend: support }, tmpDir: ctx.tmpDir };
    const sides: Side[] = [];
    try {
      for (const target of exchangeLogBodies.targets) {
        const launch = target.launch(sctx);
        if (!('spawn' in launch)) throw new Error(`${target.name} is not a process of its own`);
        sides.push({ target, proc: await startProcess(launch.spawn, ctx.cwd), requests: 0, cpuMs: 0, rounds: [] });
      }
      // The scenario's own checks: the echo comes back whole; log on keeps both bodies, log off keeps nothing.
      for (const s of sides) {
        const problem = await checkTarget(s.proc.url, load);
        if (problem !== null) throw new Error(`${s.target.name}: ${problem}`);
        await load.prepare?.(s.proc.url, { ...sctx, target: s.target, process: s.proc });
      }
      for (let i = 1; i <= ctx.options.rounds; i++) {
        await round(sides, ctx, connections);
        ctx.log(
          `round ${i}/${ctx.options.rounds}: ` +
            sides.map((s) => `${s.target.name} ${Math.round(s.rounds.at(-1)!.rps).toLocaleString('en-US')} req/s, p99 ${s.rounds.at(-1)!.p99.toFixed(2)} ms`).join('; '),
        );
      }
    } finally {
      await Promise.all(sides.map((s) => s.proc.stop()));
      await support.stop();
    }
    const [on, off] = [sides.find((s) => s.target.name === exchangeLogBodies.subject)!, sides.find((s) => s.target.name !== exchangeLogBodies.subject)!];
    const cpuPerRequest = (s: Side): number => (s.cpuMs * 1000) / s.requests;
    const ratios = on.rounds.map((r, i) => r.rps / off.rounds[i]!.rps);
    const p99Diffs = on.rounds.map((r, i) => r.p99 - off.rounds[i]!.p99);
    const figures: ProbeFigure[] = [
      atLeast('req/s, log on ÷ log off', on.requests / off.requests, '×', 0.9, `round by round ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}`),
      atMost('p99, log on − log off', median(p99Diffs) ?? NaN, 'ms', 1, `median; round by round ${p99Diffs.map((d) => d.toFixed(2)).join(', ')} ms`),
      info('gateway CPU per request, log on', cpuPerRequest(on), 'µs', 'all threads, /proc'),
      info('gateway CPU per request, log off', cpuPerRequest(off), 'µs', 'all threads, /proc'),
      info('CPU-bound req/s, log on ÷ log off', cpuPerRequest(off) / cpuPerRequest(on), '×', 'CPU per request of log off ÷ of log on'),
    ];
    const details = sides.map(
      (s) =>
        `${s.target.name}: ${s.requests.toLocaleString('en-US')} requests in ${ctx.options.rounds} × ${ctx.options.duration} s with ${connections} connections, ` +
        `${Math.round(s.cpuMs).toLocaleString('en-US')} ms of CPU; per round ${s.rounds.map((r) => `${Math.round(r.rps).toLocaleString('en-US')} req/s p99 ${r.p99.toFixed(2)} ms`).join(' / ')}`,
    );
    return { figures, details };
  },
};
