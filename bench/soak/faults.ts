/**
 * The soak's faults, one a minute in turn. Each opens a window — from its start to the end of its active part
 * plus a grace period — in which the errors it explains may appear in the open-loop load; the same errors
 * elsewhere, or other errors in the window, are unexplained. Each fault also checks its own outcome (the
 * slowloris connections got 408, the aborted requests were logged as client aborts, traffic came back).
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import type { SessionJar } from './load.js';

export interface FaultContext {
  /** Seconds since the soak's start. */
  now(): number;
  gatewayUrl: string;
  gatewayPort: number;
  /** The backend's URL (it answers GET /stats: slow responses finished and cut off). */
  backendUrl(): string;
  /** The listener's `timeouts.headers`, seconds. */
  headersTimeoutS: number;
  /** The server's `down_interval`, seconds. */
  downIntervalS: number;
  /** Sessions of the abort batches (not the load's, so that the load's sessions keep their pace). */
  abortJar: SessionJar;
  /** Kills the backend (SIGKILL), waits `pauseMs`, starts it again on the same port; resolves once it is ready. */
  restartBackend(pauseMs: number): Promise<void>;
  /** The same for redis-server; undefined without --redis. */
  restartRedis?: (pauseMs: number) => Promise<void>;
  /** The gateway's metrics, parsed (null when the admin API does not answer). */
  metrics(): Promise<Map<string, number> | null>;
  log(line: string): void;
}

export interface FaultCheck {
  ok: boolean;
  text: string;
}

export interface FaultRecord {
  name: string;
  /** Seconds since the soak's start. */
  startS: number;
  /** The end of the fault's active part (the backend ready again, the last slowloris connection closed). */
  activeEndS: number;
  /** Errors it explains may appear until then. */
  windowEndS: number;
  /** Error kinds of the open-loop load this fault explains (`SG_ERR_...`, `client <code>`). */
  explains: readonly string[];
  notes: string[];
  checks: FaultCheck[];
}

export interface Fault {
  name: string;
  /** One line for the docs. */
  description: string;
  explains: readonly string[];
  run(ctx: FaultContext): Promise<FaultRecord>;
}

const GRACE_S = 3;
const RESTART_PAUSE_MS = 1500;

/** The errors a dead backend causes: refused, reset, or no server while it is marked down. */
const BACKEND_ERRORS = [
  'SG_ERR_UPSTREAM_REFUSED',
  'SG_ERR_UPSTREAM_RESET',
  'SG_ERR_UPSTREAM_INCOMPLETE',
  'SG_ERR_UPSTREAM_UNREACHABLE',
  'SG_ERR_UPSTREAM_CONNECT_TIMEOUT',
  'SG_ERR_NO_SERVER_AVAILABLE',
] as const;

type BackendStats = Record<'slow' | 'drip', { done: number; cut: number }>;

async function backendStats(ctx: FaultContext): Promise<BackendStats | null> {
  try {
    const res = await request(`${ctx.backendUrl()}/stats`, { headersTimeout: 3000, bodyTimeout: 3000 });
    return (await res.body.json()) as BackendStats;
  } catch {
    return null;
  }
}

function errorCount(m: Map<string, number> | null, code: string): number | null {
  if (m === null) return null;
  for (const [key, value] of m) if (key.startsWith(`sessiongate_errors_total{code="${code}"`)) return value;
  return 0;
}

export const backendRestart: Fault = {
  name: 'backend restart',
  description: `the backend is killed (SIGKILL) and started again on the same port ${RESTART_PAUSE_MS / 1000} s later`,
  explains: BACKEND_ERRORS,
  async run(ctx) {
    const startS = ctx.now();
    await ctx.restartBackend(RESTART_PAUSE_MS);
    const readyS = ctx.now();
    // The router keeps the server down for down_interval after the failure that marked it down.
    const activeEndS = readyS + ctx.downIntervalS;
    return {
      name: this.name,
      startS,
      activeEndS,
      windowEndS: activeEndS + GRACE_S,
      explains: this.explains,
      notes: [`backend down ${(readyS - startS).toFixed(1)} s (kill to ready), then up to ${ctx.downIntervalS} s marked down by the router`],
      checks: [],
    };
  },
};

