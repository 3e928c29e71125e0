/** The soak's summary: terminal table, the Markdown section of docs/benchmarks.md, and writing it. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunFacts } from '../lib/machine.js';
import { FD_SLACK, MAX_DRIFT, type Analysis, type Drift, type Sample, type Timeline } from './analyse.js';
import type { Fault, FaultRecord } from './faults.js';
import type { ErrorEvent, MaxResult } from './load.js';
import type { SoakOptions } from './options.js';
import type { FdKinds } from './sampler.js';

export interface SoakResult {
  facts: RunFacts;
  options: SoakOptions;
  timeline: Timeline;
  /** The gateway's config, as a file would hold it. */
  config: Record<string, unknown>;
  sessions: number;
  connections: number;
  max: MaxResult;
  /** Requests per second of the open-loop load. */
  rate: number;
  load: {
    sent: number;
    done: number;
    ok: number;
    errors: number;
    statuses: Record<string, number>;
    lateOver10Ms: number;
    lateOver100Ms: number;
    achievedRate: number;
    /** Milliseconds, from the time each request was due. */
    latency: { p50: number; p90: number; p99: number; p999: number; max: number };
    replacedCookies: number;
    generatorCpuPercent: number | null;
  };
  faults: FaultRecord[];
  rotation: Fault[];
  samples: Sample[];
  /** The load's failures (the first 2,000), for bench/results/soak.json. */
  errorEvents: ErrorEvent[];
  /** After the load stopped and its connections closed. */
  idle: { fds: number | null; fdKinds: FdKinds | null; clientConnections: number | null; sessions: number | null; heapUsedMiB: number | null; liveHeapMiB: number | null; rssMiB: number | null };
  /** Before the load: right after the sessions were created and the maximum measured. */
  startup: { fds: number | null; fdKinds: FdKinds | null; rssMiB: number | null; heapUsedMiB: number | null; liveHeapMiB: number | null };
  gatewayLog: { levels: Record<string, number>; messages: string[] };
  crashed: string | null;
  analysis: Analysis;
}

const f1 = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined ? '-' : `${v.toFixed(1)}${unit}`);
const f0 = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
const pct = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);
const dur = (s: number): string => (s % 60 === 0 ? `${s / 60} min` : `${s} s`);

