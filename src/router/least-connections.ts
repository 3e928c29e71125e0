/** Least-connections: the server with the fewest requests in progress relative to its weight; ties rotate. */
import type { Server } from '../upstream/server.js';
import { candidates, type Router, type RoutingContext } from './router.js';

export class LeastConnectionsRouter implements Router {
  readonly kind = 'least-connections' as const;
  readonly #servers: readonly Server[];
  #start = 0;

  constructor(servers: readonly Server[]) {
    this.#servers = servers;
  }

  pick(ctx: RoutingContext): Server | null {
    const usable = candidates(this.#servers, ctx.exclude);
    const n = usable.length;
    if (n === 0) return null;
    this.#start = (this.#start + 1) % n;
    let best: Server | null = null;
    let bestLoad = Infinity;
    for (let i = 0; i < n; i++) {
      const s = usable[(this.#start + i) % n]!;
      const load = s.active / s.weight;
      if (load < bestLoad) {
        bestLoad = load;
        best = s;
      }
    }
    return best;
  }
}
