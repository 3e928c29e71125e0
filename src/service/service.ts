/** Service: a route (listener, host, path prefix) with its servers, router and policies, resolved once at start-up. */
import type { ServiceConfig } from '../config/index.js';
import { createFilter, type Filter } from '../filter/index.js';
import { createRouter, type Router } from '../router/index.js';
import type { UpstreamPolicy } from '../upstream/reuse.js';
import type { Server } from '../upstream/server.js';

export interface ServiceCounters {
  requests: number;
  /** Requests the gateway answered with an error of its own (no service response). */
  gatewayErrors: number;
  /** Responses with status 4xx/5xx, from servers or the gateway. */
  errorResponses: number;
}

export class Service {
  readonly name: string;
  readonly listener: string;
  readonly pathPrefix: string;
  /** Lower-case host, without a leading `*.` for wildcards; null when any host matches. */
  readonly host: string | null;
  readonly hostWildcard: boolean;
  readonly stripPrefix: boolean;
  readonly servers: readonly Server[];
  readonly router: Router;
  readonly filters: readonly Filter[];
  /** Upstream re-use scope, authentication and expiry rules. */
  readonly upstream: UpstreamPolicy;
  readonly config: ServiceConfig;
  readonly counters: ServiceCounters = { requests: 0, gatewayErrors: 0, errorResponses: 0 };
  readonly #prefix: string;

  constructor(config: ServiceConfig, servers: readonly Server[], upstream: UpstreamPolicy) {
    this.config = config;
    this.upstream = upstream;
    this.name = config.name;
    this.listener = config.listener;
    this.pathPrefix = config.match.pathPrefix;
    const host = config.match.host?.toLowerCase() ?? null;
    this.hostWildcard = host !== null && host.startsWith('*.');
    this.host = this.hostWildcard ? host!.slice(1) : host; // keeps the dot: ".example.com"
    this.stripPrefix = config.stripPrefix;
    this.servers = servers;
    this.router = createRouter(config.router, servers);
    this.filters = config.filters.map((f, i) => createFilter(f, i));
    this.#prefix = this.pathPrefix.endsWith('/') ? this.pathPrefix.slice(0, -1) : this.pathPrefix;
  }

  /** Does a (normalized) path belong to this service? The prefix matches whole segments only. */
  matchesPath(path: string): boolean {
    const p = this.#prefix;
    if (p === '') return true;
    if (!path.startsWith(p)) return false;
    return path.length === p.length || path[p.length] === '/';
  }

  matchesHost(host: string): boolean {
    if (this.host === null) return true;
    return this.hostWildcard ? host.endsWith(this.host) && host.length > this.host.length : host === this.host;
  }

  /** The path to request from a server: prefix stripped when configured (the server adds its base path). */
  upstreamPath(path: string, query: string): string {
    let p = path;
    if (this.stripPrefix && this.#prefix !== '') p = path.slice(this.#prefix.length) || '/';
    return query ? p + query : p;
  }

  /** Ordering for matching: host-specific services first, then longer prefixes. */
  get specificity(): number {
    return (this.host === null ? 0 : this.hostWildcard ? 1_000_000 : 2_000_000) + this.#prefix.length;
  }
}
