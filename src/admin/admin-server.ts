/**
 * The admin server: the REST API under /v1 (and, later, the web UI at /). JSON in and out, errors as
 * `{"errors":[{"detail"}]}`, security headers on every response, loopback-only unless users are configured.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { verifyPassword } from './password.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AdminConfig } from '../config/index.js';
import { formatListen, parseListen } from '../config/index.js';
import { AdminError, errorDocument } from './admin-error.js';
import { parseFields, parseRange, pickFields } from './query.js';
import type { AdminRequest, AdminResult, Route } from './route.js';
import { serveUi } from './static.js';

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export class AdminServer {
  readonly #config: AdminConfig;
  readonly #logger: Logger;
  readonly #routes: CompiledRoute[];
  readonly #server: Server;
  /** Recently verified credentials (digest of `name:password`) -> until when. */
  readonly #verified = new Map<string, number>();
  #url = '';

  constructor(config: AdminConfig, routes: Route[], logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.#routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.path.replace(/[.]/g, '\\.').replace(/:([a-z_]+)/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      return { route, pattern: new RegExp(`^${source}$`), names };
    });
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#logger.error({ err }, 'admin request failed');
        this.#send(res, 500, errorDocument('internal error'));
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  get routes(): readonly Route[] {
    return this.#routes.map((r) => r.route);
  }

  async listen(): Promise<void> {
    const { host, port } = parseListen(this.#config.listen);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const a = this.#server.address() as AddressInfo;
    this.#url = `http://${formatListen({ host: a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '::1' : a.address, port: a.port })}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (!(await this.#authorized(req))) {
      res.setHeader('WWW-Authenticate', 'Basic realm="sessiongate", charset="UTF-8"');
      return this.#send(res, 401, errorDocument('authentication required'));
    }
    const method = req.method ?? 'GET';
    const refused = crossSiteWrite(req, method);
    if (refused !== null) return this.#send(res, 403, errorDocument(refused));
    let pathMatched = false;
    for (const c of this.#routes) {
      const m = c.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET')) continue;
      try {
        const areq = await this.#request(req, url, c, m);
        const result = await c.route.handler(areq);
        return this.#respond(res, result, areq);
      } catch (err) {
        if (err instanceof AdminError) return this.#send(res, err.status, errorDocument(err.message));
        throw err;
      }
    }
    if (pathMatched) return this.#send(res, 405, errorDocument(`method ${method} not allowed on ${url.pathname}`));
    if (!url.pathname.startsWith('/v1/') && (method === 'GET' || method === 'HEAD')) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (k !== 'Cache-Control') res.setHeader(k, v);
      return serveUi(url.pathname, res);
    }
    return this.#send(res, 404, errorDocument(`no such resource: ${url.pathname}`));
  }

  async #request(req: IncomingMessage, url: URL, c: CompiledRoute, m: RegExpExecArray): Promise<AdminRequest> {
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]!);
      } catch {
        throw new AdminError(400, `malformed percent-encoding in the path: ${m[i + 1]}`);
      }
    });
    const query = url.searchParams;
    const fields = parseFields(query.get('fields'));
    const range = c.route.list ? parseRange(query.get('range')) : null;
    if (!c.route.list && query.has('range')) throw new AdminError(400, 'range applies to lists only');
    const rest = Object.fromEntries([...query].filter(([k]) => k !== 'fields' && k !== 'range'));
    let args: Record<string, unknown> = {};
    if (c.route.query) {
      const parsed = c.route.query.safeParse(rest);
      if (!parsed.success) throw new AdminError(400, `invalid query: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'parameter'}: ${i.message}`).join('; ')}`);
      args = parsed.data as Record<string, unknown>;
    } else if (Object.keys(rest).length > 0) {
      throw new AdminError(400, `unknown query parameter ${Object.keys(rest).map((k) => `"${k}"`).join(', ')}`);
    }
    let body: unknown;
    if (c.route.body) {
      body = await this.#readJson(req);
      const parsed = c.route.body.safeParse(body);
      if (!parsed.success) throw new AdminError(400, `invalid body: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
      body = parsed.data;
    }
    return { method: req.method ?? 'GET', path: url.pathname, params, query, args, fields, range, body, raw: req };
  }

  async #readJson(req: IncomingMessage): Promise<unknown> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new AdminError(400, 'the body must be JSON (Content-Type: application/json)');
    const limit = this.#config.maxBodySize;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new AdminError(413, `body larger than ${limit} bytes`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new AdminError(400, `the body is not valid JSON: ${(err as Error).message}`);
    }
  }

  #respond(res: ServerResponse, result: AdminResult, req: AdminRequest): void {
    if ('stream' in result) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      result.stream(res);
      return;
    }
    if (result.total !== undefined) res.setHeader('X-Total-Count', String(result.total));
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    if (result.status === 204 || result.body === undefined) return this.#send(res, result.status, undefined);
    this.#send(res, result.status, pickFields(result.body, req.fields));
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /**
   * HTTP Basic against `admin.users` (plain passwords or scrypt hashes), compared in constant time; no users:
   * open (the config allows that on loopback only). A successful check is remembered for a minute, so that a
   * polling UI does not pay for scrypt on every request.
   */
  async #authorized(req: IncomingMessage): Promise<boolean> {
    const users = this.#config.users;
    if (users.length === 0) return true;
    const header = req.headers.authorization ?? '';
    if (!/^basic /i.test(header)) return false;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const name = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = digest(decoded).toString('base64');
    const now = Date.now();
    if ((this.#verified.get(key) ?? 0) > now) return true;
    // Every user's name is compared, so the time taken does not tell which names exist.
    let user: (typeof users)[number] | undefined;
    for (const u of users) if (timingSafeEqual(digest(u.name), digest(name)) && user === undefined) user = u;
    if (user === undefined || !(await verifyPassword(user.password, password))) return false;
    if (this.#verified.size > 1000) this.#verified.clear();
    this.#verified.set(key, now + 60_000);
    return true;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: a write from a browser must come from this admin origin and carry a header
 * a cross-site form or simple request cannot set (`X-Requested-By`), which forces a CORS preflight the
 * admin server never grants. Clients that are not browsers (curl, the CLI) send no Origin and are not
 * affected. Returns why a request is refused, or null.
 */
function crossSiteWrite(req: IncomingMessage, method: string): string | null {
  if (SAFE_METHODS.has(method)) return null;
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return 'cross-site write refused';
  if (origin === undefined) return null;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'cross-site write refused: malformed Origin';
  }
  if (host !== req.headers.host) return 'cross-site write refused: Origin does not match the admin server';
  if (req.headers['x-requested-by'] === undefined) return 'write refused: browser writes need the X-Requested-By header';
  return null;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
