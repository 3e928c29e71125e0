/**
 * Probe child of `sessions-expiry`: 100,000 in-memory Sessions expire while
 * `perf_hooks.monitorEventLoopDelay({ resolution: 1 })` watches the event loop. A real Gateway (from dist/)
 * with cookie sessions and the memory store; the sessions are made with the calls the request path makes for
 * a request without a cookie (as in sessions-memory-child.ts, `api`), with an idle timeout long enough for
 * all of them to be made before the first one is due.
 * - `BENCH_PROBE_VARIANT=at-once`: after the last session is made the process is kept busy until every
 *   deadline has passed (as a process that was blocked would be), so the timeout queue finds all 100,000 due
 *   when its timer fires: the worst case;
 * - `BENCH_PROBE_VARIANT=spread`: the deadlines come as the sessions were made (over a second or more).
 * The monitor runs from the first possible expiry until 1 s after the last (so that the collection of the
 * sessions' garbage counts too). Checked: every session expired (one `session:expired` event each), the store
 * is empty, and a sample of the tokens finds nothing.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { blockFor, premise, probeChild } from '../lib/probe-child.js';
import { gatewayConfig, newSessionRequest, startGateway, type Gateway } from './in-process.js';

export interface SessionsExpiryResult {
  variant: 'at-once' | 'spread';
  sessions: number;
  idleTimeoutMs: number;
  createSeconds: number;
  /** From the first session:expired event to the last. */
  expiryMs: number;
  /** Event-loop delay while the sessions expired (monitorEventLoopDelay, resolution 1 ms), milliseconds. */
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  meanMs: number;
  /** Garbage collections during the window: how many, the longest (ms), how many were full (mark-compact). */
  gc: { count: number; maxMs: number; major: number };
}

const N = Number(process.env.BENCH_PROBE_SESSIONS ?? 100_000);
const variant = process.env.BENCH_PROBE_VARIANT === 'spread' ? 'spread' : 'at-once';

async function makeSession(gateway: Gateway, i: number): Promise<string> {
  return (await newSessionRequest(gateway, 1 + (i % 16), '127.0.0.1')).session.token;
}

probeChild<SessionsExpiryResult>(async (cleanup) => {
  // How fast sessions are made here and now: the idle timeout must leave time to make all of them.
  const probe = await startGateway(gatewayConfig('http://127.0.0.1:9', { session: { mode: 'cookie' } }, { exchange_log: { enabled: false } }));
  const t0 = performance.now();
  for (let i = 0; i < 2_000; i++) await makeSession(probe.gateway, i);
  const perSessionMs = (performance.now() - t0) / 2_000;
  await probe.gateway.stop(0);
  // Twice the estimate (made cold, so already pessimistic), at least 3 s.
  const idleTimeoutMs = Math.max(3_000, Math.ceil((perSessionMs * N * 2) / 1000) * 1000);

  const { gateway } = await startGateway(
    gatewayConfig('http://127.0.0.1:9', { session: { mode: 'cookie', idle_timeout: `${idleTimeoutMs}ms` } }, { exchange_log: { enabled: false } }),
  );
  cleanup(() => gateway.stop(0));
  let expired = 0;
  let firstAt = 0;
  let lastAt = 0;
  let allExpired: () => void = () => {};
  const done = new Promise<void>((resolve) => (allExpired = resolve));
  gateway.events.on('session:expired', () => {
    const now = performance.now();
    if (expired++ === 0) firstAt = now;
    lastAt = now;
    if (expired === N) allExpired();
  });

  const started = Date.now();
  const tokens: string[] = [];
  let lastDeadline = 0;
  for (let i = 0; i < N; i++) {
    const token = await makeSession(gateway, i);
    if (i % 1000 === 0) tokens.push(token);
    lastDeadline = Date.now() + idleTimeoutMs;
  }
  const createSeconds = (Date.now() - started) / 1000;
  premise(expired === 0, `${expired} sessions expired before all ${N} were made (idle timeout ${idleTimeoutMs} ms, making took ${createSeconds.toFixed(1)} s)`);
  premise((await gateway.sessions.count()) === N, `the store holds ${await gateway.sessions.count()} sessions, expected ${N}`);

  if (variant === 'at-once') blockFor(lastDeadline + 100 - Date.now());
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const gc = { count: 0, maxMs: 0, major: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const timeout = sleep(idleTimeoutMs + 60_000).then(() => 'timeout' as const);
  const outcome = await Promise.race([done.then(() => 'done' as const), timeout]);
  premise(outcome === 'done', `only ${expired} of ${N} sessions expired within ${idleTimeoutMs / 1000 + 60} s of their deadline`);
  await sleep(1000);
  h.disable();
  gcObserver.disconnect();

  const left = await gateway.sessions.count();
  premise(left === 0, `${left} sessions still in the store after all expired`);
  for (const token of tokens) premise((await gateway.sessions.store.findByToken(token)) === null, 'an expired session was still found by its token');
  return {
    variant,
    sessions: N,
    idleTimeoutMs,
    createSeconds,
    expiryMs: lastAt - firstAt,
    maxMs: h.max / 1e6,
    p99Ms: h.percentile(99) / 1e6,
    p50Ms: h.percentile(50) / 1e6,
    meanMs: h.mean / 1e6,
    gc,
  };
});
