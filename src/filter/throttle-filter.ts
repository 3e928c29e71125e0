/**
 * The `throttle` filter: caps the request rate of each Session with a token bucket kept in the session
 * (its filter session). Requests over the rate get 429 with Retry-After. Requests without a session share
 * one bucket per filter.
 */
import type { ThrottleFilterConfig } from '../config/filter.js';
import { GatewayError } from '../errors.js';
import type { Filter, FilterContext } from './filter.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class ThrottleFilter implements Filter {
  readonly type = 'throttle';
  readonly name: string;
  readonly #perMs: number;
  readonly #burst: number;
  readonly #ratePerMs: number;
  readonly #shared: Bucket;

  constructor(name: string, config: ThrottleFilterConfig) {
    this.name = name;
    this.#perMs = config.per;
    this.#burst = config.burst ?? Math.max(1, Math.floor(config.rate));
    this.#ratePerMs = config.rate / config.per;
    this.#shared = { tokens: this.#burst, updatedAt: Date.now() };
  }

  async handle(ctx: FilterContext, next: () => Promise<void>): Promise<void> {
    const bucket = ctx.session ? ctx.session.filterState(this.name, () => ({ tokens: this.#burst, updatedAt: Date.now() })) : this.#shared;
    const now = Date.now();
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.updatedAt) * this.#ratePerMs);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) throw new GatewayError('SG_ERR_THROTTLED', `more than the allowed rate per ${this.#perMs} ms`);
    bucket.tokens -= 1;
    await next();
  }
}
