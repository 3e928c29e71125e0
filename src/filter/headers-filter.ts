/** The `headers` filter: sets and removes request and response header fields. */
import type { HeadersFilterConfig } from '../config/filter.js';
import { removeHeader, setHeader, type Filter, type FilterContext } from './filter.js';

export class HeadersFilter implements Filter {
  readonly type = 'headers';
  readonly name: string;
  readonly #config: HeadersFilterConfig;
  readonly #changesResponse: boolean;

  constructor(name: string, config: HeadersFilterConfig) {
    this.name = name;
    this.#config = config;
    this.#changesResponse = Object.keys(config.response.set).length > 0 || config.response.remove.length > 0;
  }

  async handle(ctx: FilterContext, next: () => Promise<void>): Promise<void> {
    const { request, response } = this.#config;
    for (const name of request.remove) removeHeader(ctx.headers, name);
    for (const [name, value] of Object.entries(request.set)) {
      // Host stays the last pair (the upstream leg replaces it there); set fields go before it.
      setHeader(ctx.headers, name, value);
    }
    if (this.#changesResponse) {
      ctx.onResponseHead((headers) => {
        for (const name of response.remove) removeHeader(headers, name);
        for (const [name, value] of Object.entries(response.set)) setHeader(headers, name, value);
        return headers;
      });
    }
    await next();
  }
}
