/** Hash routes: #/exchanges, #/exchanges/42, #/sessions, #/sessions/7, #/services (with ?query). */
import { useEffect, useState } from 'preact/hooks';

export type View = 'exchanges' | 'sessions' | 'services';

export interface Route {
  view: View;
  id: string | null;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', q = ''] = hash.replace(/^#\/?/, '').split('?');
  const [view, id] = path.split('/');
  const known: View[] = ['exchanges', 'sessions', 'services'];
  return {
    view: known.includes(view as View) ? (view as View) : 'exchanges',
    id: id ? decodeURIComponent(id) : null,
    query: new URLSearchParams(q),
  };
}

export function href(view: View, id?: string | number | null, query?: Record<string, string>): string {
  const q = query ? new URLSearchParams(query).toString() : '';
  return `#/${view}${id !== undefined && id !== null ? `/${encodeURIComponent(String(id))}` : ''}${q ? `?${q}` : ''}`;
}

export function navigate(to: string, replace = false): void {
  if (replace) {
    history.replaceState(null, '', to);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = to;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
