/** Smooth weighted round-robin (as nginx does it): even spread, weights respected, no bursts. */
import type { Server } from '../upstream/server.js';
import { candidates, type Router, type RoutingContext } from './router.js';

export class RoundRobinRouter implements Router {
  readonly kind = 'round-robin' as const;
  readonly #servers: readonly Server[];
  readonly #current: Map<Server, number>;

  constructor(servers: readonly Server[]) {
    this.#servers = servers;
    this.#current = new Map(servers.map((s) => [s, 0]));
  }

  pick(ctx: RoutingContext): Server | null {
    const all = this.#servers;
    if (all.length === 1) {
      const only = all[0]!;
      return only.available ? only : (candidates(all, ctx.exclude)[0] ?? null);
    }
    const usable = all.every((s) => s.available) && ctx.exclude === null ? all : candidates(all, ctx.exclude);
    let best: Server | null = null;
    let bestWeight = -Infinity;
    let total = 0;
    for (const s of usable) {
      const w = this.#current.get(s)! + s.weight;
      this.#current.set(s, w);
      total += s.weight;
      if (w > bestWeight) {
        bestWeight = w;
        best = s;
      }
    }
    if (best !== null) this.#current.set(best, bestWeight - total);
    return best;
  }
}
