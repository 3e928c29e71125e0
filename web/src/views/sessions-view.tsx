/** The live client sessions (MaxScale's session resource), polled, with one session's detail. */
import { useMemo, useState } from 'preact/hooks';
import { DataGrid, sortRows, type Column, type SortState } from '../components/data-grid.js';
import { api, linkName, type SessionJson } from '../lib/api.js';
import { age, count, dateTime, since } from '../lib/format.js';
import { SESSION_POLL_MS, usePoll } from '../lib/poll.js';
import { NARROW, useMedia } from '../lib/media.js';
import { href, navigate, type Route } from '../lib/route.js';
import { SessionDetail } from './session-detail.js';



const COLUMNS: readonly Column<SessionJson>[] = [
  { id: 'id', label: 'ID', width: '72px', className: 'num', sortValue: (s) => (/^\d+$/.test(s.id) ? Number(s.id) : s.id), render: (s) => s.id },
  { id: 'state', label: 'State', width: 'minmax(170px, 1.3fr)', sortValue: (s) => s.state, title: (s) => s.state, render: (s) => <span class={`session-state ${s.state.includes('routing request') ? 'busy' : ''}`}>{s.state}</span> },
  { id: 'user', label: 'User', width: 'minmax(80px, 0.7fr)', sortValue: (s) => s.user, render: (s) => s.user ?? <span class="muted-text">—</span> },
  { id: 'address', label: 'Address', width: 'minmax(100px, 0.8fr)', sortValue: (s) => s.address, render: (s) => <span class="mono">{s.address}</span> },
  { id: 'service', label: 'Service', width: 'minmax(90px, 0.8fr)', sortValue: (s) => s.service, render: (s) => linkName(s.service) },
  { id: 'connected', label: 'Connected', width: '96px', className: 'num', sortValue: (s) => s.connected, title: (s) => dateTime(s.connected), render: (s) => age(since(s.connected)) },
  { id: 'idle', label: 'Idle', width: '72px', className: 'num', sortValue: (s) => s.idle, render: (s) => age(s.idle) },
  { id: 'queued', label: 'Queued', width: '70px', className: 'num', sortValue: (s) => s.queued, render: (s) => (s.queued > 0 ? <strong>{s.queued}</strong> : 0) },
  { id: 'requests', label: 'Requests', width: '80px', className: 'num', sortValue: (s) => s.requests, render: (s) => count(s.requests) },
  { id: 'errors', label: 'Errors', width: '70px', className: 'num', sortValue: (s) => s.errors, render: (s) => (s.errors > 0 ? <span class="text-error">{count(s.errors)}</span> : 0) },
  { id: 'server', label: 'Sticky server', width: 'minmax(90px, 0.7fr)', sortValue: (s) => s.server, render: (s) => (s.server ? linkName(s.server) : <span class="muted-text">—</span>) },
];
const MIN_WIDTH = 72 + 170 + 80 + 100 + 90 + 96 + 72 + 70 + 80 + 70 + 90 + 8;

/** On narrow screens: ID, user, idle, requests, errors. */
const COMPACT: Record<string, string> = { id: '52px', user: 'minmax(80px, 1fr)', idle: '64px', requests: '76px', errors: '62px' };
const COMPACT_COLUMNS: readonly Column<SessionJson>[] = Object.keys(COMPACT).map((id) => ({ ...COLUMNS.find((c) => c.id === id)!, width: COMPACT[id]! }));
const COMPACT_MIN_WIDTH = 52 + 80 + 64 + 76 + 62;

export function SessionsView({ route }: { route: Route }) {
  const list = usePoll((signal) => api.sessions(signal), SESSION_POLL_MS, []);
  const [sort, setSort] = useState<SortState>({ column: 'id', dir: 'desc' });
  const [text, setText] = useState('');
  const [selected, setSelected] = useState<string | null>(route.id);
  const openId = route.id;
  const compact = useMedia(NARROW);
  const sessions = list.data?.items ?? [];
  const needle = text.trim().toLowerCase();
  const shown = useMemo(
    () => sortRows(needle ? sessions.filter((s) => `${s.id} ${s.user ?? ''} ${s.address} ${s.state}`.toLowerCase().includes(needle)) : sessions, COLUMNS, sort),
    [sessions, needle, sort],
  );
  const close = (): void => {
    navigate(href('sessions'), true);
    document.getElementById('sessions-grid')?.focus({ preventScroll: true });
  };
  return (
    <section class="view view-sessions" aria-label="Sessions">
      <div class="toolbar" role="search" aria-label="Filter sessions">
        <h1 class="view-title">Sessions</h1>
        <label class="field field-grow">
          <span>Find</span>
          <input type="search" value={text} placeholder="id, user, address or state" onInput={(e) => setText(e.currentTarget.value)} name="find" />
        </label>
        <span class="toolbar-spacer" />
        <span class="row-count" data-testid="session-count">
          {list.data ? `${count(list.data.total)} live session${list.data.total === 1 ? '' : 's'}${list.data.total > sessions.length ? ` (first ${count(sessions.length)} shown)` : ''}` : 'Loading…'}
        </span>
        <button type="button" class="btn" onClick={list.refresh}>Refresh</button>
      </div>
      {list.error && <p class="banner banner-error">Cannot load the sessions: {list.error.message}</p>}
      <div class={`split ${openId !== null ? 'split-open' : ''}`}>
        <DataGrid
          id="sessions-grid"
          label="Live sessions"
          columns={compact ? COMPACT_COLUMNS : COLUMNS}
          rows={shown}
          rowKey={(s) => s.id}
          selected={selected}
          onSelect={(key) => {
            setSelected(key);
            if (openId !== null && openId !== key) navigate(href('sessions', key), true);
          }}
          onOpen={(key) => navigate(href('sessions', key))}
          onClose={openId !== null ? close : undefined}
          sort={sort}
          onSort={setSort}
          minWidth={compact ? COMPACT_MIN_WIDTH : MIN_WIDTH}
          viewKey={`${sort.column}:${sort.dir}:${needle}`}
          empty={sessions.length === 0 ? 'No live sessions.' : 'No session matches.'}
        />
        {openId !== null && (
          <SessionDetail
            id={openId}
            onClose={close}
            onEnded={() => {
              list.refresh();
              close();
            }}
          />
        )}
      </div>
    </section>
  );
}
