/**
 * A backend that makes clients log in, as the servers sessiongate re-uses sessions with do: POST /login with
 * `{"user","password"}` sets JSESSIONID; /data needs it (401 without, or once it expired). It counts logins
 * and remembers which session cookie each data request carried. A request with `X-Delay: ms` is answered late.
 */
import { randomBytes } from 'node:crypto';
import { readAll, startBackend, type Backend } from './backend.js';

export interface LoginBackend extends Backend {
  logins: number;
  /** Per data request: the JSESSIONID it carried (or null) and its path. */
  dataRequests: { cookie: string | null; user: string | null; path: string; authorization: string | null }[];
  sessions: Map<string, string>;
  /** Forget every backend session (as a backend restart or its idle timeout would). */
  expireAll(): void;
  /** Make /login fail (status) or succeed again (null). */
  failLogins: number | null;
  /** Extra time a login takes (ms). */
  loginDelay: number;
}

export async function startLoginBackend(): Promise<LoginBackend> {
  const state = {
    logins: 0,
    dataRequests: [] as LoginBackend['dataRequests'],
    sessions: new Map<string, string>(),
    failLogins: null as number | null,
    loginDelay: 0,
  };
  const b = await startBackend(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readAll(req);
    if (url.pathname === '/login' && req.method === 'POST') {
      if (state.loginDelay) await new Promise((r) => setTimeout(r, state.loginDelay));
      if (state.failLogins !== null) {
        res.writeHead(state.failLogins, { 'content-type': 'application/json' });
        res.end('{"error":"login unavailable"}');
        return;
      }
      let creds: { user?: string; password?: string } = {};
      try {
        creds = JSON.parse(body.toString()) as typeof creds;
      } catch {
        // fall through: bad credentials
      }
      if (!creds.user || creds.password !== `${creds.user}-pw`) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end('{"error":"bad credentials"}');
        return;
      }
      state.logins++;
      const id = randomBytes(8).toString('hex');
      state.sessions.set(id, creds.user);
      res.writeHead(200, { 'set-cookie': [`JSESSIONID=${id}; Path=/; HttpOnly`, 'LB=node1; Path=/'], 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    const delay = Number(req.headers['x-delay'] ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, Math.min(delay, 10_000)));
    const cookie = /JSESSIONID=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1] ?? null;
    const user = cookie !== null ? (state.sessions.get(cookie) ?? null) : null;
    state.dataRequests.push({ cookie, user, path: url.pathname, authorization: req.headers.authorization ?? null });
    if (user === null) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"login required"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ user, session: cookie, path: url.pathname, received: body.length }));
  });
  const lb = b as LoginBackend;
  Object.defineProperties(lb, {
    logins: { get: () => state.logins },
    dataRequests: { get: () => state.dataRequests },
    sessions: { get: () => state.sessions },
    failLogins: { get: () => state.failLogins, set: (v: number | null) => (state.failLogins = v) },
    loginDelay: { get: () => state.loginDelay, set: (v: number) => (state.loginDelay = v) },
  });
  lb.expireAll = () => state.sessions.clear();
  return lb;
}
