/**
 * Admin JSON: the one place where the gateway's objects become snake_case public JSON (besides the config
 * loader). Links are `/services/NAME`, `/servers/NAME`. Secrets (tokens, cookie values) never appear.
 */
import { z } from 'zod';
import { bodyPreview, bodyView } from '../exchange/body-text.js';
import { wallClock, type Exchange } from '../exchange/exchange.js';
import type { DataLoss, ExchangeLog } from '../exchange/exchange-log.js';
import type { Connection, Listener } from '../listener/index.js';
import type { Service } from '../service/index.js';
import type { Server } from '../upstream/server.js';
import type { Session } from '../session/index.js';
import type { UpstreamContext } from '../upstream/upstream-context.js';

export const SessionJsonSchema = z.object({
  id: z.string().describe('Public id (never the secret token).'),
  state: z.string().describe('MaxScale-style state: "Session started", "Session ready for routing", "Session routing request", "Stopping session".'),
  user: z.string().nullable(),
  address: z.string().describe('Client address that started the session.'),
  service: z.string().describe('Link: /services/NAME.'),
  connected: z.string().describe('When the session started (ISO 8601).'),
  idle: z.number().describe('Seconds since the last request ended (0 while busy).'),
  mode: z.enum(['cookie', 'param', 'connection']),
  requests: z.number(),
  queued: z.number().describe('Requests waiting in the session queue.'),
  errors: z.number().describe('Requests answered with a status >= 400 or a gateway error.'),
  bytes_in: z.number(),
  bytes_out: z.number(),
  server: z.string().nullable().describe('Sticky server (router session): /servers/NAME.'),
  router: z.string(),
  filters: z.array(z.string()),
  expires: z.string().describe('When the session expires if nothing happens (ISO 8601).'),
});
export type SessionJson = z.infer<typeof SessionJsonSchema>;

export function sessionJson(s: Session, service: Service | null, now: number): SessionJson {
  return {
    id: s.id,
    state: s.state,
    user: s.user,
    address: s.address,
    service: `/services/${s.service}`,
    connected: new Date(s.createdAt).toISOString(),
    idle: s.busy ? 0 : Math.max(0, Math.floor((now - s.lastActivity) / 1000)),
    mode: s.mode,
    requests: s.requests,
    queued: s.queued,
    errors: s.errors,
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    server: s.server ? `/servers/${s.server.name}` : null,
    router: service?.router.kind ?? 'unknown',
    filters: service ? service.filters.map((f) => f.name) : [],
    expires: new Date(s.deadline).toISOString(),
  };
}

// ------------------------------------------------------------------------------------------ exchanges

const BodySchema = z.object({ text: z.string(), encoding: z.enum(['utf8', 'base64']) }).nullable();

export const ExchangeSummarySchema = z.object({
  id: z.number().describe('Unique and increasing, in the order requests were sent.'),
  kind: z.enum(['request', 'login']),
  session: z.string().nullable().describe('Public id of the client session.'),
  connection: z.number().nullable().describe('Client connection id.'),
  service: z.string().nullable(),
  server: z.string().nullable(),
  method: z.string(),
  uri: z.string().describe('Path and query as the server received them.'),
  request_time: z.string().describe('When the request was sent (ISO 8601, ms precision).'),
  request_data: z.string().nullable().describe('Preview of the kept request body: its first 200 characters on one line (whitespace runs as one space, … when cut), or "(binary, N bytes)" when its start is not text; null when none is kept.'),
  request_body_size: z.number(),
  status: z.number().nullable(),
  reason: z.string().nullable().describe('The reason phrase of the status line.'),
  response_data: z.string().nullable().describe('Preview of the kept response body, as request_data.'),
  response_body_size: z.number(),
  response_time: z.string().nullable().describe('When the response ended (or the exchange failed).'),
  timespan_ms: z.number().nullable().describe('Server time: request at the socket to end of response.'),
  ttfb_ms: z.number().nullable().describe('Request at the socket to response head.'),
  queue_ms: z.number().describe('Time waiting in the session queue.'),
  retry_of: z
    .number()
    .nullable()
    .describe('The exchange this one sends again for the same client request: a retry after a failure before any response, or a replay after a re-login.'),
  error: z.string().nullable().describe('Failure code: ECONNREFUSED, timeout, reset, incomplete, client_aborted, cancelled, ...'),
  error_code: z.string().nullable().describe('The gateway error code (SG_ERR_...).'),
  lost: z.boolean().describe('Counts as data loss.'),
});
export type ExchangeSummaryJson = z.infer<typeof ExchangeSummarySchema>;

