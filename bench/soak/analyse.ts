/** From samples, errors and faults to the soak's numbers and verdict. */
import type { FaultRecord } from './faults.js';
import type { ErrorEvent, IntervalStats, MaxResult } from './load.js';
import type { FdKinds, GatewaySample } from './sampler.js';

/** Memory may grow at most this much from the baseline to the last minute (heap used, medians). */
export const MAX_DRIFT = 0.1;
/**
 * The gateway's fds other than TCP connections (files, pipes, epoll, timers, listening sockets) may grow at
 * most this many from the baseline to the last minute, and from before the load to after it. Connections
 * come and go with the load (the client Pool opens up to 100, the faults hundreds more, the upstream pool
 * up to 128) and are checked differently: once the load has stopped, no client connection may be left.
 */
export const FD_SLACK = 10;
/** servers[].max_connections (default). */
export const UPSTREAM_MAX = 128;

/** Fds that are not TCP connections of the gateway. */
export function nonConnectionFds(k: FdKinds | null): number | null {
  return k === null ? null : k.total - k.client - k.upstream - k.admin - k.redis;
}

export interface Sample {
  /** Seconds since the soak's start. */
  t: number;
  gateway: GatewaySample;
  load: IntervalStats;
  /** CPU of the soak's own process (load generator, faults, sampler) over the interval, % of one core. */
  generatorCpuPercent: number;
  inFlight: number;
  /** A full GC was forced in the gateway just before this sample (live heap measured; its pause is in this interval). */
  forcedGc: boolean;
}

export interface Timeline {
  durationS: number;
  warmupS: number;
  /** The baseline: samples in [warmupS, warmupS + baselineS). */
  baselineS: number;
  /** The last minute: samples in [lastFromS, durationS]. */
  lastFromS: number;
  sampleEveryS: number;
  /** A full GC is forced in the gateway (its live heap read) every this many seconds. */
  gcEveryS: number;
  faultAtS: number[];
}

