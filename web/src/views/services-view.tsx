/** Services, servers and listeners at a glance: state, traffic, errors, data loss. */
import { Sparkline } from '../components/sparkline.js';
import { StateBadge } from '../components/data-loss-panel.js';
import { linkName, type DataLossJson } from '../lib/api.js';
import { age, count, dateTime, percent } from '../lib/format.js';
import { scopeKey, type Overview } from '../lib/overview.js';
import { href } from '../lib/route.js';
import { useStore } from '../lib/store.js';

function DataLossLine({ dl, samples, threshold, label }: { dl: DataLossJson; samples: ReturnType<Overview['series']>; threshold: number; label: string }) {
  return (
    <div class="card-dataloss">
      <div>
        <span class="card-dl-value">{percent(dl.data_loss_percent)}</span> <StateBadge state={dl.data_loss_state} />
        <div class="muted-text small">
          {count(dl.lost)} of {count(dl.exchanges)} lost · {dl.data_loss_state} since {dateTime(dl.data_loss_changed).slice(11, 19)}
        </div>
      </div>
      <Sparkline samples={samples} threshold={threshold} width={150} height={36} label={label} />
    </div>
  );
}

export function ServicesView({ overview }: { overview: Overview }) {
  useStore(overview);
  const threshold = overview.log?.threshold_percent ?? 10;
  const gw = overview.gateway;
  return (
    <section class="view view-services" aria-label="Services and servers">
      <div class="toolbar">
        <h1 class="view-title">Services and servers</h1>
        <span class="toolbar-spacer" />
        {gw && (
          <span class="muted-text small">
            sessiongate {gw.version} · Node {gw.node} · up {age(gw.uptime)} · {gw.store.type} store, {count(gw.store.sessions)} sessions · config: {gw.config}
          </span>
        )}
      </div>
      {overview.error && <p class="banner banner-error">{overview.error}</p>}
      <div class="cards-scroll">
        <div class="glance">
        <section aria-labelledby="services-title">
        <h2 class="section-title" id="services-title">Services</h2>
        <div class="cards">
          {overview.services.map((s) => (
            <article class={`card card-${s.data_loss.data_loss_state}`} key={s.name} data-testid={`service-${s.name}`} aria-label={`Service ${s.name}`}>
              <header class="card-head">
                <h3>{s.name}</h3>
                <span class="muted-text small">{linkName(s.listener)} · {s.match.host ? `${s.match.host}` : ''}{s.match.path_prefix}</span>
              </header>
              <dl class="facts">
                <div><dt>Requests</dt><dd>{count(s.counters.requests)}</dd></div>
                <div><dt>Gateway errors</dt><dd class={s.counters.gateway_errors > 0 ? 'text-error' : ''}>{count(s.counters.gateway_errors)}</dd></div>
                <div><dt>Router</dt><dd>{s.router}</dd></div>
                <div><dt>Sessions</dt><dd>{s.session.mode}, queue {s.session.max_queue}</dd></div>
                <div><dt>Upstream</dt><dd>reuse {s.upstream.reuse}, auth {s.upstream.auth}</dd></div>
                <div><dt>Servers</dt><dd>{s.servers.map(linkName).join(', ')}</dd></div>
              </dl>
              <DataLossLine dl={s.data_loss} samples={overview.series(scopeKey('service', s.name))} threshold={threshold} label={`Data loss of service ${s.name}`} />
              <a class="small-link" href={href('exchanges')}>exchanges →</a>
            </article>
          ))}
        </div>
        </section>
        <section aria-labelledby="servers-title">
        <h2 class="section-title" id="servers-title">Servers</h2>
        <div class="cards">
          {overview.servers.map((s) => (
            <article class={`card card-${s.data_loss.data_loss_state} server-${s.state}`} key={s.name} data-testid={`server-${s.name}`} aria-label={`Server ${s.name}`}>
              <header class="card-head">
                <h3>{s.name}</h3>
                <span class={`badge badge-server-${s.state}`}>{s.state}</span>
                <span class="muted-text small mono">{s.url}</span>
              </header>
              <dl class="facts">
                <div><dt>Requests</dt><dd>{count(s.counters.requests)}</dd></div>
                <div><dt>Active</dt><dd>{s.active}</dd></div>
                <div><dt>Failures</dt><dd class={s.counters.failures > 0 ? 'text-error' : ''}>{count(s.counters.failures)} ({count(s.counters.connect_failures)} connect)</dd></div>
                <div><dt>Pool</dt><dd>{s.pool.connected} connected, {s.pool.free} free, {s.pool.pending} pending</dd></div>
                <div><dt>Weight</dt><dd>{s.weight}</dd></div>
                {s.last_error && <div><dt>Last error</dt><dd class="text-error">{s.last_error}</dd></div>}
              </dl>
              <DataLossLine dl={s.data_loss} samples={overview.series(scopeKey('server', s.name))} threshold={threshold} label={`Data loss of server ${s.name}`} />
              <a class="small-link" href={href('exchanges', null, { server: s.name })}>exchanges →</a>
            </article>
          ))}
        </div>
        </section>
        </div>
        <h2 class="section-title">Listeners</h2>
        <table class="mini-table listeners">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col" class="num">Open connections</th><th scope="col" class="num">Accepted</th><th scope="col" class="num">Refused</th><th scope="col">Services</th></tr>
          </thead>
          <tbody>
            {overview.listeners.map((l) => (
              <tr key={l.name}>
                <td>{l.name}</td>
                <td class="mono">{l.url}{l.secure ? ' (TLS)' : ''}</td>
                <td class="num">{count(l.connections)} / {count(l.max_connections)}</td>
                <td class="num">{count(l.accepted)}</td>
                <td class={`num ${l.refused > 0 ? 'text-error' : ''}`}>{count(l.refused)}</td>
                <td>{l.services.map(linkName).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
