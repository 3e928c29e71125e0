/**
 * The table columns of every admin resource, as data: header, the API fields shown, the cell's text, its
 * widest width and alignment. The shapes are the admin API's own types (src/admin/serialize.ts).
 */
import type {
  ClientConnectionJson,
  ConnectionJson,
  ExchangeSummaryJson,
  ServerJson,
  ServiceJson,
  SessionJson,
} from '../admin/serialize.js';
import { age, bytes, clock, duration, linkName, loss, millis } from './format.js';
import { statusColour, type Colour } from './style.js';
import type { Column } from './table.js';

/** The API's MaxScale-style session states, in a word. */
const SESSION_STATE: Record<string, string> = {
  'Session started': 'started',
  'Session ready for routing': 'ready',
  'Session routing request': 'routing',
  'Stopping session': 'stopping',
};

const lossColour = (d: { data_loss_state: string }): Colour => (d.data_loss_state === 'error' ? 'red' : 'green');

export const SESSION_COLUMNS: Column<SessionJson>[] = [
  { header: 'ID', fields: ['id'], value: (s) => s.id, max: 12 },
  { header: 'USER', fields: ['user'], value: (s) => s.user, max: 12 },
  { header: 'ADDRESS', fields: ['address'], value: (s) => s.address, max: 20 },
  { header: 'SERVICE', fields: ['service'], value: (s) => linkName(s.service), max: 14 },
  { header: 'STATE', fields: ['state'], value: (s) => SESSION_STATE[s.state] ?? s.state, max: 20, flex: true },
  { header: 'AGE', fields: ['connected'], value: (s) => age(s.connected), align: 'right', max: 7 },
  { header: 'IDLE', fields: ['idle'], value: (s) => duration(s.idle), align: 'right', max: 7 },
  { header: 'REQS', fields: ['requests'], value: (s) => s.requests, align: 'right', max: 7 },
  { header: 'QUEUE', fields: ['queued'], value: (s) => s.queued, align: 'right', max: 5, colour: (s) => (s.queued > 0 ? 'yellow' : null) },
  { header: 'SERVER', fields: ['server'], value: (s) => linkName(s.server), max: 12 },
];

/** A session's upstream contexts (`sessions connections ID`). */
export const UPSTREAM_COLUMNS: Column<ConnectionJson>[] = [
  { header: 'SERVER', fields: ['server'], value: (c) => linkName(c.server), max: 14 },
  { header: 'STATE', fields: ['state'], value: (c) => c.state, max: 13, colour: (c) => (c.state === 'authenticated' ? 'green' : c.state === 'failed' ? 'red' : null) },
  { header: 'SCOPE', fields: ['scope'], value: (c) => c.scope, max: 7 },
  { header: 'COOKIES', fields: ['cookies'], value: (c) => c.cookies, max: 24, flex: true },
  { header: 'REQS', fields: ['requests'], value: (c) => c.requests, align: 'right', max: 7 },
  { header: 'LOGINS', fields: ['logins'], value: (c) => c.logins, align: 'right', max: 6 },
  { header: 'RELOG', fields: ['relogins'], value: (c) => c.relogins, align: 'right', max: 6 },
  { header: 'READS', fields: ['statistics'], value: (c) => c.statistics.reads, align: 'right', max: 7 },
  { header: 'WRITES', fields: ['statistics'], value: (c) => c.statistics.writes, align: 'right', max: 7 },
];

/** One exchange: what was asked of which server, and how it went. */
export const EXCHANGE_COLUMNS: Column<ExchangeSummaryJson>[] = [
  { header: 'ID', fields: ['id'], value: (e) => e.id, align: 'right', max: 5 },
  { header: 'TIME', fields: ['request_time'], value: (e) => clock(e.request_time), max: 8 },
  { header: 'SESSION', fields: ['session'], value: (e) => e.session, max: 8 },
  { header: 'SERVER', fields: ['server'], value: (e) => e.server, max: 8 },
  { header: 'REQUEST', fields: ['method', 'uri'], value: (e) => `${e.method} ${e.uri}`, flex: true },
  {
    header: 'STATUS',
    fields: ['status', 'error'],
    value: (e) => (e.status === null ? e.error : e.error === null ? e.status : `${e.status} ${e.error}`),
    max: 10,
    colour: (e) => statusColour(e.status, e.error !== null),
  },
  { header: 'MS', fields: ['timespan_ms'], value: (e) => millis(e.timespan_ms), align: 'right', max: 7 },
];

