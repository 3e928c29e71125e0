/**
 * Upstream session re-use of one service (SAP Cloud Integration's three scopes): which upstream context a
 * request uses, and the authentication and expiry rules that go with it.
 * - `none`: no state between requests (a fresh context per request when a login is needed);
 * - `session`: one context per client Session and Server ("On Exchange");
 * - `service`: one context per Service and Server, shared by every client ("On Integration Flow").
 * With per-client credentials, contexts are also kept apart per user, so users never share a backend session.
 */
import type { UpstreamConfig } from '../config/upstream.js';
import type { Session } from '../session/session.js';
import type { Authenticator } from './auth.js';
import type { ExpiryPolicy } from './context-handler.js';
import type { ClientCredentials } from './credentials.js';
import type { Server } from './server.js';
import { UpstreamContext, type SharedContexts } from './upstream-context.js';

const SHARED_LOGIN_LOCK_MS = 30_000;
const SHARED_LOGIN_POLL_MS = 50;

/** The expiry rules of an upstream config. */
export function expiryPolicy(config: Pick<UpstreamConfig, 'expiredStatuses' | 'expiredRedirect' | 'expiredMatch' | 'auth'>): ExpiryPolicy {
  const m = config.expiredMatch;
  return {
    statuses: new Set(config.expiredStatuses),
    loginPath: config.expiredRedirect && config.auth.type === 'login' ? config.auth.path.split('?')[0]! : null,
    header: m.header ? { name: m.header.name.toLowerCase(), match: new RegExp(m.header.match) } : null,
    body: m.body !== undefined ? new RegExp(m.body) : null,
  };
}

export class UpstreamPolicy {
  readonly service: string;
  readonly config: UpstreamConfig;
  readonly auth: Authenticator;
  readonly expiry: ExpiryPolicy;
  readonly #shared = new Map<string, UpstreamContext>();
  /** Several gateways share service-scope contexts through this (the Redis store), or null. */
  readonly #cluster: SharedContexts | null;

  constructor(service: string, config: UpstreamConfig, auth: Authenticator, cluster: SharedContexts | null = null) {
    this.service = service;
    this.config = config;
    this.auth = auth;
    this.#cluster = cluster;
    this.expiry = expiryPolicy(config);
  }

  /** Requests of this service go through upstream contexts (cookies kept, or a login needed). */
  get usesContexts(): boolean {
    return this.config.reuse !== 'none' || this.auth.needsLogin;
  }

  /** The context a request uses with `server`, or null when the service keeps none. */
  contextFor(server: Server, session: Session | null, creds: ClientCredentials): UpstreamContext | null {
    if (!this.usesContexts) return null;
    const user = this.auth.identity(creds);
    const key = user === null ? server.name : `${server.name}\u0000${user}`;
    const scope = this.config.reuse;
    if (scope === 'service') return this.#get(this.#shared, key, server, 'service', this.service, user);
    if (scope === 'session' && session !== null) {
      const own = (session.upstream ??= new Map());
      return this.#get(own, key, server, 'session', session.id, user);
    }
    // reuse none (or session scope for a request without a session): this request only.
    return new UpstreamContext(server, 'none', '-', this.service, user);
  }

  /**
   * Runs `login` for a context, once across the cluster for service-scope contexts: one instance logs in
   * (under a lock) and saves the result; the others wait and adopt it instead of logging in themselves.
   */
  async loginOnce(context: UpstreamContext, login: () => Promise<void>): Promise<void | 'adopted'> {
    const cluster = this.#cluster;
    if (cluster === null || context.scope !== 'service') return login();
    const key = context.user === null ? context.server.name : `${context.server.name}\u0000${context.user}`;
    const deadline = Date.now() + SHARED_LOGIN_LOCK_MS;
    const adopted = async (): Promise<boolean> => {
      const rec = await cluster.load(this.service, key);
      if (rec === null || rec.state !== 'authenticated' || rec.lastLoginAt <= context.lastLoginAt) return false;
      context.adopt(rec);
      return true;
    };
    for (;;) {
      if (await adopted()) return 'adopted';
      const token = await cluster.lock(this.service, key, SHARED_LOGIN_LOCK_MS);
      if (token !== null) {
        try {
          // Checked again under the lock: another instance may have logged in, saved and unlocked between
          // the first look and the lock (two logins would follow, the second replacing the first's session).
          if (await adopted()) return 'adopted';
          await login();
          await cluster.save(this.service, key, { ...context.toRecord(), state: 'authenticated', lastLoginAt: Date.now() });
        } finally {
          await cluster.unlock(this.service, key, token);
        }
        return;
      }
      if (Date.now() > deadline) throw new Error('another gateway instance is still logging in');
      await new Promise((r) => setTimeout(r, SHARED_LOGIN_POLL_MS));
    }
  }

  /** The service-scope contexts (for the admin API). */
  get shared(): UpstreamContext[] {
    return [...this.#shared.values()];
  }

  #get(map: Map<string, UpstreamContext>, key: string, server: Server, scope: 'session' | 'service', owner: string, user: string | null): UpstreamContext {
    let c = map.get(key);
    if (c === undefined) map.set(key, (c = new UpstreamContext(server, scope, owner, this.service, user)));
    return c;
  }
}
