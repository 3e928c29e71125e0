/**
 * A backend that needs a login, for the upstream-reuse scenario: a node:http server on 127.0.0.1, port 0.
 *   POST /login  waits BENCH_LOGIN_DELAY_MS (default 50 ms: what a real login costs: a password hash, a
 *                directory look-up), checks the JSON credentials {"user":"bench","password":"bench"} (else 403),
 *                then 200 with `Set-Cookie: BSESSION=<new id>`; each successful login is counted
 *   GET  /data   200 with a 100-byte JSON body with a valid BSESSION cookie, 401 without one
 *   GET  /stats  {"logins","failed_logins","requests","unauthorized","sessions"} since the last reset
 *   POST /reset  zeroes the counters and forgets every session (so each measurement starts without any:
 *                a gateway that kept a backend cookie gets 401 and has to log in again)
 *   anything else 404
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveHttp } from '../lib/child.js';

const LOGIN_DELAY_MS = Number(process.env.BENCH_LOGIN_DELAY_MS ?? 50);
const COOKIE = 'BSESSION';

/** Exactly 100 bytes, as the plain backend's GET /small. */
const DATA_BODY = Buffer.from(`{"ok":true,"data":"${'x'.repeat(100 - '{"ok":true,"data":""}'.length)}"}`);

const sessions = new Set<string>();
const stats = { logins: 0, failed_logins: 0, requests: 0, unauthorized: 0 };

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length), ...headers });
  res.end(buf);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sessionOf(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === COOKIE) return pair.slice(eq + 1).trim();
  }
  return null;
}

async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  await new Promise((r) => setTimeout(r, LOGIN_DELAY_MS));
  let ok = false;
  try {
    const creds = JSON.parse(body) as { user?: unknown; password?: unknown };
    ok = creds.user === 'bench' && creds.password === 'bench';
  } catch {
    ok = false;
  }
  if (!ok) {
    stats.failed_logins++;
    return send(res, 403, '{"error":"bad credentials"}');
  }
  const id = randomBytes(16).toString('hex');
  sessions.add(id);
  stats.logins++;
  send(res, 200, '{"ok":true}', { 'set-cookie': `${COOKIE}=${id}; Path=/; HttpOnly` });
}

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const route = `${req.method} ${req.url}`;
  if (route === 'POST /login') {
    login(req, res).catch((err: unknown) => send(res, 500, JSON.stringify({ error: String(err) })));
    return;
  }
  req.resume();
  if (route === 'GET /data') {
    const id = sessionOf(req);
    if (id === null || !sessions.has(id)) {
      stats.unauthorized++;
      return send(res, 401, '{"error":"login required"}');
    }
    stats.requests++;
    return send(res, 200, DATA_BODY);
  }
  if (route === 'GET /stats') return send(res, 200, JSON.stringify({ ...stats, sessions: sessions.size }));
  if (route === 'POST /reset') {
    req.on('end', () => {
      stats.logins = stats.failed_logins = stats.requests = stats.unauthorized = 0;
      sessions.clear();
      send(res, 200, '{"ok":true}');
    });
    return;
  }
  send(res, 404, '{"error":"not found"}');
});
serveHttp(server);
