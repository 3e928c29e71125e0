/**
 * UpstreamContext: the gateway's session with one Server on behalf of a client Session (reuse `session`),
 * of a whole Service (reuse `service`) or of one request (reuse `none`): a cookie jar, the login state and
 * statistics. Logins are single-flight (concurrent requests wait for the one in progress) and back off
 * after failures so that a dead login endpoint is not hammered.
 */
import { GatewayError } from '../errors.js';
import { UpstreamJar } from './cookie-jar.js';
import type { Server } from './server.js';

export type ContextState = 'new' | 'logging in' | 'authenticated' | 'expired' | 'failed';
export type ReuseScope = 'none' | 'session' | 'service';

/** Real counts on the context's traffic (MaxScale's DCB statistics, plus logins). */
export interface ContextStats {
  requests: number;
  logins: number;
  relogins: number;
  loginFailures: number;
  /** Response body pieces read from the server. */
  reads: number;
  /** Request pieces written to the server (head and body chunks). */
  writes: number;
  /** Response pieces the client connection had to hold (past its high-water mark, or behind a pipelined response). */
  bufferedWrites: number;
  /** The client could not take more (the server was paused). */
  highWaterEvents: number;
  /** The client drained (the server was resumed). */
  lowWaterEvents: number;
  bytesSent: number;
  bytesReceived: number;
}

/** An upstream context as a shared store keeps it (JSON). Cookie values are in it: it never leaves the store. */
export interface ContextRecord {
  scope: ReuseScope;
  owner: string;
  service: string;
  server: string;
  user: string | null;
  state: ContextState;
  jar: unknown;
  stats: ContextStats;
  createdAt: number;
  lastUsed: number;
  lastLoginAt: number;
  lastError: string | null;
}

/**
 * Where service-scope contexts are shared by several gateways (the Redis store): the record of a context,
 * and a lock so that one instance logs in while the others wait and adopt its session.
 */
export interface SharedContexts {
  load(service: string, key: string): Promise<ContextRecord | null>;
  save(service: string, key: string, record: ContextRecord): Promise<void>;
  /** A lock token, or null when another instance holds the lock. */
  lock(service: string, key: string, ttlMs: number): Promise<string | null>;
  unlock(service: string, key: string, token: string): Promise<void>;
}

export interface LoginBackoff {
  initial: number;
  max: number;
}

export class UpstreamContext {
  readonly server: Server;
  readonly scope: ReuseScope;
  /** The Session (public id) or Service (name) this context belongs to. */
  readonly owner: string;
  readonly service: string;
  /** The client user whose credentials this context uses (credentials `client`), or null. */
  readonly user: string | null;
  readonly jar: UpstreamJar;
  createdAt = Date.now();
  lastUsed = Date.now();
  lastLoginAt = 0;
  lastError: string | null = null;
  readonly stats: ContextStats = {
    requests: 0, logins: 0, relogins: 0, loginFailures: 0, reads: 0, writes: 0,
    bufferedWrites: 0, highWaterEvents: 0, lowWaterEvents: 0, bytesSent: 0, bytesReceived: 0,
  };
  #state: ContextState = 'new';
  #login: Promise<void> | null = null;
  #failures = 0;
  #retryAt = 0;

  constructor(server: Server, scope: ReuseScope, owner: string, service: string, user: string | null, jar = new UpstreamJar()) {
    this.server = server;
    this.scope = scope;
    this.owner = owner;
    this.service = service;
    this.user = user;
    this.jar = jar;
  }

  toRecord(): ContextRecord {
    return {
      scope: this.scope,
      owner: this.owner,
      service: this.service,
      server: this.server.name,
      user: this.user,
      // A login in progress elsewhere is not a state to share: the next user logs in again.
      state: this.#state === 'logging in' ? 'new' : this.#state,
      jar: this.jar.toJSON(),
      stats: { ...this.stats },
      createdAt: this.createdAt,
      lastUsed: this.lastUsed,
      lastLoginAt: this.lastLoginAt,
      lastError: this.lastError,
    };
  }

  /** Takes over a session another instance logged in (its cookies and login state). */
  adopt(r: ContextRecord): void {
    this.jar.replaceWith(r.jar);
    this.#state = r.state;
    this.lastLoginAt = r.lastLoginAt;
    this.lastError = null;
  }

  static fromRecord(r: ContextRecord, server: Server): UpstreamContext {
    const c = new UpstreamContext(server, r.scope, r.owner, r.service, r.user, new UpstreamJar(r.jar));
    c.#state = r.state;
    Object.assign(c.stats, r.stats);
    c.createdAt = r.createdAt;
    c.lastUsed = r.lastUsed;
    c.lastLoginAt = r.lastLoginAt;
    c.lastError = r.lastError;
    return c;
  }

  get state(): ContextState {
    return this.#state;
  }

  /** The URL cookies are scoped against. */
  url(path: string): string {
    return this.server.origin + path;
  }

  /**
   * Logs in when needed, once: concurrent callers share the login in progress. After a failure the next
   * attempt waits for the back-off (doubling up to `backoff.max`); meanwhile callers get SG_ERR_LOGIN_BACKOFF.
   */
  ensureLoggedIn(login: (ctx: UpstreamContext) => Promise<void | 'adopted'>, backoff: LoginBackoff): Promise<void> | null {
    if (this.#state === 'authenticated') return null;
    if (this.#login !== null) return this.#login;
    if (this.#state === 'failed' && Date.now() < this.#retryAt) {
      return Promise.reject(new GatewayError('SG_ERR_LOGIN_BACKOFF'));
    }
    const again = this.stats.logins > 0;
    this.#state = 'logging in';
    this.#login = login(this).then(
      (how) => {
        this.#state = 'authenticated';
        this.#failures = 0;
        this.lastError = null;
        if (how === 'adopted') return; // another gateway instance logged in; this one took its session over
        this.lastLoginAt = Date.now();
        this.stats.logins++;
        this.server.counters.logins++;
        if (again) this.stats.relogins++;
      },
      (err: unknown) => {
        this.#state = 'failed';
        this.#failures++;
        this.stats.loginFailures++;
        this.server.counters.loginFailures++;
        this.#retryAt = Date.now() + Math.min(backoff.max, backoff.initial * 2 ** (this.#failures - 1));
        this.lastError = err instanceof GatewayError ? err.message : String((err as Error)?.message ?? err);
        throw err instanceof GatewayError ? err : new GatewayError('SG_ERR_LOGIN_FAILED', undefined, { cause: err });
      },
    );
    const p = this.#login;
    void p.finally(() => {
      if (this.#login === p) this.#login = null;
    }).catch(() => {});
    return p;
  }

  /** The server said the session is gone: the next request logs in again with a clean jar. */
  markExpired(): void {
    if (this.#state === 'authenticated' || this.#state === 'new') {
      this.#state = 'expired';
      this.jar.clear();
    }
  }

  /** For contexts without a login step: the server's cookies are all there is. */
  markAuthenticated(): void {
    if (this.#state === 'new' || this.#state === 'expired') this.#state = 'authenticated';
  }
}