export const ExchangeDetailSchema = ExchangeSummarySchema.extend({
  request_headers: z.array(z.tuple([z.string(), z.string()])),
  request_body: BodySchema,
  request_body_truncated: z.boolean(),
  response_headers: z.array(z.tuple([z.string(), z.string()])).nullable(),
  response_body: BodySchema,
  response_body_truncated: z.boolean(),
  bodies_evicted: z.boolean().describe('The log\'s body ceiling dropped this row\'s bodies.'),
  bodies_withheld: z.boolean().describe('Login exchanges: bodies are never kept (credentials, tokens), only their sizes.'),
});
export type ExchangeDetailJson = z.infer<typeof ExchangeDetailSchema>;

const ms = (n: number | null): number | null => (n === null ? null : Math.round(n * 1000) / 1000);
const iso = (perf: number): string => new Date(wallClock(perf)).toISOString();
const tuples = (h: readonly string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < h.length; i += 2) out.push([h[i]!, h[i + 1]!]);
  return out;
};

export function exchangeSummary(ex: Exchange): ExchangeSummaryJson {
  return {
    id: ex.id,
    kind: ex.kind,
    session: ex.session,
    connection: ex.connection,
    service: ex.service,
    server: ex.server,
    method: ex.method,
    uri: ex.uri,
    request_time: iso(ex.requestStart),
    request_data: bodyPreview((n) => ex.requestBodyStart(n), ex.requestBodyKept),
    request_body_size: ex.requestBodySize,
    status: ex.status,
    reason: ex.reason,
    response_data: bodyPreview((n) => ex.responseBodyStart(n), ex.responseBodyKept),
    response_body_size: ex.responseBodySize,
    response_time: ex.responseEnd > 0 ? iso(ex.responseEnd) : null,
    timespan_ms: ms(ex.timespanMs),
    ttfb_ms: ms(ex.ttfbMs),
    queue_ms: ms(ex.queueMs)!,
    retry_of: ex.retryOf,
    error: ex.error,
    error_code: ex.errorCode,
    lost: ex.lossy,
  };
}

export function exchangeDetail(ex: Exchange): ExchangeDetailJson {
  return {
    ...exchangeSummary(ex),
    request_headers: tuples(ex.requestHeaders),
    request_body: bodyView(ex.requestBody),
    request_body_truncated: ex.requestBodyTruncated,
    response_headers: ex.responseHeaders ? tuples(ex.responseHeaders) : null,
    response_body: bodyView(ex.responseBody),
    response_body_truncated: ex.responseBodyTruncated,
    bodies_evicted: ex.bodiesEvicted,
    bodies_withheld: ex.bodiesWithheld,
  };
}

export const DataLossSchema = z.object({
  data_loss_percent: z.number(),
  data_loss_state: z.enum(['ok', 'error']),
  data_loss_changed: z.string().describe('When the state last changed (ISO 8601).'),
  exchanges: z.number(),
  lost: z.number(),
});
export type DataLossJson = z.infer<typeof DataLossSchema>;

/** The `data-loss` event of `GET /v1/exchanges/stream`: one scope's data loss changed state. */
export const DataLossEventSchema = DataLossSchema.extend({
  scope: z.enum(['all', 'server', 'service']),
  name: z.string().nullable().describe('The server or service; null for scope "all".'),
});
export type DataLossEventJson = z.infer<typeof DataLossEventSchema>;

export function dataLossJson(d: DataLoss): DataLossJson {
  return { data_loss_percent: d.percent, data_loss_state: d.state, data_loss_changed: new Date(d.changedAt).toISOString(), exchanges: d.total, lost: d.lost };
}

export const ExchangeLogStateSchema = DataLossSchema.extend({
  enabled: z.boolean(),
  max_entries: z.number(),
  entries: z.number(),
  threshold_percent: z.number(),
  max_body_bytes: z.number(),
  kept_body_bytes: z.number(),
  max_total_body_bytes: z.number(),
  recorded: z.number().describe('Exchanges recorded since start, including those no longer in the table.'),
});
export type ExchangeLogStateJson = z.infer<typeof ExchangeLogStateSchema>;

