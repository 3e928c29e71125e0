/** Router: picks a Server for a request. Each kind keeps its own state; a Session may carry a router session. */
import type { Server } from '../upstream/server.js';

export type RouterKind = 'round-robin' | 'least-connections' | 'sticky';

/** The per-Session state a router keeps (MaxScale's router session): the sticky server. */
export interface RouterSession {
  server: Server | null;
}

export interface RoutingContext {
  /** The router session of the request's Session, or null without sessions. */
  routerSession: RouterSession | null;
  /** A server that already failed for this request: avoided when another one can serve. */
  exclude: Server | null;
}

export interface Router {
  readonly kind: RouterKind;
  /** A server for the request, or null when the service has none it can use. */
  pick(ctx: RoutingContext): Server | null;
}

/**
 * Servers a router may choose from: those up (minus `exclude`). When none is up, a down server still gets
 * one request at a time, as a probe (the one whose down time ends first, among those with no request in
 * progress), so a recovered server is noticed at once; the other requests get none and fail fast with 503
 * rather than each paying for a failed connection while the backend is away.
 */
export function candidates(servers: readonly Server[], exclude: Server | null): Server[] {
  const up = servers.filter((s) => s.available && s !== exclude);
  if (up.length > 0) return up;
  const rest = servers.filter((s) => s.state !== 'draining' && s !== exclude);
  if (rest.length === 0) return exclude && exclude.state !== 'draining' ? [exclude] : [];
  const idle = rest.filter((s) => s.active === 0);
  if (idle.length === 0) return [];
  const soonest = Math.min(...idle.map((s) => s.downUntil));
  return idle.filter((s) => s.downUntil === soonest);
}
