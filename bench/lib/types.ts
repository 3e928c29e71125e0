/**
 * The vocabulary of the benchmark harness. A run executes scenarios one after another; a scenario starts its
 * support processes (a backend), then measures each of its targets with the same load, one target at a time.
 */
import type autocannon from 'autocannon';
import type { BenchOptions } from './options.js';
import type { RunningProcess } from './processes.js';

/** How to start one child process and learn its port. */
export interface ProcessSpec {
  /** Shown in logs and errors. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /**
   * A line on stdout or stderr that says the process is ready; group 1 is the port it listens on.
   * Default: the `BENCH_READY {"port":N}` line printed by {@link announceReady} (bench/lib/child.ts).
   */
  ready?: RegExp;
  /** Default 20 s. */
  readyTimeoutMs?: number;
}

/** What a target or support process gets to build its command line. */
export interface ScenarioContext {
  options: BenchOptions;
  /** The scenario's support processes, by name, already running. */
  support: Readonly<Record<string, RunningProcess>>;
  /** A directory that lives as long as the run (config files and the like). */
  tmpDir: string;
}

/** What the hooks of one measurement (`prepare`, `beforeMeasurement`, `collect`) get: the target too. */
export interface MeasurementContext extends ScenarioContext {
  target: TargetDef;
  /** The target's running process (for a `reuse` target: the support process), e.g. to read what it printed. */
  process: RunningProcess;
}

/** Values a scenario reads after a measurement (logins counted by a backend, log entries): extra table columns. */
export type Collected = Record<string, number | string>;

/**
 * The role of a target in a scenario's comparison: ratios are "subject ÷ each other target"; the goal, when
 * the scenario has one, compares the subject with its peers; the baseline is the ceiling (no proxy at all).
 */
export type TargetRole = 'subject' | 'peer' | 'reference' | 'baseline';

export interface TargetDef {
  /** Row label, e.g. `sessiongate`, `http-proxy`. Unique within a scenario. */
  name: string;
  role: TargetRole;
  /** One line for the docs: what runs and how it is configured. */
  description: string;
  /**
   * `spawn`: a child process started fresh for every measurement (round) and stopped after it.
   * `reuse`: aim the load at a support process directly (the backend without a proxy).
   */
  launch(ctx: ScenarioContext): { spawn: ProcessSpec } | { reuse: RunningProcess };
}

/** The load sent to every target of a scenario. */
export interface LoadSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** One-line description for the docs, e.g. "GET of a 100-byte body". */
  description: string;
  /**
   * A custom request sequence (autocannon `requests`, with `setupRequest`/`onResponse` hooks): each connection
   * cycles through it; its entries override method, path, headers and body.
   */
  requests?: autocannon.Request[];
  /**
   * Runs once per measurement before the warm-up, against the target's URL (e.g. create 1,000 sessions);
   * what it returns is merged into the autocannon options of the warm-up and the measurement (an `amount`
   * returned here counts as {@link LoadSpec.amount}).
   */
  prepare?: (url: string, ctx: MeasurementContext) => Promise<Partial<autocannon.Options> | void>;
  /**
   * A fixed number of requests per measurement instead of the run's `--duration` (autocannon `amount`, spread
   * over the connections); the warm-up keeps the run's `--warmup` duration. req/s is then the requests
   * divided by the time from the start to the last response (autocannon's own figure counts whole seconds).
   */
  amount?: number;
  /** Runs after the warm-up, right before the measured load (e.g. reset a backend's counters). */
  beforeMeasurement?: (url: string, ctx: MeasurementContext) => Promise<void>;
  /**
   * Runs right after the measured load; its values are stored in the measurement (`collected`) and shown as
   * extra columns of the scenario's tables, in the order of their keys (e.g. `{ logins: 20 }`).
   */
  collect?: (url: string, ctx: MeasurementContext, measured: { requests: number; durationS: number }) => Promise<Collected>;
  /**
   * One request sent before the warm-up to see that the target really proxies: the expected status and,
   * optionally, a check of the body that returns an error message or null.
   */
  check?: { status: number; body?: (text: string) => string | null };
  /** Overrides the run's `--connections`. */
  connections?: number;
}

