/**
 * Probe child of `sessions-memory`: the heap 100,000 live in-memory Sessions take, beyond the process's
 * baseline. A real Gateway (from dist/) with cookie sessions and the memory store, in this process.
 * - `BENCH_PROBE_VIA=http`: 100,000 requests without a cookie through the gateway's listener (16 keep-alive
 *   connections, undici), each answered with a new `sgsid` cookie by the real request path;
 * - `BENCH_PROBE_VIA=api`: the calls that path makes for such a request, without HTTP: SessionTable.resolve
 *   (token null), the session queue's enter, acquire, leave and release; each session from its own client
 *   address string (as if every client came on its own connection).
 * The baseline is taken after a warm-up (2,000 sessions) and full collections; then the sessions are made,
 * the store is checked to hold every one of them, and the heap is taken again after full collections.
 */
import { memoryAfterGc, premise, probeChild } from '../lib/probe-child.js';
import { createLoad, gatewayConfig, newSessionRequest, startBackend, startGateway, type Gateway, type Session } from './in-process.js';

export interface SessionsMemoryResult {
  via: 'http' | 'api';
  sessions: number;
  createSeconds: number;
  heapBytes: number;
  rssBytes: number;
  externalBytes: number;
  /** http only: the heap once the client connections have closed (their Connections noted every session). */
  heapAfterCloseBytes: number | null;
}

const N = Number(process.env.BENCH_PROBE_SESSIONS ?? 100_000);
const WARMUP = 2_000;
const via = process.env.BENCH_PROBE_VIA === 'api' ? 'api' : 'http';

/** What src/proxy/handle-request.ts does with the Session of a request without a cookie, minus HTTP. */
async function viaApi(gateway: Gateway, i: number): Promise<Session> {
  const address = ['127', '0', String((i >> 8) & 255), String(i & 255)].join('.');
  const { session, created } = await newSessionRequest(gateway, 1 + (i % 16), address);
  premise(created, 'a request without a token did not get a new session');
  return session;
}

probeChild<SessionsMemoryResult>(async (cleanup) => {
  const backend = await startBackend((_req, res) => res.end('ok'));
  cleanup(() => backend.close());
  // The exchange log is off: its table is bounded, but it would grow during the measurement.
  const { gateway, url } = await startGateway(gatewayConfig(backend.url, { session: { mode: 'cookie' } }, { exchange_log: { enabled: false } }));
  cleanup(() => gateway.stop(0));
  const load = createLoad(url, 16);
  cleanup(() => load.close());
  const tokens = new Set<string>();
  const make = async (n: number): Promise<number> => {
    if (via === 'api') {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) tokens.add((await viaApi(gateway, tokens.size)).token);
      return (performance.now() - t0) / 1000;
    }
    return load.run(
      n,
      (i) => ({ method: 'GET', path: `/items/${i}` }),
      (res) => {
        premise(res.statusCode === 200, `the gateway answered ${res.statusCode}`);
        const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sgsid='));
        premise(cookie !== undefined, 'a request without a cookie got no sgsid cookie');
        tokens.add(cookie.slice(6, cookie.indexOf(';')));
      },
    );
  };

  await make(WARMUP);
  const before = await memoryAfterGc();
  const createSeconds = await make(N);
  // The tokens are the test's, not the gateway's: drop them before measuring.
  const made = tokens.size;
  tokens.clear();
  const after = await memoryAfterGc();
  premise(made === WARMUP + N, `${made} distinct session tokens for ${WARMUP + N} requests`);
  const live = await gateway.sessions.count();
  premise(live === WARMUP + N, `the store holds ${live} sessions, expected ${WARMUP + N}`);

  let heapAfterCloseBytes: number | null = null;
  if (via === 'http') {
    await load.close();
    // The listener closes its side when the client does; give it a moment.
    await new Promise((r) => setTimeout(r, 200));
    heapAfterCloseBytes = (await memoryAfterGc()).heapUsed - before.heapUsed;
    premise((await gateway.sessions.count()) === WARMUP + N, 'sessions ended with their connections');
  }
  return {
    via,
    sessions: N,
    createSeconds,
    heapBytes: after.heapUsed - before.heapUsed,
    rssBytes: after.rss - before.rss,
    externalBytes: after.external - before.external,
    heapAfterCloseBytes,
  };
});