export function exchangeLogState(log: ExchangeLog): ExchangeLogStateJson {
  return {
    enabled: log.enabled,
    max_entries: log.maxEntries,
    entries: log.size,
    threshold_percent: log.thresholdPercent,
    ...dataLossJson(log.dataLoss()),
    max_body_bytes: log.maxBodyBytes,
    kept_body_bytes: log.keptBodyBytes,
    max_total_body_bytes: log.maxTotalBodyBytes,
    recorded: log.recorded,
  };
}

// ------------------------------------------------------------------------------------------ upstream contexts

export const ConnectionJsonSchema = z.object({
  state: z.enum(['new', 'logging in', 'authenticated', 'expired', 'failed']).describe('Login state of the upstream context.'),
  role: z.literal('Upstream context'),
  server: z.string().describe('Link: /servers/NAME.'),
  service: z.string().describe('Link: /services/NAME.'),
  scope: z.enum(['none', 'session', 'service']),
  user: z.string().nullable().describe('The client user whose own credentials this context uses.'),
  cookies: z.array(z.string()).describe('Names of the cookies in the jar (never their values).'),
  requests: z.number(),
  logins: z.number(),
  relogins: z.number(),
  login_failures: z.number(),
  created: z.string(),
  last_used: z.string(),
  last_login: z.string().nullable(),
  last_error: z.string().nullable(),
  statistics: z.object({
    reads: z.number(),
    writes: z.number(),
    buffered_writes: z.number(),
    high_water_events: z.number(),
    low_water_events: z.number(),
    body_bytes_sent: z.number().describe('Request body bytes written to the server.'),
    body_bytes_received: z.number().describe('Response body bytes read from the server.'),
  }),
});
export type ConnectionJson = z.infer<typeof ConnectionJsonSchema>;

export function connectionJson(c: UpstreamContext): ConnectionJson {
  const s = c.stats;
  return {
    state: c.state,
    role: 'Upstream context',
    server: `/servers/${c.server.name}`,
    service: `/services/${c.service}`,
    scope: c.scope,
    user: c.user === null ? null : c.user.startsWith('user:') ? c.user.slice(5) : '(bearer token)',
    cookies: c.jar.names(c.url(c.server.basePath || '/')),
    requests: s.requests,
    logins: s.logins,
    relogins: s.relogins,
    login_failures: s.loginFailures,
    created: new Date(c.createdAt).toISOString(),
    last_used: new Date(c.lastUsed).toISOString(),
    last_login: c.lastLoginAt ? new Date(c.lastLoginAt).toISOString() : null,
    last_error: c.lastError,
    statistics: {
      reads: s.reads,
      writes: s.writes,
      buffered_writes: s.bufferedWrites,
      high_water_events: s.highWaterEvents,
      low_water_events: s.lowWaterEvents,
      body_bytes_sent: s.bytesSent,
      body_bytes_received: s.bytesReceived,
    },
  };
}

// ------------------------------------------------------------------------------------------ services

export const ServiceJsonSchema = z.object({
  name: z.string(),
  listener: z.string().describe('Link: /listeners/NAME.'),
  match: z.object({ path_prefix: z.string(), host: z.string().nullable() }),
  router: z.string(),
  servers: z.array(z.string()).describe('Links: /servers/NAME.'),
  filters: z.array(z.object({ name: z.string(), type: z.string() })),
  session: z.object({ mode: z.string(), idle_timeout_ms: z.number(), max_queue: z.number() }),
  upstream: z.object({ reuse: z.string(), auth: z.string(), credentials: z.string() }),
  counters: z.object({ requests: z.number(), gateway_errors: z.number() }),
  data_loss: DataLossSchema,
  connections: z.array(ConnectionJsonSchema).describe('Service-scope upstream contexts (reuse "service").'),
});
export type ServiceJson = z.infer<typeof ServiceJsonSchema>;

export function serviceJson(s: Service, log: ExchangeLog): ServiceJson {
  const c = s.config;
  const auth = c.upstream.auth;
  return {
    name: s.name,
    listener: `/listeners/${s.listener}`,
    match: { path_prefix: s.pathPrefix, host: c.match.host ?? null },
    router: s.router.kind,
    servers: s.servers.map((srv) => `/servers/${srv.name}`),
    filters: s.filters.map((f) => ({ name: f.name, type: f.type })),
    session: { mode: c.session.mode, idle_timeout_ms: c.session.idleTimeout, max_queue: c.session.maxQueue },
    upstream: { reuse: c.upstream.reuse, auth: auth.type, credentials: auth.type === 'none' ? 'none' : auth.credentials },
    counters: { requests: s.counters.requests, gateway_errors: s.counters.gatewayErrors },
    data_loss: dataLossJson(log.dataLossOf('service', s.name)),
    connections: s.upstream.shared.map(connectionJson),
  };
}

