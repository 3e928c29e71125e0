/**
 * Builds a running gateway from a frozen config: servers, services, listeners and their handlers.
 * Wires modules together; holds no request logic of its own.
 */
import { AdminServer, routeTable } from './admin/index.js';
import { exchangeSummary, type ExchangeSummaryJson, type GatewayJson } from './admin/serialize.js';
import type { GatewayConfig, LoadedConfig } from './config/index.js';
import { Listener } from './listener/index.js';
import { EventBus } from './events.js';
import { ExchangeLog } from './exchange/exchange-log.js';
import { silentLogger, type Logger } from './log.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { createProxyHandlerFactory } from './proxy/proxy-handler.js';
import { Service, ServiceTable } from './service/index.js';
import { SessionTable } from './session/index.js';
import { MemoryStore } from './store/memory-store.js';
import { RedisStore } from './store/redis-store.js';
import type { SessionStore } from './store/store.js';
import { Authenticator } from './upstream/auth.js';
import { UpstreamPolicy } from './upstream/reuse.js';
import { Server } from './upstream/server.js';
import { VERSION } from './version.js';

export interface GatewayOptions {
  logger?: Logger;
}

export class Gateway {
  readonly config: GatewayConfig;
  readonly source: string;
  readonly logger: Logger;
  readonly servers: ReadonlyMap<string, Server>;
  readonly services: readonly Service[];
  readonly listeners: readonly Listener[];
  readonly events = new EventBus();
  readonly sessions: SessionTable;
  readonly log: ExchangeLog;
  readonly metrics: GatewayMetrics | null;
  readonly admin: AdminServer | null;
  readonly startedAt = Date.now();
  #stopping: Promise<void> | null = null;

  private constructor(loaded: LoadedConfig, options: GatewayOptions, authenticators: readonly Authenticator[]) {
    const config = loaded.config;
    this.config = config;
    this.source = loaded.source;
    this.logger = options.logger ?? silentLogger();

    const servers = new Map<string, Server>();
    for (const s of config.servers) {
      // One pool per server: its connect timeout is the longest any of its services allows.
      const connectTimeout = Math.max(
        1,
        ...config.services.filter((svc) => svc.servers.includes(s.name)).map((svc) => svc.upstream.timeouts.connect),
      );
      servers.set(
        s.name,
        new Server({
          name: s.name,
          url: s.url,
          maxConnections: s.maxConnections,
          weight: s.weight,
          downInterval: s.downInterval,
          connectTimeout,
          onStateChange: (server, state, reason) =>
            state === 'down'
              ? this.logger.warn({ server: server.name, url: server.url, error: reason, retry_after_ms: s.downInterval }, 'server down: a connection to it failed')
              : this.logger.info({ server: server.name, url: server.url }, 'server up again'),
        }),
      );
    }
    this.servers = servers;
    const store: SessionStore =
      config.store.type === 'redis' ? new RedisStore({ config: config.store, servers, logger: this.logger }) : new MemoryStore();
    const cluster = store instanceof RedisStore ? store : null;
    this.services = config.services.map(
      (svc, i) => new Service(svc, svc.servers.map((n) => servers.get(n)!), new UpstreamPolicy(svc.name, svc.upstream, authenticators[i]!, cluster)),
    );
    this.sessions = new SessionTable(store, this.events);
    if (store instanceof RedisStore && config.store.type === 'redis' && config.store.stream.enabled) this.#publishExchanges(store, config.store.stream.maxLen);
    const xl = config.exchangeLog;
    this.log = new ExchangeLog({
      enabled: xl.enabled,
      maxEntries: xl.maxEntries,
      maxBodyBytes: xl.maxBodyBytes,
      maxTotalBodyBytes: xl.maxTotalBodyBytes,
      redactHeaders: xl.redactHeaders,
      thresholdPercent: xl.dataLoss.thresholdPercent,
      lossStatuses: xl.dataLoss.statuses,
      subscriberQueue: xl.subscriberQueue,
    });
    // The metrics need the listeners, which need the metrics: the listeners read them through `this`.
    let metrics: GatewayMetrics | null = null;
    this.listeners = config.listeners.map((l) => {
      const table = new ServiceTable(this.services.filter((s) => s.listener === l.name));
      const factory = createProxyHandlerFactory({
        services: table,
        denyMethods: new Set(l.denyMethods),
        sessions: this.sessions,
        log: this.log,
        get metrics() {
          return metrics;
        },
        logger: this.logger,
        accessLog: config.logging.accessLog,
        listener: l.name,
      });
      return new Listener({ name: l.name, listen: l.listen, tls: l.tls, maxConnections: l.maxConnections, limits: l.limits, timeouts: l.timeouts }, factory);
    });
    metrics = config.admin.enabled
      ? new GatewayMetrics({ services: this.services, servers: this.servers, listeners: this.listeners, sessions: this.sessions, log: this.log })
      : null;
    this.metrics = metrics;
    this.admin = config.admin.enabled ? new AdminServer(config.admin, routeTable({
          sessions: this.sessions,
          services: this.services,
          servers: this.servers,
          listeners: this.listeners,
          log: this.log,
          gatewayInfo: () => this.info(),
          clusterExchanges: store instanceof RedisStore && config.store.type === 'redis' && config.store.stream.enabled
            ? async (count) => (await store.readExchanges(count)).map((r) => ({ ...(JSON.parse(r.json) as ExchangeSummaryJson), instance: r.instance }))
            : null,
          metrics: metrics!,
          originOf: (name) => (name !== null ? (servers.get(name)?.origin ?? 'http://unknown') : 'http://gateway.invalid'),
        }), this.logger) : null;
  }