function driftRow(name: string, d: Drift, unit: string, rule: string): string[] {
  return [name, f1(d.baseline, unit), f1(d.last, unit), f1(d.max, unit), pct(d.drift), rule];
}

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${align.map((a) => (a === 'l' ? ':---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function plain(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function resourceRows(r: SoakResult): { header: string[]; rows: string[][] } {
  const a = r.analysis;
  return {
    header: ['gateway', 'baseline', 'last minute', 'max', 'drift', 'rule'],
    rows: [
      driftRow('live heap after GC (MiB)', a.liveHeap, '', `fails above +${MAX_DRIFT * 100}%`),
      driftRow('old space after GC (MiB)', a.oldSpace, '', 'reported'),
      driftRow('heap used, sampled (MiB)', a.heap, '', 'reported'),
      driftRow('RSS (MiB)', a.rss, '', 'reported'),
      ['fds other than connections', f0(a.fdsOther.baseline), f0(a.fdsOther.last), f0(a.fdsOther.max), pct(a.fdsOther.drift), `fails above +${FD_SLACK}`],
      ['open fds, all', f0(a.fds.baseline), f0(a.fds.last), f0(a.fds.max), pct(a.fds.drift), 'reported (connections come and go with the load)'],
    ],
  };
}

function kinds(k: FdKinds | null): string {
  if (k === null) return '-';
  const parts = [`${k.client} client`, `${k.upstream} upstream`, `${k.admin} admin`];
  if (k.redis > 0) parts.push(`${k.redis} redis`);
  parts.push(`${k.listening} listening`, `${k.other} other`);
  return `${k.total} (${parts.join(', ')})`;
}

function fdLine(r: SoakResult): string {
  const last = [...r.samples].reverse().find((s) => s.t <= r.timeline.durationS && s.gateway.fdKinds !== null)?.gateway.fdKinds ?? null;
  return `open fds before the load ${kinds(r.startup.fdKinds)}; at the end of the load ${kinds(last)}; idle after it ${kinds(r.idle.fdKinds)}`;
}

function faultRows(r: SoakResult): { header: string[]; rows: string[][] } {
  return {
    header: ['at', 'fault', 'window', 'load p99 in it', 'errors it explains, seen in the load', 'checks'],
    rows: r.faults.map((f, i) => {
      const inWindow = r.samples.filter((s) => s.t > f.startS && s.t - r.timeline.sampleEveryS < f.windowEndS);
      const p99 = inWindow.length === 0 ? null : Math.max(...inWindow.map((s) => s.load.p99Ms));
      const kinds = r.analysis.errors.byFault[i]?.kinds ?? {};
      const seen = Object.entries(kinds).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
      const checks = f.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'}: ${c.text}`).concat(f.notes).join('; ') || '-';
      return [`${Math.round(f.startS)} s`, f.name, `${(f.windowEndS - f.startS).toFixed(0)} s`, `${f1(p99)} ms`, seen, checks];
    }),
  };
}

function unexplainedLines(r: SoakResult): string[] {
  const u = r.analysis.errors.unexplained;
  if (u.length === 0) return ['none'];
  return u.map((e) => `${e.count} × ${e.kind} ${e.where} (${e.firstS.toFixed(1)}–${e.lastS.toFixed(1)} s)`);
}

/** The terminal summary. */
export function consoleSummary(r: SoakResult): string {
  const a = r.analysis;
  const out: string[] = [];
  out.push('', '== Soak summary');
  out.push(`maximum (closed loop, ${r.max.connections} connections, ${r.max.durationS} s): ${f0(r.max.rps)} req/s; open-loop load: ${f0(r.rate)} req/s over ${r.sessions} cookie sessions for ${dur(r.timeline.durationS)}`);
  out.push(`load: ${f0(r.load.sent)} sent, ${f0(r.load.ok)} ok, ${f0(r.load.errors)} errors; achieved ${f0(r.load.achievedRate)} req/s; latency from the due time p50 ${f1(r.load.latency.p50)} / p99 ${f1(r.load.latency.p99)} / p99.9 ${f1(r.load.latency.p999)} / max ${f1(r.load.latency.max)} ms`);
  out.push(`generator: ${f0(r.load.lateOver10Ms)} requests left > 10 ms late, ${f0(r.load.lateOver100Ms)} > 100 ms; its process used ${f0(r.load.generatorCpuPercent)}% of a core`);
  out.push('');
  const res = resourceRows(r);
  out.push(...plain(res.header, res.rows));
  out.push('');
  out.push(`event-loop delay p99 (beyond the 10 ms timer), per ${r.timeline.sampleEveryS} s interval: median ${f1(a.eventLoop.p99Median)} ms, outside fault windows ${f1(a.eventLoop.p99MedianQuiet)} ms, worst ${f1(a.eventLoop.p99Max)} ms; longest delay ${f1(a.eventLoop.maxMax)} ms`);
  out.push(fdLine(r));
  out.push(`idle after the load: ${f0(r.idle.clientConnections)} client connections, ${f0(r.idle.sessions)} sessions, live heap ${f1(r.idle.liveHeapMiB)} MiB (${f1(r.startup.liveHeapMiB)} before the load)`);
  out.push('');
  const fr = faultRows(r);
  out.push(...plain(fr.header.slice(0, 5), fr.rows.map((row) => row.slice(0, 5))));
  for (const f of r.faults) for (const line of f.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'}: ${c.text}`).concat(f.notes)) out.push(`  ${f.name} at ${Math.round(f.startS)} s: ${line}`);
  out.push('');
  out.push(`unexplained errors: ${unexplainedLines(r).join('\n  ')}`);
  const levels = Object.entries(r.gatewayLog.levels).map(([k, n]) => `${k} ${n}`).join(', ');
  if (levels !== '') out.push(`gateway log (its last 16 KiB): ${levels}${r.gatewayLog.messages.length > 0 ? `: ${r.gatewayLog.messages.join(' | ')}` : ''}`);
  out.push('');
  out.push(a.verdict.ok ? 'verdict: PASS' : `verdict: FAIL\n  ${a.verdict.reasons.join('\n  ')}`);
  return out.join('\n');
}

/** The section of docs/benchmarks.md between `<!-- bench:section soak -->` and `<!-- bench:end soak -->`. */
export function markdownSection(r: SoakResult): string {
  const a = r.analysis;
  const tl = r.timeline;
  const when = r.facts.date.replace('T', ' ').slice(0, 16);
  const lines: string[] = [];
  lines.push(`### ${dur(tl.durationS)} under open-loop load with faults (\`soak\`)`, '');
  lines.push(
    'Does sessiongate stay flat over time? `npm run soak` measures the maximum briefly, then sends half of it on a',
    'fixed schedule for the whole run (open loop: a slow answer does not slow the sending), injects a fault every',
    'minute and samples the gateway every few seconds. It fails when the live heap grows more than 10% from the',
    'baseline (right after warm-up) to the last minute, when file descriptors other than connections grow or a',
    'client connection outlives the load, when a fault\'s own check fails, or when the load sees an error that no',
    'fault explains. How it works: bench/README.md.',
    '',
  );
  lines.push(`- Verdict: **${a.verdict.ok ? 'PASS' : 'FAIL'}**${a.verdict.ok ? '' : ` — ${a.verdict.reasons.join('; ')}`}.`);
  lines.push(`- Measured: ${when} UTC, \`${r.options.command}\`, ${r.facts.cpu.replace(/ \d+-Core Processor$/, '')} × ${r.facts.cores}, Node ${r.facts.node}, sessiongate ${r.facts.sessiongate}; other processes shared the machine.`);
  lines.push(`- Gateway: from dist/, cookie sessions, the exchange log on, admin API on (scraped every ${tl.sampleEveryS} s), ${r.options.redis ? 'the Redis store (a redis-server of its own, append-only file)' : 'the memory store'}, \`logging.level: warn\`, other settings at their defaults.`);
  lines.push(`- Maximum: ${f0(r.max.rps)} req/s (closed loop, autocannon, ${r.max.connections} connections, ${r.max.durationS} s after a ${r.max.warmupS} s warm-up, the same mix without \`Connection: close\`; p99 ${f1(r.max.latencyP99Ms)} ms).`);
  lines.push(`- Load: **${f0(r.rate)} req/s** open loop (undici Pool of ${r.connections} keep-alive connections, a 1 ms timer sends what is due) for ${dur(tl.durationS)}, over ${r.sessions} cookie sessions; 9 in 10 requests GET /small (100 bytes), 1 in 10 POST /upload (2 KiB), 1 in 20 with \`Connection: close\` (connection churn). Achieved ${f0(r.load.achievedRate)} req/s; ${f0(r.load.sent)} requests, ${f0(r.load.ok)} 2xx, ${f0(r.load.errors)} errors; ${f0(r.load.lateOver100Ms)} left more than 100 ms late.`);
  lines.push(`- Latency, from the time each request was due: p50 ${f1(r.load.latency.p50)} ms, p99 ${f1(r.load.latency.p99)} ms, p99.9 ${f1(r.load.latency.p999)} ms, max ${f1(r.load.latency.max)} ms (faults included).`);
  lines.push(`- Memory: every ${r.timeline.gcEveryS} s the soak forces a full GC in the gateway (\`--expose-gc\`, SIGUSR2, bench/soak/gateway.ts) and reads the live heap right after it; the verdict compares those. The sampled \`heapUsed\` (from /metrics) swings with the young generation and is only reported.`);
  lines.push(`- Timeline: ${tl.warmupS} s warm-up, baseline = the samples of the next ${tl.baselineS} s, faults at ${tl.faultAtS.map((t) => `${t} s`).join(', ')}, last minute = the samples from ${tl.lastFromS} s to the end.`);
  lines.push('');
  const res = resourceRows(r);
  lines.push(...table(res.header, res.rows, ['l', 'r', 'r', 'r', 'r', 'l']));
  lines.push('');
  lines.push(`Baseline and last minute are medians of the samples. Event-loop delay (prom-client's \`nodejs_eventloop_lag_p99_seconds\`, reset at every scrape, minus its 10 ms timer): p99 per ${tl.sampleEveryS} s interval, median ${f1(a.eventLoop.p99Median)} ms (${f1(a.eventLoop.p99MedianQuiet)} ms outside fault windows), worst ${f1(a.eventLoop.p99Max)} ms; the longest single delay ${f1(a.eventLoop.maxMax)} ms; the intervals with a forced GC left out. ${fdLine(r).replace(/^o/, 'O')}. After the load: ${f0(r.idle.clientConnections)} client connections, ${f0(r.idle.sessions)} sessions, live heap ${f1(r.idle.liveHeapMiB)} MiB (${f1(r.startup.liveHeapMiB)} MiB before it).`);
  lines.push('');
  const fr = faultRows(r);
  lines.push(...table(fr.header, fr.rows, ['r', 'l', 'r', 'r', 'l', 'l']));
  lines.push('');
  lines.push('Faults, in turn:');
  for (const f of r.rotation) lines.push(`- ${f.name}: ${f.description}; explains ${f.explains.length === 0 ? 'no error of the load' : f.explains.map((k) => `\`${k}\``).join(', ')}.`);
  lines.push('');
  lines.push(`Errors no fault explains: ${a.errors.unexplainedCount === 0 ? 'none.' : ''}`);
  if (a.errors.unexplainedCount > 0) for (const l of unexplainedLines(r)) lines.push(`- ${l}`);
  return `${lines.join('\n')}\n`;
}

const BEGIN = '<!-- bench:section soak -->';
const END = '<!-- bench:end soak -->';

/** Replaces the soak block of the docs file, or appends it under `## Soak`. */
export function writeSoakSection(file: string, section: string): 'replaced' | 'appended' {
  const block = `${BEGIN}\n${section}\n${END}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END, begin);
  if (begin >= 0 && end > begin) {
    writeFileSync(file, text.slice(0, begin) + block + text.slice(end + END.length));
    return 'replaced';
  }
  writeFileSync(file, `${text.replace(/\n*$/, '\n')}\n## Soak\n\n${block}\n`);
  return 'appended';
}