export interface GoalResult {
  /** What the goal asks, with the targets' names. */
  description: string;
  met: boolean;
  /** What was checked and by how much it passed or failed, one line per comparison. */
  lines: string[];
}

export interface Scenario {
  /** Stable id: used by `--only`, in docs section markers and in latest.json. kebab-case. */
  id: string;
  /** Scenarios of one group run together with `--only GROUP`. */
  group: string;
  title: string;
  /** What the scenario shows, for the docs. */
  description: string;
  /** Processes that run for the whole scenario (the backend), started in order before the targets. */
  support: Record<string, (ctx: ScenarioContext) => ProcessSpec>;
  targets: TargetDef[];
  load: LoadSpec;
  /** The target the ratios are computed for (a target name); default: the target whose role is `subject`. */
  subject?: string;
  /** A target to reach, reported (never asserted). */
  goal?: { evaluate(rows: readonly TargetSummary[]): GoalResult };
}

/** One measurement of one target (one round). */
export interface Measurement {
  target: string;
  round: number;
  /** ISO time the measurement started. */
  startedAt: string;
  /**
   * autocannon's average of the per-second request counts; with a fixed request count ({@link LoadSpec.amount}),
   * the requests ÷ the seconds from the start to the last response.
   */
  rps: number;
  /** Responses / measured seconds. */
  rpsOverall: number;
  requests: number;
  durationS: number;
  /** Responses in each second of the measurement (the last one may be partial). */
  perSecond: number[];
  /** Milliseconds, from a microsecond histogram of every response (autocannon's own is whole milliseconds). */
  latency: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** CPU used by the target's own process during the measurement, in % of one core (null when unknown). */
  cpuPercent: number | null;
  /** CPU of each process (target, support, `load generator`: the runner) during the measurement, % of one core. */
  cpuByProcess: Record<string, number | null>;
  /** Resident memory of the target's process after the measurement, MiB. */
  rssMiB: number | null;
  /** Lines the target process printed to stderr or stdout during the run (warnings, errors), last ones. */
  outputTail: string;
  /** autocannon's warm-up result, trimmed. */
  warmup: { requests: number; errors: number; non2xx: number };
  /** The fixed request count of the measurement ({@link LoadSpec.amount}), absent for a duration-based one. */
  amount?: number;
  /** What the load's `collect` hook returned after the measurement. */
  collected?: Collected;
  /** Set when the target could not be measured (failed check, crash): the rest of the fields are zeros. */
  failure?: string;
}

/** The reported row of one target: the measurement picked among its rounds, and the ratios. */
export interface TargetSummary {
  target: string;
  role: TargetRole;
  description: string;
  picked: Measurement;
  rounds: Measurement[];
  /** subject req/s ÷ this target's req/s (1 for the subject itself), reported rounds; null when either failed. */
  subjectRatio: number | null;
  /**
   * The same ratio within each round (the two measured minutes apart at most, under the same machine
   * conditions), null where either failed, and their median: less sensitive to a machine whose speed drifts.
   */
  pairedRatios: (number | null)[];
  pairedMedian: number | null;
  /** this target's req/s ÷ the baseline's; null when there is no baseline. */
  ofBaseline: number | null;
}

export interface ScenarioResult {
  id: string;
  group: string;
  title: string;
  description: string;
  load: string;
  connections: number;
  /** Requests per measurement when the load has a fixed count ({@link LoadSpec.amount}), else null. */
  amount: number | null;
  subject: string;
  rows: TargetSummary[];
  goal: GoalResult | null;
  /** Support-process output worth seeing (crashes, warnings). */
  notes: string[];
}
