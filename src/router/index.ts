import type { Server } from '../upstream/server.js';
import { LeastConnectionsRouter } from './least-connections.js';
import { RoundRobinRouter } from './round-robin.js';
import { StickyRouter } from './sticky.js';
import type { Router, RouterKind } from './router.js';

export type { Router, RouterKind, RouterSession, RoutingContext } from './router.js';
export { candidates } from './router.js';
export { RoundRobinRouter } from './round-robin.js';
export { LeastConnectionsRouter } from './least-connections.js';
export { StickyRouter } from './sticky.js';

export function createRouter(kind: RouterKind, servers: readonly Server[]): Router {
  switch (kind) {
    case 'round-robin':
      return new RoundRobinRouter(servers);
    case 'least-connections':
      return new LeastConnectionsRouter(servers);
    case 'sticky':
      return new StickyRouter(servers);
  }
}
