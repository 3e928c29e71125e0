/**
 * The load generator: autocannon's programmatic API in the runner's process (keep-alive connections, no
 * pipelining, fixed duration). Latency percentiles come from a microsecond histogram fed by every response,
 * since autocannon's own histogram holds whole milliseconds.
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
}

/** Runs the load for `durationS` seconds; `stop()` on the returned handle ends it early. */
export function runLoad(
  url: string,
  load: LoadSpec,
  options: { connections: number; durationS: number; extra?: Partial<autocannon.Options> },
): { done: Promise<LoadOutcome>; stop(): void } {
  const hist = createHistogram();
  const perSecond: number[] = [];
  let start = 0;
  let instance: autocannon.Instance | null = null;
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
    instance = autocannon(
      { ...opts, ...options.extra },
      (err: unknown, result: autocannon.Result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const ms = (us: number): number => us / 1000;
        resolve({
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
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      hist.record(Math.max(1, Math.round(responseTimeMs * 1000)));
      const second = Math.floor((performance.now() - start) / 1000);
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
