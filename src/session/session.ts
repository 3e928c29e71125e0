/**
 * Session: a client's HTTP session with the gateway (identified by cookie, URL parameter or Connection).
 * Holds its request queue, its router session (the sticky server), its filter sessions and its upstream
 * contexts; counters and times for the admin API. Live state (queue, filter sessions) is created on first
 * use so that an idle session costs little memory.
 */
import type { RouterSession } from '../router/index.js';
import type { Server } from '../upstream/server.js';
import type { UpstreamContext } from '../upstream/upstream-context.js';
import { SessionQueue } from './session-queue.js';

export type SessionMode = 'cookie' | 'param' | 'connection';

/** MaxScale-style state strings, as the admin API shows them. */
export type SessionState = 'Session started' | 'Session ready for routing' | 'Session routing request' | 'Stopping session';

export interface SessionInit {
  id: string;
  token: string;
  service: string;
  mode: SessionMode;
  address: string;
  user: string | null;
  idleTimeout: number;
  absoluteTimeout: number;
  maxQueue: number;
  queueTimeout: number;
  connectionId: number | null;
  now: number;
}

export class Session implements RouterSession {
  /** Public id, shown by the admin API. Never the token. */
  readonly id: string;
  /** Secret token the client presents (cookie value or URL parameter). */
  readonly token: string;
  readonly service: string;
  readonly mode: SessionMode;
  /** Client address at creation. */
  readonly address: string;
  user: string | null;
  readonly createdAt: number;
  lastActivity: number;
  readonly idleTimeout: number;
  /** 0: no absolute limit. */
  readonly absoluteTimeout: number;
  /** The Connection a `connection`-mode session lives on. */
  readonly connectionId: number | null;
  requests = 0;
  errors = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Router session: the server a `sticky` router keeps this session on. */
  server: Server | null = null;
  /** Set once the session is being ended; a dead session never comes back. */
  ended: 'killed' | 'expired' | 'closed' | null = null;
  readonly #maxQueue: number;
  readonly #queueTimeout: number;
  #queue: SessionQueue | null = null;
  #filterState: Map<string, unknown> | null = null;
  /** Opaque slot for the session table's timeout entry. */
  timeoutEntry: unknown = null;
  /** Upstream contexts of this session, per server (and user), created on first use (reuse `session`). */
  upstream: Map<string, UpstreamContext> | null = null;

  constructor(init: SessionInit) {
    this.id = init.id;
    this.token = init.token;
    this.service = init.service;
    this.mode = init.mode;
    this.address = init.address;
    this.user = init.user;
    this.createdAt = init.now;
    this.lastActivity = init.now;
    this.idleTimeout = init.idleTimeout;
    this.absoluteTimeout = init.absoluteTimeout;
    this.connectionId = init.connectionId;
    this.#maxQueue = init.maxQueue;
    this.#queueTimeout = init.queueTimeout;
  }

  get queue(): SessionQueue {
    return (this.#queue ??= new SessionQueue(this.#maxQueue, this.#queueTimeout));
  }

  /** Something is running or waiting: an idle timeout must not end the session now. */
  get busy(): boolean {
    return this.#queue !== null && this.#queue.busy;
  }

  get queued(): number {
    return this.#queue === null ? 0 : this.#queue.length;
  }

  get state(): SessionState {
    if (this.ended !== null) return 'Stopping session';
    if (this.#queue !== null && this.#queue.running !== null) return 'Session routing request';
    return this.requests === 0 ? 'Session started' : 'Session ready for routing';
  }

  /** When the session expires if nothing happens (ms since epoch). */
  get deadline(): number {
    const idle = this.lastActivity + this.idleTimeout;
    return this.absoluteTimeout > 0 ? Math.min(idle, this.createdAt + this.absoluteTimeout) : idle;
  }

  /** Per-session state of a filter (MaxScale's filter session), created on first use. */
  filterState<T>(filter: string, create: () => T): T {
    const map = (this.#filterState ??= new Map());
    let state = map.get(filter) as T | undefined;
    if (state === undefined) {
      state = create();
      map.set(filter, state);
    }
    return state;
  }

  get filterNames(): string[] {
    return this.#filterState ? [...this.#filterState.keys()] : [];
  }

  /** Ends the session's queue: the running request is cancelled, the waiting ones run without the session. */
  end(reason: 'killed' | 'expired' | 'closed'): void {
    if (this.ended !== null) return;
    this.ended = reason;
    this.#queue?.close();
  }
}
