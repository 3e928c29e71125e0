/** The columns of the HTTP sessions table, as data: DataMiner's nine, then session, server and queue time. */
import type { Column } from '../components/data-grid.js';
import type { ExchangeSummaryJson } from '../lib/api.js';
import { clockTime, duration, statusClass } from '../lib/format.js';
import { href } from '../lib/route.js';

type X = ExchangeSummaryJson;

/** `200 OK`; a failure shows its error: `502 · ECONNREFUSED`, `499 · client aborted`, `timeout`. */
export function statusText(r: X): string {
  const error = r.error?.replace(/_/g, ' ') ?? null;
  if (r.status === null) return error ?? 'no response';
  const line = `${r.status} ${r.reason ?? ''}`.trim();
  return error !== null ? `${line} · ${error}` : line;
}

export const EXCHANGE_COLUMNS: readonly Column<X>[] = [
  { id: 'id', label: 'ID', width: '60px', className: 'num', sortValue: (r) => r.id, render: (r) => r.id },
  {
    id: 'uri',
    label: 'URI',
    width: 'minmax(170px, 1.6fr)',
    sortValue: (r) => r.uri,
    title: (r) => r.uri,
    render: (r) => (
      <>
        {r.kind === 'login' && <span class="tag tag-login">login</span>}
        <span class="mono">{r.uri}</span>
      </>
    ),
  },
  { id: 'method', label: 'Method', width: '70px', sortValue: (r) => r.method, render: (r) => <span class="method">{r.method}</span> },
  {
    id: 'request_data',
    label: 'Request data',
    width: 'minmax(90px, 0.7fr)',
    sortValue: (r) => r.request_data ?? '',
    title: (r) => r.request_data ?? undefined,
    render: (r) => <span class="mono muted-text">{r.request_data ?? ''}</span>,
  },
  { id: 'request_time', label: 'Request time', width: '108px', className: 'num', sortValue: (r) => r.request_time, title: (r) => r.request_time, render: (r) => clockTime(r.request_time) },
  {
    id: 'status',
    label: 'Status',
    width: 'minmax(150px, 0.9fr)',
    sortValue: (r) => r.status ?? 1000,
    title: (r) => (r.error_code ? `${statusText(r)} (${r.error_code})` : statusText(r)),
    render: (r) => (
      <span class={`status ${statusClass(r.status)}`}>
        {r.lost && <span class="lost-mark" aria-label="data loss" title="counts as data loss">!</span>}
        {statusText(r)}
      </span>
    ),
  },
  {
    id: 'response_data',
    label: 'Response data',
    width: 'minmax(120px, 1fr)',
    sortValue: (r) => r.response_data ?? '',
    title: (r) => r.response_data ?? undefined,
    render: (r) => <span class="mono muted-text">{r.response_data ?? ''}</span>,
  },
  { id: 'response_time', label: 'Response time', width: '114px', className: 'num', sortValue: (r) => r.response_time, title: (r) => r.response_time ?? undefined, render: (r) => clockTime(r.response_time) },
  { id: 'timespan', label: 'Timespan', width: '80px', className: 'num', sortValue: (r) => r.timespan_ms, render: (r) => duration(r.timespan_ms) },
  {
    id: 'session',
    label: 'Session',
    width: '70px',
    className: 'num',
    sortValue: (r) => (r.session === null ? null : /^\d+$/.test(r.session) ? Number(r.session) : r.session),
    render: (r) =>
      r.session === null ? '' : (
        <a href={href('sessions', r.session)} class="cell-link" tabIndex={-1} onClick={(e) => e.stopPropagation()}>
          {r.session}
        </a>
      ),
  },
  { id: 'server', label: 'Server', width: '80px', sortValue: (r) => r.server ?? '', render: (r) => r.server ?? '' },
  { id: 'queue', label: 'Queue', width: '72px', className: 'num', sortValue: (r) => r.queue_ms, render: (r) => duration(r.queue_ms) },
];

/** Sum of the fixed widths and minimum widths above, plus a little for the scrollbar. */
export const EXCHANGE_MIN_WIDTH = 60 + 170 + 70 + 90 + 108 + 150 + 120 + 114 + 80 + 70 + 80 + 72 + 8;

/** On narrow screens: ID, method, URI, status, timespan. */
const COMPACT: Record<string, string> = { id: '52px', method: '58px', uri: 'minmax(120px, 1fr)', status: 'minmax(96px, 0.8fr)', timespan: '70px' };
export const EXCHANGE_COMPACT_COLUMNS: readonly Column<X>[] = ['id', 'method', 'uri', 'status', 'timespan'].map((id) => ({
  ...EXCHANGE_COLUMNS.find((c) => c.id === id)!,
  width: COMPACT[id]!,
}));
export const EXCHANGE_COMPACT_MIN_WIDTH = 52 + 58 + 120 + 96 + 70;

export function exchangeRowClass(r: X): string {
  if (r.status === null || r.error !== null) return 'row-failed';
  if (r.lost) return 'row-lost';
  return '';
}
