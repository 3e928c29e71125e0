/** Goals: what a scenario should reach, reported with the results (never asserted: a benchmark run does not fail on them). */
import type { GoalResult, Scenario, TargetSummary } from './types.js';

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

/** req/s of `a` ÷ req/s of `b` within each round (both measured), for the "round by round" line. */
function roundRatios(a: TargetSummary, b: TargetSummary): string {
  return a.rounds
    .map((m) => {
      const other = b.rounds.find((x) => x.round === m.round);
      return m.failure === undefined && other !== undefined && other.failure === undefined && other.rps > 0
        ? `${(m.rps / other.rps).toFixed(2)}×`
        : '—';
    })
    .join(', ');
}

/**
 * Targets compared pairwise: each `target` serves at least `atLeast` × the req/s of `of` (optionally with a
 * p99 at most `p99WithinMs` above it), and every target named has no errors or non-2xx responses. Judged on
 * the reported (best) rounds, with the round-by-round ratios beside. For feature costs ("sessions cost at
 * most 10%": `{ target: 'sessions on', of: 'sessions off', atLeast: 0.9 }`) and speed-ups (`atLeast: 10`).
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
        if (a === undefined || b === undefined || a.picked.failure !== undefined || b.picked.failure !== undefined || b.picked.rps <= 0) {
          lines.push(`${c.target} vs ${c.of}: not measured, cannot compare`);
          met = false;
          continue;
        }
        const ratio = a.picked.rps / b.picked.rps;
        const ratioOk = ratio >= c.atLeast;
        let line = `${c.target} vs ${c.of}: req/s ${ratio.toFixed(2)}× (need ≥ ${c.atLeast.toFixed(2)}×) ${ratioOk ? 'ok' : 'MISSED'}`;
        met &&= ratioOk;
        if (c.p99WithinMs !== undefined) {
          const pa = a.picked.latency.p99;
          const pb = b.picked.latency.p99;
          const p99Ok = pa <= pb + c.p99WithinMs;
          met &&= p99Ok;
          const d = pa - pb;
          line += `; p99 ${ms(pa)} vs ${ms(pb)} (${d >= 0 ? '+' : '−'}${ms(Math.abs(d))}, need ≤ +${ms(c.p99WithinMs)}) ${p99Ok ? 'ok' : 'MISSED'}`;
        }
        lines.push(`${line}; round by round: ${roundRatios(a, b)}`);
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
