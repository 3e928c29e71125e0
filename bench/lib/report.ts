/** The results as text: a table per scenario for the terminal, and Markdown sections for docs/benchmarks.md. */
import type { RunFacts } from './machine.js';
import type { BenchOptions } from './options.js';
import type { ScenarioResult, TargetSummary } from './types.js';

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const ms = (v: number): string => v.toFixed(2);
const ratio = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}×`);
const pct = (v: number | null): string => (v === null ? '—' : `${Math.round(v * 100)}%`);

/**
 * How each target was measured. `amount`: the scenario's fixed request count per measurement, instead of
 * the run's duration (the warm-up keeps its duration).
 */
export function methodLine(options: BenchOptions, amount: number | null = null): string {
  const measured =
    amount === null
      ? `${options.warmup} s warm-up then ${options.duration} s measured per target`
      : `${options.warmup} s warm-up then exactly ${int(amount)} requests measured per target ` +
        '(req/s: requests ÷ time to the last response)';
  return (
    `${measured}, targets one at a time, ` +
    `${options.rounds} round${options.rounds === 1 ? '' : 's'} (${options.rounds > 1 ? 'declared order, then reversed, alternating; ' : ''}` +
    `the round with the highest req/s is reported)`
  );
}

/**
 * How much the per-second request counts of a measurement vary: their coefficient of variation (standard
 * deviation ÷ mean), the last, partial second left out. A noisy machine shows here.
 */
export function spread(perSecond: readonly number[]): number | null {
  const full = perSecond.slice(0, -1);
  if (full.length < 2) return null;
  const mean = full.reduce((a, b) => a + b, 0) / full.length;
  if (mean === 0) return null;
  const variance = full.reduce((a, b) => a + (b - mean) ** 2, 0) / (full.length - 1);
  return Math.sqrt(variance) / mean;
}

const spreadText = (perSecond: readonly number[]): string => {
  const v = spread(perSecond);
  return v === null ? '—' : `±${Math.round(v * 100)}%`;
};

interface Column {
  title: string;
  align: 'left' | 'right';
  value(row: TargetSummary, result: ScenarioResult): string;
}

/** The keys of the values the load's `collect` hook returned, in first-seen order, over every row. */
function collectedKeys(result: ScenarioResult): string[] {
  const keys = new Set<string>();
  for (const row of result.rows) for (const key of Object.keys(row.picked.collected ?? {})) keys.add(key);
  return [...keys];
}

const collectedText = (v: number | string | undefined): string =>
  v === undefined ? '—' : typeof v === 'string' ? v : Number.isInteger(v) ? int(v) : v.toFixed(2);

function columns(result: ScenarioResult): Column[] {
  const failed = (r: TargetSummary): boolean => r.picked.failure !== undefined;
  const num = (f: (r: TargetSummary) => string) => (r: TargetSummary) => (failed(r) ? 'failed' : f(r));
  const collected: Column[] = collectedKeys(result).map((key) => ({
    title: key,
    align: 'right',
    value: num((r) => collectedText(r.picked.collected?.[key])),
  }));
  return [
    { title: 'target', align: 'left', value: (r) => r.target },
    { title: 'req/s', align: 'right', value: num((r) => int(r.picked.rps)) },
    { title: 'p50 ms', align: 'right', value: num((r) => ms(r.picked.latency.p50)) },
    { title: 'p99 ms', align: 'right', value: num((r) => ms(r.picked.latency.p99)) },
    { title: 'errors', align: 'right', value: num((r) => String(r.picked.errors)) },
    { title: 'non-2xx', align: 'right', value: num((r) => String(r.picked.non2xx)) },
    ...collected,
    { title: `${result.subject} ÷ this`, align: 'right', value: (r) => (r.target === result.subject ? '1.00×' : ratio(r.subjectRatio)) },
    { title: '÷ per round (median)', align: 'right', value: (r) => (r.target === result.subject ? '—' : ratio(r.pairedMedian)) },
    // Only where there is a baseline (the backend without a proxy): feature scenarios compare gateway settings.
    ...(result.rows.some((r) => r.role === 'baseline')
      ? [{ title: '% of direct', align: 'right', value: (r) => pct(r.ofBaseline) } satisfies Column]
      : []),
    { title: 'spread', align: 'right', value: num((r) => spreadText(r.picked.perSecond)) },
    { title: 'CPU % (proxy)', align: 'right', value: num((r) => (r.picked.cpuPercent === null ? '—' : String(Math.round(r.picked.cpuPercent)))) },
    { title: 'req/s per round', align: 'right', value: (r) => r.rounds.map((m) => (m.failure !== undefined ? 'failed' : int(m.rps))).join(' / ') },
  ];
}

/** A plain-text table for the terminal. */
export function consoleTable(result: ScenarioResult): string {
  const cols = columns(result);
  const cells = [cols.map((c) => c.title), ...result.rows.map((r) => cols.map((c) => c.value(r, result)))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row.map((cell, i) => (cols[i]!.align === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  return out.join('\n');
}

function markdownTable(result: ScenarioResult): string {
  const cols = columns(result);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const head = `| ${cols.map((c) => esc(c.title)).join(' | ')} |`;
  const rule = `| ${cols.map((c) => (c.align === 'left' ? ':---' : '---:')).join(' | ')} |`;
  const body = result.rows.map((r) => `| ${cols.map((c) => esc(c.value(r, result))).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

export function goalVerdict(result: ScenarioResult): string | null {
  if (result.goal === null) return null;
  return result.goal.met ? 'MET' : 'NOT MET';
}

/** Problems worth a reader's attention: failed targets, errors, output of the proxies (warnings, crashes). */
function problems(result: ScenarioResult): string[] {
  const out: string[] = [];
  for (const row of result.rows) {
    for (const m of row.rounds) {
      if (m.failure !== undefined) out.push(`${row.target}, round ${m.round}: ${m.failure.split('\n')[0]}`);
      else if (m.errors + m.non2xx > 0) {
        const codes = Object.entries(m.statusCodes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${n}× ${c}`);
        out.push(`${row.target}, round ${m.round}: ${m.errors} errors (${m.timeouts} timeouts), ${m.non2xx} non-2xx${codes.length ? ` (${codes.join(', ')})` : ''}`);
      }
      if (m.warmup.errors + m.warmup.non2xx > 0) out.push(`${row.target}, round ${m.round} warm-up: ${m.warmup.errors} errors, ${m.warmup.non2xx} non-2xx`);
      if (m.outputTail !== '') out.push(`${row.target}, round ${m.round} printed:\n${m.outputTail.split('\n').slice(-5).map((l) => `    ${l.slice(0, 300)}`).join('\n')}`);
    }
  }
  return [...out, ...result.notes];
}

export function consoleReport(result: ScenarioResult, options: BenchOptions): string {
  const lines = [
    '',
    `== ${result.id}: ${result.title}`,
    `   ${result.load}; ${result.connections} connections, keep-alive`,
    `   ${methodLine(options, result.amount)}`,
    '',
    consoleTable(result),
  ];
  if (result.goal !== null) {
    lines.push('', `Goal (${result.goal.description}): ${goalVerdict(result)}`, ...result.goal.lines.map((l) => `  - ${l}`));
  }
  const p = problems(result);
  if (p.length > 0) lines.push('', 'Problems:', ...p.map((l) => `  - ${l}`));
  return lines.join('\n');
}

const SECTION_START = (id: string): string => `<!-- bench:section ${id} -->`;
const SECTION_END = (id: string): string => `<!-- bench:end ${id} -->`;

/** One scenario's section of docs/benchmarks.md, between markers so a later partial run can replace it. */
export function markdownSection(result: ScenarioResult, facts: RunFacts, options: BenchOptions): string {
  const lines = [
    SECTION_START(result.id),
    `### ${result.title} (\`${result.id}\`)`,
    '',
    result.description,
    '',
    `- Load: ${result.load}; ${result.connections} connections, keep-alive, no pipelining.`,
    `- Method: ${methodLine(options, result.amount)}.`,
    `- Measured: ${facts.date.slice(0, 16).replace('T', ' ')} UTC, \`${facts.command}\`, ${facts.cpu} × ${facts.cores}, Node ${facts.node}, sessiongate ${facts.sessiongate}.`,
    '- Targets:',
    ...result.rows.map((r) => `  - ${r.target} (${r.role}): ${r.description}`),
    '',
    markdownTable(result),
    '',
  ];
  if (result.goal !== null) {
    lines.push(`**Goal** (${result.goal.description}): **${goalVerdict(result)}**`, '');
    lines.push(...result.goal.lines.map((l) => `- ${l}`), '');
  }
  const p = problems(result);
  if (p.length > 0) {
    lines.push('Problems seen:', '', '```text', ...p, '```', '');
  }
  lines.push(SECTION_END(result.id));
  return lines.join('\n');
}

/** The sections of an existing docs file, by scenario id. */
export function parseSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- bench:section ([a-z0-9-]+) -->[\s\S]*?<!-- bench:end \1 -->/g;
  for (const m of text.matchAll(re)) out.set(m[1]!, m[0]);
  return out;
}
