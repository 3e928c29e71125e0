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
