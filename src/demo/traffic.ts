/**
 * Synthetic clients for the embedded demo (`sessiongate demo --traffic`), so that the web UI shows a
 * realistic picture within seconds: several cookie sessions with different `X-User` names, the gateway's
 * upstream logins, JSON reads and writes, slow requests, a few 404s and the rate-limited `/api/quota` that
 * answers some 429s (data loss).
 *
 * Bounded on every side: loopback targets only, a fixed number of clients, a request-rate ceiling shared by
 * all clients, a per-request timeout, an optional total. It stops on `stop()`, on its `signal`, or by itself
 * when the gateway is gone (connections refused several times in a row).
 */

export interface TrafficOptions {
  /** The gateway listener's base URL, e.g. `http://127.0.0.1:8080`. Must be a loopback address. */
  url: string;
  /** Concurrent synthetic clients, each with its own cookie session. Default 5, at most 32. */
  clients?: number;
  /** Ceiling on requests per second, all clients together. Default 8, at most 200. */
  ratePerSecond?: number;
  /** The `X-User` names the clients take turns with. */
  users?: readonly string[];
  /** Requests one session makes before its client forgets the cookie and starts a new session. Default 12–40. */
  sessionLength?: readonly [min: number, max: number];
  /** Stop after this many requests in total. Default: no limit (until stopped). */
  maxRequests?: number;
  /** Per-request timeout in ms. Default 10 s. */
  timeoutMs?: number;
  /** Stops the traffic when aborted. */
  signal?: AbortSignal;
  /** Random numbers in [0, 1); default Math.random (tests pass a seeded one). */
  random?: () => number;
}

export interface TrafficStats {
  requests: number;
  /** Responses by status class: `2xx`, `4xx`, ... */
  statuses: Record<string, number>;
  /** Requests that got no response (refused, reset, timeout). */
  failures: number;
  sessions: number;
}

export interface Traffic {
  readonly stats: TrafficStats;
  /** Resolves when every client has finished. */
  readonly done: Promise<void>;
  /** Stops every client (the requests in flight are aborted) and resolves when they have finished. */
  stop(): Promise<void>;
}

export const DEFAULT_USERS: readonly string[] = ['ann', 'bob', 'chen', 'dana', 'emil', 'fatima'];

/** How many refused connections in a row mean that the gateway has stopped. */
const GONE_AFTER = 3;

/** A client of the gateway with its own cookie jar (so: its own gateway session) and an `X-User` name. */
export class TrafficClient {
  readonly #base: string;
  readonly #user: string;
  readonly #cookies = new Map<string, string>();
  readonly #timeoutMs: number;

  constructor(base: string, user: string, timeoutMs = 10_000) {
    this.#base = base.replace(/\/+$/, '');
    this.#user = user;
    this.#timeoutMs = timeoutMs;
  }

  get user(): string {
    return this.#user;
  }

  /** Sends one request; resolves to the status, or rejects when there is no response. */
  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<number> {
    const headers: Record<string, string> = { 'x-user': this.#user, accept: 'application/json' };
    if (this.#cookies.size > 0) headers.cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const res = await fetch(this.#base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    for (const line of res.headers.getSetCookie()) {
      const m = /^\s*([^=;\s]+)=([^;]*)/.exec(line);
      if (m) this.#cookies.set(m[1]!, m[2]!);
    }
    await res.arrayBuffer();
    return res.status;
  }

  /** Forgets the cookies: the next request starts a new gateway session. */
  forget(): void {
    this.#cookies.clear();
  }
}

/** Loopback hosts only: the generator must never be pointed at someone else's server. */
export function assertLoopback(url: string): URL {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new Error(`synthetic traffic targets loopback addresses only, not ${u.origin}`);
  }
  return u;
}

type Step = { method: string; path: string; body?: unknown; weight: number };

