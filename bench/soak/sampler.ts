/**
 * What the soak samples every few seconds: the gateway's process from /proc (RSS, open file descriptors) and
 * its Prometheus metrics (admin `GET /metrics`: heap, event-loop delay, sessions, connections, error codes).
 *
 * Event-loop delay: prom-client's `nodejs_eventloop_lag_p99_seconds` comes from `monitorEventLoopDelay`
 * with a 10 ms resolution (src/metrics/metrics.ts) and is reset at every scrape, so each sample is the p99
 * of the interval since the previous scrape (the soak is the only scraper). The histogram records the
 * whole time between two timer ticks, the 10 ms included; the soak reports the delay beyond it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Pool } from 'undici';

/** The sampling resolution of the gateway's event-loop histogram (src/metrics/metrics.ts). */
export const EVENT_LOOP_RESOLUTION_S = 0.01;

/** The gateway's open file descriptors by what they are. */
export interface FdKinds {
  total: number;
  /** Accepted client connections (the listener's port). */
  client: number;
  /** Connections to the backend (the gateway's upstream pool, up to servers[].max_connections). */
  upstream: number;
  /** Admin API connections (the soak's scraper). */
  admin: number;
  /** Connections to Redis. */
  redis: number;
  /** Listening sockets. */
  listening: number;
  /** Everything else: files, pipes, epoll, eventfd, other sockets. */
  other: number;
}

export interface GatewayPorts {
  listener: number;
  admin: number;
  backend: number;
  redis: number | null;
}

/** inode → local and remote port, listening or not, from /proc/net/tcp and tcp6. */
function tcpSockets(): Map<string, { local: number; remote: number; listening: boolean }> {
  const out = new Map<string, { local: number; remote: number; listening: boolean }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (addr: string): number => parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);
      out.set(f[9]!, { local: port(f[1]!), remote: port(f[2]!), listening: f[3] === '0A' });
    }
  }
  return out;
}

export function classifyFds(pid: number, ports: GatewayPorts): FdKinds | null {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const sockets = tcpSockets();
  const kinds: FdKinds = { total: names.length, client: 0, upstream: 0, admin: 0, redis: 0, listening: 0, other: 0 };
  for (const name of names) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      // closed in the meantime
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const s = inode === undefined ? undefined : sockets.get(inode);
    if (s === undefined) kinds.other++;
    else if (s.listening) kinds.listening++;
    else if (s.local === ports.listener) kinds.client++;
    else if (s.local === ports.admin) kinds.admin++;
    else if (s.remote === ports.backend) kinds.upstream++;
    else if (ports.redis !== null && s.remote === ports.redis) kinds.redis++;
    else kinds.other++;
  }
  return kinds;
}

export interface GatewaySample {
  rssMiB: number | null;
  fds: number | null;
  fdKinds: FdKinds | null;
  /** The live heap right after a full GC forced in this interval (SIGUSR2, bench/soak/gateway.ts), MiB. */
  liveHeapMiB: number | null;
  liveOldSpaceMiB: number | null;
  heapUsedMiB: number | null;
  heapTotalMiB: number | null;
  oldSpaceUsedMiB: number | null;
  externalMiB: number | null;
  /** p99 of the event-loop delay beyond the 10 ms timer, this interval, ms. */
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  sessions: number | null;
  clientConnections: number | null;
  activeHandles: number | null;
  exchangeLogEntries: number | null;
  storeReady: number | null;
  /** sessiongate_errors_total by code (cumulative). */
  errorCodes: Record<string, number>;
}

export function readRssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export function countFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Prometheus text → `name{labels}` → value (labels as written, in order). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space < 0) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) out.set(line.slice(0, space), value);
  }
  return out;
}

const MiB = 1024 * 1024;

export class GatewaySampler {
  readonly #admin: Pool;
  readonly #pid: number;
  readonly #ports: GatewayPorts;
  readonly #output: () => string;
  #collections = 0;

