/**
 * Running probes (bench/lib/probe-types.ts): one at a time, each in its own child processes, a failure kept
 * as the probe's result; their figures as terminal text and as Markdown sections of docs/benchmarks.md
 * (between the same `<!-- bench:section ID -->` markers as the scenarios').
 */
import { fileURLToPath } from 'node:url';
import type { RunFacts } from './machine.js';
import type { BenchOptions } from './options.js';
import { startProcess } from './processes.js';
import type { Probe, ProbeContext, ProbeFigure, ProbeResult } from './probe-types.js';
import { PROBE_FAILED, PROBE_RESULT, PROBE_STARTED } from './probe-child.js';

const int = (v: number): string => Math.round(v).toLocaleString('en-US');

/** A value with its unit, as the tables show it. */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'B':
      return `${int(value)} B`;
    case 'KiB':
    case 'MiB':
      return `${value.toFixed(1)} ${unit}`;
    case 'ms':
      return value >= 100 ? `${int(value)} ms` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
    case 's':
      return `${value.toFixed(2)} s`;
    case '×':
      return `${value.toFixed(2)}×`;
    case 'µs':
      return `${value.toFixed(1)} µs`;
    case '':
      return int(value);
    default:
      return `${int(value)} ${unit}`;
  }
}

/** A figure with a goal: at most `limit`. */
export function atMost(name: string, value: number, unit: string, limit: number, note?: string): ProbeFigure {
  return { name, value, unit, goal: `≤ ${formatValue(limit, unit)}`, met: value <= limit, ...(note !== undefined ? { note } : {}) };
}

/** A figure with a goal: at least `limit`. */
export function atLeast(name: string, value: number, unit: string, limit: number, note?: string): ProbeFigure {
  return { name, value, unit, goal: `≥ ${formatValue(limit, unit)}`, met: value >= limit, ...(note !== undefined ? { note } : {}) };
}

/** A figure shown for information. */
export function info(name: string, value: number, unit: string, note?: string): ProbeFigure {
  return { name, value, unit, goal: null, met: null, ...(note !== undefined ? { note } : {}) };
}

/** Expected seconds of the selected probes. */
export function probeSeconds(probes: readonly Probe[], options: Pick<BenchOptions, 'warmup' | 'duration' | 'rounds'>): number {
  return probes.reduce((n, p) => n + p.seconds(options), 0);
}

/** Runs one probe; a thrown error (a failed premise, a crashed child) becomes the result's `failure`. */
export async function runProbe(probe: Probe, ctx: ProbeContext): Promise<ProbeResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const base = { id: probe.id, group: probe.group, title: probe.title, description: probe.description, startedAt };
  try {
    const { figures, details } = await probe.run(ctx);
    const withGoal = figures.filter((f) => f.goal !== null);
    const goal =
      withGoal.length === 0
        ? null
        : { met: withGoal.every((f) => f.met === true), description: withGoal.map((f) => `${f.name} ${f.goal}`).join('; ') };
    return { ...base, durationS: (performance.now() - t0) / 1000, figures, details, goal };
  } catch (err) {
    const failure = err instanceof Error ? err.message : String(err);
    return { ...base, durationS: (performance.now() - t0) / 1000, figures: [], details: [], goal: null, failure };
  }
}

export interface ProbeChildSpec {
  /** Shown in logs and errors. */
  name: string;
  /** The program, relative to bench/probes/. */
  file: string;
  env?: Record<string, string>;
  /** Killed (and the probe failed) after this long. */
  timeoutMs: number;
}

/**
 * Runs a program under bench/probes/ as `node --expose-gc --import tsx FILE` (tracked like every child of the
 * run: stopped on errors, SIGINT and the deadline) and returns the JSON it reported with `reportResult`
 * (bench/lib/probe-child.ts). Throws with the child's message when it reported a failed premise, and with
 * its output when it crashed or timed out.
 */
