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
import { UpstreamContext } from './upstream-context.js';

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

  constructor(service: string, config: UpstreamConfig, auth: Authenticator) {
    this.service = service;
    this.config = config;
    this.auth = auth;
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
