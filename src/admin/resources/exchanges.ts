/** `/v1/exchanges` and `/v1/exchange-log`: the live HTTP sessions table, its HAR export, its SSE stream. */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { exchangeLogPatch } from '../../config/exchange-log.js';
import { toHar } from '../../exchange/har.js';
import { wallClock, type ExchangeFields } from '../../exchange/exchange.js';
import type { ExchangeLog, ExchangeLogEvent } from '../../exchange/exchange-log.js';
import { VERSION } from '../../version.js';
import { AdminError } from '../admin-error.js';
import { json, noContent, type Route } from '../route.js';
import { sliceRange } from '../query.js';
import {
  dataLossJson,
  exchangeDetail,
  exchangeLogState,
  exchangeSummary,
  ExchangeDetailSchema,
  ExchangeLogStateSchema,
  ExchangeSummarySchema,
  type DataLossEventJson,
  type ExchangeSummaryJson,
} from '../serialize.js';

export interface ExchangesDeps {
  log: ExchangeLog;
  /** The cluster's exchanges (Redis stream), newest `count`, when the store shares them; null otherwise. */
  clusterExchanges?: ((count: number) => Promise<(ExchangeSummaryJson & { instance: string })[]>) | null;
  /** `http://host:port` of a server, for absolute URLs in HAR. */
  originOf(server: string | null): string;
  /** Milliseconds between SSE keep-alive comments. */
  keepAliveMs?: number;
}

const filterQuery = z.strictObject({
  status: z.string().regex(/^([1-5]\d\d|[1-5]xx|error)$/, 'expected a status (404), a class (4xx) or "error"').optional()
    .describe('Only this status, this class, or "error" (failed exchanges and error statuses).'),
  session: z.string().optional().describe('Only exchanges of this session (public id).'),
  server: z.string().optional().describe('Only exchanges with this server.'),
  service: z.string().optional().describe('Only exchanges of this service.'),
  method: z.string().regex(/^[A-Za-z]+$/).optional().describe('Only this request method.'),
  kind: z.enum(['request', 'login']).optional(),
  uri: z.string().max(2000).optional().describe('Only exchanges whose URI contains this text (case-insensitive).'),
  failed: z.enum(['true', 'false']).optional().describe('true: only exchanges that failed (an error, with or without a response); false: only the others.'),
  since: z.string().regex(/^(\d+|\d{4}-\d\d-\d\dT[\d:.]+Z?)$/, 'expected an exchange id or an ISO 8601 time').optional()
    .describe('Only exchanges after this id, or sent at or after this time (ISO 8601).'),
  cluster: z.enum(['true', 'false']).optional()
    .describe('true: the exchanges of every instance, from the Redis stream (store.stream), each with its `instance`.'),
});
type Filter = z.output<typeof filterQuery>;

function matcher(f: Filter): (ex: ExchangeFields) => boolean {
  const sinceId = f.since !== undefined && /^\d+$/.test(f.since) ? Number(f.since) : null;
  const sinceTime = f.since !== undefined && sinceId === null ? Date.parse(f.since) : null;
  if (sinceTime !== null && Number.isNaN(sinceTime)) throw new AdminError(400, `invalid since "${f.since}"`);
  const method = f.method?.toUpperCase();
  const uri = f.uri?.toLowerCase();
  return (ex) => {
    if (uri !== undefined && !ex.uri.toLowerCase().includes(uri)) return false;
    if (f.failed !== undefined && (ex.error !== null) !== (f.failed === 'true')) return false;
    if (f.session !== undefined && ex.session !== f.session) return false;
    if (f.server !== undefined && ex.server !== f.server) return false;
    if (f.service !== undefined && ex.service !== f.service) return false;
    if (method !== undefined && ex.method !== method) return false;
    if (f.kind !== undefined && ex.kind !== f.kind) return false;
    if (sinceId !== null && ex.id <= sinceId) return false;
    if (sinceTime !== null && wallClock(ex.requestStart) < sinceTime) return false;
    if (f.status !== undefined) {
      if (f.status === 'error') return ex.lossy;
      if (f.status.endsWith('xx')) return ex.status !== null && Math.floor(ex.status / 100) === Number(f.status[0]);
      return ex.status === Number(f.status);
    }
    return true;
  };
}