export const redisRestart: Fault = {
  name: 'redis restart',
  description: `redis-server is killed (SIGKILL) and started again on the same port ${RESTART_PAUSE_MS / 1000} s later (append-only file: the sessions survive)`,
  explains: ['SG_ERR_STORE_UNAVAILABLE'],
  async run(ctx) {
    if (ctx.restartRedis === undefined) throw new Error('redis restart without --redis');
    const startS = ctx.now();
    await ctx.restartRedis(RESTART_PAUSE_MS);
    const readyS = ctx.now();
    // The gateway reconnects by itself; wait until it says the store is ready again.
    let storeBackS: number | null = null;
    while (ctx.now() - readyS < 20) {
      const m = await ctx.metrics();
      if (m?.get('sessiongate_store_ready') === 1) {
        storeBackS = ctx.now();
        break;
      }
      await sleep(250);
    }
    const activeEndS = storeBackS ?? ctx.now();
    return {
      name: this.name,
      startS,
      activeEndS,
      windowEndS: activeEndS + GRACE_S,
      explains: this.explains,
      notes: [`redis down ${(readyS - startS).toFixed(1)} s (kill to ready)`],
      checks: [
        {
          ok: storeBackS !== null,
          text: storeBackS === null ? 'the gateway did not report its store ready within 20 s of the restart' : `the gateway's store was ready again ${(storeBackS - readyS).toFixed(1)} s after redis-server was`,
        },
      ],
    };
  },
};

const ABORTS = 100;