  /** Starts every listener; resolves when all are bound. */
  static async start(loaded: LoadedConfig, options: GatewayOptions = {}): Promise<Gateway> {
    // Custom login modules are imported now: a missing one stops the start, not a request.
    const authenticators = await Promise.all(loaded.config.services.map((s) => Authenticator.create(s.upstream.auth)));
    const gw = new Gateway(loaded, options, authenticators);
    try {
      const store = gw.sessions.store;
      if (store instanceof RedisStore && !(await store.waitReady(loaded.config.store.type === 'redis' ? loaded.config.store.commandTimeout : 0))) {
        gw.logger.warn('the Redis store is not reachable yet: requests that need session state get 503 until it is');
      }
      for (const l of gw.listeners) {
        const addr = await l.listen();
        gw.logger.info({ listener: l.name, url: l.url, host: addr.host, port: addr.port }, 'listener started');
      }
      if (gw.admin) {
        await gw.admin.listen();
        gw.logger.info({ url: gw.admin.url }, 'admin server started');
      }
    } catch (err) {
      await gw.stop(0);
      throw err;
    }
    return gw;
  }

  /** Every exchange this instance records also goes to the cluster's stream (best effort: dropped while Redis is away). */
  #publishExchanges(store: RedisStore, maxLen: number): void {
    queueMicrotask(() =>
      this.log.subscribe((events) => {
        for (const e of events) {
          if (e.type === 'exchange:recorded') store.appendExchange(JSON.stringify(exchangeSummary(e.exchange)), maxLen).catch(() => {});
        }
        return true;
      }),
    );
  }

  /** What `GET /v1/gateway` shows. */
  async info(): Promise<GatewayJson> {
    const sessions = await this.sessions.count().catch(() => -1);
    return {
      name: 'sessiongate',
      version: VERSION,
      node: process.version,
      pid: process.pid,
      started: new Date(this.startedAt).toISOString(),
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
      config: this.source,
      store: { type: this.sessions.store.kind, ready: this.sessions.store.ready, sessions },
      instance: this.sessions.store instanceof RedisStore ? this.sessions.store.instance : null,
      exchange_log: { enabled: this.log.enabled, entries: this.log.size },
    };
  }

  listener(name: string): Listener | undefined {
    return this.listeners.find((l) => l.name === name);
  }

  /**
   * Graceful stop: stop accepting, finish in-flight requests (with `Connection: close`), close idle
   * connections at once, destroy what remains after `deadlineMs`, then close upstream pools.
   */
  stop(deadlineMs = 10_000): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.listeners.map((l) => l.close(deadlineMs)), this.admin?.close()]);
      await Promise.all([...this.servers.values()].map((s) => s.destroy()));
      await this.sessions.close();
    })();
    return this.#stopping;
  }
}
