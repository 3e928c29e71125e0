/** The HTTP sessions table: live rows, filters, sort, pause, HAR export, and the detail of one exchange. */
import { useMemo, useState } from 'preact/hooks';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DataGrid, sortRows, type SortState } from '../components/data-grid.js';
import { DataLossPanel } from '../components/data-loss-panel.js';
import { api, type ExchangeSummaryJson } from '../lib/api.js';
import type { ExchangeFeed } from '../lib/exchange-feed.js';
import { count } from '../lib/format.js';
import type { Overview } from '../lib/overview.js';
import { href, navigate, type Route } from '../lib/route.js';
import { useStore } from '../lib/store.js';
import { toasts } from '../lib/toasts.js';
import { useMedia, NARROW } from '../lib/media.js';
import { EXCHANGE_COLUMNS, EXCHANGE_COMPACT_COLUMNS, EXCHANGE_COMPACT_MIN_WIDTH, EXCHANGE_MIN_WIDTH, exchangeRowClass } from './exchange-columns.js';
import { ExchangeDetail } from './exchange-detail.js';

export interface ExchangeFilter {
  status: '' | '2xx' | '3xx' | '4xx' | '5xx' | 'lost' | 'failed';
  method: string;
  server: string;
  session: string;
  text: string;
}

const NO_FILTER: ExchangeFilter = { status: '', method: '', server: '', session: '', text: '' };

export function matches(f: ExchangeFilter): (r: ExchangeSummaryJson) => boolean {
  const text = f.text.trim().toLowerCase();
  const session = f.session.trim();
  return (r) => {
    if (f.method && r.method !== f.method) return false;
    if (f.server && r.server !== f.server) return false;
    if (session && r.session !== session) return false;
    if (text && !r.uri.toLowerCase().includes(text)) return false;
    switch (f.status) {
      case '':
        return true;
      case 'lost':
        return r.lost;
      case 'failed':
        return r.status === null || r.error !== null;
      default:
        return r.status !== null && Math.floor(r.status / 100) === Number(f.status[0]);
    }
  };
}

