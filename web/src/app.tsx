/** The shell: header with navigation, overall data loss and stream status; one view at a time; notices. */
import { useEffect } from 'preact/hooks';
import { StateBadge } from './components/data-loss-panel.js';
import { ExchangeFeed, type FeedStatus } from './lib/exchange-feed.js';
import { percent } from './lib/format.js';
import { Overview } from './lib/overview.js';
import { href, useRoute, type View } from './lib/route.js';
import { useStore } from './lib/store.js';
import { toasts } from './lib/toasts.js';
import { ExchangesView } from './views/exchanges-view.js';
import { ServicesView } from './views/services-view.js';
import { SessionsView } from './views/sessions-view.js';

const overview = new Overview();
const feed = new ExchangeFeed();
feed.onLogState = (s) => overview.setLog(s);
feed.onDataLoss = (e) => overview.applyDataLoss(e);
feed.onLoaded = (rows) => overview.seed(rows, overview.log?.threshold_percent ?? feed.log?.threshold_percent ?? 10);

const STATUS_TEXT: Record<FeedStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const NAV: { view: View; label: string }[] = [
  { view: 'exchanges', label: 'Exchanges' },
  { view: 'sessions', label: 'Sessions' },
  { view: 'services', label: 'Services & servers' },
];

function Header({ view }: { view: View }) {
  useStore(feed);
  useStore(overview);
  const log = overview.log;
  const status: FeedStatus | 'paused' = feed.paused && feed.status === 'live' ? 'paused' : feed.status;
  return (
    <header class="app-header">
      <a class="brand" href={href('exchanges')}>
        <img src="/favicon.svg" alt="" width={22} height={22} />
        sessiongate
      </a>
      <nav aria-label="Views">
        <ul class="nav">
          {NAV.map((n) => (
            <li key={n.view}>
              <a href={href(n.view)} aria-current={n.view === view ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="header-status">
        {log && (
          <a class={`header-dl header-dl-${log.data_loss_state}`} href={href('exchanges')} data-testid="header-data-loss" title="Data loss of the whole table">
            Data loss {percent(log.data_loss_percent)} <StateBadge state={log.data_loss_state} />
          </a>
        )}
        <span class={`live live-${status}`} role="status" data-testid="feed-status">
          <span class="live-dot" aria-hidden="true" />
          {status === 'paused' ? 'Paused' : STATUS_TEXT[status]}
        </span>
      </div>
    </header>
  );
}

function Toasts() {
  useStore(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.items.map((t) => (
        <p key={t.id} class={`toast toast-${t.kind}`}>
          {t.text}
        </p>
      ))}
    </div>
  );
}

export function App() {
  const route = useRoute();
  useEffect(() => {
    overview.start();
    feed.start();
    return () => {
      overview.stop();
      feed.stop();
    };
  }, []);
  useEffect(() => {
    const titles: Record<View, string> = { exchanges: 'Exchanges', sessions: 'Sessions', services: 'Services & servers' };
    document.title = `${titles[route.view]} · sessiongate`;
  }, [route.view]);
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <Header view={route.view} />
      <main id="main" class="main" tabIndex={-1}>
        {route.view === 'exchanges' && <ExchangesView feed={feed} overview={overview} route={route} />}
        {route.view === 'sessions' && <SessionsView route={route} />}
        {route.view === 'services' && <ServicesView overview={overview} />}
      </main>
      <Toasts />
    </>
  );
}
