/** One exchange in full: timings, headers, bodies; copy as curl; links to its session and server. */
import { useEffect, useState } from 'preact/hooks';
import { BodyView } from '../components/body-view.js';
import { api, ApiError, type ExchangeDetailJson } from '../lib/api.js';
import { toCurl } from '../lib/curl.js';
import { bytes, dateTime, duration, statusClass } from '../lib/format.js';
import type { Overview } from '../lib/overview.js';
import { href } from '../lib/route.js';
import { toasts } from '../lib/toasts.js';
import { statusText } from './exchange-columns.js';

const header = (headers: readonly [string, string][] | null, name: string): string | null =>
  headers?.find(([k]) => k.toLowerCase() === name)?.[1] ?? null;

function Headers({ headers }: { headers: readonly [string, string][] | null }) {
  if (headers === null || headers.length === 0) return <p class="muted-text body-note">No headers.</p>;
  return (
    <table class="kv headers">
      <tbody>
        {headers.map(([k, v], i) => (
          <tr key={i}>
            <th scope="row">{k}</th>
            <td class={v === '[redacted]' ? 'redacted' : ''}>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toasts.show(`${what} copied to the clipboard.`);
  } catch {
    // No clipboard (an insecure context, or permission refused): select the text for a manual copy.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    toasts.show(ok ? `${what} copied to the clipboard.` : `Cannot copy: the browser refused access to the clipboard.`, ok ? 'info' : 'error');
  }
}

export function ExchangeDetail({ id, overview, onClose }: { id: number; overview: Overview; onClose: () => void }) {
  const [ex, setEx] = useState<ExchangeDetailJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.exchange(id, ctl.signal).then(setEx, (err: unknown) => {
      if (ctl.signal.aborted) return;
      setEx(null);
      setError(err instanceof ApiError && err.status === 404 ? `Exchange ${id} is no longer in the table (the oldest rows leave it at max entries).` : `Cannot load exchange ${id}: ${(err as Error).message}`);
    });
    return () => ctl.abort();
  }, [id]);

  const server = ex?.server ? overview.servers.find((s) => s.name === ex.server) : undefined;
  const current = ex !== null && ex.id === id ? ex : null;
  return (
    <aside class="detail" aria-label={`Exchange ${id}`} data-testid="exchange-detail">
      <header class="detail-head">
        <h2>
          Exchange {id}
          {current && <span class={`status pill ${statusClass(current.status)}`}>{statusText(current)}</span>}
        </h2>
        <div class="detail-actions">
          {current && (
            <button type="button" class="btn" onClick={() => void copyText(toCurl(current, server?.url ?? `http://${current.server ?? 'server'}`), 'curl command')}>
              Copy as curl
            </button>
          )}
          <button type="button" class="btn btn-quiet" onClick={onClose} aria-label="Close the detail">
            ✕
          </button>
        </div>
      </header>
      {error && <p class="banner banner-error">{error}</p>}
      {!current && !error && <p class="muted-text pad">Loading…</p>}
      {current && (
        <div class="detail-body">
          <p class="request-line mono">
            <span class="method">{current.method}</span> {current.uri}
          </p>
          {current.error && (
            <p class="banner banner-error">
              Failed: <strong>{current.error}</strong>
              {current.error_code ? ` (${current.error_code})` : ''}
            </p>
          )}
          <table class="kv meta">
            <tbody>
              <tr><th scope="row">Kind</th><td>{current.kind === 'login' ? 'login (the gateway logging in upstream)' : 'request'}</td></tr>
              <tr>
                <th scope="row">Session</th>
                <td>{current.session ? <a href={href('sessions', current.session)}>{current.session}</a> : '—'}{current.connection !== null ? ` · connection ${current.connection}` : ''}</td>
              </tr>
              <tr><th scope="row">Service · server</th><td>{current.service ?? '—'} · {current.server ? <a href={href('services')}>{current.server}</a> : '—'}{server ? ` (${server.url})` : ''}</td></tr>
              <tr><th scope="row">Request time</th><td>{dateTime(current.request_time)}</td></tr>
              <tr><th scope="row">Response time</th><td>{dateTime(current.response_time) || '—'}</td></tr>
              <tr><th scope="row">Timespan</th><td>{duration(current.timespan_ms) || '—'}{current.ttfb_ms !== null ? ` (first byte after ${duration(current.ttfb_ms)})` : ''}</td></tr>
              <tr><th scope="row">Queue time</th><td>{duration(current.queue_ms)}</td></tr>
              {current.retry_of !== null && (
                <tr>
                  <th scope="row">Sent again</th>
                  <td>
                    repeats <a href={href('exchanges', String(current.retry_of))}>#{current.retry_of}</a> (a retry after a failed attempt, or a replay after a re-login)
                  </td>
                </tr>
              )}
              <tr><th scope="row">Sizes</th><td>request {bytes(current.request_body_size)} · response {bytes(current.response_body_size)}</td></tr>
              <tr><th scope="row">Data loss</th><td>{current.lost ? <strong class="text-error">counts as data loss</strong> : 'no'}</td></tr>
            </tbody>
          </table>
          <details open>
            <summary>Request headers</summary>
            <Headers headers={current.request_headers} />
          </details>
          <details open>
            <summary>Request body</summary>
            <BodyView body={current.request_body} size={current.request_body_size} truncated={current.request_body_truncated} evicted={current.bodies_evicted} contentType={header(current.request_headers, 'content-type')} />
          </details>
          <details open>
            <summary>Response headers</summary>
            <Headers headers={current.response_headers} />
          </details>
          <details open>
            <summary>Response body</summary>
            <div data-testid="response-body">
              <BodyView body={current.response_body} size={current.response_body_size} truncated={current.response_body_truncated} evicted={current.bodies_evicted} contentType={header(current.response_headers, 'content-type')} />
            </div>
          </details>
        </div>
      )}
    </aside>
  );
}
