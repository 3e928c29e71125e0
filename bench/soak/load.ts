/**
 * The soak's traffic: cookie sessions, the short closed-loop maximum (autocannon, bench/lib/load.ts) and the
 * open-loop load.
 *
 * The mix: 9 in 10 requests GET /small, 1 in 10 POST /upload (2 KiB); 1 in 20 asks `Connection: close`.
 *
 * Open loop: request i is due at `start + i / rate` whatever happened to the earlier ones (a 1 ms timer sends
 * every request that is due, so a stalled gateway gets the backlog at once instead of fewer requests), over
 * an undici Pool of keep-alive connections; a request waits in the Pool's queue when every connection is
 * busy. Its latency is measured from the time it was due, not from the time it left, so queueing anywhere
 * (the generator, the Pool, the gateway) shows instead of being omitted (no coordinated omission).
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type autocannon from 'autocannon';
import { Pool, request } from 'undici';
import { runLoad } from '../lib/load.js';

export const COOKIE = 'sgsid';
/** One POST in this many requests; the others are GETs of 100 bytes. */
const POST_EVERY = 10;
/**
 * One request in this many asks `Connection: close`: its connection ends after it and the Pool opens a new
 * one, so the gateway accepts and closes connections all the time (what clients without keep-alive do).
 */
export const CLOSE_EVERY = 20;
export const POST_BODY = Buffer.alloc(2048, 0x62);

/** The cookie of one client session; replaced when the gateway issues a new one. */
export class SessionJar {
  readonly cookies: string[] = [];
  #next = 0;
  /** Cookies the gateway replaced (a session that no longer existed, e.g. after a Redis restart). */
  replaced = 0;

  next(): number {
    const i = this.#next;
    this.#next = (this.#next + 1) % this.cookies.length;
    return i;
  }

  /** Reads `sgsid=...` from Set-Cookie fields; true when there was one. */
  update(i: number, setCookie: string | string[] | undefined): boolean {
    if (setCookie === undefined) return false;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const m = new RegExp(`^${COOKIE}=([^;]*)`).exec(line);
      if (m !== null) {
        const cookie = `${COOKIE}=${m[1]}`;
        if (this.cookies[i] !== undefined && this.cookies[i] !== cookie) this.replaced++;
        this.cookies[i] = cookie;
        return true;
      }
    }
    return false;
  }
}

