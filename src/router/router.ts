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
 * Servers a router may choose from: those up (minus `exclude`); when none is up, the ones whose down time
 * ends first, so that a service whose servers all failed recently still tries one rather than failing fast.
 */
export function candidates(servers: readonly Server[], exclude: Server | null): Server[] {
  const up = servers.filter((s) => s.available && s !== exclude);
  if (up.length > 0) return up;
  const rest = servers.filter((s) => s.state !== 'draining' && s !== exclude);
  if (rest.length === 0) return exclude && exclude.state !== 'draining' ? [exclude] : [];
  const soonest = Math.min(...rest.map((s) => s.downUntil));
  return rest.filter((s) => s.downUntil === soonest);
}
