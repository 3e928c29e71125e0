/** One session: its fields, its upstream contexts (logins, cookie names, statistics), its recent exchanges, kill. */
import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { api, ApiError, linkName, type ConnectionJson, type ExchangeSummaryJson, type SessionJson } from '../lib/api.js';
import { age, bytes, clockTime, count, dateTime, duration, since, statusClass } from '../lib/format.js';
import { SESSION_POLL_MS, usePoll } from '../lib/poll.js';
import { href } from '../lib/route.js';
import { toasts } from '../lib/toasts.js';
import { statusText } from './exchange-columns.js';

const RECENT = 30;

interface Loaded {
  session: SessionJson;
  connections: ConnectionJson[];
  exchanges: ExchangeSummaryJson[];
}

function Context({ c }: { c: ConnectionJson }) {
  const st = c.statistics;
  return (
    <li class="context">
      <div class="context-head">
        <strong>{linkName(c.server)}</strong>
        <span class={`badge badge-login-${c.state.replace(/ /g, '-')}`}>{c.state}</span>
        <span class="muted-text">scope {c.scope}{c.user ? ` · user ${c.user}` : ''}</span>
      </div>
      <table class="kv compact">
        <tbody>
          <tr><th scope="row">Cookies</th><td>{c.cookies.length > 0 ? c.cookies.map((n) => <code key={n} class="cookie">{n}</code>) : <span class="muted-text">none</span>}</td></tr>
          <tr><th scope="row">Requests</th><td>{count(c.requests)} · logins {c.logins} · re-logins {c.relogins}{c.login_failures > 0 ? <span class="text-error"> · failed logins {c.login_failures}</span> : ''}</td></tr>
          <tr><th scope="row">Last login</th><td>{c.last_login ? dateTime(c.last_login) : '—'}</td></tr>
          <tr><th scope="row">Statistics</th><td>reads {count(st.reads)} · writes {count(st.writes)} · buffered {count(st.buffered_writes)} · high/low water {st.high_water_events}/{st.low_water_events} · sent {bytes(st.body_bytes_sent)} · received {bytes(st.body_bytes_received)}</td></tr>
          {c.last_error && <tr><th scope="row">Last error</th><td class="text-error">{c.last_error}</td></tr>}
        </tbody>
      </table>
    </li>
  );
}