// ------------------------------------------------------------------------------------------ servers, listeners, connections

export const ServerJsonSchema = z.object({
  name: z.string(),
  url: z.string(),
  state: z.enum(['up', 'down', 'draining']),
  weight: z.number(),
  active: z.number().describe('Requests in progress.'),
  down_until: z.string().nullable().describe('A down server is tried again after this time.'),
  last_error: z.string().nullable(),
  pool: z.object({ connected: z.number(), free: z.number(), pending: z.number(), running: z.number() }),
  counters: z.object({
    requests: z.number(),
    failures: z.number().describe('Requests that got no usable response (refused, reset, timeout, bad response).'),
    connect_failures: z.number(),
  }),
  data_loss: DataLossSchema,
});
export type ServerJson = z.infer<typeof ServerJsonSchema>;

export function serverJson(s: Server, log: ExchangeLog): ServerJson {
  const pool = s.poolStats();
  return {
    name: s.name,
    url: s.url,
    state: s.state,
    weight: s.weight,
    active: s.active,
    down_until: s.state === 'down' ? new Date(s.downUntil).toISOString() : null,
    last_error: s.lastError,
    pool,
    counters: { requests: s.counters.requests, failures: s.counters.failures, connect_failures: s.counters.connectFailures },
    data_loss: dataLossJson(log.dataLossOf('server', s.name)),
  };
}

export const ListenerJsonSchema = z.object({
  name: z.string(),
  listen: z.string().describe('The configured address.'),
  url: z.string().describe('The bound address.'),
  secure: z.boolean(),
  connections: z.number().describe('Open client connections.'),
  accepted: z.number(),
  refused: z.number().describe('Connections refused at max_connections.'),
  max_connections: z.number(),
  services: z.array(z.string()).describe('Links: /services/NAME.'),
});
export type ListenerJson = z.infer<typeof ListenerJsonSchema>;

export function listenerJson(l: Listener, services: readonly Service[]): ListenerJson {
  const st = l.stats;
  return {
    name: l.name,
    listen: l.options.listen,
    url: l.url,
    secure: l.secure,
    connections: st.active,
    accepted: st.accepted,
    refused: st.refused,
    max_connections: l.options.maxConnections,
    services: services.filter((s) => s.listener === l.name).map((s) => `/services/${s.name}`),
  };
}

export const ClientConnectionJsonSchema = z.object({
  id: z.number(),
  listener: z.string().describe('Link: /listeners/NAME.'),
  address: z.string(),
  port: z.number(),
  secure: z.boolean(),
  state: z.string(),
  connected: z.string(),
  requests: z.number(),
  in_flight: z.number(),
  bytes_in: z.number(),
  bytes_out: z.number(),
  upgraded: z.boolean(),
  sessions: z.array(z.string()).describe('Links: /sessions/ID of the last 16 sessions whose requests it carried, least recent first.'),
});
export type ClientConnectionJson = z.infer<typeof ClientConnectionJsonSchema>;

export function clientConnectionJson(c: Connection): ClientConnectionJson {
  return {
    id: c.id,
    listener: `/listeners/${c.listener}`,
    address: c.remoteAddress,
    port: c.remotePort,
    secure: c.secure,
    state: c.state,
    connected: new Date(c.connectedAt).toISOString(),
    requests: c.requests,
    in_flight: c.inFlight,
    bytes_in: c.bytesIn,
    bytes_out: c.bytesOut,
    upgraded: c.upgraded,
    sessions: c.sessions.map((id) => `/sessions/${id}`),
  };
}

export const GatewayJsonSchema = z.object({
  name: z.literal('sessiongate'),
  version: z.string(),
  node: z.string(),
  pid: z.number(),
  started: z.string(),
  uptime: z.number().describe('Seconds.'),
  config: z.string().describe('Where the configuration came from.'),
  store: z.object({ type: z.string(), ready: z.boolean(), sessions: z.number().describe('Live sessions (-1: the store cannot be reached).') }),
  instance: z.string().nullable().describe('This instance\'s name in a cluster (Redis store).'),
  exchange_log: z.object({ enabled: z.boolean(), entries: z.number() }),
});
export type GatewayJson = z.infer<typeof GatewayJsonSchema>;