export const SERVICE_COLUMNS: Column<ServiceJson>[] = [
  { header: 'NAME', fields: ['name'], value: (s) => s.name, max: 16 },
  { header: 'LISTENER', fields: ['listener'], value: (s) => linkName(s.listener), max: 10 },
  { header: 'MATCH', fields: ['match'], value: (s) => `${s.match.host ?? ''}${s.match.path_prefix}`, max: 20, flex: true },
  { header: 'ROUTER', fields: ['router'], value: (s) => s.router, max: 17 },
  { header: 'SERVERS', fields: ['servers'], value: (s) => s.servers.map(linkName), max: 24, flex: true },
  { header: 'SESSION', fields: ['session'], value: (s) => s.session.mode, max: 10 },
  { header: 'REUSE', fields: ['upstream'], value: (s) => s.upstream.reuse, max: 7 },
  { header: 'REQS', fields: ['counters'], value: (s) => s.counters.requests, align: 'right', max: 8 },
  { header: 'LOSS', fields: ['data_loss'], value: (s) => loss(s.data_loss), align: 'right', max: 12, colour: (s) => lossColour(s.data_loss) },
];

export const SERVER_COLUMNS: Column<ServerJson>[] = [
  { header: 'NAME', fields: ['name'], value: (s) => s.name, max: 16 },
  { header: 'URL', fields: ['url'], value: (s) => s.url, max: 32, flex: true },
  { header: 'STATE', fields: ['state'], value: (s) => s.state, max: 8, colour: (s) => (s.state === 'up' ? 'green' : s.state === 'down' ? 'red' : 'yellow') },
  { header: 'ACTIVE', fields: ['active'], value: (s) => s.active, align: 'right', max: 6 },
  { header: 'REQS', fields: ['counters'], value: (s) => s.counters.requests, align: 'right', max: 8 },
  { header: 'FAILED', fields: ['counters'], value: (s) => s.counters.failures, align: 'right', max: 6, colour: (s) => (s.counters.failures > 0 ? 'red' : null) },
  { header: 'POOL', fields: ['pool'], value: (s) => `${s.pool.connected}/${s.pool.free}`, align: 'right', max: 7 },
  { header: 'LOSS', fields: ['data_loss'], value: (s) => loss(s.data_loss), align: 'right', max: 12, colour: (s) => lossColour(s.data_loss) },
];

/** Client TCP connections (`connections`). */
export const CLIENT_CONNECTION_COLUMNS: Column<ClientConnectionJson>[] = [
  { header: 'ID', fields: ['id'], value: (c) => c.id, align: 'right', max: 7 },
  { header: 'LISTENER', fields: ['listener'], value: (c) => linkName(c.listener), max: 10 },
  { header: 'CLIENT', fields: ['address', 'port'], value: (c) => (c.address.includes(':') ? `[${c.address}]:${c.port}` : `${c.address}:${c.port}`), max: 28 },
  { header: 'STATE', fields: ['state'], value: (c) => c.state, max: 10 },
  { header: 'AGE', fields: ['connected'], value: (c) => age(c.connected), align: 'right', max: 7 },
  { header: 'REQS', fields: ['requests'], value: (c) => c.requests, align: 'right', max: 7 },
  { header: 'ACTIVE', fields: ['in_flight'], value: (c) => c.in_flight, align: 'right', max: 6 },
  { header: 'IN', fields: ['bytes_in'], value: (c) => bytes(c.bytes_in), align: 'right', max: 6 },
  { header: 'OUT', fields: ['bytes_out'], value: (c) => bytes(c.bytes_out), align: 'right', max: 6 },
  { header: 'SESSIONS', fields: ['sessions'], value: (c) => c.sessions.map(linkName), max: 20, flex: true },
];