/** Creates `count` cookie sessions (one GET each, 20 at a time). */
export async function createSessions(url: string, count: number): Promise<SessionJar> {
  const jar = new SessionJar();
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < count) {
      const slot = i++;
      const res = await request(`${url}/small`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.dump();
      if (res.statusCode !== 200 || !jar.update(slot, res.headers['set-cookie'])) {
        throw new Error(`creating session ${slot}: status ${res.statusCode}, set-cookie ${JSON.stringify(res.headers['set-cookie'])}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return jar;
}

export interface MaxResult {
  rps: number;
  perSecond: number[];
  errors: number;
  non2xx: number;
  latencyP99Ms: number;
  connections: number;
  warmupS: number;
  durationS: number;
}

/**
 * The closed-loop maximum: autocannon, `connections` keep-alive connections as fast as answers come, the
 * soak's request mix over the sessions; the first `warmupS` seconds are not counted.
 */
export async function measureMax(url: string, jar: SessionJar, warmupS = 2, durationS = 10, connections = 50): Promise<MaxResult> {
  const requests = Array.from({ length: POST_EVERY }, (_, k): autocannon.Request => ({
    method: k === 0 ? 'POST' : 'GET',
    path: k === 0 ? '/upload' : '/small',
    ...(k === 0 ? { body: POST_BODY, headers: { 'content-type': 'application/octet-stream' } } : {}),
    setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, cookie: jar.cookies[jar.next()]! } }),
  }));
  const run = runLoad(url, { method: 'GET', path: '/small', description: 'soak mix' }, { connections, durationS: warmupS + durationS, extra: { requests } });
  const outcome = await run.done;
  const counted = outcome.perSecond.slice(warmupS, warmupS + durationS);
  const rps = counted.length === 0 ? 0 : counted.reduce((a, b) => a + b, 0) / counted.length;
  return {
    rps,
    perSecond: outcome.perSecond,
    errors: outcome.result.errors + outcome.result.timeouts,
    non2xx: outcome.result.non2xx,
    latencyP99Ms: outcome.latency.p99,
    connections,
    warmupS,
    durationS,
  };
}

/** One request of the open-loop load that did not end in a 2xx. */
export interface ErrorEvent {
  /** Seconds since the soak's start when the failure was seen. */
  t: number;
  /** Seconds since the soak's start when the request was due. */
  due: number;
  /** `SG_ERR_...` from a gateway error body, `status 5xx` otherwise, or `client <code>` (no response). */
  kind: string;
  method: string;
}

/** Counters of one sampling interval (reset by {@link OpenLoop.takeInterval}). */
export interface IntervalStats {
  sent: number;
  done: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Most a request left after it was due, in this interval (the generator's own lateness). */
  maxSendLagMs: number;
}

export class OpenLoop {
  readonly #pool: Pool;
  readonly #jar: SessionJar;
  readonly #intervalMs: number;
  readonly #epoch: number;
  #timer: NodeJS.Timeout | null = null;
  #start = 0;
  #sent = 0;
  #inFlight = 0;
  readonly #idle: (() => void)[] = [];

  readonly overall: RecordableHistogram = createHistogram();
  #interval: RecordableHistogram = createHistogram();
  #iv = { sent: 0, done: 0, ok: 0, errors: 0, statuses: {} as Record<string, number>, maxSendLagMs: 0 };
  readonly totals = { sent: 0, done: 0, ok: 0, errors: 0, statuses: {} as Record<string, number>, lateOver10Ms: 0, lateOver100Ms: 0 };
  /** Every failure, in order (the first 20,000; `totals.errors` counts them all). */
  readonly errors: ErrorEvent[] = [];

  /**
   * @param epoch `performance.now()` of the soak's start: event times are seconds since then.
   */
  constructor(url: string, jar: SessionJar, rate: number, epoch: number, connections = 100) {
    this.#jar = jar;
    this.#intervalMs = 1000 / rate;
    this.#epoch = epoch;
    this.#pool = new Pool(url, { connections, pipelining: 1, headersTimeout: 15_000, bodyTimeout: 15_000 });
  }

  get rate(): number {
    return 1000 / this.#intervalMs;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  start(): void {
    this.#start = performance.now();
    this.#timer = setInterval(() => this.#tick(), 1);
  }

  /** Stops sending; resolves when the requests in flight have ended (or after `waitMs`). */
  async stop(waitMs = 20_000): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#inFlight > 0) {
      await Promise.race([new Promise<void>((r) => this.#idle.push(r)), new Promise((r) => setTimeout(r, waitMs).unref())]);
    }
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  #tick(): void {
    const now = performance.now();
    const due = Math.floor((now - this.#start) / this.#intervalMs) + 1;
    while (this.#sent < due) {
      const dueAt = this.#start + this.#sent * this.#intervalMs;
      const lag = now - dueAt;
      if (lag > this.#iv.maxSendLagMs) this.#iv.maxSendLagMs = lag;
      if (lag > 10) this.totals.lateOver10Ms++;
      if (lag > 100) this.totals.lateOver100Ms++;
      this.#send(this.#sent, dueAt);
      this.#sent++;
    }
  }

  #send(n: number, dueAt: number): void {
    const slot = this.#jar.next();
    const post = n % POST_EVERY === 0;
    const method = post ? 'POST' : 'GET';
    this.#inFlight++;
    this.#iv.sent++;
    this.totals.sent++;
    const headers: Record<string, string> = { cookie: this.#jar.cookies[slot]! };
    if (post) headers['content-type'] = 'application/octet-stream';
    if (n % CLOSE_EVERY === 1) headers.connection = 'close';
    this.#pool
      .request({ path: post ? '/upload' : '/small', method, headers, body: post ? POST_BODY : null })
      .then(async (res) => {
        this.#jar.update(slot, res.headers['set-cookie']);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          await res.body.dump();
          this.#done(dueAt, method, res.statusCode, null);
        } else {
          const text = await res.body.text();
          const code = /"error":"(SG_ERR_[A-Z_]+)"/.exec(text)?.[1];
          this.#done(dueAt, method, res.statusCode, code ?? `status ${res.statusCode}`);
        }
      })
      .catch((err: unknown) => {
        const e = err as { code?: string; name?: string };
        this.#done(dueAt, method, null, `client ${e.code ?? e.name ?? 'error'}`);
      });
  }

  #done(dueAt: number, method: string, status: number | null, errorKind: string | null): void {
    const now = performance.now();
    const us = Math.max(1, Math.round((now - dueAt) * 1000));
    this.overall.record(us);
    this.#interval.record(us);
    const key = status === null ? 'no response' : String(status);
    this.#iv.done++;
    this.totals.done++;
    this.#iv.statuses[key] = (this.#iv.statuses[key] ?? 0) + 1;
    this.totals.statuses[key] = (this.totals.statuses[key] ?? 0) + 1;
    if (errorKind === null) {
      this.#iv.ok++;
      this.totals.ok++;
    } else {
      this.#iv.errors++;
      this.totals.errors++;
      if (this.errors.length < 20_000) {
        this.errors.push({ t: (now - this.#epoch) / 1000, due: (dueAt - this.#epoch) / 1000, kind: errorKind, method });
      }
    }
    if (--this.#inFlight === 0 && this.#timer === null) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** The counters since the previous call. */
  takeInterval(): IntervalStats {
    const h = this.#interval;
    const stats: IntervalStats = {
      ...this.#iv,
      p50Ms: h.count === 0 ? 0 : h.percentile(50) / 1000,
      p99Ms: h.count === 0 ? 0 : h.percentile(99) / 1000,
      maxMs: h.count === 0 ? 0 : h.max / 1000,
    };
    this.#interval = createHistogram();
    this.#iv = { sent: 0, done: 0, ok: 0, errors: 0, statuses: {}, maxSendLagMs: 0 };
    return stats;
  }
}
