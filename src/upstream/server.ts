/**
 * Server: one backend HTTP origin, with its undici connection pool (keep-alive), its state as the routers
 * see it (up, down after a failed connection, draining) and its counters.
 */
import { Pool, type Dispatcher } from 'undici';

export type ServerState = 'up' | 'down' | 'draining';

export interface ServerOptions {
  name: string;
  url: string;
  maxConnections: number;
  weight: number;
  /** Milliseconds a server counts as down after a connection to it failed. */
  downInterval: number;
  /** Milliseconds allowed to open a connection. */
  connectTimeout: number;
  /**
   * Told when the server goes down (a connection failed while it counted as up: at most once per
   * `downInterval`) and when it answers again after that; the gateway logs both.
   */
  onStateChange?: (server: Server, state: 'down' | 'up', reason: string | null) => void;
}

export interface ServerCounters {
  requests: number;
  /** Requests that failed without a usable response (refused, reset, timeout, bad response). */
  failures: number;
  /** Responses with a 4xx or 5xx status. */
  errorResponses: number;
  connectFailures: number;
  logins: number;
  loginFailures: number;
  bytesSent: number;
  bytesReceived: number;
}

export class Server {
  readonly name: string;
  readonly url: string;
  /** `http://host:port` */
  readonly origin: string;
  /** `host:port`, the Host header the server expects. */
  readonly host: string;
  /** Path prefix of the URL (`''` when none): prepended to every request path. */
  readonly basePath: string;
  readonly weight: number;
  readonly counters: ServerCounters = { requests: 0, failures: 0, errorResponses: 0, connectFailures: 0, logins: 0, loginFailures: 0, bytesSent: 0, bytesReceived: 0 };
  /** Requests being handled by this server right now (for least-connections). */
  active = 0;
  #pool: Pool;
  #downInterval: number;
  #downUntil = 0;
  #draining = false;
  #lastError: string | null = null;
  readonly #onStateChange: ServerOptions['onStateChange'];

  constructor(options: ServerOptions) {
    const url = new URL(options.url);
    this.name = options.name;
    this.url = options.url;
    this.origin = url.origin;
    this.host = url.host;
    this.basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
    this.weight = options.weight;
    this.#downInterval = options.downInterval;
    this.#onStateChange = options.onStateChange;
    this.#pool = new Pool(url.origin, {
      connections: options.maxConnections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      connectTimeout: options.connectTimeout,
      // Timeouts are set per request from the service's upstream policy.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  get state(): ServerState {
    if (this.#draining) return 'draining';
    return this.#downUntil > Date.now() ? 'down' : 'up';
  }

  /** Routers prefer servers that are up. */
  get available(): boolean {
    return !this.#draining && this.#downUntil <= Date.now();
  }

  /** When a down server may be tried again (ms since epoch); 0 when up. */
  get downUntil(): number {
    return this.#downUntil;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /** A connection to the server failed: routers avoid it for `downInterval`. */
  markDown(reason: string): void {
    this.counters.connectFailures++;
    this.#lastError = reason;
    const now = Date.now();
    const wasUp = this.#downUntil <= now;
    this.#downUntil = now + this.#downInterval;
    if (wasUp) this.#onStateChange?.(this, 'down', reason);
  }

  /** The server answered: it is up. */
  markUp(): void {
    if (this.#downUntil === 0) return;
    this.#downUntil = 0;
    this.#onStateChange?.(this, 'up', null);
  }

  setDraining(draining: boolean): void {
    this.#draining = draining;
  }

  /** undici's dispatch on this server's pool (the lowest-overhead undici API: no streams, no promises). */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#pool.dispatch(options, handler);
  }

  get dispatcher(): Dispatcher {
    return this.#pool;
  }

  poolStats(): { connected: number; free: number; pending: number; running: number } {
    const s = this.#pool.stats;
    return { connected: s.connected, free: s.free, pending: s.pending, running: s.running };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}