export async function runProbeChild<T>(spec: ProbeChildSpec, ctx: ProbeContext): Promise<T> {
  const script = fileURLToPath(new URL(`../probes/${spec.file}`, import.meta.url));
  const child = await startProcess(
    {
      name: spec.name,
      command: process.execPath,
      args: ['--expose-gc', '--import', 'tsx', script],
      env: spec.env ?? {},
      // The child has no port: the ready line carries an empty group (port 0).
      ready: new RegExp(`^${PROBE_STARTED}()$`, 'm'),
      readyTimeoutMs: 30_000,
    },
    ctx.cwd,
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop(1000);
  }, spec.timeoutMs);
  const exit = await child.exited;
  clearTimeout(timer);
  await child.stop();
  const out = child.output();
  const tail = (): string => out.split('\n').slice(-12).map((l) => `    ${l.slice(0, 300)}`).join('\n');
  const failed = new RegExp(`^${PROBE_FAILED} (.*)$`, 'm').exec(out);
  if (failed !== null) throw new Error(`${spec.name}: ${failed[1]}`);
  if (timedOut) throw new Error(`${spec.name}: no result after ${Math.round(spec.timeoutMs / 1000)} s\n${tail()}`);
  const result = new RegExp(`^${PROBE_RESULT} (.*)$`, 'm').exec(out);
  if (exit.code !== 0 || result === null) {
    throw new Error(`${spec.name}: exited (code ${exit.code}, signal ${exit.signal}) without a result\n${tail()}`);
  }
  return JSON.parse(result[1]!) as T;
}

export function probeVerdict(result: ProbeResult): string | null {
  if (result.failure !== undefined) return 'FAILED';
  if (result.goal === null) return null;
  return result.goal.met ? 'MET' : 'NOT MET';
}

const verdictOf = (f: ProbeFigure): string => (f.met === null ? '' : f.met ? 'met' : 'NOT MET');

export function consoleProbeReport(result: ProbeResult): string {
  const lines = ['', `== ${result.id}: ${result.title} (${result.durationS.toFixed(1)} s)`];
  if (result.failure !== undefined) {
    lines.push('', `FAILED: ${result.failure}`);
    return lines.join('\n');
  }
  const rows = result.figures.map((f) => [f.name, formatValue(f.value, f.unit), f.goal ?? '', verdictOf(f)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 0));
  lines.push('');
  for (const r of rows) lines.push(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`.trimEnd());
  if (result.goal !== null) lines.push('', `Goal (${result.goal.description}): ${probeVerdict(result)}`);
  if (result.details.length > 0) lines.push('', ...result.details.map((d) => `  - ${d}`));
  return lines.join('\n');
}

/** One probe's section of docs/benchmarks.md, between markers so that a later partial run can replace it. */
export function markdownProbeSection(result: ProbeResult, facts: RunFacts): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    `<!-- bench:section ${result.id} -->`,
    `### ${result.title} (\`${result.id}\`)`,
    '',
    result.description,
    '',
    `- Measured: ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, \`${facts.command}\`, ${facts.cpu} × ${facts.cores}, Node ${facts.node}, sessiongate ${facts.sessiongate}; ${result.durationS.toFixed(0)} s.`,
    '',
  ];
  if (result.failure !== undefined) {
    lines.push('**FAILED**: the probe could not measure:', '', '```text', result.failure, '```', '');
  } else {
    lines.push('| figure | value | goal | |', '| :--- | ---: | :--- | :--- |');
    for (const f of result.figures) {
      const name = f.note !== undefined ? `${f.name} (${f.note})` : f.name;
      lines.push(`| ${esc(name)} | ${formatValue(f.value, f.unit)} | ${esc(f.goal ?? '—')} | ${f.met === null ? '' : f.met ? 'met' : '**NOT MET**'} |`);
    }
    lines.push('');
    if (result.goal !== null) lines.push(`**Goal** (${result.goal.description}): **${probeVerdict(result)}**`, '');
    if (result.details.length > 0) lines.push(...result.details.map((d) => `- ${d}`), '');
  }
  lines.push(`<!-- bench:end ${result.id} -->`);
  return lines.join('\n');
}