export function timeline(durationS: number, faultEveryS: number, sampleEveryS: number, gcEverySamples: number): Timeline {
  const warmupS = Math.min(30, durationS / 4);
  const baselineS = Math.min(30, durationS / 4);
  const faultAtS: number[] = [];
  // Each fault starts at least 15 s before the end, so that its window closes while the load still runs.
  for (let t = warmupS + baselineS; t <= durationS - 15; t += faultEveryS) faultAtS.push(t);
  return { durationS, warmupS, baselineS, lastFromS: Math.max(durationS - 60, warmupS + baselineS), sampleEveryS, gcEveryS: sampleEveryS * gcEverySamples, faultAtS };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Drift {
  /** Median over the baseline samples. */
  baseline: number | null;
  /** Median over the last minute's samples. */
  last: number | null;
  max: number | null;
  /** (last - baseline) / baseline. */
  drift: number | null;
}

function drift(samples: Sample[], tl: Timeline, pick: (g: GatewaySample) => number | null): Drift {
  const values = (from: number, to: number): number[] =>
    samples.filter((s) => s.t >= from && s.t <= to).map((s) => pick(s.gateway)).filter((v): v is number => v !== null);
  const baseline = median(values(tl.warmupS, tl.warmupS + tl.baselineS));
  const last = median(values(tl.lastFromS, tl.durationS + tl.sampleEveryS));
  const all = values(0, Infinity);
  return {
    baseline,
    last,
    max: all.length === 0 ? null : Math.max(...all),
    drift: baseline === null || last === null || baseline === 0 ? null : (last - baseline) / baseline,
  };
}

export interface ErrorSummary {
  /** Explained errors by fault (index into the faults, with its name) and kind. */
  byFault: { fault: string; startS: number; kinds: Record<string, number> }[];
  /** Errors no fault explains, by kind and where they appeared. */
  unexplained: { kind: string; where: string; count: number; firstS: number; lastS: number }[];
  unexplainedCount: number;
}

function overlaps(e: ErrorEvent, f: FaultRecord): boolean {
  return e.t >= f.startS && Math.min(e.due, e.t) <= f.windowEndS;
}

/** Each error of the load: explained by a fault whose window it falls in and which explains its kind, or not. */
export function classifyErrors(errors: ErrorEvent[], faults: FaultRecord[]): ErrorSummary {
  const byFault = faults.map((f) => ({ fault: f.name, startS: f.startS, kinds: {} as Record<string, number> }));
  const unexplained = new Map<string, { kind: string; where: string; count: number; firstS: number; lastS: number }>();
  for (const e of errors) {
    const windows = faults.map((f, i) => ({ f, i })).filter(({ f }) => overlaps(e, f));
    const by = windows.find(({ f }) => f.explains.includes(e.kind));
    if (by !== undefined) {
      const k = byFault[by.i]!.kinds;
      k[e.kind] = (k[e.kind] ?? 0) + 1;
      continue;
    }
    const where =
      windows.length === 0
        ? 'outside any fault window'
        : `in the window of ${windows.map(({ f }) => `${f.name} at ${Math.round(f.startS)} s`).join(', ')}, which does not explain it`;
    const key = `${e.kind}\u0000${where}`;
    const u = unexplained.get(key);
    if (u === undefined) unexplained.set(key, { kind: e.kind, where, count: 1, firstS: e.t, lastS: e.t });
    else {
      u.count++;
      u.lastS = e.t;
    }
  }
  const list = [...unexplained.values()].sort((a, b) => a.firstS - b.firstS);
  return { byFault, unexplained: list, unexplainedCount: list.reduce((n, u) => n + u.count, 0) };
}

export interface Analysis {
  /** The live heap right after a forced full GC: the verdict's number. */
  liveHeap: Drift;
  /** heapUsed as sampled (young generation included): reported. */
  heap: Drift;
  oldSpace: Drift;
  rss: Drift;
  /** All open fds: reported. */
  fds: Drift;
  /** Fds other than TCP connections: the growth check. */
  fdsOther: Drift & { ok: boolean };
  eventLoop: {
    /** Median and max over the samples of each interval's p99, ms beyond the 10 ms timer. */
    p99Median: number | null;
    p99Max: number | null;
    /** The same over the samples outside fault windows. */
    p99MedianQuiet: number | null;
    maxMax: number | null;
  };
  errors: ErrorSummary;
  verdict: { ok: boolean; reasons: string[] };
}

export interface AnalysisInput {
  samples: Sample[];
  timeline: Timeline;
  errors: ErrorEvent[];
  faults: FaultRecord[];
  max: MaxResult;
  crashed: string | null;
  /** The load ran shorter than planned (a crash, a stop): the last minute is not the soak's last minute. */
  cutShort: boolean;
  /** Open fds of the idle gateway before the load and after it (the load's connections closed). */
  idleFds: { before: FdKinds | null; after: FdKinds | null };
}

export function analyse(input: AnalysisInput): Analysis {
  const { samples, timeline: tl, faults } = input;
  const liveHeap = drift(samples, tl, (g) => g.liveHeapMiB);
  const heap = drift(samples, tl, (g) => g.heapUsedMiB);
  const oldSpace = drift(samples, tl, (g) => g.liveOldSpaceMiB);
  const rss = drift(samples, tl, (g) => g.rssMiB);
  const fds = drift(samples, tl, (g) => g.fds);
  const fdsOther = drift(samples, tl, (g) => nonConnectionFds(g.fdKinds));
  const fdOk = fdsOther.baseline !== null && fdsOther.last !== null && fdsOther.last - fdsOther.baseline <= FD_SLACK;

  const inFault = (t: number): boolean => faults.some((f) => t >= f.startS && t - tl.sampleEveryS <= f.windowEndS);
  // The intervals with a forced GC are left out: that pause is the soak's, not the gateway's.
  const lags = samples.filter((s) => s.t >= tl.warmupS && !s.forcedGc && s.gateway.eventLoopP99Ms !== null);
  const p99s = lags.map((s) => s.gateway.eventLoopP99Ms!);
  const quiet = lags.filter((s) => !inFault(s.t)).map((s) => s.gateway.eventLoopP99Ms!);
  const maxes = lags.map((s) => s.gateway.eventLoopMaxMs).filter((v): v is number => v !== null);

  const errors = classifyErrors(input.errors, faults);
  const reasons: string[] = [];
  if (input.crashed !== null) reasons.push(`the gateway stopped during the soak: ${input.crashed}`);
  if (input.cutShort) reasons.push('the load did not run its whole duration');
  if (liveHeap.drift === null) reasons.push('heap drift unknown (no live-heap samples in the baseline or the last minute)');
  else if (liveHeap.drift > MAX_DRIFT) reasons.push(`live heap drift ${(liveHeap.drift * 100).toFixed(1)}% > ${MAX_DRIFT * 100}%`);
  if (!fdOk) reasons.push(`fds other than connections grew from ${fdsOther.baseline ?? '?'} to ${fdsOther.last ?? '?'} (allowed: +${FD_SLACK})`);
  const { before, after } = input.idleFds;
  if (after === null) reasons.push('the fds of the idle gateway after the load could not be read');
  else {
    if (after.client > 0) reasons.push(`${after.client} client connection(s) still open in the gateway after the load stopped and closed its connections`);
    if (after.upstream > UPSTREAM_MAX) reasons.push(`${after.upstream} upstream connections after the load (the pool holds at most ${UPSTREAM_MAX})`);
    const b = nonConnectionFds(before);
    const a = nonConnectionFds(after);
    if (b !== null && a !== null && a - b > FD_SLACK) reasons.push(`the idle gateway holds ${a} fds other than connections after the load, ${b} before it`);
  }
  if (errors.unexplainedCount > 0) reasons.push(`${errors.unexplainedCount} error(s) no fault explains`);
  if (input.max.errors > 0 || input.max.non2xx > 0) reasons.push(`the maximum measurement (no fault) saw ${input.max.errors} errors and ${input.max.non2xx} non-2xx`);
  for (const f of faults) for (const c of f.checks) if (!c.ok) reasons.push(`${f.name} at ${Math.round(f.startS)} s: ${c.text}`);
  return {
    liveHeap,
    heap,
    oldSpace,
    rss,
    fds,
    fdsOther: { ...fdsOther, ok: fdOk },
    eventLoop: {
      p99Median: median(p99s),
      p99Max: p99s.length === 0 ? null : Math.max(...p99s),
      p99MedianQuiet: median(quiet),
      maxMax: maxes.length === 0 ? null : Math.max(...maxes),
    },
    errors,
    verdict: { ok: reasons.length === 0, reasons },
  };
}