export const clientAborts: Fault = {
  name: 'client aborts',
  description: `${ABORTS} requests aborted by the client mid-flight: half while the backend holds the response (GET /slow, 2 s), half in the middle of a 64 KiB body sent over 2 s (GET /drip), each on a session of its own`,
  // The load's own requests have nothing to fail for; the aborted ones are the fault's, not the load's.
  explains: [],
  async run(ctx) {
    const startS = ctx.now();
    const before = errorCount(await ctx.metrics(), 'SG_ERR_CLIENT_ABORTED');
    const backendBefore = await backendStats(ctx);
    const pool = new Pool(ctx.gatewayUrl, { connections: ABORTS, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const outcome = { aborted: 0, completed: 0, other: {} as Record<string, number> };
    await Promise.all(
      Array.from({ length: ABORTS }, async (_, i) => {
        const drip = i % 2 === 1;
        const ac = new AbortController();
        const slot = ctx.abortJar.next();
        // Spread over 300-700 ms: the backend has the request; a /drip response has begun.
        const timer = setTimeout(() => ac.abort(), 300 + ((i * 37) % 400));
        try {
          const res = await pool.request({
            path: drip ? '/drip?ms=2000' : '/slow?ms=2000',
            method: 'GET',
            headers: { cookie: ctx.abortJar.cookies[slot]! },
            signal: ac.signal,
          });
          for await (const _chunk of res.body) {
            // read to the end (or to the abort)
          }
          outcome.completed++;
        } catch (err) {
          const e = err as { name?: string; code?: string };
          if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED' || ac.signal.aborted) outcome.aborted++;
          else outcome.other[e.code ?? e.name ?? 'error'] = (outcome.other[e.code ?? e.name ?? 'error'] ?? 0) + 1;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    await pool.destroy();
    // Had the gateway not passed the aborts on, the backend would finish these responses 2 s after they began.
    await sleep(2500);
    const after = errorCount(await ctx.metrics(), 'SG_ERR_CLIENT_ABORTED');
    const backendAfter = await backendStats(ctx);
    const answered = before === null || after === null ? null : after - before;
    const activeEndS = ctx.now();
    const checks: FaultCheck[] = [
      { ok: outcome.aborted === ABORTS, text: `${outcome.aborted}/${ABORTS} requests aborted by the client${outcome.completed > 0 ? `, ${outcome.completed} completed before their abort` : ''}${Object.keys(outcome.other).length > 0 ? `, other outcomes ${JSON.stringify(outcome.other)}` : ''}` },
    ];
    if (backendBefore === null || backendAfter === null) {
      checks.push({ ok: false, text: 'the backend\'s /stats could not be read' });
    } else {
      const d = (k: 'slow' | 'drip', f: 'done' | 'cut'): number => backendAfter[k][f] - backendBefore[k][f];
      const cut = d('slow', 'cut') + d('drip', 'cut');
      const done = d('slow', 'done') + d('drip', 'done');
      checks.push({
        ok: cut === outcome.aborted && done === 0,
        text: `the gateway cut ${cut}/${outcome.aborted} of them off at the backend too (/slow ${d('slow', 'cut')}, /drip ${d('drip', 'cut')})${done > 0 ? `; the backend finished ${done} anyway` : ''}`,
      });
    }
    const notes = [answered === null ? 'the gateway\'s metrics could not be read' : `SG_ERR_CLIENT_ABORTED (499) counted ${answered} times: the aborts that came before the response began`];
    return { name: this.name, startS, activeEndS, windowEndS: activeEndS + GRACE_S, explains: this.explains, notes, checks };
  },
};

const SLOWLORIS = 200;
const SLOW_HEAD = 'GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Padding: ' + 'a'.repeat(200);

export const slowloris: Fault = {
  name: 'slowloris',
  description: `${SLOWLORIS} connections send a request head one byte every 500 ms and never finish it; each should get 408 once the headers timeout has passed`,
  // Only its own connections fail; the load should not notice.
  explains: [],
  async run(ctx) {
    const startS = ctx.now();
    const timeoutMs = ctx.headersTimeoutS * 1000;
    const giveUpMs = timeoutMs + 8000;
    const results = await Promise.all(
      Array.from(
        { length: SLOWLORIS },
        (_, i) =>
          new Promise<{ status: string; afterMs: number | null }>((resolve) => {
            let socket: Socket | null = null;
            let firstByte = 0;
            let sent = 0;
            let answer = '';
            let drip: NodeJS.Timeout | null = null;
            const finish = (status: string): void => {
              if (drip !== null) clearInterval(drip);
              clearTimeout(giveUp);
              socket?.destroy();
              resolve({ status, afterMs: firstByte === 0 ? null : performance.now() - firstByte });
            };
            const giveUp = setTimeout(() => finish('still open'), giveUpMs + 1000);
            // Connections open over the first second, not all in one burst.
            setTimeout(() => {
              socket = connect(ctx.gatewayPort, '127.0.0.1');
              socket.setNoDelay(true);
              socket.on('connect', () => {
                firstByte = performance.now();
                const sendOne = (): void => {
                  if (sent < SLOW_HEAD.length) socket!.write(SLOW_HEAD[sent++]!);
                };
                sendOne();
                drip = setInterval(sendOne, 500);
              });
              socket.on('data', (d: Buffer) => {
                answer += d.toString('latin1');
                if (/^HTTP\/1\.1 \d{3}/.test(answer)) finish(answer.slice(9, 12));
              });
              socket.on('error', (err: NodeJS.ErrnoException) => finish(`error ${err.code ?? err.message}`));
              socket.on('close', () => finish('closed without a response'));
            }, (i * 1000) / SLOWLORIS);
          }),
      ),
    );
    const activeEndS = ctx.now();
    const byStatus: Record<string, number> = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const times = results.filter((r) => r.status === '408' && r.afterMs !== null).map((r) => r.afterMs!).sort((a, b) => a - b);
    const early = times.filter((t) => t < timeoutMs - 50).length;
    const at = (q: number): string => (times.length === 0 ? '-' : (times[Math.min(times.length - 1, Math.floor(q * times.length))]! / 1000).toFixed(1));
    const got408 = byStatus['408'] ?? 0;
    return {
      name: this.name,
      startS,
      activeEndS,
      windowEndS: activeEndS + GRACE_S,
      explains: this.explains,
      notes: [`408 after ${at(0)} / ${at(0.5)} / ${at(0.999)} s (min / median / max from the first byte; headers timeout ${ctx.headersTimeoutS} s)`],
      checks: [
        { ok: got408 === SLOWLORIS, text: `${got408}/${SLOWLORIS} slowloris connections got 408${got408 < SLOWLORIS ? `; the others: ${JSON.stringify(Object.fromEntries(Object.entries(byStatus).filter(([k]) => k !== '408')))}` : ''}` },
        { ok: early === 0, text: `${early} got their 408 before the headers timeout` },
      ],
    };
  },
};

/** The faults in turn: backend restart, client aborts, slowloris, (redis restart), then again. */
export function faultRotation(redis: boolean): Fault[] {
  return redis ? [backendRestart, clientAborts, slowloris, redisRestart] : [backendRestart, clientAborts, slowloris];
}
