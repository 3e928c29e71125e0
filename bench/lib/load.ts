/**
 * The load generator: autocannon's programmatic API in the runner's process (keep-alive connections, no
 * pipelining, a fixed duration or a fixed number of requests). Latency percentiles come from a microsecond
 * histogram fed by every response, since autocannon's own histogram holds whole milliseconds.
 */
import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { request } from 'undici';
import type { LoadSpec } from './types.js';

export interface LoadOutcome {
  result: autocannon.Result;
  /** Milliseconds. */
  latency: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Responses in each second of the run (the last one may be partial). */
  perSecond: number[];
  /** Seconds from the start to the last response (0 without responses). */
  activeS: number;
  /** The fixed request count of this run, or null for a duration-based one. */
  amount: number | null;
}

/** The fixed request count of a load: what `prepare` returned, else the load's own; null: duration-based. */
export function amountOf(load: LoadSpec, extra: Partial<autocannon.Options> = {}): number | null {
  const n = extra.amount ?? load.amount;
  return n === undefined || n <= 0 ? null : n;
}

/**
 * Runs the load for `durationS` seconds, or, with `amount`, until that many responses have come back (then
 * it is stopped after `maxS` seconds at most); `stop()` on the returned handle ends it early. An `amount` in
 * `extra` is ignored: the caller decides (see {@link amountOf}).
 */
export function runLoad(
  url: string,
  load: LoadSpec,
  options: { connections: number; durationS: number; amount?: number | null; extra?: Partial<autocannon.Options>; maxS?: number },
): { done: Promise<LoadOutcome>; stop(): void } {
  const hist = createHistogram();
  const perSecond: number[] = [];
  const amount = options.amount ?? null;
  let start = 0;
  let last = 0;
  let instance: autocannon.Instance | null = null;
  let cap: NodeJS.Timeout | undefined;
  const done = new Promise<LoadOutcome>((resolve, reject) => {
    const opts: autocannon.Options = {
      url: url + load.path,
      method: load.method,
      connections: options.connections,
      pipelining: 1,
      duration: options.durationS,
      timeout: 10,
    };
    if (load.headers !== undefined) opts.headers = load.headers;
    if (load.body !== undefined) opts.body = load.body;
    if (load.requests !== undefined) opts.requests = load.requests;
    const { amount: _ignored, ...extra } = options.extra ?? {};
    // autocannon ignores `duration` when `amount` is set.
    if (amount !== null) opts.amount = amount;
    instance = autocannon(
      { ...opts, ...extra },
      (err: unknown, result: autocannon.Result) => {
        clearTimeout(cap);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const ms = (us: number): number => us / 1000;
        resolve({
          amount,
          activeS: last === 0 ? 0 : (last - start) / 1000,
          result,
          latency:
            hist.count === 0
              ? { mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }
              : {
                  mean: ms(hist.mean),
                  p50: ms(hist.percentile(50)),
                  p90: ms(hist.percentile(90)),
                  p99: ms(hist.percentile(99)),
                  p999: ms(hist.percentile(99.9)),
                  max: ms(hist.max),
                },
          perSecond: Array.from({ length: perSecond.length }, (_, i) => perSecond[i] ?? 0),
        });
      },
    );
    start = performance.now();
    if (amount !== null) {
      const inst = instance;
      cap = setTimeout(() => inst.stop(), (options.maxS ?? 120) * 1000);
    }
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      hist.record(Math.max(1, Math.round(responseTimeMs * 1000)));
      last = performance.now();
      const second = Math.floor((last - start) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
    });
  });
  return { done, stop: () => (instance as autocannon.Instance | null)?.stop() };
}

/** Sends the scenario's request once; null when the target answered as expected, else what was wrong. */
export async function checkTarget(url: string, load: LoadSpec): Promise<string | null> {
  if (load.check === undefined) return null;
  try {
    const res = await request(url + load.path, {
      method: load.method,
      headers: load.headers,
      body: load.body ?? null,
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    const text = await res.body.text();
    if (res.statusCode !== load.check.status) {
      return `expected status ${load.check.status}, got ${res.statusCode}: ${text.slice(0, 200)}`;
    }
    return load.check.body?.(text) ?? null;
  } catch (err) {
    return `request failed: ${(err as Error).message}`;
  }
}