/** The same filters, on the public JSON of exchanges (the cluster's stream). */
function summaryMatcher(f: Filter): (ex: ExchangeSummaryJson) => boolean {
  const sinceId = f.since !== undefined && /^\d+$/.test(f.since) ? Number(f.since) : null;
  const sinceTime = f.since !== undefined && sinceId === null ? Date.parse(f.since) : null;
  const method = f.method?.toUpperCase();
  const uri = f.uri?.toLowerCase();
  return (ex) =>
    (uri === undefined || ex.uri.toLowerCase().includes(uri)) &&
    (f.failed === undefined || (ex.error !== null) === (f.failed === 'true')) &&
    (f.session === undefined || ex.session === f.session) &&
    (f.server === undefined || ex.server === f.server) &&
    (f.service === undefined || ex.service === f.service) &&
    (method === undefined || ex.method === method) &&
    (f.kind === undefined || ex.kind === f.kind) &&
    (sinceTime === null || Date.parse(ex.request_time) >= sinceTime) &&
    (f.status === undefined ||
      (f.status === 'error' ? ex.lost : f.status.endsWith('xx') ? ex.status !== null && Math.floor(ex.status / 100) === Number(f.status[0]) : ex.status === Number(f.status)));
}

export function exchangeRoutes(deps: ExchangesDeps): Route[] {
  const { log } = deps;
  return [
    {
      method: 'GET',
      path: '/v1/exchanges',
      summary: 'The exchanges in the table, oldest first, with filters',
      list: true,
      query: filterQuery,
      response: z.array(ExchangeSummarySchema),
      async handler(req) {
        const f = req.args as Filter;
        if (f.cluster === 'true') {
          if (!deps.clusterExchanges) throw new AdminError(400, 'cluster=true needs the Redis store with store.stream.enabled');
          const rows = (await deps.clusterExchanges(10_000)).filter(summaryMatcher(f));
          return json(sliceRange(rows, req.range), 200, { total: rows.length });
        }
        const { total, rows } = log.query(matcher(f), req.range);
        return json(rows.map(exchangeSummary), 200, { total });
      },
    },
    {
      method: 'GET',
      path: '/v1/exchanges.har',
      summary: 'The table as HAR 1.2 (secrets redacted), with the same filters',
      query: filterQuery,
      handler(req) {
        const { rows } = log.query(matcher(req.args as Filter));
        const har = toHar(rows, { name: 'sessiongate', version: VERSION }, deps.originOf);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return json(har, 200, { headers: { 'Content-Disposition': `attachment; filename="sessiongate-${stamp}.har"` } });
      },
    },
    {
      method: 'GET',
      path: '/v1/exchanges/stream',
      summary: 'Server-Sent Events: each new exchange, data-loss state changes, keep-alive comments',
      description: STREAM_DESCRIPTION,
      query: z.strictObject({
        last_event_id: z.string().max(64).optional()
          .describe('The id of the last `exchange` event a client got, as the Last-Event-ID header (which wins when both are given).'),
      }),
      handler(req) {
        const resume = resumePoint(req.raw.headers['last-event-id'] ?? (req.args as { last_event_id?: string }).last_event_id, log);
        return { stream: (res) => streamEvents(res, log, deps.keepAliveMs ?? 15_000, resume) };
      },
    },
    {
      method: 'GET',
      path: '/v1/exchanges/:id',
      summary: 'One exchange in full: headers and kept bodies',
      response: ExchangeDetailSchema,
      handler(req) {
        const id = Number(req.params.id);
        const ex = Number.isInteger(id) ? log.get(id) : undefined;
        if (ex === undefined) throw new AdminError(404, `no exchange with id "${req.params.id}" in the table`);
        return json(exchangeDetail(ex));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/exchanges',
      summary: 'Clear the table (data loss starts again from zero)',
      status: 204,
      handler() {
        log.clear();
        return noContent();
      },
    },
    {
      method: 'GET',
      path: '/v1/exchange-log',
      summary: 'State of the exchange log: enabled, max entries, entries, data loss',
      response: ExchangeLogStateSchema,
      handler() {
        return json(exchangeLogState(log));
      },
    },
    {
      method: 'PATCH',
      path: '/v1/exchange-log',
      summary: 'Change enabled, max_entries and threshold_percent at run time (all or none)',
      body: exchangeLogPatch,
      response: ExchangeLogStateSchema,
      handler(req) {
        const p = req.body as z.output<typeof exchangeLogPatch>;
        log.configure({ enabled: p.enabled, maxEntries: p.max_entries, thresholdPercent: p.threshold_percent });
        return json(exchangeLogState(log));
      },
    },
  ];
}

/** Rows a reconnecting client is sent again at most; it is told of the others in a `lost` event. */
const MAX_REPLAY = 1000;

const STREAM_DESCRIPTION =
  'Events: `state` first (the log\'s state, as GET /v1/exchange-log), then `exchange` (a new row, as in ' +
  'GET /v1/exchanges) as each exchange is recorded, `data-loss` (a scope\'s state changed: `scope` all, ' +
  'server or service, `name`, and the data-loss fields), `lost` (`count` events were dropped for this ' +
  'client because it read too slowly, or could not be sent again after a reconnect), `cleared`, ' +
  '`configured`, and a keep-alive comment every 15 s. Each `exchange` event has an `id` (the row\'s place ' +
  'in the order of recording, not the exchange id): a client that reconnects with it in `Last-Event-ID`, ' +
  `as browsers' EventSource does, is first sent the rows recorded since, at most ${MAX_REPLAY.toLocaleString('en-US')} of them.`;

/** The sequence number a reconnecting client saw last: its Last-Event-ID, when this log gave it (else 0: all). */
function resumePoint(header: string | string[] | undefined, log: ExchangeLog): number | null {
  if (typeof header !== 'string') return null;
  const m = /^([0-9a-z]+)-(\d{1,15})$/.exec(header.trim());
  // An id from another log (a restarted gateway) or no id at all: everything in the table is new to it.
  return m !== null && m[1] === log.epoch ? Number(m[2]) : 0;
}

/**
 * SSE: events as they come, never blocking the log (a slow client is paused, then told what it lost). A
 * client resuming after `resume` first gets the rows recorded since: they are read in the same tick as the
 * subscription starts, so every row is either in that replay or among the subscription's events, once.
 */
function streamEvents(res: ServerResponse, log: ExchangeLog, keepAliveMs: number, resume: number | null): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  let head = `retry: 2000\n\nevent: state\ndata: ${JSON.stringify(exchangeLogState(log))}\n\n`;
  if (resume !== null) {
    const { rows, first, missed } = log.recordedAfter(resume, MAX_REPLAY);
    if (missed > 0) head += format({ type: 'log:events-lost', count: missed }, log);
    rows.forEach((exchange, i) => (head += format({ type: 'exchange:recorded', exchange, seq: first + i }, log)));
  }
  res.write(head);
  const sub = log.subscribe((events) => {
    let out = '';
    for (const e of events) out += format(e, log);
    return res.write(out);
  });
  res.on('drain', () => sub.resume());
  const keepAlive = setInterval(() => {
    if (res.write(': keep-alive\n\n') === false) sub.resume();
  }, keepAliveMs);
  res.on('close', () => {
    clearInterval(keepAlive);
    sub.close();
  });
}

function format(e: ExchangeLogEvent, log: ExchangeLog): string {
  switch (e.type) {
    case 'exchange:recorded':
      return `id: ${log.epoch}-${e.seq}\nevent: exchange\ndata: ${JSON.stringify(exchangeSummary(e.exchange))}\n\n`;
    case 'log:data-loss-changed': {
      const event: DataLossEventJson = { scope: e.scope, name: e.name, ...dataLossJson(e.dataLoss) };
      return `event: data-loss\ndata: ${JSON.stringify(event)}\n\n`;
    }
    case 'log:events-lost':
      return `event: lost\ndata: ${JSON.stringify({ count: e.count })}\n\n`;
    case 'log:cleared':
      return 'event: cleared\ndata: {}\n\n';
    case 'log:configured':
      return 'event: configured\ndata: {}\n\n';
  }
}
