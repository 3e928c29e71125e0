/**
 * `npm run bench`: builds sessiongate, runs the selected scenarios one after another, prints a table per
 * scenario, writes docs/benchmarks.md and bench/results/latest.json. Bounded in time; every child process is
 * stopped at the end, on an error, on SIGINT/SIGTERM and at the deadline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDocs } from './lib/docs.js';
import { collectFacts } from './lib/machine.js';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './lib/options.js';
import { killAllProcessesNow, liveProcessCount, stopAllProcesses } from './lib/processes.js';
import { consoleReport, goalVerdict, methodLine } from './lib/report.js';
import { estimateSeconds, runScenario } from './lib/runner.js';
import type { Scenario, ScenarioResult } from './lib/types.js';
import { scenarios } from './scenarios/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS_FILE = join(ROOT, 'docs', 'benchmarks.md');
const RESULTS_FILE = join(ROOT, 'bench', 'results', 'latest.json');

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function select(options: BenchOptions): Scenario[] {
  if (options.only.length === 0) return [...scenarios];
  const known = new Set(scenarios.flatMap((s) => [s.id, s.group]));
  const unknown = options.only.filter((o) => !known.has(o));
  if (unknown.length > 0) throw new UsageError(`unknown scenario or group: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  return scenarios.filter((s) => options.only.includes(s.id) || options.only.includes(s.group));
}

function build(): void {
  log('building sessiongate (npm run build) ...');
  const npmCli = process.env.npm_execpath;
  const [cmd, args] = npmCli && npmCli.endsWith('.js') ? [process.execPath, [npmCli, 'run', 'build']] : ['npm', ['run', 'build']];
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 180_000 });
  if (r.status !== 0) throw new BenchError(`npm run build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
}

/** An expected failure (the build, a missing dist/): reported without a stack trace. */
class BenchError extends Error {}

let cleaningUp = false;
async function abort(why: string, code: number): Promise<never> {
  if (!cleaningUp) {
    cleaningUp = true;
    const live = liveProcessCount();
    process.stderr.write(`\nbench: ${why}${live > 0 ? `; stopping ${live} child process${live === 1 ? '' : 'es'}` : ''}\n`);
    await stopAllProcesses(1500);
  }
  process.exit(code);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    log(USAGE);
    return 0;
  }
  if (options.list) {
    for (const s of scenarios) log(`${s.id.padEnd(20)} group ${s.group.padEnd(10)} ${s.title} (${s.targets.map((t) => t.name).join(', ')})`);
    return 0;
  }
  const selected = select(options);
  const expected = estimateSeconds(selected, options);
  // The whole run is bounded: twice the expected time plus the build, then everything is stopped.
  const deadline = setTimeout(() => void abort(`deadline of ${Math.round((expected * 2 + 240) / 60)} minutes reached`, 2), (expected * 2 + 240) * 1000);
  deadline.unref();

  if (options.build) build();
  if (!existsSync(join(ROOT, 'dist', 'gateway.js'))) throw new BenchError('dist/gateway.js is missing: run `npm run build` (or drop --no-build)');

  const facts = collectFacts(ROOT, options.command);
  log(`sessiongate benchmarks: ${selected.map((s) => s.id).join(', ')}`);
  log(`${facts.cpu}, ${facts.cores} cores, Node ${facts.node}; ${methodLine(options)}; ${options.connections} connections`);
  log(`expected duration: about ${Math.ceil(expected / 60)} minutes`);

  const tmpDir = mkdtempSync(join(tmpdir(), 'sessiongate-bench-'));
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of selected) {
      log(`\n-- ${scenario.id}: ${scenario.title} (${scenario.targets.length} targets × ${options.rounds} rounds)`);
      const result = await runScenario(scenario, { options, cwd: ROOT, tmpDir, log });
      results.push(result);
      log(consoleReport(result, options));
    }
  } finally {
    await stopAllProcesses();
    rmSync(tmpDir, { recursive: true, force: true });
  }

  log('\n== Summary');
  for (const r of results) {
    if (r.goal !== null) log(`goal ${goalVerdict(r)} in ${r.id}: ${r.goal.description}`);
  }
  for (const group of new Set(results.map((r) => r.group))) {
    const withGoal = results.filter((r) => r.group === group && r.goal !== null);
    if (withGoal.length === 0) continue;
    const met = withGoal.filter((r) => r.goal!.met).length;
    log(`group ${group}: goal ${met === withGoal.length ? 'MET' : 'NOT MET'} (met in ${met} of ${withGoal.length} scenarios)`);
  }
  log(`reported: the best of ${options.rounds} round${options.rounds === 1 ? '' : 's'} per target (highest req/s)`);

  if (options.write) {
    mkdirSync(dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify({ facts, options, results }, null, 2)}\n`);
    const partial = selected.length < scenarios.length;
    const previous = partial && existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, 'utf8') : null;
    writeFileSync(DOCS_FILE, renderDocs({ facts, options, scenarios, results, previous }));
    log(`wrote ${RESULTS_FILE.slice(ROOT.length)} and ${DOCS_FILE.slice(ROOT.length)}${partial ? ' (only the sections of this run replaced)' : ''}`);
  }

  const failed = results.flatMap((r) => r.rows.flatMap((row) => row.rounds.filter((m) => m.failure !== undefined)));
  if (failed.length > 0) {
    log(`\n${failed.length} measurement(s) failed: see "Problems" above`);
    return 1;
  }
  return 0;
}

process.on('SIGINT', () => void abort('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => void abort('terminated (SIGTERM)', 143));
process.on('exit', killAllProcessesNow);

main().then(
  (code) => {
    process.exitCode = code;
    // autocannon and undici may hold sockets briefly; the results are out, so do not wait for them.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) =>
    err instanceof UsageError
      ? void abort(`${err.message} (see --help)`, 2)
      : err instanceof BenchError
        ? void abort(err.message, 1)
        : void abort(`failed: ${(err as Error).stack ?? String(err)}`, 1),
);