/** What a visitor does, with weights: mostly reads, some writes, the rate-limited endpoint, a few misses. */
const STEPS = (random: () => number): Step[] => [
  { method: 'GET', path: '/api/items', weight: 20 },
  { method: 'GET', path: `/api/items/${1 + Math.floor(random() * 25)}`, weight: 22 },
  { method: 'POST', path: '/api/orders', body: { item: 1 + Math.floor(random() * 25), quantity: 1 + Math.floor(random() * 5) }, weight: 8 },
  { method: 'GET', path: '/api/quota', weight: 32 },
  { method: 'GET', path: `/api/slow?ms=${50 + Math.floor(random() * 400)}`, weight: 6 },
  { method: 'GET', path: `/api/items/${26 + Math.floor(random() * 10)}`, weight: 2 },
  { method: 'GET', path: '/', weight: 3 },
];

function pick(random: () => number): Step {
  const steps = STEPS(random);
  const total = steps.reduce((n, s) => n + s.weight, 0);
  let r = random() * total;
  for (const s of steps) {
    r -= s.weight;
    if (r < 0) return s;
  }
  return steps[0]!;
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.floor(n)));

/** Starts the synthetic clients against the gateway at `options.url`. */
export function startTraffic(options: TrafficOptions): Traffic {
  const base = assertLoopback(options.url).origin;
  const clients = clamp(options.clients ?? 5, 1, 32);
  const rate = Math.min(200, Math.max(0.1, options.ratePerSecond ?? 8));
  const users = options.users && options.users.length > 0 ? options.users : DEFAULT_USERS;
  const [minLen, maxLen] = options.sessionLength ?? [12, 40];
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const random = options.random ?? Math.random;
  const stats: TrafficStats = { requests: 0, statuses: {}, failures: 0, sessions: 0 };
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) abort.abort();

  // One shared pace: each request takes the next free slot, 1/rate seconds after the previous one.
  let nextSlot = Date.now();
  let refusedInARow = 0;
  let userTurn = 0;
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (abort.signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        abort.signal.removeEventListener('abort', done);
        resolve();
      }
      abort.signal.addEventListener('abort', done, { once: true });
    });
  const takeSlot = async (): Promise<boolean> => {
    if (stats.requests >= maxRequests) return false;
    const now = Date.now();
    nextSlot = Math.max(now, nextSlot + 1000 / rate);
    await wait(nextSlot - now);
    if (abort.signal.aborted || stats.requests >= maxRequests) return false;
    stats.requests++;
    return true;
  };

  const runClient = async (index: number): Promise<void> => {
    // Stagger the clients' first steps over the first second.
    await wait(Math.floor((index * 1000) / clients));
    while (!abort.signal.aborted) {
      const client = new TrafficClient(base, users[userTurn++ % users.length]!, options.timeoutMs);
      stats.sessions++;
      const length = minLen + Math.floor(random() * (Math.max(minLen, maxLen) - minLen + 1));
      for (let i = 0; i < length; i++) {
        if (!(await takeSlot())) return;
        const step = i === 0 ? { method: 'GET', path: '/api/items' } : pick(random);
        try {
          const status = await client.request(step.method, step.path, 'body' in step ? step.body : undefined, abort.signal);
          const cls = `${Math.floor(status / 100)}xx`;
          stats.statuses[cls] = (stats.statuses[cls] ?? 0) + 1;
          refusedInARow = 0;
        } catch (err) {
          if (abort.signal.aborted) return;
          stats.failures++;
          if (isRefused(err) && ++refusedInARow >= GONE_AFTER) {
            abort.abort(); // the gateway has stopped
            return;
          }
        }
      }
      client.forget();
    }
  };

  const done = Promise.all(Array.from({ length: clients }, (_, i) => runClient(i))).then(() => {
    options.signal?.removeEventListener('abort', onAbort);
  });
  return {
    stats,
    done,
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

function isRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  return cause?.code === 'ECONNREFUSED' || cause?.code === 'ECONNRESET' || cause?.code === 'UND_ERR_SOCKET';
}
