/** Goals: what a scenario should reach, reported with the results (never asserted: a benchmark run does not fail on them). */
import { median } from './runner.js';
import type { GoalResult, Measurement, Scenario, TargetSummary } from './types.js';

const ms = (v: number): string => `${v.toFixed(2)} ms`;

/**
 * The subject serves at least `minRatio` times the req/s of every `peer` target, with a p99 latency no
 * higher than any of theirs, and without errors or non-2xx responses. Judged on the reported (best) rounds;
 * the round-by-round ratios are listed beside, to show how stable the verdict is.
 */
export function beatsPeers(minRatio: number): NonNullable<Scenario['goal']> {
  return {
    evaluate(rows: readonly TargetSummary[]): GoalResult {
      const subject = rows.find((r) => r.role === 'subject');
      const peers = rows.filter((r) => r.role === 'peer');
      const names = peers.map((p) => p.target).join(' and ');
      const description =
        `${subject?.target ?? 'the subject'} ≥ ${minRatio.toFixed(2)}× the req/s of ${names || 'its peers'}, ` +
        `p99 no higher than theirs, no errors or non-2xx`;
      if (subject === undefined || peers.length === 0) return { description, met: false, lines: ['no subject or no peers to compare'] };
      const s = subject.picked;
      if (s.failure !== undefined) return { description, met: false, lines: [`${subject.target} was not measured: ${s.failure.split('\n')[0]}`] };
      const lines: string[] = [];
      let met = true;
      for (const peer of peers) {
        const p = peer.picked;
        if (p.failure !== undefined || subject.subjectRatio === null || peer.subjectRatio === null) {
          lines.push(`${peer.target}: not measured, cannot compare`);
          met = false;
          continue;
        }
        const ratioOk = peer.subjectRatio >= minRatio;
        const p99Ok = s.latency.p99 <= p.latency.p99;
        met &&= ratioOk && p99Ok;
        const rounds = peer.pairedRatios.map((r) => (r === null ? '—' : `${r.toFixed(2)}×`)).join(', ');
        lines.push(
          `vs ${peer.target}: req/s ${peer.subjectRatio.toFixed(2)}× (need ≥ ${minRatio.toFixed(2)}×) ${ratioOk ? 'ok' : 'MISSED'}; ` +
            `p99 ${ms(s.latency.p99)} vs ${ms(p.latency.p99)} ${p99Ok ? 'ok' : 'MISSED'}; ` +
            `round by round: ${rounds}`,
        );
      }
      const bad = s.errors + s.non2xx;
      if (bad > 0) met = false;
      lines.push(`${subject.target} errors + non-2xx: ${bad} ${bad === 0 ? 'ok' : 'MISSED'}`);
      return { description, met, lines };
    },
  };
}

/** One comparison of {@link keepsUp}: `target` serves at least `atLeast` × the req/s of `of`. */
export interface ThroughputComparison {
  target: string;
  of: string;
  /** Minimum ratio of req/s, target ÷ of, e.g. 0.9 ("costs at most 10%") or 10 ("ten times as fast"). */
  atLeast: number;
  /** Also: p99 of `target` ≤ p99 of `of` + this many milliseconds. */
  p99WithinMs?: number;
}

const rowNamed = (rows: readonly TargetSummary[], name: string): TargetSummary | undefined => rows.find((r) => r.target === name);

/** The rounds in which both `a` and `b` were measured: a's measurement and b's, side by side in time. */
function roundPairs(a: TargetSummary, b: TargetSummary): [Measurement, Measurement][] {
  const pairs: [Measurement, Measurement][] = [];
  for (const m of a.rounds) {
    const other = b.rounds.find((x) => x.round === m.round);
    if (m.failure === undefined && other !== undefined && other.failure === undefined && other.rps > 0) pairs.push([m, other]);
  }
  return pairs;
}

/**
 * Targets compared pairwise: each `target` serves at least `atLeast` × the req/s of `of` (optionally with a
 * p99 at most `p99WithinMs` above it), and every target named has no errors or non-2xx responses. For
 * feature costs ("sessions cost at most 10%": `{ target: 'sessions on', of: 'sessions off', atLeast: 0.9 }`)
 * and speed-ups (`atLeast: 10`): the same gateway against itself, configured two ways.
 *
 * Judged round by round: the req/s ratio and the p99 difference within each round (the two measured one
 * right after the other), then the median over the rounds. A cost of 10% is smaller than the drift of a
 * shared machine from one round to the next (measured: a target's rounds 13,508 → 20,030 req/s), and the
 * best round of each target, which beatsPeers compares, may come from different phases of that drift. The
 * best rounds' figures are shown beside, for information.
 */
export function keepsUp(comparisons: readonly ThroughputComparison[]): NonNullable<Scenario['goal']> {
  const phrase = (c: ThroughputComparison): string =>
    `${c.target} ≥ ${c.atLeast.toFixed(2)}× the req/s of ${c.of}${c.p99WithinMs !== undefined ? ` with p99 ≤ theirs + ${c.p99WithinMs} ms` : ''}`;
  const names = [...new Set(comparisons.flatMap((c) => [c.target, c.of]))];
  const description = `${comparisons.map(phrase).join('; ')}; no errors or non-2xx`;
  return {
    evaluate(rows: readonly TargetSummary[]): GoalResult {
      const lines: string[] = [];
      let met = true;
      for (const c of comparisons) {
        const a = rowNamed(rows, c.target);
        const b = rowNamed(rows, c.of);
        if (a === undefined || b === undefined || a.picked.failure !== undefined || b.picked.failure !== undefined || b.picked.rps <= 0 || roundPairs(a, b).length === 0) {
          lines.push(`${c.target} vs ${c.of}: not measured, cannot compare`);
          met = false;
          continue;
        }
        const pairs = roundPairs(a, b);
        const ratios = pairs.map(([x, y]) => x.rps / y.rps);
        const ratio = median(ratios)!;
        const ratioOk = ratio >= c.atLeast;
        const best = a.picked.rps / b.picked.rps;
        let line =
          `${c.target} vs ${c.of}: req/s ${ratio.toFixed(2)}× median of the rounds (need ≥ ${c.atLeast.toFixed(2)}×) ${ratioOk ? 'ok' : 'MISSED'}, ` +
          `rounds ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}, best rounds ${best.toFixed(2)}×`;
        met &&= ratioOk;
        if (c.p99WithinMs !== undefined) {
          const diffs = pairs.map(([x, y]) => x.latency.p99 - y.latency.p99);
          const d = median(diffs)!;
          const p99Ok = d <= c.p99WithinMs;
          met &&= p99Ok;
          const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${ms(Math.abs(v))}`;
          line +=
            `; p99 ${signed(d)} median of the rounds (need ≤ +${ms(c.p99WithinMs)}) ${p99Ok ? 'ok' : 'MISSED'}, ` +
            `rounds ${diffs.map(signed).join(', ')}, best rounds ${ms(a.picked.latency.p99)} vs ${ms(b.picked.latency.p99)}`;
        }
        lines.push(line);
      }
      for (const name of names) {
        const row = rowNamed(rows, name);
        if (row === undefined || row.picked.failure !== undefined) continue;
        const bad = row.picked.errors + row.picked.non2xx;
        if (bad > 0) met = false;
        lines.push(`${name} errors + non-2xx: ${bad} ${bad === 0 ? 'ok' : 'MISSED'}`);
      }
      return { description, met, lines };
    },
  };
}
