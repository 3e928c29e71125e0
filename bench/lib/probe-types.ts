/**
 * Probes: figures that are not throughput (memory per session, event-loop stalls, a table's memory), measured
 * in the same `npm run bench` run, after the scenarios. A probe runs its own child processes (a fresh heap,
 * `--expose-gc`), checks its premise (a probe whose premise failed throws: it reports a failure, not a
 * number) and returns figures, each with an optional goal.
 */
import type { BenchOptions } from './options.js';

/** What a probe gets. */
export interface ProbeContext {
  options: BenchOptions;
  /** Repository root: the working directory of every child. */
  cwd: string;
  /** A directory that lives as long as the run. */
  tmpDir: string;
  log(line: string): void;
}

/** One measured value. */
export interface ProbeFigure {
  name: string;
  value: number;
  /** `B`, `MiB`, `ms`, `s`, `keys`, or '' for a count. */
  unit: string;
  /** The goal as text (`≤ 1,024 B`), or null for a figure shown for information. */
  goal: string | null;
  /** Whether the goal is met; null without a goal. */
  met: boolean | null;
  /** How the value was obtained, when the name does not say it. */
  note?: string;
}

/** What a probe's `run` returns. */
export interface ProbeOutcome {
  figures: ProbeFigure[];
  /** Lines for the docs and the terminal: the numbers behind the figures, what was checked. */
  details: string[];
}

export interface Probe {
  /** Stable id: used by `--only`, in docs section markers and in latest.json. kebab-case. */
  id: string;
  /** Probes and scenarios of one group run together with `--only GROUP`. */
  group: string;
  title: string;
  /** What the probe shows and how, for the docs. */
  description: string;
  /** Expected seconds of a run with these options (for the run's estimate and deadline). */
  seconds(options: Pick<BenchOptions, 'warmup' | 'duration' | 'rounds'>): number;
  /** Measures; throws when the premise fails (sessions not created, not all expired, Redis missing). */
  run(ctx: ProbeContext): Promise<ProbeOutcome>;
}

export interface ProbeResult {
  id: string;
  group: string;
  title: string;
  description: string;
  /** ISO time the probe started. */
  startedAt: string;
  durationS: number;
  figures: ProbeFigure[];
  details: string[];
  /** Every figure with a goal met (null: no figure has a goal, or the probe failed). */
  goal: { met: boolean; description: string } | null;
  /** Set when the probe could not measure (its premise failed, a child crashed): figures are then empty. */
  failure?: string;
}
