/**
 * The embedded demo data source: a small JSON API that behaves like the backends sessiongate is for.
 * - `POST /login` with `{"user","password"}` (password `demo`) sets a `JSESSIONID` cookie;
 * - the `/api/*` endpoints need that cookie (401 without it, or once it expired after `sessionTtl` idle);
 * - `GET /api/quota` answers a share of requests `429 Too Many Requests`, as a rate-limited source does;
 * - `GET /api/slow?ms=N` answers after N milliseconds.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoDataSourceOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Idle time after which a JSESSIONID expires (ms). Default 90 s. */
  sessionTtl?: number;
  /** Share of `/api/quota` requests answered 429. Default 0.3. */
  tooManyShare?: number;
  /** Extra time a login takes (ms), as real logins are slow. Default 20. */
  loginDelay?: number;
}

export interface DemoDataSource {
  readonly url: string;
  readonly stats: { logins: number; requests: number; unauthorized: number; tooMany: number };
  /** Ends every backend session now (as a backend restart would). */
  expireSessions(): void;
  close(): Promise<void>;
}

const ITEMS = Array.from({ length: 25 }, (_, i) => ({
  id: i + 1,
  name: ['sensor', 'gateway', 'switch', 'router', 'camera'][i % 5] + `-${String(i + 1).padStart(2, '0')}`,
  status: i % 7 === 3 ? 'degraded' : 'ok',
  value: Math.round(Math.sin(i) * 1000) / 10,
}));

export async function startDemoDataSource(options: DemoDataSourceOptions = {}): Promise<DemoDataSource> {
  const ttl = options.sessionTtl ?? 90_000;
  const share = options.tooManyShare ?? 0.3;
  const loginDelay = options.loginDelay ?? 20;
  const sessions = new Map<string, { user: string; lastSeen: number }>();
  const stats = { logins: 0, requests: 0, unauthorized: 0, tooMany: 0 };
  let quotaCounter = 0;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const sessionOf = (req: IncomingMessage): { user: string; lastSeen: number } | null => {
    const m = /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(req.headers.cookie ?? '');
    if (!m) return null;
    const s = sessions.get(m[1]!);
    if (!s) return null;
    if (Date.now() - s.lastSeen > ttl) {
      sessions.delete(m[1]!);
      return null;
    }
    s.lastSeen = Date.now();
    return s;
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://demo');
    const path = url.pathname;
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/login' && req.method === 'POST') {
      const text = await readBody(req);
      let creds: { user?: unknown; password?: unknown } = {};
      try {
        creds = JSON.parse(text) as typeof creds;
      } catch {
        return json(res, 400, { error: 'expected a JSON body {"user","password"}' });
      }
      await new Promise((r) => setTimeout(r, loginDelay));
      if (typeof creds.user !== 'string' || creds.password !== 'demo') return json(res, 403, { error: 'bad credentials' });
      const id = randomBytes(16).toString('hex').toUpperCase();
      sessions.set(id, { user: creds.user, lastSeen: Date.now() });
      stats.logins++;
      return json(res, 200, { ok: true, user: creds.user }, { 'set-cookie': `JSESSIONID=${id}; Path=/; HttpOnly` });
    }
    if (path === '/' ) {
      return json(res, 200, { name: 'sessiongate demo data source', endpoints: ['POST /login', 'GET /api/items', 'GET /api/items/:id', 'POST /api/orders', 'GET /api/quota', 'GET /api/slow?ms=N'] });
    }
    if (!path.startsWith('/api/')) return json(res, 404, { error: 'not found' });
    const session = sessionOf(req);
    if (!session) {
      stats.unauthorized++;
      await readBody(req);
      return json(res, 401, { error: 'login required' }, { 'www-authenticate': 'Cookie realm="demo"' });
    }
    if (path === '/api/items' && req.method === 'GET') return json(res, 200, { user: session.user, items: ITEMS });
    const item = /^\/api\/items\/(\d+)$/.exec(path);
    if (item && req.method === 'GET') {
      const found = ITEMS.find((i) => i.id === Number(item[1]));
      return found ? json(res, 200, found) : json(res, 404, { error: 'no such item' });
    }
    if (path === '/api/orders' && req.method === 'POST') {
      const text = await readBody(req);
      return json(res, 201, { created: true, user: session.user, received: text.length });
    }
    if (path === '/api/quota') {
      quotaCounter++;
      // Deterministic share: every request whose position falls in the share is refused.
      if (Math.floor(quotaCounter * share) !== Math.floor((quotaCounter - 1) * share)) {
        stats.tooMany++;
        return json(res, 429, { error: 'too many requests' }, { 'retry-after': '1' });
      }
      return json(res, 200, { user: session.user, remaining: 100 - (quotaCounter % 100) });
    }
    if (path === '/api/slow') {
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 500) || 0, 30_000);
      await new Promise((r) => setTimeout(r, ms));
      return json(res, 200, { waited: ms });
    }
    return json(res, 404, { error: 'not found' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    stats,
    expireSessions: () => sessions.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
