/**
 * Probes of the in-memory Sessions (issue 3): the heap 100,000 live sessions take, and what expiring them
 * does to the event loop.
 */
import type { Probe, ProbeContext, ProbeFigure } from '../lib/probe-types.js';
import { atMost, info, runProbeChild } from '../lib/probes.js';
import type { SessionsExpiryResult } from './sessions-expiry-child.js';
import type { SessionsMemoryResult } from './sessions-memory-child.js';

const SESSIONS = 100_000;
const BYTES_PER_SESSION = 1024;
const MAX_STALL_MS = 20;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

export const sessionsMemory: Probe = {
  id: 'sessions-memory',
  group: 'sessions',
  title: '100,000 live sessions in memory',
  description:
    'The heap that 100,000 live in-memory Sessions take beyond the process\'s baseline (goal: at most 1 KiB ' +
    'each). A real Gateway from dist/ (cookie sessions, the memory store: session table, token and id maps, ' +
    'timeout queue; the exchange log off), a backend and an undici client, all in one fresh child process ' +
    '(`node --expose-gc`). Baseline: the heap after 2,000 warm-up sessions and full collections. Then 100,000 ' +
    'requests without a cookie over 16 keep-alive connections, each answered with a new `sgsid` cookie (the ' +
    'tokens are checked distinct and the store to hold every session), and the heap again after full ' +
    'collections. A second child makes the sessions with the calls the request path makes for such a request ' +
    '(`SessionTable.resolve`, the session queue, `acquire`, `release`) without HTTP, each session from its own ' +
    'client address string.',
  seconds: () => 45,
  async run(ctx: ProbeContext) {
    const child = (via: 'http' | 'api'): Promise<SessionsMemoryResult> =>
      runProbeChild<SessionsMemoryResult>(
        { name: `sessions-memory (${via})`, file: 'sessions-memory-child.ts', env: { BENCH_PROBE_VIA: via, BENCH_PROBE_SESSIONS: String(SESSIONS) }, timeoutMs: 240_000 },
        ctx,
      );
    ctx.log(`   ${int(SESSIONS)} sessions through HTTP ...`);
    const http = await child('http');
    ctx.log(`   ${int(SESSIONS)} sessions through the session table's API ...`);
    const api = await child('api');
    const per = (bytes: number): number => bytes / SESSIONS;
    const figures: ProbeFigure[] = [
      atMost('heap per session, through HTTP', per(http.heapBytes), 'B', BYTES_PER_SESSION),
      info('heap per session, through HTTP, client connections closed', per(http.heapAfterCloseBytes ?? 0), 'B'),
      info('heap per session, the request path\'s calls without HTTP', per(api.heapBytes), 'B'),
      info('RSS per session, through HTTP', per(http.rssBytes), 'B'),
    ];
    const details = [
      `Through HTTP: ${int(http.sessions)} sessions in ${http.createSeconds.toFixed(1)} s; heap +${int(http.heapBytes)} B, ` +
        `external +${int(http.externalBytes)} B, RSS +${int(http.rssBytes)} B (RSS for information: it also holds ` +
        'freed memory the allocator keeps).',
      `The difference once the client connections closed (${int(per(http.heapBytes - (http.heapAfterCloseBytes ?? 0)))} B a session) ` +
        'is what the open client Connections held (their sockets, buffers and the last 16 session ids each notes ' +
        'for `GET /v1/connections`).',
      `Without HTTP: ${int(api.sessions)} sessions in ${api.createSeconds.toFixed(1)} s; heap +${int(api.heapBytes)} B.`,
    ];
    return { figures, details };
  },
};

interface ExpiryRound {
  round: number;
  atOnce: SessionsExpiryResult;
  spread: SessionsExpiryResult;
}

