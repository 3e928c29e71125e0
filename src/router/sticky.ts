/**
 * Sticky: a Session stays on the server it was first routed to (its router session) and moves only when
 * that server is down or draining; a new home is picked round-robin. Requests without a session are
 * spread round-robin.
 */
import type { Server } from '../upstream/server.js';
import { RoundRobinRouter } from './round-robin.js';
import type { Router, RoutingContext } from './router.js';

export class StickyRouter implements Router {
  readonly kind = 'sticky' as const;
  readonly #fallback: RoundRobinRouter;

  constructor(servers: readonly Server[]) {
    this.#fallback = new RoundRobinRouter(servers);
  }

  pick(ctx: RoutingContext): Server | null {
    const rs = ctx.routerSession;
    const home = rs?.server ?? null;
    if (home !== null && home.available && home !== ctx.exclude) return home;
    const server = this.#fallback.pick(ctx);
    if (rs && server) rs.server = server;
    return server;
  }
}
