/**
 * `npm run bench`: builds sessiongate, runs the selected scenarios one after another, then the selected
 * probes (figures that are not throughput: memory, event-loop stalls), prints a table for each, writes
 * docs/benchmarks.md and bench/results/latest.json. Bounded in time; every child process is stopped at the
 * end, on an error, on SIGINT/SIGTERM and at the deadline.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDocs } from './lib/docs.js';
import { collectFacts } from './lib/machine.js';
import { abort, requireDist, runCommand, UsageError } from './lib/command.js';
import { parseOptions, USAGE, type BenchOptions } from './lib/options.js';
import { stopAllProcesses } from './lib/processes.js';
import { consoleReport, goalVerdict, methodLine } from './lib/report.js';
import type { Probe, ProbeResult } from './lib/probe-types.js';
import { consoleProbeReport, probeSeconds, probeVerdict, runProbe } from './lib/probes.js';
import { estimateSeconds, runScenario } from './lib/runner.js';
import type { Scenario, ScenarioResult } from './lib/types.js';
import { probes } from './probes/index.js';
import { scenarios } from './scenarios/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS_FILE = join(ROOT, 'docs', 'benchmarks.md');
const RESULTS_FILE = join(ROOT, 'bench', 'results', 'latest.json');

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * The scenarios and probes `--only` names, by id or group; `scenarios` and `probes` name all of either kind.
 * Without `--only`: everything.
 */
function select(options: BenchOptions): { scenarios: Scenario[]; probes: Probe[] } {
  if (options.only.length === 0) return { scenarios: [...scenarios], probes: [...probes] };
  const known = new Set(['scenarios', 'probes', ...[...scenarios, ...probes].flatMap((s) => [s.id, s.group])]);
  const unknown = options.only.filter((o) => !known.has(o));
  if (unknown.length > 0) throw new UsageError(`unknown scenario, probe or group: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const wanted = (kind: string) => (s: { id: string; group: string }) => [kind, s.id, s.group].some((name) => options.only.includes(name));
  return { scenarios: scenarios.filter(wanted('scenarios')), probes: probes.filter(wanted('probes')) };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    log(USAGE);
    return 0;
  }
  if (options.list) {
    log('scenarios:');
    for (const s of scenarios) log(`  ${s.id.padEnd(22)} group ${s.group.padEnd(13)} ${s.title} (${s.targets.map((t) => t.name).join(', ')})`);
    log('probes (after the scenarios):');
    for (const p of probes) log(`  ${p.id.padEnd(22)} group ${p.group.padEnd(13)} ${p.title}`);
    return 0;
  }
  const { scenarios: selected, probes: selectedProbes } = select(options);
  const expected = estimateSeconds(selected, options) + probeSeconds(selectedProbes, options);
  // The whole run is bounded: twice the expected time plus the build, then everything is stopped.
  const deadline = setTimeout(() => void abort(`deadline of ${Math.round((expected * 2 + 240) / 60)} minutes reached`, 2), (expected * 2 + 240) * 1000);
  deadline.unref();

  requireDist(ROOT, options.build, log);

  const facts = collectFacts(ROOT, options.command);
  log(`sessiongate benchmarks: ${[...selected, ...selectedProbes].map((s) => s.id).join(', ')}`);
  log(`${facts.cpu}, ${facts.cores} cores, Node ${facts.node}; ${methodLine(options)}; ${options.connections} connections`);
  log(`expected duration: about ${Math.ceil(expected / 60)} minutes`);

  const tmpDir = mkdtempSync(join(tmpdir(), 'sessiongate-bench-'));
  const results: ScenarioResult[] = [];
  const probeResults: ProbeResult[] = [];
  try {
    for (const scenario of selected) {
      log(`\n-- ${scenario.id}: ${scenario.title} (${scenario.targets.length} targets × ${options.rounds} rounds)`);
      const result = await runScenario(scenario, { options, cwd: ROOT, tmpDir, log });
      results.push(result);
      log(consoleReport(result, options));
    }
    for (const probe of selectedProbes) {
      log(`\n-- ${probe.id}: ${probe.title} (probe)`);
      const result = await runProbe(probe, { options, cwd: ROOT, tmpDir, log });
      probeResults.push(result);
      log(consoleProbeReport(result));
    }
  } finally {
    await stopAllProcesses();
    rmSync(tmpDir, { recursive: true, force: true });
  }

  log('\n== Summary');
  for (const r of results) {
    if (r.goal !== null) log(`goal ${goalVerdict(r)} in ${r.id}: ${r.goal.description}`);
  }
  for (const r of probeResults) {
    if (r.failure !== undefined) log(`probe FAILED: ${r.id}: ${r.failure.split('\n')[0]}`);
    else if (r.goal !== null) log(`goal ${probeVerdict(r)} in ${r.id}: ${r.goal.description}`);
  }
  // A group's verdict over its scenarios and probes with a goal (a failed probe counts as not met).
  const verdicts = [
    ...results.filter((r) => r.goal !== null).map((r) => ({ group: r.group, met: r.goal!.met })),
    ...probeResults.filter((r) => r.goal !== null || r.failure !== undefined).map((r) => ({ group: r.group, met: r.goal?.met === true })),
  ];
  for (const group of new Set(verdicts.map((v) => v.group))) {
    const inGroup = verdicts.filter((v) => v.group === group);
    const met = inGroup.filter((v) => v.met).length;
    log(`group ${group}: goal ${met === inGroup.length ? 'MET' : 'NOT MET'} (met in ${met} of ${inGroup.length} scenarios and probes)`);
  }
  if (results.length > 0) log(`reported: the best of ${options.rounds} round${options.rounds === 1 ? '' : 's'} per target (highest req/s)`);

  if (options.write) {
    mkdirSync(dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify({ facts, options, results, probes: probeResults }, null, 2)}\n`);
    const partial = selected.length < scenarios.length || selectedProbes.length < probes.length;
    // Read on every run: a partial run keeps the other sections, and every run keeps `npm run soak`'s.
    const previous = existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, 'utf8') : null;
    writeFileSync(DOCS_FILE, renderDocs({ facts, options, scenarios, results, probes, probeResults, previous, partial }));
    log(`wrote ${RESULTS_FILE.slice(ROOT.length)} and ${DOCS_FILE.slice(ROOT.length)}${partial ? ' (only the sections of this run replaced)' : ''}`);
  }

  const failed = results.flatMap((r) => r.rows.flatMap((row) => row.rounds.filter((m) => m.failure !== undefined)));
  if (failed.length > 0) log(`\n${failed.length} measurement(s) failed: see "Problems" above`);
  const failedProbes = probeResults.filter((r) => r.failure !== undefined);
  if (failedProbes.length > 0) log(`\n${failedProbes.length} probe(s) failed: ${failedProbes.map((r) => r.id).join(', ')}`);
  return failed.length + failedProbes.length > 0 ? 1 : 0;
}

runCommand('bench', main);