export const sessionsExpiry: Probe = {
  id: 'sessions-expiry',
  group: 'sessions',
  title: 'Expiring 100,000 sessions',
  description:
    'How long the event loop stalls while 100,000 in-memory Sessions expire (goal: never more than 20 ms at a ' +
    'time), measured with `perf_hooks.monitorEventLoopDelay({ resolution: 1 })` in a fresh child process ' +
    '(a real Gateway from dist/, the memory store and its timeout queue). The sessions are made with the calls ' +
    'the request path makes for a request without a cookie, with an idle timeout that leaves time to make them ' +
    'all (a few seconds); the monitor runs from before the first expiry until 1 s after the last one, so a ' +
    'collection of the sessions\' garbage in that second counts too. "All due at once": the process is kept ' +
    'busy until every deadline has passed, so the timeout queue finds 100,000 sessions due when its timer ' +
    'fires (the worst case); "spread": the deadlines come as the sessions were made. Each round checks that ' +
    'every session expired (one `session:expired` event each), the store is empty and a sample of the tokens ' +
    'finds nothing. The delay values include the monitor\'s 1 ms resolution; with several rounds (`--rounds`) ' +
    'the round with the lowest maximum is reported (a stall of the gateway\'s own shows in every round, the ' +
    'machine\'s interference only in some) and every round is listed.',
  seconds: (o) => o.rounds * 2 * 9,
  async run(ctx: ProbeContext) {
    const child = (variant: 'at-once' | 'spread', round: number): Promise<SessionsExpiryResult> =>
      runProbeChild<SessionsExpiryResult>(
        {
          name: `sessions-expiry (${variant}, round ${round})`,
          file: 'sessions-expiry-child.ts',
          env: { BENCH_PROBE_VARIANT: variant, BENCH_PROBE_SESSIONS: String(SESSIONS) },
          timeoutMs: 180_000,
        },
        ctx,
      );
    const rounds: ExpiryRound[] = [];
    for (let round = 1; round <= ctx.options.rounds; round++) {
      ctx.log(`   round ${round} of ${ctx.options.rounds}: all due at once, then spread ...`);
      rounds.push({ round, atOnce: await child('at-once', round), spread: await child('spread', round) });
    }
    const best = (pick: (r: ExpiryRound) => SessionsExpiryResult): SessionsExpiryResult =>
      rounds.map(pick).reduce((a, b) => (b.maxMs < a.maxMs ? b : a));
    const worst = (pick: (r: ExpiryRound) => SessionsExpiryResult): number => Math.max(...rounds.map((r) => pick(r).maxMs));
    const atOnce = best((r) => r.atOnce);
    const spread = best((r) => r.spread);
    const figures: ProbeFigure[] = [
      atMost('longest event-loop delay, all due at once', atOnce.maxMs, 'ms', MAX_STALL_MS),
      info('p99 event-loop delay, all due at once', atOnce.p99Ms, 'ms'),
      info('expiry time, all due at once', atOnce.expiryMs, 'ms', 'first to last expiry'),
      atMost('longest event-loop delay, spread', spread.maxMs, 'ms', MAX_STALL_MS),
      info('p99 event-loop delay, spread', spread.p99Ms, 'ms'),
      info('expiry time, spread', spread.expiryMs, 'ms', 'first to last expiry'),
    ];
    if (rounds.length > 1) {
      figures.push(info('longest delay of the worst round, all due at once', worst((r) => r.atOnce), 'ms'));
      figures.push(info('longest delay of the worst round, spread', worst((r) => r.spread), 'ms'));
    }
    const line = (name: string, r: SessionsExpiryResult): string =>
      `${name}: ${int(r.sessions)} sessions made in ${r.createSeconds.toFixed(1)} s (idle timeout ${r.idleTimeoutMs / 1000} s), ` +
      `all expired in ${r.expiryMs.toFixed(0)} ms; delay max ${r.maxMs.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ` +
      `p50 ${r.p50Ms.toFixed(1)} ms; garbage collections in the window: ${r.gc.count} (${r.gc.major} full, longest ${r.gc.maxMs.toFixed(1)} ms).`;
    const details = rounds.flatMap((r) => [line(`Round ${r.round}, all due at once`, r.atOnce), line(`Round ${r.round}, spread`, r.spread)]);
    return { figures, details };
  },
};