/** The same filters as API query parameters (for the HAR export); the URI text has no API equivalent. */
function apiQuery(f: ExchangeFilter): string {
  const q = new URLSearchParams();
  if (f.status === 'lost') q.set('status', 'error');
  else if (f.status && f.status !== 'failed') q.set('status', f.status);
  if (f.method) q.set('method', f.method);
  if (f.server) q.set('server', f.server);
  if (f.session.trim()) q.set('session', f.session.trim());
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function ExchangesView({ feed, overview, route }: { feed: ExchangeFeed; overview: Overview; route: Route }) {
  useStore(feed);
  const [filter, setFilter] = useState<ExchangeFilter>(() => ({ ...NO_FILTER, session: route.query.get('session') ?? '', server: route.query.get('server') ?? '' }));
  const [sort, setSort] = useState<SortState>({ column: 'id', dir: 'desc' });
  const [selected, setSelected] = useState<string | null>(route.id);
  const [confirmClear, setConfirmClear] = useState(false);
  const openId = route.id;
  const compact = useMedia(NARROW);

  const rows = feed.rows;
  const methods = useMemo(() => [...new Set(rows.map((r) => r.method))].sort(), [rows]);
  const servers = useMemo(
    () => [...new Set([...overview.servers.map((s) => s.name), ...rows.map((r) => r.server).filter((s): s is string => s !== null)])].sort(),
    [rows, overview.servers],
  );
  const shown = useMemo(() => sortRows(rows.filter(matches(filter)), EXCHANGE_COLUMNS, sort), [rows, filter, sort]);
  const filtered = filter.status !== '' || filter.method !== '' || filter.server !== '' || filter.session.trim() !== '' || filter.text.trim() !== '';
  const set = (patch: Partial<ExchangeFilter>): void => setFilter((f) => ({ ...f, ...patch }));

  const open = (key: string): void => navigate(href('exchanges', key));
  const select = (key: string): void => {
    setSelected(key);
    if (openId !== null && openId !== key) navigate(href('exchanges', key), true);
  };
  const close = (): void => {
    navigate(href('exchanges'), true);
    document.getElementById('exchanges-grid')?.focus({ preventScroll: true });
  };

  const clear = async (): Promise<void> => {
    setConfirmClear(false);
    try {
      await api.clearExchanges();
      toasts.show('The exchange table was cleared.');
    } catch (err) {
      toasts.show(`Cannot clear the table: ${(err as Error).message}`, 'error');
    }
  };

  return (
    <section class="view view-exchanges" aria-label="Exchanges">
      <DataLossPanel overview={overview} />
      <div class="toolbar" role="search" aria-label="Filter exchanges">
        <label class="field">
          <span>Status</span>
          <select value={filter.status} onChange={(e) => set({ status: e.currentTarget.value as ExchangeFilter['status'] })} name="status">
            <option value="">all</option>
            <option value="2xx">2xx</option>
            <option value="3xx">3xx</option>
            <option value="4xx">4xx</option>
            <option value="5xx">5xx</option>
            <option value="lost">data loss</option>
            <option value="failed">failed (no response)</option>
          </select>
        </label>
        <label class="field">
          <span>Method</span>
          <select value={filter.method} onChange={(e) => set({ method: e.currentTarget.value })} name="method">
            <option value="">all</option>
            {methods.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Server</span>
          <select value={filter.server} onChange={(e) => set({ server: e.currentTarget.value })} name="server">
            <option value="">all</option>
            {servers.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label class="field field-narrow">
          <span>Session</span>
          <input type="text" inputMode="numeric" value={filter.session} placeholder="id" onInput={(e) => set({ session: e.currentTarget.value })} name="session" />
        </label>
        <label class="field field-grow">
          <span>URI contains</span>
          <input type="search" value={filter.text} placeholder="/api/…" onInput={(e) => set({ text: e.currentTarget.value })} name="uri" />
        </label>
        {filtered && (
          <button type="button" class="btn btn-quiet" onClick={() => setFilter(NO_FILTER)}>
            Reset filters
          </button>
        )}
        <span class="toolbar-spacer" />
        <span class="row-count" aria-live="polite" data-testid="row-count">
          {filtered ? `${count(shown.length)} of ${count(rows.length)}` : count(rows.length)} rows
        </span>
        <button type="button" class={`btn ${feed.paused ? 'btn-primary' : ''}`} aria-pressed={feed.paused} onClick={() => (feed.paused ? feed.resume() : feed.pause())}>
          {feed.paused ? `Resume${feed.held > 0 ? ` (${count(feed.held)} new)` : ''}` : 'Pause'}
        </button>
        <a class="btn" href={`/v1/exchanges.har${apiQuery(filter)}`} download title={filter.text ? 'HAR of the rows matching status, method, server and session (not the URI text)' : 'Download the table as HAR 1.2'}>
          HAR
        </a>
        <button type="button" class="btn btn-quiet" onClick={() => setConfirmClear(true)}>
          Clear…
        </button>
      </div>
      {feed.log?.enabled === false && <p class="banner banner-warn">The exchange log is disabled: no new rows are recorded. Turn it on above.</p>}
      {feed.error && <p class="banner banner-error">{feed.error}</p>}
      <div class={`split ${openId !== null ? 'split-open' : ''}`}>
        <DataGrid
          id="exchanges-grid"
          label="HTTP sessions table: one row per exchange"
          columns={compact ? EXCHANGE_COMPACT_COLUMNS : EXCHANGE_COLUMNS}
          rows={shown}
          rowKey={(r) => String(r.id)}
          rowClass={exchangeRowClass}
          selected={selected}
          onSelect={select}
          onOpen={open}
          onClose={openId !== null ? close : undefined}
          sort={sort}
          onSort={setSort}
          minWidth={compact ? EXCHANGE_COMPACT_MIN_WIDTH : EXCHANGE_MIN_WIDTH}
          viewKey={`${sort.column}:${sort.dir}:${JSON.stringify(filter)}`}
          empty={rows.length === 0 ? 'No exchanges yet: send requests through the gateway and they appear here live.' : 'No exchange matches the filters.'}
        />
        {openId !== null && <ExchangeDetail id={Number(openId)} overview={overview} onClose={close} />}
      </div>
      {confirmClear && (
        <ConfirmDialog
          title="Clear the exchange table?"
          message="Every row is removed from the gateway's table (for every viewer) and data loss starts again from zero."
          confirmLabel="Clear table"
          onConfirm={() => void clear()}
          onCancel={() => setConfirmClear(false)}
        />
      )}
    </section>
  );
}