  /** @param output the gateway's recent output, where bench/soak/gateway.ts prints `SOAK_GC` lines. */
  constructor(adminUrl: string, pid: number, ports: GatewayPorts, output: () => string) {
    // One keep-alive connection: scraping does not open a socket (an fd of the gateway) every time.
    this.#admin = new Pool(adminUrl, { connections: 1, headersTimeout: 5000, bodyTimeout: 5000 });
    this.#pid = pid;
    this.#ports = ports;
    this.#output = output;
  }

  /** Forces a full GC in the gateway and returns the live heap it printed right after, bytes. */
  async liveHeap(timeoutMs = 3000): Promise<{ heapUsed: number; oldSpaceUsed: number } | null> {
    const n = ++this.#collections;
    try {
      process.kill(this.#pid, 'SIGUSR2');
    } catch {
      return null;
    }
    const until = performance.now() + timeoutMs;
    while (performance.now() < until) {
      for (const m of this.#output().matchAll(/^SOAK_GC (\{.*\})$/gm)) {
        const r = JSON.parse(m[1]!) as { n: number; heapUsed: number; oldSpaceUsed: number };
        if (r.n === n) return r;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return null;
  }

  async metrics(): Promise<Map<string, number> | null> {
    try {
      const res = await this.#admin.request({ path: '/metrics', method: 'GET' });
      const text = await res.body.text();
      return res.statusCode === 200 ? parseMetrics(text) : null;
    } catch {
      return null;
    }
  }

  /** One sample; with `forceGc`, a full GC first (its pause then falls in this sample's event-loop interval). */
  async sample(forceGc = false): Promise<GatewaySample> {
    const live = forceGc ? await this.liveHeap() : null;
    const m = await this.metrics();
    const get = (name: string): number | null => m?.get(name) ?? null;
    const mib = (name: string): number | null => {
      const v = get(name);
      return v === null ? null : v / MiB;
    };
    const lag = (name: string): number | null => {
      const v = get(name);
      return v === null ? null : Math.max(0, v - EVENT_LOOP_RESOLUTION_S) * 1000;
    };
    const errorCodes: Record<string, number> = {};
    for (const [key, value] of m ?? []) {
      const code = /^sessiongate_errors_total\{code="([^"]+)"/.exec(key)?.[1];
      if (code !== undefined && value > 0) errorCodes[code] = value;
    }
    let clientConnections: number | null = null;
    for (const [key, value] of m ?? []) {
      if (key.startsWith('sessiongate_client_connections{')) clientConnections = (clientConnections ?? 0) + value;
    }
    return {
      rssMiB: readRssMiB(this.#pid),
      fds: countFds(this.#pid),
      fdKinds: classifyFds(this.#pid, this.#ports),
      liveHeapMiB: live === null ? null : live.heapUsed / MiB,
      liveOldSpaceMiB: live === null ? null : live.oldSpaceUsed / MiB,
      heapUsedMiB: mib('sessiongate_nodejs_heap_size_used_bytes'),
      heapTotalMiB: mib('sessiongate_nodejs_heap_size_total_bytes'),
      oldSpaceUsedMiB: mib('sessiongate_nodejs_heap_space_size_used_bytes{space="old"}'),
      externalMiB: mib('sessiongate_nodejs_external_memory_bytes'),
      eventLoopP99Ms: lag('sessiongate_nodejs_eventloop_lag_p99_seconds'),
      eventLoopMaxMs: lag('sessiongate_nodejs_eventloop_lag_max_seconds'),
      sessions: get('sessiongate_sessions'),
      clientConnections,
      activeHandles: get('sessiongate_nodejs_active_handles_total'),
      exchangeLogEntries: get('sessiongate_exchange_log_entries'),
      storeReady: get('sessiongate_store_ready'),
      errorCodes,
    };
  }

  async close(): Promise<void> {
    await this.#admin.destroy();
  }
}
