/** The bench's goals judge feature costs round by round (the two targets measured close together). */
import { describe, expect, it } from 'vitest';
import { keepsUp } from '../../../bench/lib/goals.js';
import type { Measurement, TargetSummary } from '../../../bench/lib/types.js';

function measurement(target: string, round: number, rps: number, p99: number, failure?: string): Measurement {
  return {
    target, round, startedAt: '', rps, rpsOverall: rps, requests: rps * 10, durationS: 10, perSecond: [],
    latency: { mean: 1, p50: 1, p90: 1, p99, p999: p99, max: p99 }, errors: 0, timeouts: 0, non2xx: 0, statusCodes: {},
    cpuPercent: null, cpuByProcess: {}, rssMiB: null, outputTail: '', warmup: { requests: 0, errors: 0, non2xx: 0 },
    ...(failure !== undefined ? { failure } : {}),
  };
}

/** A row with these rounds ([req/s, p99]), the highest req/s picked as the runner does. */
function row(target: string, rounds: ([number, number] | null)[]): TargetSummary {
  const ms = rounds.map((r, i) => (r === null ? measurement(target, i + 1, 0, 0, 'crashed') : measurement(target, i + 1, r[0], r[1])));
  const picked = ms.filter((m) => m.failure === undefined).reduce((a, b) => (b.rps > a.rps ? b : a));
  return { target, role: 'subject', description: '', picked, rounds: ms, subjectRatio: null, pairedRatios: [], pairedMedian: null, ofBaseline: null };
}

const goal = keepsUp([{ target: 'on', of: 'off', atLeast: 0.9, p99WithinMs: 1 }]);

describe('keepsUp', () => {
  it('judges on the median of the per-round ratios, not on the best round of each', () => {
    // The full run of 2026-11-22: log off's best round came from a fast phase of the machine.
    const on = row('on', [[14_755, 10.1], [14_850, 10.33], [11_936, 12.0]]);
    const off = row('off', [[13_508, 9.9], [16_018, 9.6], [20_030, 8.78]]);
    const result = goal.evaluate([on, off]);
    expect(result.met).toBe(true);
    expect(result.lines[0]).toContain('req/s 0.93× median of the rounds');
    expect(result.lines[0]).toContain('best rounds 0.74×');
    expect(result.lines[0]).toContain('p99 +0.73 ms median of the rounds');
  });

  it('misses when most rounds cost more than allowed, or the median p99 grows too much', () => {
    const slow = goal.evaluate([row('on', [[8_000, 5], [8_500, 5], [10_000, 5]]), row('off', [[10_000, 5], [10_000, 5], [10_000, 5]])]);
    expect(slow.met).toBe(false);
    expect(slow.lines[0]).toContain('0.85× median of the rounds (need ≥ 0.90×) MISSED');
    const late = goal.evaluate([row('on', [[10_000, 7], [10_000, 7.5], [10_000, 5]]), row('off', [[10_000, 5], [10_000, 5], [10_000, 5]])]);
    expect(late.met).toBe(false);
    expect(late.lines[0]).toContain('p99 +2.00 ms median of the rounds (need ≤ +1.00 ms) MISSED');
  });

  it('uses only the rounds in which both were measured, and fails with none', () => {
    const some = goal.evaluate([row('on', [[9_500, 5], null, [9_600, 5]]), row('off', [[10_000, 5], [3_000, 5], [10_000, 5]])]);
    expect(some.met).toBe(true);
    expect(some.lines[0]).toContain('rounds 0.95×, 0.96×');
    const none = goal.evaluate([row('on', [[9_500, 5], null]), row('off', [null, [10_000, 5]])]);
    expect(none.met).toBe(false);
    expect(none.lines[0]).toContain('not measured');
  });
});