export function SessionDetail({ id, onClose, onEnded }: { id: string; onClose: () => void; onEnded: () => void }) {
  const [confirm, setConfirm] = useState<'kill' | 'user' | null>(null);
  const polled = usePoll<Loaded>(
    async (signal) => {
      const [session, connections, exchanges] = await Promise.all([
        api.session(id, signal),
        api.sessionConnections(id, signal),
        api.exchanges(`?session=${encodeURIComponent(id)}`),
      ]);
      return { session, connections, exchanges: exchanges.slice(-RECENT).reverse() };
    },
    SESSION_POLL_MS,
    [id],
  );
  const gone = polled.error instanceof ApiError && polled.error.status === 404;
  const s = polled.data?.session.id === id ? polled.data.session : null;

  const kill = async (): Promise<void> => {
    setConfirm(null);
    try {
      await api.killSession(id);
      toasts.show(`Session ${id} ended.`);
      onEnded();
    } catch (err) {
      toasts.show(`Session ${id} was not ended: ${(err as Error).message}`, 'error');
    }
  };
  const logOut = async (user: string): Promise<void> => {
    setConfirm(null);
    try {
      const n = await api.logOutUser(user);
      toasts.show(`${user} logged out everywhere: ${n} session${n === 1 ? '' : 's'} ended.`);
      onEnded();
    } catch (err) {
      toasts.show(`Cannot log ${user} out: ${(err as Error).message}`, 'error');
    }
  };

  return (
    <aside class="detail" aria-label={`Session ${id}`} data-testid="session-detail">
      <header class="detail-head">
        <h2>Session {id}</h2>
        <div class="detail-actions">
          {s && (
            <button type="button" class="btn btn-danger" onClick={() => setConfirm('kill')}>
              End session…
            </button>
          )}
          {s?.user && (
            <button type="button" class="btn" onClick={() => setConfirm('user')}>
              Log out {s.user} everywhere…
            </button>
          )}
          <button type="button" class="btn btn-quiet" onClick={onClose} aria-label="Close the detail">
            ✕
          </button>
        </div>
      </header>
      {gone && <p class="banner banner-warn">Session {id} has ended (killed, expired, or its connection closed).</p>}
      {polled.error && !gone && <p class="banner banner-error">{polled.error.message}</p>}
      {!s && !polled.error && <p class="muted-text pad">Loading…</p>}
      {s && polled.data && (
        <div class="detail-body">
          <table class="kv meta">
            <tbody>
              <tr><th scope="row">State</th><td>{s.state}</td></tr>
              <tr><th scope="row">User</th><td>{s.user ?? '—'}</td></tr>
              <tr><th scope="row">Address</th><td class="mono">{s.address}</td></tr>
              <tr><th scope="row">Service</th><td><a href={href('services')}>{linkName(s.service)}</a> · {s.mode} session · router {s.router}{s.filters.length > 0 ? ` · filters ${s.filters.join(', ')}` : ''}</td></tr>
              <tr><th scope="row">Connected</th><td>{dateTime(s.connected)} ({age(since(s.connected))} ago)</td></tr>
              <tr><th scope="row">Idle</th><td>{age(s.idle)} · expires {dateTime(s.expires)}</td></tr>
              <tr><th scope="row">Requests</th><td>{count(s.requests)} · queued {s.queued} · errors {s.errors > 0 ? <span class="text-error">{s.errors}</span> : 0}</td></tr>
              <tr><th scope="row">Bytes</th><td>in {bytes(s.bytes_in)} · out {bytes(s.bytes_out)}</td></tr>
              <tr><th scope="row">Sticky server</th><td>{s.server ? linkName(s.server) : '—'}</td></tr>
            </tbody>
          </table>
          <h3>Upstream contexts</h3>
          {polled.data.connections.length === 0 ? (
            <p class="muted-text body-note">None: this session has not reached a server yet, or its service re-uses one context for everybody.</p>
          ) : (
            <ul class="contexts">{polled.data.connections.map((c, i) => <Context key={i} c={c} />)}</ul>
          )}
          <h3>
            Recent exchanges <a class="small-link" href={href('exchanges', null, { session: id })}>all in the table →</a>
          </h3>
          {polled.data.exchanges.length === 0 ? (
            <p class="muted-text body-note">No exchange of this session in the table.</p>
          ) : (
            <table class="mini-table">
              <thead>
                <tr><th scope="col">ID</th><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col" class="num">Timespan</th></tr>
              </thead>
              <tbody>
                {polled.data.exchanges.map((x) => (
                  <tr key={x.id} class={x.lost ? 'row-lost' : ''}>
                    <td class="num"><a href={href('exchanges', x.id)}>{x.id}</a></td>
                    <td>{clockTime(x.request_time)}</td>
                    <td class="mono ellipsis" title={x.uri}>{x.method} {x.uri}</td>
                    <td><span class={`status ${statusClass(x.status)}`}>{statusText(x)}</span></td>
                    <td class="num">{duration(x.timespan_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      {confirm === 'kill' && (
        <ConfirmDialog
          title={`End session ${id}?`}
          message="Its running request is cancelled, its queued requests run without it, and its id is dead for good. The client gets a new session with its next request."
          confirmLabel="End session"
          onConfirm={() => void kill()}
          onCancel={() => setConfirm(null)}
        />
      )}
      {confirm === 'user' && s?.user && (
        <ConfirmDialog
          title={`Log ${s.user} out everywhere?`}
          message={`Every live session of user "${s.user}" is ended, on every service.`}
          confirmLabel="Log out everywhere"
          onConfirm={() => void logOut(s.user!)}
          onCancel={() => setConfirm(null)}
        />
      )}
    </aside>
  );
}
